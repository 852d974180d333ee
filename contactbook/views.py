from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import F, Max, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from audit.actions import record as audit
from audit.models import AuditEntry
from core.concurrency import EditConflict, carry_version
from core.xlsx import workbook_bytes, xlsx_response
from notices.access import access_call_task
from schools.access import access_admin_school, access_class, access_staff_school
from schools.models import SchoolClass, Student
from schools.queries import current_term

from . import actions, queries
from .access import (
    access_action_item_to_close,
    access_care_case,
    access_open_conversation_request,
    access_record,
    access_record_to_edit,
    access_shared_record_as_family,
    access_student_for_care,
    access_student_to_record,
    may_edit_record,
    may_see_care,
    visible_records,
)
from .forms import (
    CareCaseForm,
    CareReviewForm,
    ContactEditForm,
    ContactForm,
    ConversationForm,
    CoverageRulesForm,
    ReplyForm,
)
from .models import Acknowledgement, CareCase, ContactRecord


def _student_choices(request, school):
    """The teacher's students, the ones they contacted most recently first."""
    roles = request.roles
    students = Student.objects.filter(school=school, status=Student.Status.ACTIVE).select_related("school_class")
    if not roles.is_admin_of(school.pk):
        students = students.filter(school_class_id__in=roles.taught_class_ids)
    students = students.annotate(
        last_mine=Max("contact_links__record__created_at", filter=Q(contact_links__record__author=request.user))
    ).order_by(F("last_mine").desc(nulls_last=True), "school_class__grade", "school_class__number", "name")
    return [(s.pk, f"{s.name}（{s.school_class.name}）" if s.school_class else s.name) for s in students]


