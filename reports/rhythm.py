"""The class rhythm, measured (issue 15): the school's rules (``RhythmRules``) checked per class and
term from the records, with no data entry. The one module the dashboards, the API, the exports and
the yearly summary read.

Every figure is ONE aggregate query over the whole school, grouped by class (or by what a class is
reached through: a notice's audience), never a loop over classes or students; the number of queries
is the same for 60 classes as for 2 (pinned in reports/tests/test_rhythm.py, measured in
bench/dashboard.py). Where each figure comes from:

- class updates: published notices of the kind 班级动态 (``Notice.Kind.CLASS_UPDATE``) whose audience
  reaches the class (the class, its grade, the whole school, or some of its students);
- themed discussions: notices marked ``themed`` reaching the class, plus messages of the class group
  a moderator marked as opening a themed discussion (``chat.Message.theme``);
- parent meetings, parent-school sessions: events of that kind, not cancelled, starting in the term,
  whose invitation reaches the class; teacher trainings: the school's staff-training events;
- contact coverage: active students with at least the contactbook's ``min_contacts_per_term``
  contact records naming them this term;
- phone follow-ups: students with an open care case phoned this month;
- the evaluation: students whose family submitted a monthly evaluation (parents) of this term.

A count rule is *met* when the class has done what is due by now (the term's target times the part
of the term gone, rounded down), *missed* when the term is over and the target was not reached,
else *behind*. A percentage rule is met at or above its target. A rule with nothing to measure
(no students of concern) is *n/a*.
"""

import datetime
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Avg, Count, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chat.models import Conversation, Message
from contactbook.models import CareCase, ContactRecord, ContactStudent
from contactbook.queries import rules_of as coverage_rules_of
from events.models import Event
from notices.models import Notice, NoticeTarget, Receipt
from schools.models import SchoolClass, StaffAssignment, Student, Term
from surveys.models import Answer, Question, Response, Survey

from .models import RhythmRules

MET, BEHIND, MISSED, NOT_APPLICABLE = "met", "behind", "missed", "na"
STATE_LABELS = {
    MET: gettext_lazy("met"),
    BEHIND: gettext_lazy("behind"),
    MISSED: gettext_lazy("missed"),
    NOT_APPLICABLE: gettext_lazy("n/a"),
}

COUNT, PERCENT = "count", "percent"


@dataclass(frozen=True)
class Rule:
    key: str
    label: object  # lazy text
    unit: str  # COUNT or PERCENT
    source: object  # lazy text: where the figure comes from


RULES: tuple[Rule, ...] = (
    Rule(
        "updates",
        gettext_lazy("Class updates"),
        COUNT,
        gettext_lazy("published notices of the kind class update (班级动态) sent to the class"),
    ),
    Rule(
        "themed",
        gettext_lazy("Themed discussions"),
        COUNT,
        gettext_lazy("notices marked as themed discussion and class-group messages marked with a theme"),
    ),
    Rule("meetings", gettext_lazy("Parent meetings"), COUNT, gettext_lazy("parent meetings the class was invited to")),
    Rule(
        "parent_school",
        gettext_lazy("Parent-school sessions"),
        COUNT,
        gettext_lazy("parent-school lectures and trainings the class was invited to"),
    ),
    Rule("trainings", gettext_lazy("Teacher trainings"), COUNT, gettext_lazy("the school's staff-training events")),
    Rule(
        "coverage",
        gettext_lazy("Contact coverage"),
        PERCENT,
        gettext_lazy("students with enough contact-book records this term"),
    ),
    Rule(
        "follow_up",
        gettext_lazy("Monthly phone follow-ups"),
        PERCENT,
        gettext_lazy("students with an open care case phoned this month"),
    ),
    Rule(
        "evaluation",
        gettext_lazy("Monthly evaluation answered"),
        PERCENT,
        gettext_lazy("students whose family answered a monthly evaluation this term"),
    ),
)
RULE_KEYS = [r.key for r in RULES]


@dataclass
class Figure:
    rule: Rule
    value: float | None  # a count, or a percentage (None: nothing to measure)
    target: float  # the whole term's target (count) or the percentage to reach
    due: float  # what is due by now (count rules; the target for percentages)
    state: str
    detail: str = ""  # e.g. "3 of 4 students"

    @property
    def state_label(self) -> str:
        return str(STATE_LABELS[self.state])


