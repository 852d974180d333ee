"""The dashboards (issue 15): the school's (admins), a class's (its head teacher and the admins),
the head teacher's own classes, the per-teacher contacts view, the workload signals (admins only)
and the rhythm rules. Every figure comes from ``reports.rhythm`` / ``reports.workload`` (aggregate
queries); every table exports to .xlsx with ``?export=…``; charts are server-drawn SVG
(``core.svgcharts``) with the same numbers in a table beside them."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from contactbook.models import ContactRecord
from core import svgcharts
from core.xlsx import workbook_bytes, xlsx_response
from schools.access import access_admin_school, access_staff_school
from schools.queries import current_term

from . import actions, rhythm, workload
from .access import access_class_dashboard


def _fmt(value) -> str:
    return "—" if value is None else f"{value:g}"


def _rule_header() -> list[str]:
    return [str(r.label) for r in rhythm.RULES]


def classes_table(rows: list[rhythm.ClassRhythm]) -> tuple[list[str], list[list]]:
    """The classes' table as the page and the export show it: per rule "figure / target (state)"."""
    header = [
        _("Class"),
        _("Head teacher"),
        _("Students"),
        *_rule_header(),
        _("Notices read (%)"),
        _("Confirmed (%)"),
        _("Questions unanswered"),
        _("Follow-ups overdue"),
    ]
    out = []
    for row in rows:
        cells: list = [row.school_class.name, row.head_teacher, row.students]
        for f in row.figures:
            unit = "%" if f.rule.unit == rhythm.PERCENT else ""
            cells.append(
                f"{_fmt(f.value)}{unit if f.value is not None else ''} / {_fmt(f.target)}{unit} ({f.state_label})"
            )
        cells += [_fmt(row.read_rate), _fmt(row.confirm_rate), row.unanswered, row.overdue]
        out.append(cells)
    return header, out


def summary_table(summary: list[rhythm.RuleSummary]) -> tuple[list[str], list[list]]:
    header = [_("Rule"), _("met"), _("behind"), _("missed"), _("n/a"), _("Met last term")]
    out = []
    for s in summary:
        last = "—" if s.last_term_met is None else f"{s.last_term_met} / {s.last_term_classes}"
        out.append([str(s.rule.label), s.met, s.behind, s.missed, s.na, last])
    return header, out


def _summary_chart(summary: list[rhythm.RuleSummary]):
    return svgcharts.stacked_bars(
        _("Classes per rule: met, behind, missed"),
        [
            (
                str(s.rule.label),
                [
                    svgcharts.Segment("met", _("met"), s.met),
                    svgcharts.Segment("behind", _("behind"), s.behind),
                    svgcharts.Segment("missed", _("missed"), s.missed),
                    svgcharts.Segment("na", _("n/a"), s.na),
                ],
            )
            for s in summary
        ],
    )


def _satisfaction(school, term, today, class_ids=None):
    previous = rhythm.previous_term(term)
    since = previous.start_date if previous else term.start_date
    months = rhythm.satisfaction(school, since, today, class_ids=class_ids)
    chart = svgcharts.line_chart(
        _("Parents' satisfaction per month (1–5)"),
        [(f"{m.month.month}月", m.average) for m in months],
        low=1,
        high=5,
    )
    return months, chart


def _export(request, name: str, title: str, table: tuple[list[str], list[list]]):
    header, rows = table
    return xlsx_response(workbook_bytes(title, header, rows), f"{name}.xlsx")


def _no_term(request, school):
    return render(request, "reports/dashboard_noterm.html", {"school": school})