@login_required
@require_http_methods(["GET", "POST"])
def new_record(request):
    school = access_staff_school(request)
    classes = SchoolClass.objects.filter(school=school, graduated_at__isnull=True)
    if not request.roles.is_admin_of(school.pk):
        classes = classes.filter(pk__in=request.roles.taught_class_ids)
    initial = {}
    template = actions.TEMPLATES.get(request.GET.get("template", ""))
    if template:
        initial.update(template)
    if request.GET.get("student", "").isdigit():
        student = access_student_to_record(request, int(request.GET["student"]))
        initial["students"] = [student.pk]
    conversation = None
    if request.GET.get("request", "").isdigit():
        conversation = access_open_conversation_request(request, int(request.GET["request"]))
        initial.update(
            {"students": [conversation.student_id], "summary": _("The family asked: %(t)s") % {"t": conversation.topic}}
        )
    form = ContactForm(
        request.POST or None,
        initial=initial,
        student_choices=_student_choices(request, school),
        class_choices=[(c.pk, c.name) for c in classes],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if request.POST.get("request", "").isdigit():
            conversation = access_open_conversation_request(request, int(request.POST["request"]))
        try:
            contact = actions.do_record_contact(
                school,
                acting_user=request.user,
                roles=request.roles,
                kind=data["kind"],
                occurred_on=data["occurred_on"],
                duration_minutes=data["duration_minutes"],
                participants=data["participants"],
                student_ids=data["students"],
                class_id=data["whole_class"],
                topics=data["topics"],
                summary=data["summary"],
                shared=data["shared"],
                parent_summary=data["parent_summary"],
                follow_up_on=data["follow_up_on"],
                action_items=[actions.ActionSpec(data["action"], due_on=data["action_due"])] if data["action"] else [],
                conversation_request=conversation,
                idempotency_key=data["idempotency_key"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Recorded."))
            return redirect("contactbook:record", record_id=contact.pk)
    return render(
        request,
        "contactbook/new_record.html",
        {"form": form, "templates": actions.TEMPLATES, "conversation": conversation},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_detail(request, record_id: int):
    contact = access_record(request, record_id)
    if request.method == "POST":
        if request.POST.get("done") == "follow_up":
            actions.do_complete_follow_up(contact, acting_user=request.user)
        elif request.POST.get("done", "").isdigit():
            item = access_action_item_to_close(request, contact, int(request.POST["done"]))
            actions.do_complete_action(item, acting_user=request.user)
        return redirect("contactbook:record", record_id=contact.pk)
    return render(
        request,
        "contactbook/record.html",
        {
            "record": contact,
            "students": [link.student for link in contact.student_links.select_related("student__school_class")],
            "actions": contact.action_items.select_related("owner"),
            "acks": contact.acknowledgements.select_related("guardian"),
            "may_edit": may_edit_record(request, contact),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_record(request, record_id: int):
    """Correct a record. A save over someone else's newer edit is refused with what they changed;
    the editor's text stays in the form, which then carries the current version."""
    contact = access_record_to_edit(request, record_id)
    form = ContactEditForm(request.POST or None, initial=ContactEditForm.initial_of(contact))
    conflict = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_edit_contact(
                contact,
                acting_user=request.user,
                opened_version=data["version"],
                kind=data["kind"],
                duration_minutes=data["duration_minutes"],
                participants=data["participants"],
                topics=data["topics"],
                summary=data["summary"],
                shared=data["shared"],
                parent_summary=data["parent_summary"],
                follow_up_on=data["follow_up_on"],
            )
        except EditConflict as exc:
            form.add_error(None, exc)
            contact.refresh_from_db()
            conflict = contact
            carry_version(form, exc.version)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("contactbook:record", record_id=contact.pk)
    return render(
        request,
        "contactbook/edit.html",
        {"record": contact, "form": form, "conflict": conflict},
        status=409 if conflict else 400 if form.errors else 200,
    )


@login_required
def class_coverage(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    term = current_term(school_class.school_id)
    rows = queries.coverage(Student.objects.filter(school_class=school_class), school=school_class.school, term=term)
    return render(
        request,
        "contactbook/coverage.html",
        {
            "school_class": school_class,
            "rows": rows,
            "term": term,
            "rules": queries.rules_of(school_class.school),
            "requests": queries.open_requests(school_class),
            "never": sum(1 for r in rows if r.contacts == 0),
        },
    )


@login_required
def school_coverage(request):
    school = access_admin_school(request)
    term = current_term(school)
    return render(
        request,
        "contactbook/school_coverage.html",
        {"school": school, "term": term, "classes": queries.school_overview(school, term)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def coverage_rules(request):
    """The school's own rules of contact (the seeds' defaults until an admin changes them)."""
    school = access_admin_school(request)
    rules = queries.rules_of(school)
    form = CoverageRulesForm(request.POST or None, instance=rules)
    if request.method == "POST" and form.is_valid():
        actions.do_save_coverage_rules(school, acting_user=request.user, request=request, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("contactbook:school_coverage")
    return render(
        request, "contactbook/rules.html", {"form": form, "school": school}, status=400 if form.errors else 200
    )


@login_required
def student_book(request, student_id: int):
    """One student's contact book (staff who may record about the student)."""
    student = access_student_to_record(request, student_id)
    return render(
        request,
        "contactbook/student.html",
        {
            "student": student,
            "records": visible_records(request.roles, request.user, student, queries.records_of_student(student)),
            "care_case": CareCase.objects.filter(student=student, closed_at__isnull=True).first()
            if may_see_care(request.roles, student)
            else None,
            "may_see_care": may_see_care(request.roles, student),
        },
    )


@login_required
@require_GET
def export_class(request, class_id: int):
    school_class = access_class(request, class_id, manage=True)
    term = current_term(school_class.school_id)
    records = (
        ContactRecord.objects.filter(
            Q(student_links__student__school_class=school_class) | Q(school_class=school_class), term=term
        )
        .select_related("author")
        .prefetch_related("student_links__student", "action_items")
        .distinct()
        .order_by("occurred_on", "pk")
    )
    rows = [
        [
            r.occurred_on.isoformat(),
            r.get_kind_display(),
            "、".join(link.student.name for link in r.student_links.all()),
            r.participants,
            r.summary,
            r.parent_summary,
            "；".join(a.description for a in r.action_items.all()),
            r.follow_up_on.isoformat() if r.follow_up_on else "",
            r.author.display_name,
        ]
        for r in records
    ]
    data = workbook_bytes(
        f"{school_class.name}联系册",
        ["日期", "方式", "学生", "参加人", "记录", "给家长的摘要", "商定事项", "回访日期", "记录人"],
        rows,
    )
    audit(
        AuditEntry.Action.EXPORT,
        actor=request.user,
        school=school_class.school,
        target=school_class,
        summary="contact book",
        request=request,
    )
    return xlsx_response(data, f"{school_class.name}家校联系册.xlsx")


# --- families -------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def family_records(request):
    if not request.roles.is_parent:
        raise Http404
    from schools.queries import children_of

    children = children_of(request.roles)
    form = ConversationForm(request.POST or None, child_choices=[(c.pk, c.name) for c in children])
    if request.method == "POST" and form.is_valid():
        student = next((c for c in children if c.pk == form.cleaned_data["student"]), None)
        if student is None:
            raise Http404
        try:
            actions.do_request_conversation(student, form.cleaned_data["topic"], acting_user=request.user)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Sent to the head teacher, who will get in touch."))
            return redirect("contactbook:family")
    records = list(queries.shared_records_for_family(request.roles))
    mine = {a.record_id: a for a in Acknowledgement.objects.filter(record__in=records, guardian__user=request.user)}
    for r in records:
        # Only the family's own children are named: a record about two families' children must
        # not tell one family about the other child.
        r.my_children = [
            link.student.name for link in r.student_links.all() if link.student_id in request.roles.child_ids
        ]
        r.my_ack = mine.get(r.pk)
    return render(
        request,
        "contactbook/family.html",
        {"records": records, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def acknowledge(request, record_id: int):
    contact, child_ids = access_shared_record_as_family(request, record_id)
    form = ReplyForm(request.POST)
    form.is_valid()
    actions.do_acknowledge(contact, child_ids, acting_user=request.user, reply=form.cleaned_data.get("reply", ""))
    messages.success(request, _("Thank you. The teacher sees your reply."))
    return redirect("contactbook:family")


# --- care cases ------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def open_care_case(request, student_id: int):
    student = access_student_for_care(request, student_id)
    form = CareCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = actions.do_open_care_case(
                student, roles=request.roles, acting_user=request.user, request=request, **form.cleaned_data
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect("contactbook:care_case", case_id=case.pk)
    return render(
        request, "contactbook/care_open.html", {"student": student, "form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def care_case(request, case_id: int):
    case = access_care_case(request, case_id)
    form = CareReviewForm(request.POST if request.POST.get("form") == "review" else None)
    if request.method == "POST":
        try:
            if request.POST.get("form") == "close":
                actions.do_close_care_case(
                    case, acting_user=request.user, note=request.POST.get("note", ""), request=request
                )
                return redirect("contactbook:care_case", case_id=case.pk)
            if form.is_valid():
                actions.do_review_care_case(case, acting_user=request.user, request=request, **form.cleaned_data)
                return redirect("contactbook:care_case", case_id=case.pk)
        except ValidationError as exc:
            form.add_error(None, exc)
    # Every page that shows a care case is logged: who looked at which child's case, and when.
    audit(
        AuditEntry.Action.SENSITIVE_VIEW,
        actor=request.user,
        school=case.school,
        target=case,
        summary="care case viewed",
        detail={"student_id": case.student_id},
        request=request,
    )
    return render(
        request,
        "contactbook/care_case.html",
        {"case": case, "reviews": case.reviews.select_related("author").order_by("-reviewed_on", "-pk"), "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def record_call(request, task_id: int):
    """A call task of the escalation ladder: the family's numbers, and the call's outcome, which
    becomes a contact-book entry of kind phone (``actions.do_record_call``)."""
    task = access_call_task(request, task_id)
    error = ""
    if request.method == "POST" and not task.outcome:
        try:
            contact = actions.do_record_call(
                task,
                acting_user=request.user,
                roles=request.roles,
                outcome=request.POST.get("outcome", ""),
                note=request.POST.get("note", "")[:1000],
            )
        except ValidationError as exc:
            error = exc.messages[0]
        else:
            messages.success(request, _("The call is recorded in the contact book."))
            return redirect("contactbook:record", record_id=contact.pk)
    links = queries.family_numbers(task.student_id)
    return render(
        request,
        "contactbook/call.html",
        {"task": task, "links": links, "outcomes": actions.CALL_OUTCOMES.items(), "error": error},
    )
