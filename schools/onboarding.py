"""Bringing every family on board: the class join link, one-time activation links, requests the
head teacher decides, reminders, and families correcting their own details. Every write is one
transaction with its audit row; SMS go out after the commit.

These writes are actions like those of ``schools.actions`` and live here because they make one
flow with the reads beside them (tokens, matching a child, the onboarding status); the structure
of the school (terms, classes, staff, students, roster import) is written in ``schools.actions``.
Each takes ``*, acting_user``, except the two a visitor who is not signed in runs
(``do_join_class``, ``do_use_activation_link``): they prove a phone and return the account they
sign in, which their audit row names."""

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scopes_disabled

from accounts.consent import do_give_consents
from accounts.models import User
from audit.actions import record
from audit.models import AuditEntry
from core.phones import InvalidPhone, is_phone, mask_phone, normalize_phone
from delivery.tasks import send_sms_task

from .actions import user_for_phone
from .models import ActivationLink, Guardian, JoinLink, JoinRequest, SchoolClass, Student, StudentGuardian
from .queries import require_current_term

Action = AuditEntry.Action
ACTIVATION_DAYS = 30
MAX_GUARDIANS = 4
REMIND_EVERY = timedelta(hours=24)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()) == "".join(b.split())


# --- the class join link -------------------------------------------------------------------------


def active_join_link(school_class: SchoolClass, *, acting_user) -> JoinLink:
    """This term's join link of the class, made on first use."""
    term = require_current_term(school_class.school_id)
    link = JoinLink.objects.filter(school_class=school_class, term=term, revoked_at__isnull=True).first()
    if link is None:
        with transaction.atomic():
            link = JoinLink.objects.create(
                school_id=school_class.school_id,
                school_class=school_class,
                term=term,
                token=secrets.token_urlsafe(16),
                created_by=acting_user,
            )
            record(
                Action.JOIN_LINK_CHANGED, actor=acting_user, school=school_class.school, target=link, summary="created"
            )
    return link


@transaction.atomic
def do_replace_join_link(school_class: SchoolClass, *, acting_user) -> JoinLink:
    """Revoke the current link (a printed code that went astray) and make a new one."""
    JoinLink.objects.filter(school_class=school_class, revoked_at__isnull=True).update(revoked_at=timezone.now())
    record(
        Action.JOIN_LINK_CHANGED, actor=acting_user, school=school_class.school, summary=f"revoked {school_class.name}"
    )
    return active_join_link(school_class, acting_user=acting_user)


def find_join_link(token: str) -> JoinLink | None:
    """The active link of a current term with this token, in any school (the visitor is not
    signed in yet: the token is the only thing that names the school)."""
    with scopes_disabled():  # reviewed: looked up by its unguessable token only
        return (
            JoinLink.objects.filter(token=token, revoked_at__isnull=True, term__is_current=True)
            .select_related("school_class__school", "school")
            .first()
        )


@dataclass
class JoinOutcome:
    linked_student: Student | None
    request: JoinRequest | None


def do_join_class(
    link: JoinLink,
    *,
    phone: str,
    guardian_name: str,
    relationship: str,
    child_name: str,
    fact: str,
    consents: Sequence[str] = (),
    request=None,
) -> tuple[JoinOutcome, "User"]:
    """A parent whose phone was just proven by a code asks to join the class. When the child's
    name and one more fact the school holds (the student number, or a guardian phone on file)
    match, they are linked at once; otherwise the head teacher decides. Returns the outcome and
    the parent's user (signed in by the caller either way). ``consents`` are the kinds the parent
    agreed to on the form (``accounts.consent``), recorded in the same transaction."""
    school_class = link.school_class
    guardian_name, child_name, fact = guardian_name.strip()[:64], child_name.strip()[:64], fact.strip()[:32]
    with scopes_disabled():  # reviewed: everything below is filtered by this link's school
        candidates = [
            s
            for s in Student.objects.filter(
                school_id=link.school_id, school_class=school_class, status=Student.Status.ACTIVE
            ).prefetch_related("guardian_links__guardian")
            if _same_name(s.name, child_name)
        ]
        fact_phone = normalize_phone(fact) if is_phone(fact) else None
        matched = [
            s
            for s in candidates
            if (fact and s.student_number and fact == s.student_number)
            or (fact_phone and any(link_.guardian.phone == fact_phone for link_ in s.guardian_links.all()))
        ]
        with transaction.atomic():
            user = user_for_phone(phone, name=guardian_name)
            if len(matched) == 1:
                student = matched[0]
                _link_guardian(student, phone=phone, name=guardian_name, relationship=relationship, user=user)
                do_give_consents(consents, acting_user=user, request=request)
                record(
                    Action.FAMILY_JOINED,
                    actor=user,
                    school=link.school,
                    target=student,
                    summary=f"{school_class.name} {mask_phone(phone)} {relationship}",
                    request=request,
                )
                return JoinOutcome(linked_student=student, request=None), user
            join_request, _created = JoinRequest.objects.get_or_create(
                school_id=link.school_id,
                school_class=school_class,
                phone=phone,
                child_name=child_name,
                status=JoinRequest.Status.PENDING,
                defaults={
                    "user": user,
                    "guardian_name": guardian_name,
                    "relationship": relationship[:16],
                    "fact": fact,
                    "student": candidates[0] if len(candidates) == 1 else None,
                },
            )
            do_give_consents(consents, acting_user=user, request=request)
            return JoinOutcome(linked_student=None, request=join_request), user