@login_required
@require_GET
def dashboard(request):
    """The school's dashboard (admins): each rule across the classes, term over term, the classes'
    figures, notice read and confirm rates, questions unanswered, follow-ups overdue, satisfaction."""
    school = access_admin_school(request)
    term = current_term(school)
    if term is None:
        return _no_term(request, school)
    today = timezone.localdate()
    rows = rhythm.class_rhythm(school, term, today=today)
    previous = rhythm.previous_term(term)
    last_rows = rhythm.class_rhythm(school, previous, today=today) if previous else None
    summary = rhythm.summarise(rows, last_rows)
    export = request.GET.get("export")
    if export == "classes":
        return _export(request, f"{school.name}{term.name}班级节奏", _("Class rhythm"), classes_table(rows))
    if export == "summary":
        return _export(request, f"{school.name}{term.name}节奏概览", _("Rules"), summary_table(summary))
    months, satisfaction_chart = _satisfaction(school, term, today)
    read_chart = svgcharts.bar_chart(
        _("Notices read per class (%)"),
        [(row.school_class.name, row.read_rate or 0) for row in rows],
        maximum=100,
        unit="%",
    )
    return render(
        request,
        "reports/dashboard.html",
        {
            "school": school,
            "term": term,
            "previous": previous,
            "rows": rows,
            "rules": rhythm.RULES,
            "summary": summary,
            "summary_chart": _summary_chart(summary),
            "read_chart": read_chart,
            "months": months,
            "satisfaction_chart": satisfaction_chart,
            "unanswered": sum(r.unanswered for r in rows),
            "overdue": sum(r.overdue for r in rows),
            "school_view": True,
        },
    )


@login_required
@require_GET
def dashboard_mine(request):
    """A head teacher's own classes (admins go to the school's dashboard)."""
    roles = request.roles
    school = access_staff_school(request)
    if roles.is_admin_of(school.pk):
        return redirect("reports:dashboard")
    if not roles.head_class_ids:
        raise Http404
    term = current_term(school)
    if term is None:
        return _no_term(request, school)
    today = timezone.localdate()
    rows = rhythm.class_rhythm(school, term, today=today, class_ids=roles.head_class_ids)
    if not rows:
        raise Http404
    if len(rows) == 1:
        return redirect("reports:dashboard_class", class_id=rows[0].school_class.pk)
    summary = rhythm.summarise(rows)
    months, satisfaction_chart = _satisfaction(school, term, today, class_ids=roles.head_class_ids)
    return render(
        request,
        "reports/dashboard.html",
        {
            "school": school,
            "term": term,
            "rows": rows,
            "rules": rhythm.RULES,
            "summary": summary,
            "summary_chart": _summary_chart(summary),
            "months": months,
            "satisfaction_chart": satisfaction_chart,
            "unanswered": sum(r.unanswered for r in rows),
            "overdue": sum(r.overdue for r in rows),
            "school_view": False,
        },
    )


@login_required
@require_GET
def dashboard_class(request, class_id: int):
    """One class's rhythm: each rule with its figure, what is due by now and the term's target."""
    school_class = access_class_dashboard(request, class_id)
    school = school_class.school
    term = current_term(school)
    if term is None:
        return _no_term(request, school)
    today = timezone.localdate()
    rows = rhythm.class_rhythm(school, term, today=today, class_ids=[school_class.pk])
    if not rows:
        raise Http404  # a graduated class has no rhythm this term
    row = rows[0]
    if request.GET.get("export") == "xlsx":
        header = [
            _("Rule"),
            _("Figure"),
            _("Due by now"),
            _("Target"),
            _("State"),
            _("Detail"),
            _("Where it comes from"),
        ]
        table = [
            [str(f.rule.label), _fmt(f.value), _fmt(f.due), _fmt(f.target), f.state_label, f.detail, str(f.rule.source)]
            for f in row.figures
        ]
        return _export(request, f"{school_class.name}{term.name}节奏", school_class.name, (header, table))
    progress = svgcharts.bar_chart(
        _("Share of the term's target done (%)"),
        [
            (str(f.rule.label), min(100.0, round(100 * (f.value or 0) / f.target, 1)) if f.target else 100.0)
            for f in row.figures
            if f.value is not None
        ],
        maximum=100,
        unit="%",
    )
    months, satisfaction_chart = _satisfaction(school, term, today, class_ids=[school_class.pk])
    return render(
        request,
        "reports/dashboard_class.html",
        {
            "school": school,
            "term": term,
            "row": row,
            "progress_chart": progress,
            "months": months,
            "satisfaction_chart": satisfaction_chart,
        },
    )


