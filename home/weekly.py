"""The family's action list: everything a guardian has to do, across all their children and
schools, with deadlines, as a page (``/me/week/``) and as a digest on the family's chosen channel.

What is on it (home sits above every app it reads):

- notices still waiting for this guardian: confirm, answer, reply to an invitation (events send
  theirs as ``rsvp`` notices), a survey or a collection form, a read receipt; not expired, not past
  their deadline by more than a day;
- duty shifts (community) of the guardian's families in the coming seven days, and shifts another
  family of the roster asks them to take (a swap still to be answered);
- contact-book entries shared with the family that this guardian has not acknowledged.

Four queries whatever the length. Ordered by deadline (the undated last).

The digest (``do_send_digests``, run by beat: weekly on Sunday at 18:00, daily at 18:00 for those who
chose it, ``DeliveryPreference.digest``): an e-mail when the guardian gave an address and wants
e-mail, else an SMS with the count and the page's address when their SMS consent stands; nothing
when the list is empty. Each digest is recorded per period (``delivery.models.DigestSent``) before
it goes: a retry of the task, or a second worker, never sends a family the same digest twice.
"""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope, scopes_disabled

from accounts.models import Consent
from community.models import DutyAssignment, DutySwap
from contactbook.models import ContactRecord
from delivery.models import DeliveryPreference, DigestSent
from delivery.sms import send_sms
from notices.models import Notice, Receipt
from schools.roles import compute_roles


@dataclass(frozen=True)
class WeeklyItem:
    kind: str  # notice / duty / swap / contact
    title: str
    school: str
    what: str
    deadline: datetime.datetime | None
    url: str

    @property
    def sort_key(self) -> tuple:
        return (self.deadline is None, self.deadline or datetime.datetime.max.replace(tzinfo=datetime.UTC))


