"""Every write of notices: compose, publish, edit, recall, pin, read, confirm, answer, remind."""

import datetime
import logging
import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Exists, F, Model, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from audit.actions import record, record_guardrail_override
from audit.models import AuditEntry
from core.concurrency import check_version
from core.guardrails import check_class_message
from core.richtext import clean_html, html_to_text
from core.uploads import AcceptedUpload
from delivery.actions import queue_reminders
from guardrails.actions import do_check_guardrails, do_queue_picture_checks
from guardrails.queries import school_rules
from schools.models import Student, StudentGuardian
from schools.roles import Roles

from .audience import TargetSpec, audience_class_ids, resolve_audience
from .models import ANSWERED_ELSEWHERE, Notice, NoticeAttachment, NoticeRevision, NoticeTarget, Receipt, StudentReceipt

logger = logging.getLogger(__name__)
REMIND_EVERY = datetime.timedelta(hours=3)
MAX_OPTIONS = 8
# A notice is read on a phone: 20,000 characters is a long policy text already (anything longer is
# an attachment), and the formatted HTML of such a text stays well under 100,000. Without a limit
# a 2,000,000-character body was published and copied into every family's feed.
MAX_BODY_TEXT = 20_000
MAX_BODY_HTML = 100_000


def _clean_body(body_html: str) -> tuple[str, str]:
    """The sanitised HTML of a notice's text and its plain text, or a clear refusal when too long."""
    too_long = ValidationError(
        _("The text is too long (at most %(n)s characters). Attach a file instead.") % {"n": f"{MAX_BODY_TEXT:,}"}
    )
    if len(body_html or "") > 2 * MAX_BODY_HTML:  # not even worth sanitising
        raise too_long
    html = clean_html(body_html or "")
    text = html_to_text(html)
    if len(text) > MAX_BODY_TEXT or len(html) > MAX_BODY_HTML:
        raise too_long
    return html, text


def _guardrail_concerns(
    school_id: int, class_ids: QuerySet | None, title: str, body_text: str, options: list[str]
) -> list:
    """The one check of a message that goes to a group of families, against the names of the
    students of the classes it reaches (``audience_class_ids``) and the school's own words."""
    if class_ids is None:
        return []
    names = Student.objects.filter(school_class_id__in=class_ids, status="active").values_list("name", flat=True)
    return check_class_message(
        "\n".join([title, body_text, *options]), student_names=list(names), **school_rules(school_id).checker_kwargs
    )