KINDS = ContactRecord.Kind


@login_required
@require_GET
def teachers(request):
    """Per teacher, the families they have been in touch with this term, by kind of contact (R9).
    Admins see every teacher; a teacher sees their own row."""
    school = access_staff_school(request)
    term = current_term(school)
    if term is None:
        return _no_term(request, school)
    is_admin = request.roles.is_admin_of(school.pk)
    people = workload.teacher_contacts(school, term, user_id=None if is_admin else request.user.pk)
    header = [_("Teacher"), _("Families"), _("Contacts"), *[str(label) for _value, label in KINDS.choices]]
    table = [
        [p.name, p.families, p.total, *[p.by_kind.get(value, 0) for value, _label in KINDS.choices]] for p in people
    ]
    if request.GET.get("export") == "xlsx":
        return _export(request, f"{school.name}{term.name}教师家校联系", _("Contacts per teacher"), (header, table))
    chart = svgcharts.bar_chart(_("Families contacted per teacher"), [(p.name, p.families) for p in people[:15]])
    return render(
        request,
        "reports/dashboard_teachers.html",
        {"school": school, "term": term, "header": header, "table": table, "chart": chart, "is_admin": is_admin},
    )


@login_required
@require_GET
def workload_view(request):
    """Workload signals (admins only), framed as support: where a teacher may need help."""
    school = access_admin_school(request)
    term = current_term(school)
    if term is None:
        return _no_term(request, school)
    weeks, people = workload.workload(school, term)
    header = [
        _("Teacher"),
        _("Week of"),
        _("Messages outside working hours"),
        _("Questions waiting over two working days"),
    ]
    table: list[list] = []
    for p in people:
        for week in weeks:
            w = p.weeks.get(week)
            if w:
                table.append([p.name, week.isoformat(), w.get("after_hours", 0), w.get("waiting", 0)])
    overdue_header = [_("Teacher"), _("Follow-ups overdue")]
    overdue_table = [[p.name, p.overdue] for p in people if p.overdue]
    export = request.GET.get("export")
    if export == "weeks":
        return _export(request, f"{school.name}工作量周表", _("Workload per week"), (header, table))
    if export == "overdue":
        return _export(request, f"{school.name}逾期跟进", _("Follow-ups overdue"), (overdue_header, overdue_table))
    after_chart = svgcharts.bar_chart(
        _("Messages outside working hours, last weeks"), [(p.name, p.after_hours) for p in people if p.after_hours][:15]
    )
    return render(
        request,
        "reports/dashboard_workload.html",
        {
            "school": school,
            "term": term,
            "weeks": weeks,
            "people": people,
            "header": header,
            "table": table,
            "overdue_table": overdue_table,
            "after_chart": after_chart,
            "many": workload.MANY_OVERDUE,
            "work_starts": workload.WORK_STARTS,
            "work_ends": workload.WORK_ENDS,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def rules(request):
    """The school's rhythm rules (admins)."""
    school = access_admin_school(request)
    current = rhythm.rules_of(school)
    errors: dict = {}
    values = {name: getattr(current, name) for name in actions.RHYTHM_FIELDS}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in actions.RHYTHM_FIELDS}
        try:
            actions.do_save_rhythm_rules(school, values, acting_user=request.user, request=request)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("The rhythm rules are saved."))
            return redirect("reports:dashboard")
    fields = [
        {
            "name": name,
            "label": getattr(current._meta.get_field(name), "verbose_name", name),
            "value": values[name],
            "error": " ".join(errors.get(name, [])),
        }
        for name in actions.RHYTHM_FIELDS
    ]
    return render(
        request, "reports/dashboard_rules.html", {"school": school, "fields": fields}, status=400 if errors else 200
    )
