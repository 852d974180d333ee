"""What a district admin (教育局 / 集团校) sees of the district's schools: counts, per school and in
total, never a row about a child, a family, a message or an answer.

Each figure is one grouped query over every school of the district (``GROUP BY school_id``), so the
overview takes the same number of queries for 2 schools or 200 (pinned in the tests). Figures of
activity (notices, contacts, events, surveys) count from the start of each school's current term;
a school without a current term shows none. They read the apps' own tables the way their pages
count them (``notices.queries.percent`` for rates), inside ``schools.district.district_scope``:
exactly the district's schools.

It lives in home because it reads every app (notices, contactbook, events, surveys)."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q
from django.utils import timezone

from contactbook.models import ContactRecord
from events.models import Event
from notices.models import Notice, Receipt
from notices.queries import percent
from schools.district import district_schools, district_scope
from schools.models import District, Guardian, School, Student

COUNTED = (
    "students",
    "families",
    "activated",
    "notices",
    "asked",
    "acted",
    "contacts",
    "events",
    "surveyed",
    "answered",
)
# Notices that ask families something the notice itself records (read, confirm, answer); surveys and
# forms are counted apart; invitations are the events' own.
ASKING = (Notice.Action.READ, Notice.Action.CONFIRM, Notice.Action.ANSWER)
SURVEYS = (Notice.Action.SURVEY, Notice.Action.FORM)


@dataclass
class Figures:
    """One school's figures (``school``), or the district's total (``school`` None)."""

    school: School | None = None
    has_term: bool = True
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))

    @property
    def activation_rate(self) -> int:
        """Families (guardians of children at school) who have signed in, in percent."""
        return percent(self.counts["activated"], self.counts["families"])

    @property
    def confirmation_rate(self) -> int:
        """Of the families asked to read, confirm or answer a notice this term, those who did."""
        return percent(self.counts["acted"], self.counts["asked"])

    @property
    def survey_response_rate(self) -> int:
        """Of the families sent a survey or a form this term, those who answered."""
        return percent(self.counts["answered"], self.counts["surveyed"])


def _by_school(rows, *names: str) -> dict[int, dict[str, int]]:
    return {row["school_id"]: {n: row[n] for n in names} for row in rows}


def _this_term(prefix: str, date_field: str) -> Q:
    """Rows of the school's current term: ``date_field`` on or after its first day (one join)."""
    return Q(
        **{
            f"{prefix}school__terms__is_current": True,
            f"{date_field}__date__gte": F(f"{prefix}school__terms__start_date"),
        }
    )


def district_overview(district: District) -> tuple[list[Figures], Figures]:
    """Every school's figures and the district's total, in 8 queries whatever the number of schools,
    families or notices."""
    schools = district_schools(district)
    ids = [s.pk for s in schools]
    now = timezone.now()
    with district_scope(ids):
        in_district = Q(school_id__in=ids)
        found: list[dict[int, dict[str, int]]] = [
            _by_school(
                Student.objects.filter(in_district, status=Student.Status.ACTIVE)
                .values("school_id")
                .annotate(students=Count("pk"))
                .order_by(),
                "students",
            ),
            _by_school(
                Guardian.objects.filter(in_district, student_links__student__status=Student.Status.ACTIVE)
                .values("school_id")
                .annotate(
                    families=Count("pk", distinct=True),
                    activated=Count("pk", filter=Q(user__isnull=False), distinct=True),
                )
                .order_by(),
                "families",
                "activated",
            ),
            _by_school(
                Notice.objects.filter(in_district, _this_term("", "published_at"), status=Notice.Status.PUBLISHED)
                .values("school_id")
                .annotate(notices=Count("pk"))
                .order_by(),
                "notices",
            ),
            _by_school(
                Receipt.objects.filter(
                    in_district,
                    _this_term("notice__", "notice__published_at"),
                    guardian__isnull=False,
                    notice__status=Notice.Status.PUBLISHED,
                )
                .values("school_id")
                .annotate(
                    asked=Count("pk", filter=Q(notice__action__in=ASKING)),
                    acted=Count("pk", filter=Q(notice__action__in=ASKING, acted_at__isnull=False)),
                    surveyed=Count("pk", filter=Q(notice__action__in=SURVEYS)),
                    answered=Count("pk", filter=Q(notice__action__in=SURVEYS, acted_at__isnull=False)),
                )
                .order_by(),
                "asked",
                "acted",
                "surveyed",
                "answered",
            ),
            _by_school(
                ContactRecord.objects.filter(in_district, term__is_current=True)
                .values("school_id")
                .annotate(contacts=Count("pk"))
                .order_by(),
                "contacts",
            ),
            _by_school(
                Event.objects.filter(
                    in_district, _this_term("", "starts_at"), status=Event.Status.SCHEDULED, ends_at__lte=now
                )
                .values("school_id")
                .annotate(events=Count("pk"))
                .order_by(),
                "events",
            ),
        ]
        with_term = set(School.objects.filter(pk__in=ids, terms__is_current=True).values_list("pk", flat=True))
    rows = []
    total = Figures()
    for school in schools:
        figures = Figures(school=school, has_term=school.pk in with_term)
        for part in found:
            figures.counts.update(part.get(school.pk, {}))
        for name in COUNTED:
            total.counts[name] += figures.counts[name]
        rows.append(figures)
    return rows, total