def _read_pictures(notice: Notice, class_ids: set[int], sender) -> None:
    """The pictures of a notice to a group of families are read in the background and checked like
    the text (a photo of a score sheet); its page shows the sender what was found."""
    pictures = [(a.file.name or "", a.filename) for a in notice.attachments.all() if a.is_image]
    if pictures:
        do_queue_picture_checks(
            notice.school_id,
            source="notice",
            object_id=notice.pk,
            files=pictures,
            class_ids=class_ids,
            acting_user=sender,
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _validate(
    *, title: str, action: str, options: list[str], deadline, publish_at, expires_at, respond_path: str = ""
) -> list[str]:
    now = timezone.now()
    if not title.strip():
        raise ValidationError(_("Give the notice a title."))
    if _CONTROL.search(title) or any(_CONTROL.search(o or "") for o in options):
        raise ValidationError(_("The title and the answers must be one line each."))
    if len(title) > 120:
        raise ValidationError(_("The title is too long (at most 120 characters)."))
    if action not in Notice.Action.values or (action in ANSWERED_ELSEWHERE) != bool(respond_path):
        # A survey or an invitation is sent by its own app, which says where it is answered.
        raise ValidationError(_("Choose what families must do."))
    cleaned = [o.strip()[:64] for o in options if o and o.strip()]
    if action == Notice.Action.ANSWER:
        if len(cleaned) < 2:
            raise ValidationError(_("An answer needs at least two options, e.g. 参加 / 不参加."))
        if len(cleaned) > MAX_OPTIONS or len(set(cleaned)) != len(cleaned):
            raise ValidationError(_("Give up to %(n)d different options.") % {"n": MAX_OPTIONS})
    else:
        cleaned = []
    if deadline is not None and deadline <= now:
        raise ValidationError(_("The deadline is in the past."))
    if publish_at is not None and publish_at <= now:
        raise ValidationError(_("The time to publish is in the past."))
    start = publish_at or now
    if deadline is not None and deadline <= start:
        raise ValidationError(_("The deadline must come after the notice goes out."))
    if expires_at is not None and expires_at <= start:
        raise ValidationError(_("The notice must expire after it goes out."))
    return cleaned


def do_create_notice(
    school,
    *,
    acting_user,
    roles: Roles,
    title: str,
    body_html: str,
    action: str = Notice.Action.READ,
    options: list[str] | None = None,
    allow_comment: bool = False,
    every_guardian: bool = False,
    deadline=None,
    publish_at=None,
    pinned: bool = False,
    expires_at=None,
    targets: list[TargetSpec],
    guardrail_reason: str = "",
    idempotency_key: str = "",
    attachments: list[AcceptedUpload] | None = None,
    respond_path: str = "",
    district_notice=None,
    request=None,
    urgent: bool = False,
    ladder_sms_after: int | None = None,
    ladder_call_after: int | None = None,
    kind: str = Notice.Kind.GENERAL,
    themed: bool = False,
) -> Notice:
    """Compose and publish (now or at ``publish_at``), with its checked attachments. A double tap
    with the same idempotency key returns the first notice. A survey or an invitation (an action of
    ``ANSWERED_ELSEWHERE``) names the page where it is answered in ``respond_path``. A district's
    notice passes its ``district_notice``: this school's copy (``notices.district``)."""
    if idempotency_key:
        existing = Notice.objects.filter(author=acting_user, idempotency_key=idempotency_key).first()
        if existing is not None:
            return existing
    cleaned_options = _validate(
        title=title,
        action=action,
        options=options or [],
        deadline=deadline,
        publish_at=publish_at,
        expires_at=expires_at,
        respond_path=respond_path,
    )
    if kind not in Notice.Kind.values:
        raise ValidationError(_("Choose a kind of notice from the list."))
    if kind == Notice.Kind.CLASS_UPDATE and action != Notice.Action.NONE:
        raise ValidationError(_("A class update is information only: families are not asked to do anything."))
    if urgent and not (roles.is_admin_of(school.pk) or roles.head_class_ids):
        raise ValidationError(_("Only an administrator or a head teacher can mark a notice urgent."))
    for minutes in (ladder_sms_after, ladder_call_after):
        if minutes is not None and not 0 <= minutes <= 7 * 24 * 60:
            raise ValidationError(_("A step of the ladder must come within a week of publishing."))
    rows, label = resolve_audience(school, roles, targets)
    body_html, body_text = _clean_body(body_html)
    class_ids = audience_class_ids(school.pk, rows)
    concerns = _guardrail_concerns(school.pk, class_ids, title, body_text, cleaned_options)
    override = do_check_guardrails(school.pk, concerns, guardrail_reason, acting_user=acting_user)
    try:
        with transaction.atomic():
            notice = Notice.objects.create(
                school=school,
                author=acting_user,
                title=title.strip(),
                body_html=body_html,
                body_text=body_text,
                action=action,
                kind=kind,
                themed=themed,
                options=cleaned_options,
                respond_path=respond_path[:200],
                allow_comment=allow_comment and action == Notice.Action.ANSWER,
                every_guardian=every_guardian,
                deadline=deadline,
                pinned=pinned,
                expires_at=expires_at,
                audience_label=label,
                guardrail_reason=override.reason if override else "",
                idempotency_key=idempotency_key[:64],
                status=Notice.Status.SCHEDULED if publish_at else Notice.Status.DRAFT,
                publish_at=publish_at,
                district_notice=district_notice,
                urgent=urgent,
                ladder_sms_after=ladder_sms_after,
                ladder_call_after=ladder_call_after,
            )
            if urgent:
                # Logged as urgent: every channel at once, the families' quiet settings ignored.
                record(
                    AuditEntry.Action.NOTICE_URGENT,
                    actor=acting_user,
                    school=school,
                    target=notice,
                    summary=notice.title[:120],
                )
            for row in rows:
                row.school, row.notice = school, notice
            NoticeTarget.objects.bulk_create(rows)
            if attachments:
                do_add_attachments(notice, attachments, acting_user=acting_user)
                if class_ids is not None:
                    _read_pictures(notice, {row["school_class_id"] for row in class_ids}, acting_user)
            if override:
                record_guardrail_override(override, actor=acting_user, school=school, target=notice, request=request)
            if not publish_at:
                do_publish_notice(notice, acting_user=acting_user)
    except IntegrityError:
        # Two taps at the same instant: the other one created it; answer with that one.
        existing = Notice.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if not idempotency_key or existing is None:
            raise
        return existing
    return notice


def do_add_attachments(notice: Notice, files: list[AcceptedUpload], *, acting_user) -> None:
    """Attach files taken in by ``core.uploads.accept_upload`` to a notice. A retry of the same
    compose (same idempotency key, so the same notice) does not attach the same file twice."""
    with transaction.atomic():
        for upload in files:
            if NoticeAttachment.objects.filter(notice=notice, filename=upload.name, size=upload.size).exists():
                continue
            attachment = NoticeAttachment(
                school_id=notice.school_id, notice=notice, filename=upload.name, mime=upload.kind.mime, size=upload.size
            )
            upload.store(attachment.file)
            attachment.save()


def do_publish_notice(notice: Notice, *, acting_user) -> None:

    with transaction.atomic():
        updated = Notice.objects.filter(pk=notice.pk, status__in=[Notice.Status.DRAFT, Notice.Status.SCHEDULED]).update(
            status=Notice.Status.PUBLISHED, published_at=timezone.now()
        )
        if updated:
            notice.status = Notice.Status.PUBLISHED
            transaction.on_commit(lambda: _enqueue_fan_out(notice.pk))


def do_publish_due_notices(*, acting_user) -> int:
    """Publish the scheduled notices whose time has come, each inside its own school."""
    with scopes_disabled():  # reviewed: each notice is then published inside its own school
        due = list(Notice.objects.filter(status=Notice.Status.SCHEDULED, publish_at__lte=timezone.now()))
    for notice in due:
        with scope(school=[notice.school_id]):
            do_publish_notice(notice, acting_user=acting_user)
    return len(due)


def _enqueue_fan_out(notice_id: int) -> None:
    """A broker that is down must not lose the notice: the beat sweeper (tasks.fan_out_missed)
    fans out every published notice that has not been fanned out a minute later."""
    from .tasks import fan_out_notice

    try:
        fan_out_notice.delay(notice_id)
    except Exception:  # the broker is unreachable: logged, and picked up by the sweeper
        logger.exception("could not enqueue the fan-out of notice %s", notice_id)


@transaction.atomic
def do_edit_notice(
    notice: Notice,
    *,
    acting_user,
    title: str,
    body_html: str,
    guardrail_reason: str = "",
    opened_version: int | None = None,
) -> Notice:
    """Edit a notice (published or scheduled). ``opened_version`` is the version the editor
    opened: if another editor saved since, ``core.concurrency.EditConflict`` says who changed what
    and nothing is written (the edit page and the API always send it)."""
    if notice.status == Notice.Status.RECALLED:
        raise ValidationError(_("A recalled notice cannot be edited."))
    if not title.strip():
        raise ValidationError(_("Give the notice a title."))
    if _CONTROL.search(title):
        raise ValidationError(_("The title and the answers must be one line each."))
    if len(title.strip()) > 120:
        raise ValidationError(_("The title is too long (at most 120 characters)."))
    body_html, new_text = _clean_body(body_html)
    notice = Notice.objects.select_for_update().get(pk=notice.pk)  # two editors at once: one after the other
    if notice.title == title.strip() and notice.body_html == body_html:
        return notice  # nothing to change (a save sent twice, or the same text as the other editor's)
    _check_notice_version(notice, opened_version)
    targets = NoticeTarget.objects.filter(notice=notice)
    concerns = _guardrail_concerns(
        notice.school_id, audience_class_ids(notice.school_id, targets), title, new_text, notice.options
    )
    override = do_check_guardrails(notice.school_id, concerns, guardrail_reason, acting_user=acting_user)
    if override:
        record_guardrail_override(override, actor=acting_user, school=notice.school, target=notice, edit=True)
    NoticeRevision.objects.create(
        school_id=notice.school_id,
        notice=notice,
        version=notice.version,
        title=notice.title,
        body_text=notice.body_text,
        edited_by=acting_user,
    )
    notice.title, notice.body_html, notice.body_text = title.strip(), body_html, new_text
    notice.version += 1
    notice.edited_at = timezone.now()
    notice.save(update_fields=["title", "body_html", "body_text", "version", "edited_at"])
    return notice


def _check_notice_version(notice: Notice, opened_version: int | None) -> None:
    """The notice (locked) is still the version the editor opened, or EditConflict says what changed."""
    if opened_version is None or opened_version == notice.version:
        return
    opened = NoticeRevision.objects.filter(notice=notice, version=opened_version).first()
    last = NoticeRevision.objects.filter(notice=notice).select_related("edited_by").order_by("-version").first()
    check_version(
        opened_version,
        notice.version,
        before={"title": opened.title, "body_text": opened.body_text} if opened else {},
        after={"title": notice.title, "body_text": notice.body_text},
        labels={"title": _("the title"), "body_text": _("the text")},
        by=last.edited_by.name if last is not None and last.edited_by is not None else "",
        at=notice.edited_at,
    )


@transaction.atomic
def do_recall_notice(notice: Notice, *, acting_user) -> None:
    Notice.objects.filter(pk=notice.pk).exclude(status=Notice.Status.RECALLED).update(
        status=Notice.Status.RECALLED, recalled_at=timezone.now()
    )
    record(
        AuditEntry.Action.NOTICE_RECALLED,
        actor=acting_user,
        school=notice.school,
        target=notice,
        summary=notice.title[:120],
    )


def do_set_pinned(notice: Notice, *, pinned: bool, acting_user) -> None:
    Notice.objects.filter(pk=notice.pk).update(pinned=pinned)


def my_receipts(notice: Notice, user):
    """The user's receipt of the notice: as a guardian (whatever their guardian row in this
    school) or as staff."""
    return Receipt.objects.filter(notice=notice).filter(Q(guardian__user=user) | Q(guardian__isnull=True, user=user))


def _roll_up(notice: Notice, receipts, now) -> None:
    """Mark the students of these receipts' guardians done, once one guardian (or every guardian,
    if the notice asks so) has acted: one UPDATE."""
    guardian_ids = receipts.filter(guardian__isnull=False).values("guardian_id")
    rollups = StudentReceipt.objects.filter(
        notice=notice,
        done_at__isnull=True,
        student_id__in=StudentGuardian.objects.filter(guardian_id__in=guardian_ids).values("student_id"),
    )
    if notice.every_guardian:
        not_yet = Receipt.objects.filter(
            notice=notice,
            acted_at__isnull=True,
            guardian_id__in=StudentGuardian.objects.filter(student_id=OuterRef(OuterRef("student_id"))).values(
                "guardian_id"
            ),
        )
        rollups = rollups.exclude(Exists(not_yet))
    rollups.update(done_at=now)


def mark_family_read(notice: Notice, receipts: QuerySet[Receipt], now: datetime.datetime) -> int:
    """Somebody read the notice through these receipts: ``family_read_at`` on them and on every
    receipt of the notice whose guardian shares a child with one of their guardians, one UPDATE.

    Every write that sets ``read_at`` calls it in its transaction (``do_mark_read``,
    ``do_record_response``, ``do_respond``; tests/test_architecture.py holds any other to it),
    so the escalation ladder reads "nobody of the family has read it" from the receipt itself
    (``notices.ladder``) instead of joining every due guardian's links and their family's receipts."""
    readers = receipts.filter(guardian__isnull=False).values("guardian_id")
    family = StudentGuardian.objects.filter(
        student_id__in=StudentGuardian.objects.filter(guardian_id__in=readers).values("student_id")
    ).values("guardian_id")
    return (
        Receipt.objects.filter(notice=notice, family_read_at__isnull=True)
        .filter(Q(pk__in=receipts.values("pk")) | Q(guardian_id__in=family))
        .update(family_read_at=now)
    )


def close_receipts_of_former_guardian(guardian_id: int, student_id: int, now: datetime.datetime) -> int:
    """A guardian was removed from a child (``home.family.do_unlink_guardian``): their receipts of
    the published notices the child's family was sent get ``left_family_at``, one UPDATE, unless a
    child of theirs still links them to a family of the notice that has not done it. The escalation
    ladder then no longer reaches for them; their receipts stay as the record of what they got."""
    still_family = StudentReceipt.objects.filter(
        notice_id=OuterRef("notice_id"), done_at__isnull=True, student__guardian_links__guardian_id=guardian_id
    )
    return (
        Receipt.objects.filter(
            guardian_id=guardian_id,
            acted_at__isnull=True,
            left_family_at__isnull=True,
            notice__status=Notice.Status.PUBLISHED,
            notice_id__in=StudentReceipt.objects.filter(student_id=student_id).values("notice_id"),
        )
        .exclude(Exists(still_family))
        .update(left_family_at=now)
    )


def do_mark_read(notice: Notice, *, acting_user, receipts=None) -> int:
    """Opening marks read: one UPDATE (plus the rollup when reading is all the notice asks). The
    receipts are the acting user's own, or the one a signed link names (no user then)."""
    now = timezone.now()
    mine = receipts if receipts is not None else my_receipts(notice, acting_user)
    changes = {"read_at": Coalesce(F("read_at"), Value(now)), "seen_version": Value(notice.version)}
    if notice.action == Notice.Action.READ:  # reading is all this notice asks: reading is acting
        changes["acted_at"] = Coalesce(F("acted_at"), Value(now))
        changes["acted_via"] = Case(When(acted_at__isnull=True, then=Value("app")), default=F("acted_via"))
    count = mine.filter(Q(read_at__isnull=True) | Q(seen_version__lt=notice.version)).update(**changes)
    if count:
        mark_family_read(notice, mine, now)
    if count and notice.action == Notice.Action.READ:
        _roll_up(notice, mine, now)
    return count


def do_record_response(notice: Notice, receipts: QuerySet[Receipt], *, acting_user, answer: str = "") -> int:
    """The app that sent a survey or an invitation (``ANSWERED_ELSEWHERE``) records that these
    receipts have answered it: one UPDATE (read, acted, the answer), then the students' rollup. Called
    inside the app's own transaction, so the answer and the receipt's state are written together; a
    changed answer (an RSVP from yes to no) updates the receipt again. Returns the receipts marked."""
    now = timezone.now()
    count = receipts.update(
        read_at=Coalesce(F("read_at"), Value(now)), acted_at=now, answer=answer[:64], acted_via="app"
    )
    if count:
        mark_family_read(notice, receipts, now)
        _roll_up(notice, receipts, now)
    return count


def do_respond(notice: Notice, receipts, *, acting_user, answer: str = "", comment: str = "", via: str = "app") -> None:
    """Confirm or answer for the given receipts (the signed-in family's, or the one a link names,
    with no ``acting_user``). A survey or an invitation is answered in its own app, which records
    the answer with ``do_record_response``."""
    if not notice.is_live:
        raise ValidationError(_("This notice is no longer open."))
    if notice.action not in (Notice.Action.CONFIRM, Notice.Action.ANSWER, Notice.Action.READ):
        # NONE needs nothing; a survey or an invitation is answered on its own page (respond_path).
        raise ValidationError(_("This notice needs no answer."))
    now = timezone.now()
    if notice.deadline is not None and notice.deadline < now:
        raise ValidationError(_("The deadline has passed."))
    if notice.action == Notice.Action.ANSWER:
        if answer not in notice.options:
            raise ValidationError(_("Choose one of the answers."))
        comment = comment.strip()[:500] if notice.allow_comment else ""
    else:
        answer, comment = "", ""
    # A retry (a double tap, a resent request) changes nothing: the school keeps the time of the
    # first confirmation. A different answer or comment is a change of mind and is recorded anew.
    same = Q(acted_at__isnull=False, answer=answer, comment=comment)
    with transaction.atomic():
        updated = receipts.update(
            acted_at=Case(When(same, then=F("acted_at")), default=Value(now)),
            answer=answer,
            comment=comment,
            acted_via=Case(When(same, then=F("acted_via")), default=Value(via)),
        )
        receipts.filter(read_at__isnull=True).update(read_at=now)
        if not updated:
            raise ValidationError(_("This notice was not sent to you."))
        mark_family_read(notice, receipts, now)
        _roll_up(notice, receipts, now)


# --- reminding: the one reminder action, for notices, surveys and events --------------------------


def can_remind(reminded: Notice | Model) -> bool:
    """Whether a person may remind of this notice or survey (anything with ``last_reminded_at``) now."""
    last = getattr(reminded, "last_reminded_at", None)
    return last is None or timezone.now() - last >= REMIND_EVERY


@transaction.atomic
def do_remind_receipts(
    notice: Notice, receipts: QuerySet[Receipt], *, acting_user, pace: Notice | Model | None = None
) -> int:
    """A reminder round to these receipts of the notice, by the channels beyond the app (email,
    SMS); returns how many were reminded.

    ``pace`` is what a person reminds of (the notice, a survey: a row with ``last_reminded_at``):
    at most one round every 3 hours, claimed by one conditional UPDATE, so two presses at once send
    one round, and logged (``NOTICE_REMINDED`` on that row). Without it the round is part of
    another write that answers for itself: an event that changed tells everyone, the day-before
    task claims each event's round on the event."""
    if pace is not None:
        now = timezone.now()
        claimed = (
            type(pace)
            ._default_manager.filter(pk=pace.pk)
            .filter(Q(last_reminded_at__isnull=True) | Q(last_reminded_at__lte=now - REMIND_EVERY))
            .update(last_reminded_at=now)
        )
        if not claimed:
            raise ValidationError(_("You reminded families less than 3 hours ago. Please wait a little."))
    count = queue_reminders(notice, receipts)
    if pace is not None:
        record(
            AuditEntry.Action.NOTICE_REMINDED, actor=acting_user, school=notice.school, target=pace, summary=f"{count}"
        )
    return count


def pending_receipts(notice: Notice):
    """Those who have not done what the notice asks (or, for information, not read it)."""
    if notice.action == Notice.Action.NONE:
        return Receipt.objects.filter(notice=notice, read_at__isnull=True)
    pending = Receipt.objects.filter(notice=notice, acted_at__isnull=True)
    if not notice.every_guardian:
        # One guardian per student is enough: a grandparent whose grandchild's family has answered
        # is not nagged. Staff receipts (no guardian) stay.
        child_not_done = StudentReceipt.objects.filter(
            notice=notice, done_at__isnull=True, student__guardian_links__guardian=OuterRef("guardian")
        )
        pending = pending.filter(Q(guardian__isnull=True) | Exists(child_not_done))
    return pending


@transaction.atomic
def do_remind_notice(notice: Notice, *, acting_user) -> int:
    """Remind only those who have not acted, at most once every few hours."""
    if notice.status != Notice.Status.PUBLISHED:
        raise ValidationError(_("Only a published notice can be reminded."))
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if not locked.is_live or (locked.deadline is not None and locked.deadline < timezone.now()):
        raise ValidationError(_("The notice has expired or its deadline has passed: there is nothing to remind of."))
    return do_remind_receipts(locked, pending_receipts(locked), acting_user=acting_user, pace=locked)