@dataclass
class ClassRhythm:
    school_class: SchoolClass
    head_teacher: str
    students: int
    figures: list[Figure]
    read_rate: float | None = None  # % of the families' receipts read, notices of the term
    confirm_rate: float | None = None  # % of receipts of "tap to confirm" notices confirmed
    unanswered: int = 0  # families' questions in chat waiting for an answer
    overdue: int = 0  # contact-book follow-ups past their date

    @property
    def met(self) -> int:
        return sum(1 for f in self.figures if f.state == MET)

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.rule.key == key)


@dataclass
class Period:
    term: Term
    today: datetime.date
    start: datetime.date
    end: datetime.date  # the last day counted: today, or the term's last day when it is over
    over: bool
    fraction: float  # the part of the term gone
    weeks: int  # weeks in the term
    months: int  # months in the term (calendar months it touches)
    month_start: datetime.date = field(init=False)

    def __post_init__(self) -> None:
        self.month_start = self.end.replace(day=1)


def period_of(term: Term, today: datetime.date | None = None) -> Period:
    today = today or timezone.localdate()
    over = today > term.end_date
    end = min(max(today, term.start_date), term.end_date)
    days = (term.end_date - term.start_date).days + 1
    gone = (end - term.start_date).days + 1 if today >= term.start_date else 0
    months = (term.end_date.year - term.start_date.year) * 12 + term.end_date.month - term.start_date.month + 1
    return Period(
        term=term,
        today=today,
        start=term.start_date,
        end=end,
        over=over,
        fraction=1.0 if over else gone / days,
        weeks=max(1, math.ceil(days / 7)),
        months=max(1, months),
    )


def rules_of(school) -> RhythmRules:
    return RhythmRules.objects.filter(school=school).first() or RhythmRules(school=school)


def _aware(day: datetime.date, end: bool = False) -> datetime.datetime:
    moment = datetime.datetime.combine(day, datetime.time.max if end else datetime.time.min)
    return timezone.make_aware(moment)


def _count_state(value: float, target: float, period: Period) -> tuple[float, str]:
    due = target if period.over else math.floor(target * period.fraction)
    if value >= target or (value >= due and not period.over):
        return due, MET
    return due, MISSED if period.over else BEHIND


def _percent_state(value: float | None, target: float, period: Period) -> str:
    if value is None:
        return NOT_APPLICABLE
    if value >= target:
        return MET
    return MISSED if period.over else BEHIND


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


# -- reach: which classes a notice's audience reaches ---------------------------------------------


def _reach(school, targets, classes: list[SchoolClass]) -> dict[int, int]:
    """Per class id, how many distinct notices of ``targets`` (NoticeTarget rows, already filtered)
    reach it: one query; the expansion of a school or grade target to its classes is done here,
    over the rows of notices (not over students)."""
    by_grade: dict[int, list[int]] = defaultdict(list)
    for c in classes:
        by_grade[c.grade].append(c.pk)
    all_ids = [c.pk for c in classes]
    reached: dict[int, set[int]] = defaultdict(set)
    rows = targets.filter(school=school).values_list(
        "notice_id", "kind", "grade", "school_class_id", "student__school_class_id"
    )
    for notice_id, kind, grade, class_id, student_class_id in rows:
        if kind == NoticeTarget.Kind.SCHOOL:
            ids: Iterable[int] = all_ids
        elif kind == NoticeTarget.Kind.GRADE:
            ids = by_grade.get(grade or 0, [])
        elif kind == NoticeTarget.Kind.CLASS:
            ids = [class_id] if class_id else []
        elif kind == NoticeTarget.Kind.STUDENT:
            ids = [student_class_id] if student_class_id else []
        else:
            ids = []
        for cid in ids:
            reached[cid].add(notice_id)
    return {cid: len(notices) for cid, notices in reached.items()}


def _published_in(period: Period) -> Q:
    return Q(
        notice__status=Notice.Status.PUBLISHED,
        notice__published_at__gte=_aware(period.start),
        notice__published_at__lte=_aware(period.end, end=True),
    )


