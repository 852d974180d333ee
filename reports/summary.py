"""The yearly summary (学年家校工作总结, R18): its sections gathered from the school year's records,
each figure with where it came from, and written as .docx (python-docx) and PDF (WeasyPrint, the
contact book's renderer with the Noto CJK fonts).

Every figure is one aggregate query over the whole school (GROUP BY class or month where a table
needs it), never a loop over classes or students: ``gather`` takes the same number of queries for a
school of 60 students and one of 2,400 (reports/tests/test_summary.py, bench/summary.py).

The rhythm rules (per class, per rule: met / behind / missed) come from ``reports/rhythm.py``
(``rhythm_section``), for each term of the year that has begun."""

import datetime
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from contactbook.models import ContactStudent
from core.classnames import format_class_name
from core.pdf import PdfUnavailable, render_pdf
from events.models import Attendance, Event, Reflection
from notices.models import Notice, Receipt
from plans.models import PlanTask
from schools.models import Student, Term
from surveys.models import Survey
from surveys.queries import evaluation_trend

from .models import Commendation

__all__ = ["Figure", "PdfUnavailable", "Section", "Year", "docx_bytes", "gather", "pdf_bytes", "rhythm_section"]


@dataclass
class Figure:
    label: str
    value: str
    source: str  # where it came from: which records, filtered how


@dataclass
class Section:
    key: str
    title: str
    text: str  # the drafted paragraph; the admin rewrites it in the browser
    figures: list[Figure] = field(default_factory=list)
    table: dict | None = None  # {"header": [...], "rows": [[...]]}
    records: int = 0  # how many records it was drawn from (0 everywhere: nothing to summarise)

    def as_dict(self) -> dict:
        data = asdict(self)
        data.pop("records")
        return data


@dataclass(frozen=True)
class Year:
    """A school year (学年) of a school: its terms, and the moments it runs between."""

    school_id: int
    year: int
    term_ids: tuple[int, ...]
    first_day: datetime.date
    last_day: datetime.date

    @property
    def label(self) -> str:
        return f"{self.year}—{self.year + 1}学年"

    @property
    def start(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.first_day, datetime.time.min))

    @property
    def end(self) -> datetime.datetime:
        return timezone.make_aware(
            datetime.datetime.combine(self.last_day + datetime.timedelta(days=1), datetime.time.min)
        )

    @property
    def span(self) -> str:
        return f"{self.first_day:%Y-%m-%d}—{self.last_day:%Y-%m-%d}"


def year_of(school, year: int) -> Year | None:
    """The school year that starts in ``year`` (its autumn term starts in August or later of
    ``year``, its spring term before August of the next): one query. None: no term in it."""
    terms = list(
        Term.objects.filter(
            school=school,
            start_date__gte=datetime.date(year, 8, 1),
            start_date__lt=datetime.date(year + 1, 8, 1),
        )
        .order_by("start_date")
        .values_list("pk", "start_date", "end_date")
    )
    if not terms:
        return None
    return Year(
        school_id=school.pk,
        year=year,
        term_ids=tuple(t[0] for t in terms),
        first_day=terms[0][1],
        last_day=max(t[2] for t in terms),
    )


def _pct(n: int, d: int) -> str:
    return f"{round(100 * n / d)}%" if d else "—"


def _class_label(grade, number) -> str:
    return format_class_name(grade, number) if grade else _("the whole school")


# --- the sections -------------------------------------------------------------------------------


