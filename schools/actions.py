"""Every write to the school's structure: one transaction each, with its audit row."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.actions import SignInRefused, end_all_sessions
from accounts.models import User
from audit.actions import record
from audit.models import AuditEntry
from core.classnames import format_class_name
from core.phones import InvalidPhone, mask_phone, normalize_phone

from .models import (
    ActivationLink,
    Enrollment,
    Guardian,
    RetentionPeriod,
    RosterUpload,
    School,
    SchoolClass,
    StaffAssignment,
    StaffMember,
    Student,
    StudentGuardian,
    Term,
)
from .queries import require_current_term, retention_periods
from .roster import ImportPlan, plan_import, plan_upload

Action = AuditEntry.Action


@transaction.atomic
def do_create_term(
    school: School, *, name: str, start_date: datetime.date, end_date: datetime.date, make_current: bool, acting_user
) -> Term:
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the term a name, e.g. 2026—2027学年第一学期."))
    if end_date <= start_date:
        raise ValidationError(_("The term must end after it starts."))
    if Term.objects.filter(school=school, name=name).exists():
        raise ValidationError(_("A term with this name already exists."))
    overlapping = Term.objects.filter(school=school, start_date__lt=end_date, end_date__gt=start_date)
    if overlapping.exists():
        raise ValidationError(_("The dates overlap with the term “%(name)s”.") % {"name": overlapping.first()})
    if make_current:
        Term.objects.filter(school=school, is_current=True).update(is_current=False)
    term = Term.objects.create(
        school=school, name=name, start_date=start_date, end_date=end_date, is_current=make_current
    )
    record(Action.TERM_CHANGED, actor=acting_user, school=school, target=term, summary=f"created {name}")
    return term


@transaction.atomic
def do_set_current_term(term: Term, *, acting_user) -> None:
    """Switch the current term within a school year (第一学期 → 第二学期): classes stay as they are,
    so a new term with nothing in it carries over this term's enrollments and teachers. Moving up
    a grade is the new-school-year action, not this one."""
    old = Term.objects.filter(school_id=term.school_id, is_current=True).exclude(pk=term.pk).first()
    if old is not None and term.start_date < old.start_date:
        # Going back would bring last year's teachers and join codes back to life.
        raise ValidationError(_("A term that started before the current one cannot become current again."))
    Term.objects.filter(school_id=term.school_id, is_current=True).update(is_current=False)
    Term.objects.filter(pk=term.pk).update(is_current=True)
    carried = 0
    if old is not None and not Enrollment.objects.filter(term=term).exists():
        enrollments = Enrollment.objects.filter(term=old, student__status=Student.Status.ACTIVE)
        carried = len(
            Enrollment.objects.bulk_create(
                [
                    Enrollment(
                        school_id=term.school_id,
                        term=term,
                        student_id=e.student_id,
                        school_class_id=e.school_class_id,
                        class_name=e.class_name,
                    )
                    for e in enrollments
                ]
            )
        )
        StaffAssignment.objects.bulk_create(
            [
                StaffAssignment(
                    school_id=term.school_id,
                    term=term,
                    staff_id=a.staff_id,
                    school_class_id=a.school_class_id,
                    role=a.role,
                    subject=a.subject,
                )
                for a in StaffAssignment.objects.filter(term=old, staff__is_active=True)
            ],
            ignore_conflicts=True,
        )
    record(
        Action.TERM_CHANGED,
        actor=acting_user,
        school=term.school,
        target=term,
        summary=f"current: {term.name}",
        detail={"carried_enrollments": carried},
    )


@transaction.atomic
def do_create_class(school: School, *, grade: int, number: int, acting_user) -> SchoolClass:
    if not 1 <= grade <= school.grade_count:
        raise ValidationError(_("This school has grades 1 to %(count)d.") % {"count": school.grade_count})
    if SchoolClass.objects.filter(school=school, grade=grade, number=number, graduated_at__isnull=True).exists():
        raise ValidationError(_("%(name)s already exists.") % {"name": format_class_name(grade, number)})
    school_class = SchoolClass.objects.create(school=school, grade=grade, number=number)
    record(
        Action.CLASS_CHANGED,
        actor=acting_user,
        school=school,
        target=school_class,
        summary=f"created {school_class.name}",
    )
    return school_class


def _find_or_create_staff_user(*, name: str, phone: str, username: str, password: str) -> User:
    user = User.objects.filter(phone=phone).first() if phone else None
    if user is None and username:
        user = User.objects.filter(username=username).first()
        if user is not None and phone and user.phone and user.phone != phone:
            raise ValidationError(_("The username is taken by someone with another phone number."))
    if user is None:
        if not username:
            username = phone
        if User.objects.filter(username=username).exists():
            raise ValidationError(_("This username is already taken."))
        user = User.objects.create_user(username, password or None, phone=phone or None, name=name)
    return user


@transaction.atomic
def do_add_staff(
    school: School,
    *,
    name: str,
    phone: str = "",
    username: str = "",
    password: str = "",
    is_school_admin: bool = False,
    title: str = "",
    acting_user,
) -> StaffMember:
    name = name.strip()
    if not name:
        raise ValidationError(_("Enter the staff member's name."))
    if phone:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise ValidationError(str(InvalidPhone.message)) from exc
    if not phone and not username:
        raise ValidationError(_("Enter a phone number or a username, so that they can sign in."))
    if not phone and not password:
        raise ValidationError(_("Without a phone number they cannot receive a code: give them a first password."))
    if username and username.isdigit():
        raise ValidationError(_("A username must contain a letter (numbers alone are for phone numbers)."))
    user = _find_or_create_staff_user(name=name, phone=phone, username=username.strip(), password=password)
    member, created = StaffMember.objects.get_or_create(
        school=school, user=user, defaults={"is_school_admin": is_school_admin, "title": title}
    )
    if not created:
        if member.is_active:
            raise ValidationError(_("%(name)s is already on the staff.") % {"name": user.display_name})
        member.is_active = True
        member.save(update_fields=["is_active"])
    record(Action.STAFF_ADDED, actor=acting_user, school=school, target=member, summary=user.display_name)
    if is_school_admin:
        record(Action.ROLE_CHANGED, actor=acting_user, school=school, target=member, summary="school admin: on")
    return member


@transaction.atomic
def do_set_school_admin(member: StaffMember, *, is_admin: bool, acting_user) -> None:
    if not is_admin and member.is_school_admin:
        others = StaffMember.objects.filter(school_id=member.school_id, is_school_admin=True, is_active=True)
        if not others.exclude(pk=member.pk).exists():
            raise ValidationError(_("A school must keep at least one admin."))
    StaffMember.objects.filter(pk=member.pk).update(is_school_admin=is_admin)
    record(
        Action.ROLE_CHANGED,
        actor=acting_user,
        school=member.school,
        target=member,
        summary=f"school admin: {'on' if is_admin else 'off'}",
    )


@transaction.atomic
def do_set_care_staff(member: StaffMember, *, is_care_staff: bool, acting_user) -> None:
    """Designate (or stop designating) a staff member as care staff (心理教师, 德育主任 …): they see
    and handle the care records of every student of the school. Each change is audited."""
    if is_care_staff and not member.is_active:
        raise ValidationError(_("Only a current staff member can be care staff."))
    StaffMember.objects.filter(pk=member.pk).update(is_care_staff=is_care_staff)
    record(
        Action.ROLE_CHANGED,
        actor=acting_user,
        school=member.school,
        target=member,
        summary=f"care staff: {'on' if is_care_staff else 'off'}",
    )


@transaction.atomic
def do_set_two_factor_required(school: School, *, required: bool, acting_user) -> None:
    """Require (or stop requiring) the school's admins to use two-factor sign-in. An admin without
    it is then sent to set it up on every page (``schools.middleware``). Audited."""
    School.objects.filter(pk=school.pk).update(require_two_factor=required)
    record(
        Action.SETTINGS_CHANGED,
        actor=acting_user,
        school=school,
        target=school,
        summary=f"admins two-factor sign-in required: {'on' if required else 'off'}",
    )


@transaction.atomic
def do_deactivate_staff(member: StaffMember, *, acting_user) -> None:
    if member.is_school_admin:
        do_set_school_admin(member, is_admin=False, acting_user=acting_user)
    StaffMember.objects.filter(pk=member.pk).update(is_active=False)
    StaffAssignment.objects.filter(staff=member, term__is_current=True).delete()
    record(Action.ROLE_CHANGED, actor=acting_user, school=member.school, target=member, summary="left the staff")


@transaction.atomic
def do_assign_role(
    member: StaffMember, school_class: SchoolClass, *, role: str, subject: str = "", acting_user
) -> StaffAssignment:
    if member.school_id != school_class.school_id:
        raise ValidationError(_("The teacher and the class belong to different schools."))
    term = require_current_term(school_class.school)
    subject = subject.strip()
    if role == StaffAssignment.Role.SUBJECT_TEACHER and not subject:
        raise ValidationError(_("Enter the subject this teacher teaches in the class."))
    if role == StaffAssignment.Role.HEAD_TEACHER:
        subject = ""
        # A class has one head teacher a term: the new one replaces the old.
        StaffAssignment.objects.filter(term=term, school_class=school_class, role=role).delete()
    assignment, _created = StaffAssignment.objects.get_or_create(
        school=school_class.school, term=term, staff=member, school_class=school_class, role=role, subject=subject
    )
    label = dict(StaffAssignment.Role.choices)[role]
    record(
        Action.ROLE_CHANGED,
        actor=acting_user,
        school=school_class.school,
        target=member,
        summary=f"{label} {subject} {school_class.name}".replace("  ", " "),
        detail={"class_id": school_class.pk, "role": role, "subject": subject, "term_id": term.pk},
    )
    return assignment


@transaction.atomic
def do_remove_assignment(assignment: StaffAssignment, *, acting_user) -> None:
    record(
        Action.ROLE_CHANGED,
        actor=acting_user,
        school=assignment.school,
        target=assignment.staff,
        summary=f"removed {assignment.role} {assignment.subject} {assignment.school_class.name}",
        detail={"class_id": assignment.school_class_id, "role": assignment.role},
    )
    assignment.delete()


def _clean_guardians(guardians: list[dict]) -> list[dict]:
    cleaned = []
    for g in guardians:
        name, phone = (g.get("name") or "").strip(), g.get("phone") or ""
        if not name and not phone:
            continue
        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise ValidationError(
                _("%(phone)s is not a valid mobile number for %(name)s.") % {"phone": phone, "name": name or "?"}
            ) from exc
        cleaned.append({"name": name or phone, "phone": phone, "relationship": (g.get("relationship") or "").strip()})
    return cleaned


@transaction.atomic
def do_add_student(
    school_class: SchoolClass,
    *,
    name: str,
    student_number: str = "",
    gender: str = "",
    guardians: list[dict] | None = None,
    acting_user,
) -> Student:
    """Add one student with their guardians. A guardian already known to the school by phone
    (a sibling's parent) is linked, not duplicated."""
    school = school_class.school
    name, student_number = name.strip(), student_number.strip()
    if not name:
        raise ValidationError(_("Enter the student's name."))
    if student_number and Student.objects.filter(school=school, student_number=student_number).exists():
        raise ValidationError(
            _("Student number %(number)s is already used by another student of this school.")
            % {"number": student_number}
        )
    cleaned = _clean_guardians(guardians or [])
    term = require_current_term(school)
    try:
        with transaction.atomic():
            student = Student.objects.create(
                school=school, name=name, student_number=student_number, gender=gender, school_class=school_class
            )
    except IntegrityError as exc:  # a concurrent add took the number between our check and insert
        raise ValidationError(_("Student number %(number)s is already used.") % {"number": student_number}) from exc
    Enrollment.objects.create(
        school=school, term=term, student=student, school_class=school_class, class_name=school_class.name
    )
    for g in cleaned:
        guardian, _created = Guardian.objects.get_or_create(
            school=school, phone=g["phone"], defaults={"name": g["name"]}
        )
        StudentGuardian.objects.get_or_create(
            school=school, student=student, guardian=guardian, defaults={"relationship": g["relationship"]}
        )
    record(
        Action.STUDENT_CHANGED,
        actor=acting_user,
        school=school,
        target=student,
        summary=f"added to {school_class.name}",
    )
    return student


@transaction.atomic
def do_promote_school_year(
    school: School, *, name: str, start_date: datetime.date, end_date: datetime.date, acting_user
) -> Term:
    """Move the school to a new school year: every class goes up a grade, the top grade
    graduates, and the new term becomes current. The old term keeps its enrollments and
    assignments, so each term's history stays as it was. A constant number of statements."""
    # Lock the school row: two admins pressing the button at once promote once.
    School.objects.select_for_update().filter(pk=school.pk).first()
    old_term = require_current_term(school)
    if start_date <= old_term.start_date:
        raise ValidationError(_("The new school year must start after the current term."))
    new_term = do_create_term(
        school, name=name, start_date=start_date, end_date=end_date, make_current=True, acting_user=acting_user
    )
    today = timezone.localdate()
    top = school.grade_count
    graduating = SchoolClass.objects.filter(school=school, grade=top, graduated_at__isnull=True)
    graduating_ids = list(graduating.values_list("pk", flat=True))
    Student.objects.filter(school_class_id__in=graduating_ids, status=Student.Status.ACTIVE).update(
        status=Student.Status.GRADUATED
    )
    graduating.update(graduated_at=today)
    # One grade at a time from the top, so that no two active classes ever share a name.
    for grade in range(top - 1, 0, -1):
        SchoolClass.objects.filter(school=school, grade=grade, graduated_at__isnull=True).update(grade=grade + 1)

    active_classes = {c.pk: c for c in SchoolClass.objects.filter(school=school, graduated_at__isnull=True)}
    students = Student.objects.filter(
        school=school, status=Student.Status.ACTIVE, school_class_id__in=list(active_classes)
    ).values_list("pk", "school_class_id")
    Enrollment.objects.bulk_create(
        [
            Enrollment(
                school=school,
                term=new_term,
                student_id=student_id,
                school_class_id=class_id,
                class_name=active_classes[class_id].name,
            )
            for student_id, class_id in students
        ]
    )
    # Teachers usually go up with their class (跟班); admins adjust what changed.
    old_assignments = StaffAssignment.objects.filter(term=old_term, school_class_id__in=list(active_classes))
    StaffAssignment.objects.bulk_create(
        [
            StaffAssignment(
                school=school,
                term=new_term,
                staff_id=a.staff_id,
                school_class_id=a.school_class_id,
                role=a.role,
                subject=a.subject,
            )
            for a in old_assignments
        ]
    )
    record(
        Action.YEAR_PROMOTED,
        actor=acting_user,
        school=school,
        target=new_term,
        summary=f"{old_term.name} → {new_term.name}",
        detail={"graduated_classes": len(graduating_ids), "students_enrolled": len(students)},
    )
    return new_term


# --- guardians' accounts: activation and reset ------------------------------------------------------


def user_for_phone(phone: str, *, name: str) -> User:
    """The account of this phone, created on first use, linked to every guardian record with this
    phone in every school (activation). Called once the phone is proven: a code signed in with
    (through ``accounts.directory``), a join code, an activation link."""
    with transaction.atomic(), scopes_disabled():  # reviewed: activation spans every school of this phone
        user = User.objects.filter(phone=phone).first()
        if user is not None and not user.is_active:
            # A deactivated account is never revived or attached to a child by a code or a link.
            raise SignInRefused(_("This account is switched off. Ask the school office for help."))
        if user is None:
            user = User.objects.create_user(phone, None, phone=phone, name=name)
        newly = Guardian.objects.filter(phone=phone, user__isnull=True)
        # Any printed or sent activation link of these guardians is spent now: a slip found later
        # must not sign its finder in.
        ActivationLink.objects.filter(guardian__phone=phone, used_at__isnull=True).update(used_at=timezone.now())
        newly.update(user=user, activated_at=timezone.now())
    return user


@transaction.atomic
def do_reset_guardian_access(guardian, *, acting_user, request=None, class_ids: set[int] | None = None) -> None:
    """A parent lost their phone or their password. The guardian record is unlinked from the account
    and its open activation links die, so the family signs in again with a code sent to the number
    on file. The account itself (its password, sessions and tokens) is reset only when everything
    it is tied to lies within the resetting staff member's reach: their school for an admin, their
    classes (``class_ids``) for a head teacher. A colleague elsewhere cannot lock someone out."""
    user = guardian.user
    Guardian.objects.filter(pk=guardian.pk).update(user=None, activated_at=None)
    ActivationLink.objects.filter(guardian=guardian, used_at__isnull=True).update(used_at=timezone.now())
    whole_account = False
    if user is not None:
        with scopes_disabled():  # reviewed: everything this one account is tied to, to decide the reach
            staff_anywhere = StaffMember.objects.filter(user=user).exists()
            other_guardianships = Guardian.objects.filter(user=user).exclude(pk=guardian.pk)
            children = StudentGuardian.objects.filter(guardian__user=user).exclude(guardian=guardian)
            if class_ids is None:  # a school admin
                outside = other_guardianships.exclude(school_id=guardian.school_id).exists()
            else:
                outside = children.exclude(student__school_class_id__in=class_ids).exists()
        whole_account = not staff_anywhere and not outside
        if whole_account:
            end_all_sessions(user)
            Guardian.objects.filter(user=user).update(user=None, activated_at=None)
    record(
        Action.ACCESS_RESET,
        actor=acting_user,
        school=guardian.school,
        target=guardian,
        summary=f"{guardian.name} {mask_phone(guardian.phone)}{' (account)' if whole_account else ''}",
        request=request,
    )


# --- roster import: upload → preview → commit (schools.roster parses and plans) ----------------------


@transaction.atomic
def do_upload_roster(
    school: School, *, school_class: SchoolClass | None, filename: str, content: bytes, acting_user
) -> RosterUpload:
    """Keep an uploaded roster until its preview is committed or discarded. A file that cannot be
    read raises ``RosterFileError`` and nothing is kept."""
    upload = RosterUpload(
        school=school, school_class=school_class, uploaded_by=acting_user, filename=filename[:255], content=content
    )
    plan_upload(upload)
    upload.save()
    return upload


@transaction.atomic
def do_commit_roster_upload(upload: RosterUpload, *, acting_user, request=None) -> dict:
    """Import what the preview showed (planned again under the school's lock) and mark the upload
    committed, its bytes dropped. Returns the import's summary."""
    summary = do_import_roster(plan_upload(upload), acting_user=acting_user, filename=upload.filename, request=request)
    RosterUpload.objects.filter(pk=upload.pk).update(committed_at=timezone.now(), summary=summary, content=b"")
    return summary


@transaction.atomic
def do_discard_roster_upload(upload: RosterUpload, *, acting_user) -> None:
    """Drop an upload nobody will commit; nothing was imported, so there is nothing to audit."""
    RosterUpload.objects.filter(pk=upload.pk).delete()


def do_import_roster(plan: ImportPlan, *, acting_user, filename: str = "", request=None) -> dict:
    """Write the plan. Re-plans under the school's lock first, so a second import running at the
    same time (or a double click) waits, then finds nothing left to do."""
    school = plan.school
    with transaction.atomic():
        School.objects.select_for_update().filter(pk=school.pk).first()
        plan = plan_import(school, plan.parse, allow_new_classes=plan.allow_new_classes, only_class=plan.only_class)
        if plan.changes_anything:
            _write_roster(plan)
        summary = plan.summary()
        record(
            Action.IMPORT,
            actor=acting_user,
            school=school,
            summary=(filename or "roster")[:120],
            detail={k: v for k, v in summary.items() if k != "rejected"} | {"rejected": len(summary["rejected"])},
            request=request,
        )
    return summary


def _write_roster(plan: ImportPlan) -> None:
    school, term = plan.school, plan.term
    new_classes = SchoolClass.objects.bulk_create(
        [SchoolClass(school=school, grade=g, number=n) for g, n in plan.classes_to_create]
    )
    classes = {(c.grade, c.number): c for c in SchoolClass.objects.filter(school=school, graduated_at__isnull=True)}
    assert all((c.grade, c.number) in classes for c in new_classes)

    created = Student.objects.bulk_create(
        [
            Student(
                school=school,
                name=c.row.name,
                student_number=c.row.number,
                gender=c.row.gender,
                school_class=classes[c.row.grade_class],  # type: ignore[index]
            )
            for c in plan.new_students
        ]
    )
    student_of_row: dict[int, Student] = {c.row.row: s for c, s in zip(plan.new_students, created, strict=True)}

    updated = []
    for change in plan.updated_students:
        student = change.student
        assert student is not None
        student.name = change.row.name
        student.gender = change.row.gender or student.gender
        student.school_class = classes[change.row.grade_class]  # type: ignore[index]
        updated.append(student)
        student_of_row[change.row.row] = student
    if updated:
        Student.objects.bulk_update(updated, ["name", "gender", "school_class"])

    # This term's enrollment follows the class the roster says.
    touched = list(student_of_row.values())
    enrolled = {e.student_id: e for e in Enrollment.objects.filter(term=term, student_id__in=[s.pk for s in touched])}
    new_enrollments, moved = [], []
    for student in touched:
        klass = student.school_class
        assert klass is not None
        enrollment = enrolled.get(student.pk)
        if enrollment is None:
            new_enrollments.append(
                Enrollment(school=school, term=term, student=student, school_class=klass, class_name=klass.name)
            )
        elif enrollment.school_class_id != klass.pk:
            enrollment.school_class, enrollment.class_name = klass, klass.name
            moved.append(enrollment)
    Enrollment.objects.bulk_create(new_enrollments)
    if moved:
        Enrollment.objects.bulk_update(moved, ["school_class", "class_name"])

    # Guardians: one per phone in the school; an existing account with that phone is linked at once.
    # New guardians are not linked to any account here, even one with the same phone: an account
    # is linked only when its owner proves the phone with a code (schools.actions.user_for_phone).
    Guardian.objects.bulk_create(
        [Guardian(school=school, name=g.name, phone=phone) for phone, g in plan.new_guardians.items()]
    )
    phones = {phone for _row, phone, _rel in plan.new_links}
    guardians = {g.phone: g for g in Guardian.objects.filter(school=school, phone__in=phones)}
    links = []
    for row, phone, relationship in plan.new_links:
        student = student_of_row.get(row.row) or plan.matched[row.row]
        links.append(
            StudentGuardian(school=school, student=student, guardian=guardians[phone], relationship=relationship)
        )
    StudentGuardian.objects.bulk_create(links, ignore_conflicts=True)


@transaction.atomic
def do_set_retention_periods(school: School, days: dict[str, int], *, acting_user) -> None:
    """Set how long the school keeps each kind of record (``RetentionPeriod``): ``days`` maps a kind
    to a number of days between ``MIN_DAYS`` and ``MAX_DAYS``; kinds left out keep what they had.
    One audit row names the periods that changed."""
    kinds = set(RetentionPeriod.Kind.values)
    unknown = set(days) - kinds
    if unknown:
        raise ValidationError(_("Unknown kind of record: %(kinds)s") % {"kinds": ", ".join(sorted(unknown))})
    for value in days.values():
        if not RetentionPeriod.MIN_DAYS <= value <= RetentionPeriod.MAX_DAYS:
            raise ValidationError(
                _("Keep records between %(low)d and %(high)d days.")
                % {"low": RetentionPeriod.MIN_DAYS, "high": RetentionPeriod.MAX_DAYS}
            )
    before = retention_periods(school)
    changed = {kind: value for kind, value in days.items() if before[kind] != value}
    now = timezone.now()
    for kind, value in changed.items():
        RetentionPeriod.objects.update_or_create(
            school=school, kind=kind, defaults={"days": value, "updated_by": acting_user, "updated_at": now}
        )
    if changed:
        record(
            AuditEntry.Action.SETTINGS_CHANGED,
            actor=acting_user,
            school=school,
            target=school,
            summary="retention periods (days): "
            + ", ".join(f"{k} {before[k]}→{v}" for k, v in sorted(changed.items())),
            detail={"retention_days": changed},
        )
