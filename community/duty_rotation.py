"""The fair rotation of a duty roster, as a pure function (no database): which families take which
shifts, and what could not be filled.

The rule (issue 14): every family once before any family twice, the dates a family cannot do
respected, no family on two shifts at once (also across rosters: ``busy``), gaps and clashes
reported. Greedy over the shifts in time order with a heap of families keyed by (shifts so far,
last shift's position, a fixed shuffle): the family with the fewest shifts, and of those the one
that served longest ago, takes the next place. When every family is available, the counts of any
two families differ by at most one (``fairness_spread``)."""

import datetime
import heapq
import random
from collections.abc import Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ShiftSlot:
    id: int
    date: datetime.date
    starts_at: datetime.time
    ends_at: datetime.time
    needed: int


@dataclass
class Proposal:
    assignments: list[tuple[int, int]] = field(default_factory=list)  # (shift id, family id)
    gaps: list[tuple[int, int]] = field(default_factory=list)  # (shift id, places left empty)
    clashes: list[tuple[int, int]] = field(default_factory=list)  # (shift id, family id) kept off: busy then
    counts: dict[int, int] = field(default_factory=dict)  # family id → shifts


def overlaps(a_start: datetime.time, a_end: datetime.time, b_start: datetime.time, b_end: datetime.time) -> bool:
    return a_start < b_end and b_start < a_end


def propose(
    shifts: Iterable[ShiftSlot],
    family_ids: Iterable[int],
    *,
    unavailable: dict[int, set[datetime.date]] | None = None,
    busy: dict[int, list[tuple[datetime.date, datetime.time, datetime.time]]] | None = None,
    fixed: dict[int, list[int]] | None = None,
    seed: int = 0,
) -> Proposal:
    """``fixed``: shift id → families already on it (kept, and counted). ``busy``: family id → the
    times it is on duty elsewhere (another roster)."""
    unavailable = unavailable or {}
    busy = {k: list(v) for k, v in (busy or {}).items()}
    fixed = fixed or {}
    families = list(dict.fromkeys(family_ids))
    order = families[:]
    random.Random(seed).shuffle(order)
    tiebreak = {f: i for i, f in enumerate(order)}
    counts = dict.fromkeys(families, 0)
    for on_shift in fixed.values():
        for f in on_shift:
            if f in counts:
                counts[f] += 1
    last = dict.fromkeys(families, -1)
    heap = [(counts[f], -1, tiebreak[f], f) for f in families]
    heapq.heapify(heap)
    result = Proposal(counts=counts)
    slots = sorted(shifts, key=lambda s: (s.date, s.starts_at, s.id))
    by_id = {s.id: s for s in slots}
    for shift_id, on_shift in fixed.items():
        s = by_id.get(shift_id)
        if s is not None:
            for f in on_shift:
                busy.setdefault(f, []).append((s.date, s.starts_at, s.ends_at))
    for position, shift in enumerate(slots):
        taken = set(fixed.get(shift.id, []))
        need = shift.needed - len(taken)
        skipped = []
        while need > 0 and heap:
            entry = heapq.heappop(heap)
            count, _, _, family = entry
            if count != counts[family]:  # a stale entry (a fixed place counted since): skip it
                continue
            if family in taken or shift.date in unavailable.get(family, ()):
                skipped.append(entry)
                continue
            if any(
                d == shift.date and overlaps(a, b, shift.starts_at, shift.ends_at) for d, a, b in busy.get(family, ())
            ):
                result.clashes.append((shift.id, family))
                skipped.append(entry)
                continue
            result.assignments.append((shift.id, family))
            taken.add(family)
            counts[family] += 1
            last[family] = position
            busy.setdefault(family, []).append((shift.date, shift.starts_at, shift.ends_at))
            need -= 1
            heapq.heappush(heap, (counts[family], position, tiebreak[family], family))
        for entry in skipped:
            heapq.heappush(heap, entry)
        if need > 0:
            result.gaps.append((shift.id, need))
    return result


def fairness_spread(counts: dict[int, int]) -> int:
    """The largest difference between two families' shift counts (0 with no family)."""
    return (max(counts.values()) - min(counts.values())) if counts else 0