def plan_section(year: Year) -> Section:
    """The term plans' tasks done and not done, per month and per class: one query. A task owned by
    head teachers counts once per class (the class's copy), never as the school's parent task."""
    rows = list(
        PlanTask.objects.filter(school_id=year.school_id, plan__term_id__in=year.term_ids)
        .filter(Q(school_class__isnull=False) | Q(owner_kind=PlanTask.Owner.STAFF))
        .values("month", "school_class__grade", "school_class__number", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_month: dict = defaultdict(lambda: defaultdict(int))
    by_class: dict = defaultdict(lambda: defaultdict(int))
    for r in rows:
        by_month[r["month"]][r["status"]] += r["n"]
        by_class[(r["school_class__grade"] or 0, r["school_class__number"] or 0)][r["status"]] += r["n"]
    total = sum(r["n"] for r in rows)
    done = sum(r["n"] for r in rows if r["status"] == PlanTask.Status.DONE)
    dropped = sum(r["n"] for r in rows if r["status"] == PlanTask.Status.DROPPED)
    source = _(
        "Term plans of %(year)s (学期计划): every task, a class's share of a head teachers' task counted per class"
    ) % {"year": year.label}
    table_rows = []
    for month in sorted(by_month):
        s = by_month[month]
        n = sum(s.values())
        table_rows.append(
            [
                f"{month:%Y年%-m月}",
                n,
                s[PlanTask.Status.DONE],
                n - s[PlanTask.Status.DONE] - s[PlanTask.Status.DROPPED],
                s[PlanTask.Status.DROPPED],
            ]
        )
    class_rows = []
    for grade, number in sorted(by_class):
        s = by_class[(grade, number)]
        n = sum(s.values())
        class_rows.append([_class_label(grade, number), n, s[PlanTask.Status.DONE], _pct(s[PlanTask.Status.DONE], n)])
    return Section(
        key="plan",
        title=_("The plan: tasks done and not done"),
        text=_(
            "Of the year's %(total)s plan tasks, %(done)s were done, %(open)s were not done and %(dropped)s were "
            "dropped with a reason."
        )
        % {"total": total, "done": done, "open": total - done - dropped, "dropped": dropped},
        figures=[
            Figure(_("Plan tasks"), str(total), source),
            Figure(_("Done"), f"{done}（{_pct(done, total)}）", source),
            Figure(_("Not done"), str(total - done - dropped), source),
            Figure(_("Dropped"), str(dropped), source),
        ],
        table={
            "header": [_("Month"), _("Tasks"), _("Done"), _("Not done"), _("Dropped")],
            "rows": table_rows,
            "classes_header": [_("Class"), _("Tasks"), _("Done"), _("Share done")],
            "classes": class_rows,
        },
        records=total,
    )


def contact_section(year: Year) -> Section:
    """The contact book's coverage per class: the active students of each class (one query) and
    those with a contact recorded in the year, with the records (one query)."""
    students = {
        (r["school_class__grade"], r["school_class__number"]): r["n"]
        for r in Student.objects.filter(
            school_id=year.school_id, status=Student.Status.ACTIVE, school_class__isnull=False
        )
        .values("school_class__grade", "school_class__number")
        .annotate(n=Count("id"))
        .order_by()
    }
    contacted = {
        (r["student__school_class__grade"], r["student__school_class__number"]): r
        for r in ContactStudent.objects.filter(
            school_id=year.school_id,
            record__term_id__in=year.term_ids,
            student__status=Student.Status.ACTIVE,
            student__school_class__isnull=False,
        )
        .values("student__school_class__grade", "student__school_class__number")
        .annotate(students=Count("student", distinct=True), records=Count("record", distinct=True))
        .order_by()
    }
    rows = []
    all_students = sum(students.values())
    all_contacted = sum(r["students"] for r in contacted.values())
    records = sum(r["records"] for r in contacted.values())
    for key in sorted(students):
        found = contacted.get(key, {"students": 0, "records": 0})
        rows.append(
            [
                _class_label(*key),
                students[key],
                found["students"],
                _pct(found["students"], students[key]),
                found["records"],
            ]
        )
    source = _("Contact book (家校联系册): records of %(year)s about the students now at school, by their class") % {
        "year": year.label
    }
    below = [r[0] for r in rows if students and r[1] and r[2] < r[1]]
    return Section(
        key="contacts",
        title=_("The contact book: coverage per class"),
        text=_("%(contacted)s of %(students)s students (%(pct)s) had at least one contact with their family recorded.")
        % {"contacted": all_contacted, "students": all_students, "pct": _pct(all_contacted, all_students)}
        + (
            " " + _("Classes with students not yet reached: %(classes)s.") % {"classes": "、".join(below[:10])}
            if below
            else ""
        ),
        figures=[
            Figure(
                _("Students reached"),
                f"{all_contacted} / {all_students}（{_pct(all_contacted, all_students)}）",
                source,
            ),
            Figure(_("Contact records"), str(records), source),
        ],
        table={"header": [_("Class"), _("Students"), _("Reached"), _("Coverage"), _("Records")], "rows": rows},
        records=records,
    )


def _events(year: Year):
    return Event.objects.filter(
        school_id=year.school_id,
        status=Event.Status.SCHEDULED,
        starts_at__gte=year.start,
        starts_at__lt=year.end,
        starts_at__lte=timezone.now(),
        kind__in=(Event.Kind.PARENT_MEETING, Event.Kind.PARENT_SCHOOL),
    )


def event_figures(year: Year) -> dict:
    """Parent meetings and the parent school held in the year: events per kind (one query), families
    invited per kind (one query), families who came per kind and per class (one query), reflections
    written and marked excellent (one query)."""
    events = _events(year)
    held = {r["kind"]: r["n"] for r in events.values("kind").annotate(n=Count("id")).order_by()}
    invited = {
        r["notice__event__kind"]: r["n"]
        for r in Receipt.objects.filter(notice__event__in=events, guardian__isnull=False)
        .values("notice__event__kind")
        .annotate(n=Count("id"))
        .order_by()
    }
    came_rows = list(
        Attendance.objects.filter(
            event__in=events,
            receipt__guardian__isnull=False,
            status__in=(Attendance.Status.PRESENT, Attendance.Status.LATE),
        )
        .values(
            "event__kind",
            "receipt__guardian__student_links__student__school_class__grade",
            "receipt__guardian__student_links__student__school_class__number",
        )
        .annotate(n=Count("id", distinct=True))
        .order_by()
    )
    came_total = {
        r["event__kind"]: r["n"]
        for r in Attendance.objects.filter(
            event__in=events,
            receipt__guardian__isnull=False,
            status__in=(Attendance.Status.PRESENT, Attendance.Status.LATE),
        )
        .values("event__kind")
        .annotate(n=Count("id"))
        .order_by()
    }
    reflections = Reflection.objects.filter(event__in=events, receipt__guardian__isnull=False).aggregate(
        written=Count("id"), excellent=Count("id", filter=Q(excellent=True))
    )
    return {
        "held": held,
        "invited": invited,
        "came": came_total,
        "came_by_class": came_rows,
        "reflections": reflections,
    }


def _event_section(year: Year, figures: dict, kind: str) -> Section:
    held = figures["held"].get(kind, 0)
    invited = figures["invited"].get(kind, 0)
    came = figures["came"].get(kind, 0)
    per_class: dict = defaultdict(int)
    for r in figures["came_by_class"]:
        if r["event__kind"] == kind:
            grade = r["receipt__guardian__student_links__student__school_class__grade"]
            number = r["receipt__guardian__student_links__student__school_class__number"]
            if grade:
                per_class[(grade, number)] += r["n"]
    rows = [[_class_label(*key), n] for key, n in sorted(per_class.items())]
    label = Event.Kind(kind).label
    source = _("Events (%(kind)s) of %(year)s that took place, their invitations' families and their sign-ins") % {
        "kind": label,
        "year": year.label,
    }
    figures_list = [
        Figure(_("Held"), str(held), source),
        Figure(_("Families invited"), str(invited), source),
        Figure(_("Families attended"), f"{came}（{_pct(came, invited)}）", source),
    ]
    if kind == Event.Kind.PARENT_MEETING:
        key, title = "meetings", _("Parent meetings and attendance")
        text = _("%(held)s parent meetings were held; %(came)s of %(invited)s invited families came (%(pct)s).")
    else:
        key, title = "parent_school", _("The parent school")
        text = _("%(held)s parent-school sessions were held; %(came)s of %(invited)s invited families came (%(pct)s).")
        r = figures["reflections"]
        figures_list.append(
            Figure(
                _("Reflections written (excellent)"),
                f"{r['written']}（{r['excellent']}）",
                _("Reflections (心得体会) families wrote after the year's parent-school sessions"),
            )
        )
    return Section(
        key=key,
        title=title,
        text=text % {"held": held, "came": came, "invited": invited, "pct": _pct(came, invited)},
        figures=figures_list,
        table={"header": [_("Class"), _("Families attended")], "rows": rows} if rows else None,
        records=held,
    )


def evaluation_section(school, year: Year) -> Section:
    """The monthly evaluation (parents) month by month: surveys.queries.evaluation_trend (a fixed
    number of queries), its months kept to the year's."""
    trend = evaluation_trend(school, Survey.Series.EVAL_PARENTS)
    months = [m for m in trend["months"] if year.first_day.replace(day=1) <= m <= year.last_day]
    rate = dict(trend["rate"])
    answered = dict(trend["answered"])
    header = [_("Question")] + [f"{m:%Y年%-m月}" for m in months]
    rows = [[_("Response rate")] + [f"{rate.get(m)}%" if rate.get(m) is not None else "—" for m in months]]
    for row in trend["rows"]:
        values = dict(row["values"])
        rows.append([row["label"]] + [values.get(m) if values.get(m) is not None else "—" for m in months])
    total = sum(answered.get(m, 0) for m in months)
    source = _(
        "The monthly evaluation (parents) of %(year)s: mean of each scale question per month, 1–5 "
        "(0–10 for the recommendation)"
    ) % {"year": year.label}
    if months:
        text = _("The monthly evaluation ran in %(months)s months with %(answers)s answers.") % {
            "months": len(months),
            "answers": total,
        }
    else:
        text = _("The monthly evaluation did not run this year.")
    return Section(
        key="evaluation",
        title=_("The evaluation's trend"),
        text=text,
        figures=[Figure(_("Months evaluated"), str(len(months)), source), Figure(_("Answers"), str(total), source)],
        table={"header": header, "rows": rows} if months else None,
        records=total,
    )


def notice_section(year: Year) -> Section:
    """Notices to families published in the year: receipts, read and confirmed (one query)."""
    needs_action = [
        Notice.Action.CONFIRM,
        Notice.Action.ANSWER,
        Notice.Action.RSVP,
        Notice.Action.SURVEY,
        Notice.Action.FORM,
    ]
    figures = Receipt.objects.filter(
        school_id=year.school_id,
        guardian__isnull=False,
        notice__status=Notice.Status.PUBLISHED,
        notice__published_at__gte=year.start,
        notice__published_at__lt=year.end,
    ).aggregate(
        notices=Count("notice", distinct=True),
        sent=Count("id"),
        read=Count("id", filter=Q(read_at__isnull=False)),
        to_act=Count("id", filter=Q(notice__action__in=needs_action)),
        acted=Count("id", filter=Q(notice__action__in=needs_action, acted_at__isnull=False)),
    )
    source = _("Notices published to families in %(year)s and their receipts (one per family reached)") % {
        "year": year.label
    }
    return Section(
        key="notices",
        title=_("Notices: read and confirmed"),
        text=_(
            "%(notices)s notices reached families; %(read)s of their receipts were read and %(acted)s of "
            "%(to_act)s confirmations or answers were given."
        )
        % figures,
        figures=[
            Figure(_("Notices"), str(figures["notices"]), source),
            Figure(
                _("Read"), f"{figures['read']} / {figures['sent']}（{_pct(figures['read'], figures['sent'])}）", source
            ),
            Figure(
                _("Confirmed or answered"),
                f"{figures['acted']} / {figures['to_act']}（{_pct(figures['acted'], figures['to_act'])}）",
                source,
            ),
        ],
        records=figures["sent"],
    )


def highlights_section(year: Year, figures: dict) -> Section:
    """Excellent reflections (one query) and the commendations of the year's terms (one query)."""
    excellent = list(
        Reflection.objects.filter(
            school_id=year.school_id,
            excellent=True,
            submitted_at__gte=year.start,
            submitted_at__lt=year.end,
            receipt__guardian__isnull=False,
        )
        .order_by("submitted_at")
        .values_list("submitted_at", "event__title", "receipt__guardian__name")[:20]
    )
    commended = list(
        Commendation.objects.filter(school_id=year.school_id, term_id__in=year.term_ids)
        .order_by("kind", "name")
        .values_list("name", "award", "kind")
    )
    rows = [
        [_("Excellent reflection"), f"{timezone.localtime(at):%Y-%m-%d} {title}", name] for at, title, name in excellent
    ]
    rows += [[_("Commendation"), award, name] for name, award, kind in commended]
    return Section(
        key="highlights",
        title=_("Highlights"),
        text=_(
            "%(reflections)s reflections were marked excellent and %(commended)s teachers and families were commended."
        )
        % {"reflections": figures["reflections"]["excellent"], "commended": len(commended)},
        figures=[
            Figure(
                _("Excellent reflections"),
                str(figures["reflections"]["excellent"]),
                _("Reflections marked excellent by teachers"),
            ),
            Figure(_("Commendations"), str(len(commended)), _("Recognition (表彰) of the year's terms")),
        ],
        table={"header": [_("Kind"), _("What"), _("Who")], "rows": rows} if rows else None,
        records=len(excellent) + len(commended),
    )


def rhythm_section(school, year: Year) -> Section | None:
    """The class rhythm of each term of the year that has begun (``reports.rhythm``, the rules the
    school set: met / behind / missed per class and rule). ``class_rhythm`` takes a fixed number of
    aggregate queries per term, whatever the number of classes; a year has at most a few terms."""
    from . import rhythm

    today = timezone.localdate()
    terms = list(Term.objects.filter(pk__in=year.term_ids, start_date__lte=today).order_by("start_date"))
    if not terms:
        return None
    header = [_("Term"), _("Class")] + [str(rule.label) for rule in rhythm.RULES] + [_("Rules met")]
    rows: list[list] = []
    figures: list[Figure] = []
    measured = 0
    for term in terms:
        classes = rhythm.class_rhythm(school, term, today=today)
        for summary in rhythm.summarise(classes):
            figures.append(
                Figure(
                    f"{term.name} · {summary.rule.label}",
                    _("%(met)s of %(classes)s classes met it") % {"met": summary.met, "classes": summary.classes},
                    str(summary.rule.source),
                )
            )
        for row in classes:
            cells = []
            for figure in row.figures:
                value = "—" if figure.value is None else f"{figure.value:g}"
                if figure.rule.unit == rhythm.PERCENT and figure.value is not None:
                    value += "%"
                cells.append(f"{value}（{figure.state_label}）")
            rows.append([term.name, row.school_class.name, *cells, f"{row.met}/{len(row.figures)}"])
            measured += sum(1 for figure in row.figures if figure.value)
    return Section(
        "rhythm",
        _("The classes' rhythm"),
        _(
            "Each class's home–school work measured against the rules the school set (class updates, "
            "themed discussions, meetings, parent school, contacts, follow-ups, the evaluation), from "
            "the records, with nothing entered by hand."
        ),
        figures=figures,
        table={"header": header, "rows": rows},
        records=measured,
    )


def gather(school, year: int) -> list[Section] | None:
    """Every section of the year's summary, or None when the school has no term in that year.
    A fixed number of queries, whatever the number of classes and students."""
    found = year_of(school, year)
    if found is None:
        return None
    with translation.override("zh-hans"):
        events = event_figures(found)
        sections = [
            plan_section(found),
            contact_section(found),
            _event_section(found, events, Event.Kind.PARENT_MEETING),
            _event_section(found, events, Event.Kind.PARENT_SCHOOL),
            evaluation_section(school, found),
            notice_section(found),
            highlights_section(found, events),
        ]
        rhythm = rhythm_section(school, found)
        if rhythm is not None:
            sections.insert(2, rhythm)
    return sections


def has_records(sections: list[Section]) -> bool:
    return any(s.records for s in sections)


# --- the documents --------------------------------------------------------------------------------


def document_title(school, year: int) -> str:
    return f"{school.name}{year}—{year + 1}学年家校工作总结"


def docx_bytes(school, year: int, sections: list[dict], *, issued: datetime.date | None = None) -> bytes:
    """The summary as a Word document: a heading per section, the admin's text, the figures each
    with its source, the tables."""
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Pt

    document = Document()
    style = document.styles["Normal"]
    style.font.name = "Noto Sans CJK SC"
    style.font.size = Pt(11)
    # East Asian text takes its font from w:eastAsia, not w:ascii.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    with translation.override("zh-hans"):
        document.add_heading(document_title(school, year), level=0)
        status = _("Issued on %(day)s") % {"day": f"{issued:%Y-%m-%d}"} if issued else _("Draft drawn from the records")
        document.add_paragraph(status)
        for section in sections:
            document.add_heading(section["title"], level=1)
            for paragraph in (section.get("text") or "").split("\n"):
                if paragraph.strip():
                    document.add_paragraph(paragraph.strip())
            for figure in section.get("figures", []):
                p = document.add_paragraph(style="List Bullet")
                p.add_run(f"{figure['label']}：").bold = True
                p.add_run(str(figure["value"]))
                p.add_run(f"（{_('Source')}：{figure['source']}）").italic = True
            table = section.get("table")
            if table:
                for header_key, rows_key in (("header", "rows"), ("classes_header", "classes")):
                    header, rows = table.get(header_key), table.get(rows_key)
                    if not header or not rows:
                        continue
                    t = document.add_table(rows=1, cols=len(header))
                    t.style = "Table Grid"
                    for cell, text in zip(t.rows[0].cells, header, strict=True):
                        cell.text = str(text)
                    for row in rows:
                        cells = t.add_row().cells
                        for cell, value in zip(cells, row, strict=False):
                            cell.text = str(value)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def pdf_bytes(school, year: int, sections: list[dict], *, issued: datetime.date | None = None) -> bytes:
    """The same document as a PDF; PdfUnavailable when WeasyPrint or Pango is missing."""
    return render_pdf(
        "reports/summary_pdf.html",
        {"title": document_title(school, year), "sections": sections, "issued": issued, "school": school},
    )