def _link_guardian(student: Student, *, phone: str, name: str, relationship: str, user) -> Guardian:
    guardian, _created = Guardian.objects.get_or_create(
        school_id=student.school_id, phone=phone, defaults={"name": name or phone}
    )
    if guardian.user_id is None and user is not None:
        Guardian.objects.filter(pk=guardian.pk).update(user=user, activated_at=timezone.now())
    link, created = StudentGuardian.objects.get_or_create(
        school_id=student.school_id, student=student, guardian=guardian, defaults={"relationship": relationship[:16]}
    )
    if not created and relationship and link.relationship != relationship:
        StudentGuardian.objects.filter(pk=link.pk).update(relationship=relationship[:16])
    return guardian


@transaction.atomic
def do_decide_join_request(join_request: JoinRequest, *, approve: bool, student: Student | None, acting_user) -> None:
    if join_request.status != JoinRequest.Status.PENDING:
        raise ValidationError(_("This request has already been decided."))
    if approve:
        if student is None or student.school_class_id != join_request.school_class_id:
            raise ValidationError(_("Choose the child of this class the family belongs to."))
        _link_guardian(
            student,
            phone=join_request.phone,
            name=join_request.guardian_name,
            relationship=join_request.relationship,
            user=join_request.user,
        )
    JoinRequest.objects.filter(pk=join_request.pk).update(
        status=JoinRequest.Status.APPROVED if approve else JoinRequest.Status.REFUSED,
        student=student if approve else join_request.student,
        decided_by=acting_user,
        decided_at=timezone.now(),
    )
    record(
        Action.JOIN_DECIDED,
        actor=acting_user,
        school=join_request.school,
        target=join_request,
        summary=f"{'approved' if approve else 'refused'} {join_request.child_name} {mask_phone(join_request.phone)}",
    )


# --- one-time activation links -----------------------------------------------------------------


def activation_url(token: str) -> str:
    return f"{settings.SITE_URL}/activate/{token}/"


@transaction.atomic
def do_create_activation_links(
    guardians: list[Guardian], *, acting_user, send_sms: bool, school
) -> list[tuple[Guardian, str]]:
    """One new link per guardian not yet signed in, in one insert; by SMS, skipping guardians who
    were sent one in the last 24 hours (a reminder reaches only those who have not acted)."""
    now = timezone.now()
    pending = [g for g in guardians if not g.is_activated]
    if send_sms:
        recent = set(
            ActivationLink.objects.filter(guardian__in=pending, sent_by_sms_at__gte=now - REMIND_EVERY).values_list(
                "guardian_id", flat=True
            )
        )
        pending = [g for g in pending if g.pk not in recent]
    tokens = [(g, secrets.token_urlsafe(24)) for g in pending]
    # A new link replaces the family's older ones: only the latest slip or SMS works.
    ActivationLink.objects.filter(guardian__in=[g for g, _t in tokens], used_at__isnull=True).update(used_at=now)
    ActivationLink.objects.bulk_create(
        [
            ActivationLink(
                school=school,
                guardian=g,
                token_hash=_hash(token),
                created_by=acting_user,
                expires_at=now + timedelta(days=ACTIVATION_DAYS),
                sent_by_sms_at=now if send_sms else None,
            )
            for g, token in tokens
        ]
    )
    if send_sms and tokens:
        messages = [
            (
                g.phone,
                _("[Tongxin] %(school)s invites you to the home–school platform. Open %(url)s to sign in.")
                % {"school": school.name, "url": activation_url(token)},
                # A real provider sends the approved "activation" template (delivery/sms_providers.py).
                {"school": school.name, "link": activation_url(token)},
            )
            for g, token in tokens
        ]

        def enqueue() -> None:
            for phone, text, params in messages:  # one task each: a retry never re-sends someone else's SMS
                send_sms_task.delay(phone, text, "activation", params)

        transaction.on_commit(enqueue)
    record(
        Action.ACTIVATION_SENT,
        actor=acting_user,
        school=school,
        summary=f"{len(tokens)} {'SMS' if send_sms else 'printed'}",
        detail={"guardians": len(tokens), "sms": send_sms},
    )
    return tokens