def _event_reach(school, period: Period, kind: str, classes) -> dict[int, int]:
    return _reach(
        school,
        NoticeTarget.objects.filter(
            notice__event__kind=kind,
            notice__event__status=Event.Status.SCHEDULED,
            notice__event__starts_at__gte=_aware(period.start),
            notice__event__starts_at__lte=_aware(period.end, end=True),
        ),
        classes,
    )


# -- the figures ---------------------------------------------------------------------------------


def _classes(school) -> list[SchoolClass]:
    return list(SchoolClass.objects.filter(school=school, graduated_at__isnull=True).order_by("grade", "number"))


def _heads(term: Term) -> dict[int, str]:
    return dict(
        StaffAssignment.objects.filter(term=term, role=StaffAssignment.Role.HEAD_TEACHER)
        .order_by("pk")
        .values_list("school_class_id", "staff__user__name")
    )


def _students(school, term: Term, period: Period, min_contacts: int) -> dict[int, dict]:
    """Per class: active students, those with at least ``min_contacts`` records this term, those of
    concern and those of concern phoned this month: one query. Each set of students is an
    uncorrelated subquery (a GROUP BY … HAVING, or a plain list) that the database computes once
    (a hashed subplan on PostgreSQL): a correlated count per student was quadratic on a database
    without statistics (8.5 s at 1,200 students on PostgreSQL, bench/dashboard.py)."""
    covered = (
        ContactStudent.objects.filter(school=school, record__term=term)
        .order_by()
        .values("student_id")
        .annotate(n=Count("record_id", distinct=True))
        .filter(n__gte=min_contacts)
        .values("student_id")
    )
    phoned = (
        ContactStudent.objects.filter(
            school=school,
            record__term=term,
            record__kind=ContactRecord.Kind.PHONE,
            record__occurred_on__gte=period.month_start,
            record__occurred_on__lte=period.end,
        )
        .order_by()
        .values("student_id")
    )
    in_care = CareCase.objects.filter(school=school, closed_at__isnull=True).order_by().values("student_id")
    rows = (
        Student.objects.filter(school=school, status=Student.Status.ACTIVE, school_class__graduated_at__isnull=True)
        .order_by()
        .values("school_class_id")
        .annotate(
            total=Count("pk"),
            covered=Count("pk", filter=Q(pk__in=covered)),
            concern=Count("pk", filter=Q(pk__in=in_care)),
            concern_phoned=Count("pk", filter=Q(pk__in=in_care) & Q(pk__in=phoned)),
        )
    )
    return {row["school_class_id"]: dict(row) for row in rows}


def _evaluated(school, period: Period) -> dict[int, int]:
    rows = (
        Response.objects.filter(
            school=school,
            survey__series=Survey.Series.EVAL_PARENTS,
            submitted_at__isnull=False,
            submitted_at__gte=_aware(period.start),
            submitted_at__lte=_aware(period.end, end=True),
            student__isnull=False,
        )
        .order_by()
        .values("student__school_class_id")
        .annotate(n=Count("student", distinct=True))
    )
    return {row["student__school_class_id"]: row["n"] for row in rows}


def _themed_chat(school, period: Period) -> dict[int, int]:
    rows = (
        Message.objects.filter(
            school=school,
            conversation__kind=Conversation.Kind.CLASS,
            recalled_at__isnull=True,
            removed_at__isnull=True,
            created_at__gte=_aware(period.start),
            created_at__lte=_aware(period.end, end=True),
        )
        .exclude(theme="")
        .order_by()
        .values("conversation__school_class_id")
        .annotate(n=Count("pk"))
    )
    return {row["conversation__school_class_id"]: row["n"] for row in rows}


