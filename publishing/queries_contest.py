"""Reads of the essay contest shaped for pages and the API, in a fixed number of queries: the
contests a user may see, the judge's anonymous list, the organiser's results (weighted means, ties,
disagreements), and the ties (classes, children) that keep a judge off an entry."""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q

from schools.models import StaffAssignment, StaffMember, StudentGuardian

from .models import Assignment, Contest, ContestJudge, Criterion, Entry


def ties_of_many(user_ids: list[int], school_id: int) -> dict[int, tuple[set[int], set[int]]]:
    """For each user: (the classes they teach this term or their children are in, their children)
    in this school. Two queries whatever the number of users."""
    ties: dict[int, tuple[set[int], set[int]]] = {uid: (set(), set()) for uid in user_ids}
    for uid, class_id in StaffAssignment.objects.filter(
        school_id=school_id, staff__user_id__in=user_ids, term__is_current=True
    ).values_list("staff__user_id", "school_class_id"):
        ties[uid][0].add(class_id)
    for uid, student_id, class_id in StudentGuardian.objects.filter(
        school_id=school_id, guardian__user_id__in=user_ids
    ).values_list("guardian__user_id", "student_id", "student__school_class_id"):
        ties[uid][1].add(student_id)
        if class_id:
            ties[uid][0].add(class_id)
    return ties


def ties_of(user, school_id: int) -> tuple[set[int], set[int], list[str]]:
    """The author's classes and children, and the names to blank in what judges read (the
    children's; the author's own is added by the caller)."""
    class_ids, student_ids = ties_of_many([user.pk], school_id)[user.pk]
    names = list(
        StudentGuardian.objects.filter(school_id=school_id, student_id__in=student_ids).values_list(
            "student__name", flat=True
        )
    )
    return class_ids, student_ids, names


def contests_for(roles) -> list[Contest]:
    """The contests of the user's schools they may see: all of them for staff, those open to
    parents for families."""
    staff_schools = list(roles.staff)
    parent_schools = list(roles.child_school_ids)
    return list(
        Contest.objects.filter(
            Q(school_id__in=staff_schools)
            | Q(school_id__in=parent_schools, audience__in=[Contest.Audience.PARENTS, Contest.Audience.BOTH])
        )
        .select_related("school")
        .annotate(entry_count=Count("entries"))
        .order_by("-deadline", "-id")
    )


def criteria(contest: Contest) -> list[Criterion]:
    return list(Criterion.objects.filter(contest=contest))


def my_entry(contest: Contest, user) -> Entry | None:
    return Entry.objects.filter(contest=contest, author=user).first()


def judging_list(user, school_ids: list[int]) -> list[Assignment]:
    """The judge's entries: entry number, title with names blanked, whether scored. No author."""
    return list(
        Assignment.objects.filter(judge=user, school_id__in=school_ids, entry__contest__status=Contest.Status.JUDGING)
        .select_related("entry__contest")
        .only(
            "pk",
            "scored_at",
            "result",
            "entry__number",
            "entry__judge_title",
            "entry__contest__title",
            "entry__contest__status",
        )
        .order_by("entry__contest_id", "entry__number")
    )


def scores_of(assignment: Assignment) -> dict[int, int]:
    return dict(assignment.scores.values_list("criterion_id", "value"))


def panel(contest: Contest) -> list[ContestJudge]:
    return list(ContestJudge.objects.filter(contest=contest).select_related("user").order_by("pk"))


def staff_choices(contest: Contest) -> list[tuple[int, str]]:
    return [
        (m.user_id, m.user.display_name)
        for m in StaffMember.objects.filter(school_id=contest.school_id, is_active=True)
        .select_related("user")
        .order_by("user__name")
    ]


@dataclass
class Row:
    entry: Entry
    results: list[Decimal] = field(default_factory=list)
    judges: list[str] = field(default_factory=list)
    pending: int = 0
    mean: Decimal | None = None
    spread: Decimal | None = None
    disagreement: bool = False
    tie: bool = False
    rank: int | None = None


def results(contest: Contest) -> list[Row]:
    """Every entry with its judges' weighted results, their mean (the entry's result), the spread
    and whether it is a disagreement (spread above the contest's threshold) or a tie (same mean as
    another entry), best first. Two queries whatever the number of entries."""
    assignments = Prefetch("assignments", queryset=Assignment.objects.select_related("judge").order_by("pk"))
    entries = Entry.objects.filter(contest=contest).select_related("author").prefetch_related(assignments)
    rows = []
    for entry in entries:
        row = Row(entry)
        for a in entry.assignments.all():
            row.judges.append(a.judge.display_name)
            if a.result is None:
                row.pending += 1
            else:
                row.results.append(a.result)
        if row.results:
            row.mean = (sum(row.results, Decimal(0)) / len(row.results)).quantize(Decimal("0.01"))
            row.spread = max(row.results) - min(row.results)
            row.disagreement = row.spread > contest.disagreement_points
        rows.append(row)
    rows.sort(key=lambda r: (r.mean is None, -(r.mean or 0), r.entry.number))
    counts: dict[Decimal, int] = defaultdict(int)
    for r in rows:
        if r.mean is not None:
            counts[r.mean] += 1
    rank = 0
    previous = None
    for i, r in enumerate(rows, start=1):
        if r.mean is None:
            continue
        r.tie = counts[r.mean] > 1
        if r.mean != previous:
            rank = i
            previous = r.mean
        r.rank = rank
    return rows


def winners(contest: Contest) -> list[Entry]:
    """After the announcement: the entries with a prize, by level, with their authors."""
    order = {"first": 0, "second": 1, "third": 2, "merit": 3}
    entries = list(Entry.objects.filter(contest=contest).exclude(prize="").select_related("author"))
    entries.sort(key=lambda e: (order.get(e.prize, 9), e.number))
    return entries