def find_activation_link(token: str) -> ActivationLink | None:
    with scopes_disabled():  # reviewed: looked up by the hash of its unguessable token only
        return (
            ActivationLink.objects.filter(
                token_hash=_hash(token),
                used_at__isnull=True,
                expires_at__gt=timezone.now(),
                guardian__user__isnull=True,  # a guardian who has joined meanwhile: the slip is dead
            )
            .select_related("guardian", "school")
            .first()
        )


class PhoneHasAccount(Exception):
    """The phone already has an account: a link never signs anyone into an existing account; its
    owner signs in with a code, which also links this guardian record."""


def do_use_activation_link(link: ActivationLink, *, consents: Sequence[str] = (), request=None):
    """Spend the link: a new account is made for the guardian's phone and linked, with the consents
    the guardian gave on the page (``accounts.consent``); returns the user."""
    with transaction.atomic(), scopes_disabled():  # reviewed: the link names its guardian
        if User.objects.filter(phone=link.guardian.phone).exists():
            ActivationLink.objects.filter(pk=link.pk).update(used_at=timezone.now())
            raise PhoneHasAccount
        spent = ActivationLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now())
        if not spent:
            return None  # a double tap: the first one signed in
        user = user_for_phone(link.guardian.phone, name=link.guardian.name)
        do_give_consents(consents, acting_user=user, request=request)
        record(
            Action.FAMILY_JOINED,
            actor=user,
            school=link.school,
            target=link.guardian,
            summary=f"activation link {mask_phone(link.guardian.phone)}",
            request=request,
        )
    return user


# --- the class's onboarding status ---------------------------------------------------------------


@dataclass
class GuardianStatus:
    guardian: Guardian
    students: list[Student]
    state: str  # joined / invited / not_reached
    last_sent: object = None


def onboarding_status(school_class: SchoolClass) -> list[GuardianStatus]:
    """Every guardian of the class with where they stand: three queries, whatever the size."""
    links = StudentGuardian.objects.filter(
        student__school_class=school_class, student__status=Student.Status.ACTIVE
    ).select_related("guardian", "student")
    by_guardian: dict[int, GuardianStatus] = {}
    for link in links:
        status = by_guardian.get(link.guardian_id)
        if status is None:
            status = by_guardian[link.guardian_id] = GuardianStatus(link.guardian, [], "not_reached")
        status.students.append(link.student)
    now = timezone.now()
    invited = dict(
        ActivationLink.objects.filter(guardian_id__in=list(by_guardian), used_at__isnull=True, expires_at__gt=now)
        .values("guardian_id")
        .annotate(last=Max("created_at"))
        .values_list("guardian_id", "last")
    )
    for status in by_guardian.values():
        if status.guardian.is_activated:
            status.state = "joined"
        elif status.guardian.pk in invited:
            status.state, status.last_sent = "invited", invited[status.guardian.pk]
    order = {"not_reached": 0, "invited": 1, "joined": 2}
    return sorted(by_guardian.values(), key=lambda s: (order[s.state], s.students[0].name))


# --- families correcting their own details --------------------------------------------------------


def _my_link(user, student: Student) -> StudentGuardian:
    link = StudentGuardian.objects.filter(student=student, guardian__user=user).select_related("guardian").first()
    if link is None:
        raise ValidationError(_("You are not a guardian of this child."))
    return link


@transaction.atomic
def do_update_my_relationship(student: Student, relationship: str, *, acting_user, request=None) -> None:
    user = acting_user
    relationship = relationship.strip()[:16]
    if not relationship:
        raise ValidationError(_("Say how you are related to the child, e.g. 父亲, 母亲, 奶奶."))
    link = _my_link(user, student)
    StudentGuardian.objects.filter(pk=link.pk).update(relationship=relationship)
    record(
        Action.GUARDIAN_CHANGED,
        actor=user,
        school=student.school,
        target=student,
        summary=f"{link.guardian.name}: relationship {link.relationship or '—'} → {relationship}",
        request=request,
    )