def _receipts(school, period: Period) -> dict[int, dict]:
    """Per class: the families' receipts of the term's published notices, read and confirmed (a
    family with children in two classes counts in both)."""
    rows = (
        Receipt.objects.filter(
            school=school,
            guardian__isnull=False,
            # Redundant with the receipt's school, but it lets the database start from this school's
            # notices of the term: on tables without statistics it had started from every school's
            # (0.40 s instead of 0.22 at 2,400 students, bench/dashboard.py --no-analyze).
            notice__school=school,
            notice__status=Notice.Status.PUBLISHED,
            notice__published_at__gte=_aware(period.start),
            notice__published_at__lte=_aware(period.end, end=True),
        )
        .order_by()
        .values("guardian__student_links__student__school_class_id")
        .annotate(
            total=Count("pk", distinct=True),
            read=Count("pk", distinct=True, filter=Q(read_at__isnull=False)),
            to_confirm=Count("pk", distinct=True, filter=Q(notice__action=Notice.Action.CONFIRM)),
            confirmed=Count(
                "pk", distinct=True, filter=Q(notice__action=Notice.Action.CONFIRM, acted_at__isnull=False)
            ),
        )
    )
    return {row["guardian__student_links__student__school_class_id"]: dict(row) for row in rows}


def unanswered_questions(school):
    """Families' questions in chat that no teacher has answered yet (class groups and private
    conversations), not recalled or removed."""
    return Message.objects.filter(
        school=school,
        kind=Message.Kind.QUESTION,
        answered_at__isnull=True,
        recalled_at__isnull=True,
        removed_at__isnull=True,
    )


def overdue_follow_ups(school, today: datetime.date):
    return ContactRecord.objects.filter(school=school, follow_up_on__lt=today, follow_up_done_at__isnull=True)


def _unanswered(school) -> dict[int, int]:
    rows = (
        unanswered_questions(school)
        .annotate(class_id=Coalesce("conversation__school_class_id", "conversation__student__school_class_id"))
        .order_by()
        .values("class_id")
        .annotate(n=Count("pk"))
    )
    return {row["class_id"]: row["n"] for row in rows}


def _overdue(school, today: datetime.date) -> dict[int, int]:
    rows = overdue_follow_ups(school, today).order_by().values("school_class_id").annotate(n=Count("pk"))
    return {row["school_class_id"]: row["n"] for row in rows}


def class_rhythm(
    school, term: Term, *, today: datetime.date | None = None, class_ids: Iterable[int] | None = None
) -> list[ClassRhythm]:
    """Per class (``class_ids``: only those, e.g. a head teacher's), per rule: figure, target and
    state; and the class's read and confirm rates, unanswered questions and overdue follow-ups.
    A fixed number of queries whatever the size of the school."""
    period = period_of(term, today)
    rules = rules_of(school)
    min_contacts = coverage_rules_of(school).min_contacts_per_term
    classes = _classes(school)
    if class_ids is not None:
        wanted = set(class_ids)
        shown = [c for c in classes if c.pk in wanted]
    else:
        shown = classes
    if not shown:
        return []
    heads = _heads(term)
    updates = _reach(
        school,
        NoticeTarget.objects.filter(_published_in(period), notice__kind=Notice.Kind.CLASS_UPDATE),
        classes,
    )
    themed_notices = _reach(school, NoticeTarget.objects.filter(_published_in(period), notice__themed=True), classes)
    themed_chat = _themed_chat(school, period)
    meetings = _event_reach(school, period, Event.Kind.PARENT_MEETING, classes)
    parent_school = _event_reach(school, period, Event.Kind.PARENT_SCHOOL, classes)
    trainings = Event.objects.filter(
        school=school,
        kind=Event.Kind.STAFF_TRAINING,
        status=Event.Status.SCHEDULED,
        starts_at__gte=_aware(period.start),
        starts_at__lte=_aware(period.end, end=True),
    ).count()
    students = _students(school, term, period, min_contacts)
    evaluated = _evaluated(school, period)
    receipts = _receipts(school, period)
    unanswered = _unanswered(school)
    overdue = _overdue(school, period.today)

    targets = {
        "updates": rules.updates_per_week * period.weeks,
        "themed": rules.themed_per_month * period.months,
        "meetings": rules.meetings_per_term,
        "parent_school": rules.parent_school_per_term,
        "trainings": rules.trainings_per_term,
        "coverage": rules.coverage_percent,
        "follow_up": rules.follow_up_percent,
        "evaluation": rules.evaluation_percent,
    }
    result = []
    for c in shown:
        s = students.get(c.pk, {"total": 0, "covered": 0, "concern": 0, "concern_phoned": 0})
        counts = {
            "updates": updates.get(c.pk, 0),
            "themed": themed_notices.get(c.pk, 0) + themed_chat.get(c.pk, 0),
            "meetings": meetings.get(c.pk, 0),
            "parent_school": parent_school.get(c.pk, 0),
            "trainings": trainings,
        }
        percents = {
            "coverage": (_percent(s["covered"], s["total"]), s["covered"], s["total"]),
            "follow_up": (_percent(s["concern_phoned"], s["concern"]), s["concern_phoned"], s["concern"]),
            "evaluation": (_percent(evaluated.get(c.pk, 0), s["total"]), evaluated.get(c.pk, 0), s["total"]),
        }
        figures = []
        for rule in RULES:
            target = targets[rule.key]
            if rule.unit == COUNT:
                value = counts[rule.key]
                due, state = _count_state(value, target, period)
                figures.append(Figure(rule, value, target, due, state))
            else:
                pct, part, whole = percents[rule.key]
                figures.append(
                    Figure(
                        rule,
                        pct,
                        target,
                        target,
                        _percent_state(pct, target, period),
                        _("%(part)d of %(whole)d students") % {"part": part, "whole": whole},
                    )
                )
        r = receipts.get(c.pk)
        result.append(
            ClassRhythm(
                school_class=c,
                head_teacher=heads.get(c.pk, ""),
                students=s["total"],
                figures=figures,
                read_rate=_percent(r["read"], r["total"]) if r else None,
                confirm_rate=_percent(r["confirmed"], r["to_confirm"]) if r else None,
                unanswered=unanswered.get(c.pk, 0),
                overdue=overdue.get(c.pk, 0),
            )
        )
    return result


