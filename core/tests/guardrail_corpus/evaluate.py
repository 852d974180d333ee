"""Run the class-channel checker over the labelled corpus and measure it.

Each ``*.jsonl`` file of this folder holds one message a line: ``{"text": ..., "expect": [codes]}``.
A message with codes breaks those rules; one with ``[]`` is a look-alike that must stay quiet.
``roster.txt`` is the class roster the messages are checked against (one name a line, 50 names).

* recall: of all (message, expected code) pairs, the share the checker reports;
* false alarm rate: of the look-alike messages, the share that get any warning;
* per rule: its recall and its false alarms (the rule reported on a message that does not expect it).

``core/tests/test_guardrail_corpus.py`` fails below the goals, ``bench/guardrails.py`` prints them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
# 40 messages written after the checker was tuned on the corpus, and never tuned against: the honest
# estimate of how it does on wording it has not seen (bench/guardrails.py prints it; no test goal).
HELD_OUT = HERE.parent / "guardrail_heldout"
RECALL_GOAL = 0.95
FALSE_ALARM_GOAL = 0.05


@dataclass(frozen=True)
class Sample:
    family: str
    line: int
    text: str
    expect: frozenset[str]


def roster() -> list[str]:
    return [name.strip() for name in (HERE / "roster.txt").read_text(encoding="utf-8").splitlines() if name.strip()]


def samples(folder: Path = HERE) -> list[Sample]:
    found = []
    for path in sorted(folder.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                row = json.loads(line)
                found.append(Sample(path.stem, number, row["text"], frozenset(row["expect"])))
    return found


@dataclass
class Result:
    expected: Counter = field(default_factory=Counter)  # code -> messages that expect it
    caught: Counter = field(default_factory=Counter)  # code -> of those, how many got it
    false_alarms: Counter = field(default_factory=Counter)  # code -> messages that got it unexpected
    lookalikes: int = 0
    lookalikes_warned: int = 0
    misses: list = field(default_factory=list)  # (sample, codes found)
    alarms: list = field(default_factory=list)  # (sample, codes found)

    @property
    def recall(self) -> float:
        total = sum(self.expected.values())
        return sum(self.caught.values()) / total if total else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.lookalikes_warned / self.lookalikes if self.lookalikes else 0.0


def evaluate(check=None, names: list[str] | None = None, folder: Path = HERE) -> Result:
    """``check(text, student_names=...)`` returns concerns with ``.code``; by default the checker."""
    if check is None:
        from core.guardrails import check_class_message as check
    names = roster() if names is None else names
    result = Result()
    for sample in samples(folder):
        got = {concern.code for concern in check(sample.text, student_names=names)}
        for code in sample.expect:
            result.expected[code] += 1
            result.caught[code] += code in got
        for code in got - sample.expect:
            result.false_alarms[code] += 1
        if not sample.expect:
            result.lookalikes += 1
            result.lookalikes_warned += bool(got)
        if sample.expect - got:
            result.misses.append((sample, sorted(got)))
        if got - sample.expect:
            result.alarms.append((sample, sorted(got)))
    return result