def weekly_actions(user, roles, *, now: datetime.datetime | None = None) -> list[WeeklyItem]:
    """The guardian's open actions across their children and schools (four queries)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    items: list[WeeklyItem] = []
    receipts = (
        Receipt.objects.filter(guardian__user=user, notice__status=Notice.Status.PUBLISHED, acted_at__isnull=True)
        .exclude(notice__action=Notice.Action.NONE)
        .exclude(notice__action=Notice.Action.READ, read_at__isnull=False)
        .filter(Q(notice__expires_at__isnull=True) | Q(notice__expires_at__gt=now))
        .filter(Q(notice__deadline__isnull=True) | Q(notice__deadline__gt=now - datetime.timedelta(days=1)))
        .select_related("notice__school")
        .order_by("notice__deadline", "notice_id")
    )
    for r in receipts:
        notice = r.notice
        items.append(
            WeeklyItem(
                "notice",
                notice.title,
                notice.school.name,
                str(notice.get_action_display()),
                notice.deadline,
                notice.respond_path or reverse("notices:read", args=[notice.pk]),
            )
        )
    shifts = (
        DutyAssignment.objects.filter(
            family__members__guardian__user=user,
            status=DutyAssignment.Status.ASSIGNED,
            shift__date__gte=today,
            shift__date__lte=today + datetime.timedelta(days=7),
        )
        .select_related("shift__roster", "school")
        .distinct()
        .order_by("shift__date", "shift__starts_at")
    )
    tz = timezone.get_current_timezone()
    for a in shifts:
        starts = datetime.datetime.combine(a.shift.date, a.shift.starts_at, tzinfo=tz)
        items.append(
            WeeklyItem(
                "duty", a.shift.roster.title, a.school.name, _("duty shift"), starts, reverse("community:duty_mine")
            )
        )
    # A shift another family of the roster asks this family to take, still to be answered.
    swaps = (
        DutySwap.objects.filter(
            to_family__members__guardian__user=user,
            status=DutySwap.Status.PENDING,
            assignment__shift__date__gte=today,
        )
        .select_related("assignment__shift__roster", "from_family", "school")
        .distinct()
        .order_by("assignment__shift__date", "pk")
    )
    for swap in swaps:
        shift = swap.assignment.shift
        items.append(
            WeeklyItem(
                "swap",
                shift.roster.title,
                swap.school.name,
                _("%(family)s asks you to take their duty shift") % {"family": swap.from_family.label},
                datetime.datetime.combine(shift.date, shift.starts_at, tzinfo=tz),
                reverse("community:duty_mine"),
            )
        )
    if roles.child_ids:
        records = (
            ContactRecord.objects.filter(
                visibility=ContactRecord.Visibility.SHARED, student_links__student_id__in=roles.child_ids
            )
            .exclude(acknowledgements__guardian__user=user)
            .select_related("school")
            .distinct()
            .order_by("-occurred_on", "-pk")[:20]
        )
        for c in records:
            items.append(
                WeeklyItem(
                    "contact",
                    str(c.get_kind_display()),
                    c.school.name,
                    _("acknowledge the contact-book entry"),
                    None,
                    reverse("contactbook:family"),
                )
            )
    return sorted(items, key=lambda item: item.sort_key)


def _digest_text(items: list[WeeklyItem], link: str) -> str:
    lines = [_("What to do (%(n)d):") % {"n": len(items)}]
    for item in items:
        when = timezone.localtime(item.deadline).strftime("%m-%d %H:%M") if item.deadline else ""
        lines.append(f"- {item.school} · {item.title} · {item.what}" + (f" · {when}" if when else ""))
    lines.append(link)
    return "\n".join(lines)


def digest_period(frequency: str, now: datetime.datetime | None = None) -> datetime.date:
    """The period a digest run belongs to: the day (daily), or the Sunday that starts the week
    (weekly: the Sunday-evening run and a retry on the Monday after are the same week)."""
    today = timezone.localdate(now or timezone.now())
    if frequency == "daily":
        return today
    return today - datetime.timedelta(days=(today.weekday() + 1) % 7)


def _claim_digest(user_id: int, frequency: str, period: datetime.date) -> DigestSent | None:
    """The digest's record, claimed for sending: a new one, or one whose last send failed. None
    when it went out already or another worker is sending it (a run after a crash mid-send does
    not send it again: never twice, at worst once less)."""
    try:
        with transaction.atomic():
            return DigestSent.objects.create(user_id=user_id, frequency=frequency, period=period)
    except IntegrityError:
        claimed = DigestSent.objects.filter(
            user_id=user_id, frequency=frequency, period=period, status=DigestSent.Status.FAILED
        ).update(status=DigestSent.Status.SENDING, last_error="")
        if not claimed:
            return None
        return DigestSent.objects.get(user_id=user_id, frequency=frequency, period=period)


def do_send_digests(frequency: str, *, acting_user, now: datetime.datetime | None = None) -> dict:
    """Send the action list to every guardian who chose this frequency and has something to do,
    on their channel (see the module's docstring), once per period: each digest is recorded
    (``DigestSent``) before it goes and marked after, so a retry of the task sends only those not
    sent yet. Returns how many went by each channel (and how many failed, to be tried again)."""
    from accounts.models import User

    sent = {"email": 0, "sms": 0}
    failed = 0
    period = digest_period(frequency, now)
    link = f"{settings.SITE_URL}{reverse('home:week')}"
    with scopes_disabled():  # reviewed: each guardian's list is then read inside their own schools
        wants = DeliveryPreference.objects.filter(digest=frequency).values_list("user_id", flat=True)
        users = User.objects.filter(guardianships__isnull=False, is_active=True).distinct()
        if frequency == "weekly":
            # Weekly is the default: a guardian without a preference row gets it too.
            users = users.filter(Q(pk__in=wants) | Q(delivery_preference__isnull=True))
        else:
            users = users.filter(pk__in=wants)
        # Those whose digest of this period went out (or is going out) already: not even listed.
        users = users.exclude(
            pk__in=DigestSent.objects.filter(frequency=frequency, period=period)
            .exclude(status=DigestSent.Status.FAILED)
            .values("user_id")
        )
        consented = set(
            Consent.objects.filter(kind="sms", withdrawn_at__isnull=True, user__in=users).values_list(
                "user_id", flat=True
            )
        )
        recipients = list(users.select_related("delivery_preference").order_by("pk"))
    for user in recipients:
        roles = compute_roles(user)
        if not roles.school_ids:
            continue
        with scope(school=roles.school_ids), translation.override("zh-hans"):
            items = weekly_actions(user, roles)
            if not items:
                continue
            pref = getattr(user, "delivery_preference", None)
            if pref is not None and pref.email_enabled and pref.email:
                channel, address = "email", pref.email
            elif user.pk in consented and user.phone:
                channel, address = "sms", user.phone
            else:
                continue
            record = _claim_digest(user.pk, frequency, period)
            if record is None:
                continue
            try:
                if channel == "email":
                    send_mail(_("[Tongxin] What to do this week"), _digest_text(items, link), None, [address])
                else:
                    send_sms(
                        address,
                        _("[Tongxin] You have %(n)d things to do: %(url)s") % {"n": len(items), "url": link},
                    )
            except Exception as exc:  # the next run of the period tries this one again
                failed += 1
                DigestSent.objects.filter(pk=record.pk).update(
                    status=DigestSent.Status.FAILED, channel=channel, last_error=str(exc)[:255]
                )
                continue
            DigestSent.objects.filter(pk=record.pk).update(
                status=DigestSent.Status.SENT, channel=channel, items=len(items), sent_at=timezone.now()
            )
            sent[channel] += 1
    if failed:
        return {**sent, "failed": failed}
    return sent