@dataclass
class RuleSummary:
    rule: Rule
    met: int
    behind: int
    missed: int
    na: int
    last_term_met: int | None = None  # classes that met it last term (term over term)
    last_term_classes: int | None = None

    @property
    def classes(self) -> int:
        return self.met + self.behind + self.missed + self.na


def summarise(rows: list[ClassRhythm], last_term_rows: list[ClassRhythm] | None = None) -> list[RuleSummary]:
    """Per rule, how many classes met it, are behind, missed it (and how many met it last term)."""
    out = []
    for i, rule in enumerate(RULES):
        states = [row.figures[i].state for row in rows]
        summary = RuleSummary(
            rule,
            met=states.count(MET),
            behind=states.count(BEHIND),
            missed=states.count(MISSED),
            na=states.count(NOT_APPLICABLE),
        )
        if last_term_rows is not None:
            summary.last_term_met = sum(1 for row in last_term_rows if row.figures[i].state == MET)
            summary.last_term_classes = len(last_term_rows)
        out.append(summary)
    return out


def previous_term(term: Term) -> Term | None:
    return Term.objects.filter(school_id=term.school_id, start_date__lt=term.start_date).order_by("-start_date").first()


# -- satisfaction from the monthly evaluation -----------------------------------------------------


@dataclass
class MonthSatisfaction:
    month: datetime.date
    average: float  # 1–5, the parents' ratings
    answers: int


def satisfaction(school, since: datetime.date, until: datetime.date, class_ids: Iterable[int] | None = None):
    """The parents' average rating per month of the monthly evaluation (the rating questions of
    the ``eval_parents`` series), from ``since`` to ``until``: one query."""
    answers = Answer.objects.filter(
        school=school,
        survey__series=Survey.Series.EVAL_PARENTS,
        question__kind__in=[Question.Kind.RATING, Question.Kind.MATRIX],
        response__submitted_at__isnull=False,
        survey__period__gte=since.replace(day=1),
        survey__period__lte=until,
        number__isnull=False,
    )
    if class_ids is not None:
        answers = answers.filter(response__school_class_id__in=list(class_ids))
    rows = (
        answers.annotate(month=TruncMonth("survey__period"))
        .order_by("month")
        .values("month")
        .annotate(average=Avg("number"), n=Count("pk"))
    )
    return [MonthSatisfaction(row["month"], round(float(row["average"]), 2), row["n"]) for row in rows]