@transaction.atomic
def do_add_second_guardian(
    student: Student, *, name: str, phone: str, relationship: str, acting_user, request=None
) -> None:
    user = acting_user
    _my_link(user, student)
    name = name.strip()[:64]
    if not name:
        raise ValidationError(_("Enter the other guardian's name."))
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise ValidationError(str(InvalidPhone.message)) from exc
    if StudentGuardian.objects.filter(student=student, guardian__phone=phone).exists():
        raise ValidationError(_("This number is already a guardian of the child."))
    if StudentGuardian.objects.filter(student=student).count() >= MAX_GUARDIANS:
        raise ValidationError(_("A child can have at most %(n)d guardians here.") % {"n": MAX_GUARDIANS})
    family_phones = StudentGuardian.objects.filter(guardian__user=user).values("guardian_id")
    if (
        Guardian.objects.filter(school_id=student.school_id, phone=phone)
        .exclude(pk__in=family_phones)
        .exclude(student_links__isnull=True)
        .exists()
    ):
        # The number belongs to another family of the school: only the head teacher can join them.
        raise ValidationError(_("This number is on the school's roster already. Ask the head teacher to add it."))
    # Not linked to any account: the new guardian signs in with a code sent to their phone.
    guardian = _link_guardian(student, phone=phone, name=name, relationship=relationship, user=None)
    record(
        Action.GUARDIAN_CHANGED,
        actor=user,
        school=student.school,
        target=student,
        summary=f"added {guardian.name} {mask_phone(phone)} {relationship}",
        request=request,
    )


@transaction.atomic
def do_change_my_phone(new_phone: str, *, acting_user, request=None) -> None:
    """The new number was proven by a code. Every guardian record of the old number follows; the
    old number is told (a thief who changed it is noticed) and each child's class sees the change."""
    user = acting_user
    if User.objects.filter(phone=new_phone).exclude(pk=user.pk).exists():
        raise ValidationError(_("This number already has its own account. Ask the head teacher for help."))
    with scopes_disabled():  # reviewed: the user's own guardian records and children, in every school
        mine = list(Guardian.objects.filter(user=user).select_related("school"))
        clash = Guardian.objects.filter(phone=new_phone, school_id__in=[g.school_id for g in mine]).exclude(user=user)
        if clash.exists():
            raise ValidationError(_("This number is already on the school's roster for someone else."))
        old = user.phone
        Guardian.objects.filter(user=user).update(phone=new_phone)
        children = list(
            Student.objects.filter(guardian_links__guardian__user=user, status=Student.Status.ACTIVE)
            .select_related("school")
            .distinct()
        )
    User.objects.filter(pk=user.pk).update(
        phone=new_phone, username=new_phone if user.username == old else user.username
    )
    summary_text = f"phone {mask_phone(old or '')} → {mask_phone(new_phone)}"
    for child in children:
        record(
            Action.GUARDIAN_CHANGED,
            actor=user,
            school=child.school,
            target=child,
            summary=summary_text,
            request=request,
        )
    if old:
        text = _(
            "[Tongxin] The mobile number of your account was changed to %(new)s. If this was not you, call the school."
        ) % {"new": mask_phone(new_phone)}
        masked = mask_phone(new_phone)
        transaction.on_commit(lambda: send_sms_task.delay(old, text, "number_changed", {"new": masked}))


def children_of_guardian(guardian: Guardian) -> list[Student]:
    with scopes_disabled():  # reviewed: the guardian named by the activation link, in its school
        return list(
            Student.objects.filter(
                school_id=guardian.school_id, guardian_links__guardian=guardian, status=Student.Status.ACTIVE
            ).select_related("school_class")
        )


def family_of(user, child_ids: list[int]) -> list[Student]:
    """The parent's children with every guardian of each (other guardians' phones masked)."""
    from django.db.models import Prefetch

    children = list(
        Student.objects.filter(pk__in=child_ids)
        .select_related("school", "school_class")
        .prefetch_related(
            Prefetch("guardian_links", queryset=StudentGuardian.objects.select_related("guardian").order_by("pk"))
        )
        .order_by("school__name", "name")
    )
    for child in children:
        family: list[dict] = []
        child.family = family  # type: ignore[attr-defined]
        for link in child.guardian_links.all():
            mine = link.guardian.user_id == user.pk
            family.append(
                {
                    "name": link.guardian.name,
                    "relationship": link.relationship,
                    "phone": link.guardian.phone if mine else mask_phone(link.guardian.phone),
                    "mine": mine,
                    "activated": link.guardian.is_activated,
                }
            )
            if mine:
                child.my_relationship = link.relationship  # type: ignore[attr-defined]
    return children


def recent_family_changes(school_class: SchoolClass, *, limit: int = 20):
    """What families of the class did themselves lately (joined, corrected their details), so the
    head teacher is informed without asking: one query."""
    student_ids = [str(pk) for pk in Student.objects.filter(school_class=school_class).values_list("pk", flat=True)]
    return (
        AuditEntry.objects.filter(
            school_id=school_class.school_id,
            action__in=[Action.GUARDIAN_CHANGED, Action.FAMILY_JOINED],
            target_type="student",
            target_id__in=student_ids,
        )
        .select_related("actor")
        .order_by("-created_at")[:limit]
    )
