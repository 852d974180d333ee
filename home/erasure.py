"""Erasing a family on a verified request (PIPL): the school's admin removes the guardian's personal
data, and the school's legal records stay without the name. It lives in home because it writes
across apps (schools, accounts, chat, contactbook), as the family's download (``home.privacy``)
reads across them.

Kept: the guardian row itself (pseudonymised, so a child's records still say a guardian existed),
its links to children, receipts and answers (the school's record that a notice was read or a form
answered), contact-book records and acknowledgements, the audit log. Removed: the guardian's name and
phone, their chat messages' text, what they wrote to the parent committee and asked about the
class fund (the answers stay), their name in contact records' participant lists, their standing
consents; and, when the account belongs to nothing else (no guardian row in another school, no staff
role anywhere), the account's name, phone and username, its password, sessions and API tokens.
One ``family_erased`` audit row counts what changed, without a name.
"""

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.actions import end_all_sessions
from accounts.models import Consent
from audit.actions import record
from audit.models import AuditEntry
from chat.models import Message
from community.models import CommitteeMessage, EntryQuestion
from contactbook.models import ContactRecord, ContactRevision
from delivery.models import PushSubscription
from schools.models import Guardian, StaffMember, StudentGuardian

ERASED_NAME = "已删除家长 #{id}"
ERASED_BODY = "（已删除）"


def erased_phone(guardian_id: int) -> str:
    """Not a phone number (it has a letter), unique per guardian, fits the 11-character field."""
    return f"x{guardian_id}"[:11]


@transaction.atomic
def do_erase_family(guardian: Guardian, *, acting_user, request=None) -> dict[str, int]:
    """Pseudonymise ``guardian`` (a row of the acting admin's school, chosen by an access function)
    and return the counts written to the audit row."""
    old_name = guardian.name
    user = guardian.user
    counts = {"guardian": 1, "children_kept": StudentGuardian.objects.filter(guardian=guardian).count()}
    child_ids = list(StudentGuardian.objects.filter(guardian=guardian).values_list("student_id", flat=True))
    Guardian.objects.filter(pk=guardian.pk).update(
        name=ERASED_NAME.format(id=guardian.pk), phone=erased_phone(guardian.pk), user=None, activated_at=None
    )
    # Contact records stay; the guardian's name written into who took part does not.
    participants = 0
    if old_name:
        for rec in ContactRecord.objects.filter(
            school=guardian.school, student_links__student_id__in=child_ids, participants__contains=old_name
        ).distinct():
            rec.participants = rec.participants.replace(old_name, "").strip(" ,，、")
            rec.save(update_fields=["participants"])
            participants += 1
        # Nor in the versions kept of records edited since (contactbook.ContactRevision).
        for rev in ContactRevision.objects.filter(
            school=guardian.school, record__student_links__student_id__in=child_ids
        ).distinct():
            if old_name in (rev.fields.get("participants") or ""):
                rev.fields["participants"] = rev.fields["participants"].replace(old_name, "").strip(" ,，、")
                rev.save(update_fields=["fields"])
    counts["contact_records_unnamed"] = participants
    counts["chat_messages"] = 0
    counts["consents_withdrawn"] = 0
    counts["account"] = 0
    if user is not None:
        counts["chat_messages"] = (
            Message.objects.filter(school=guardian.school, sender=user)
            .exclude(body=ERASED_BODY)
            .update(body=ERASED_BODY, file="", file_name="", file_mime="", file_size=0)
        )
        # The family's phones subscribed to this school's notifications (an address of a device).
        # What the family wrote to its committee and asked about the class fund: the answers stay
        # (the committee's and the treasurer's record), the family's words do not.
        counts["committee_messages"] = (
            CommitteeMessage.objects.filter(school=guardian.school, sender=user)
            .exclude(text=ERASED_BODY)
            .update(text=ERASED_BODY)
        )
        counts["fund_questions"] = (
            EntryQuestion.objects.filter(school=guardian.school, asked_by=user)
            .exclude(text=ERASED_BODY)
            .update(text=ERASED_BODY)
        )
        counts["push_devices"] = PushSubscription.objects.filter(school=guardian.school, user=user).delete()[0]
        with scopes_disabled():  # reviewed: everything this one account is tied to, to decide the reach
            belongs_elsewhere = (
                Guardian.objects.filter(user=user).exclude(pk=guardian.pk).exists()
                or StaffMember.objects.filter(user=user).exists()
            )
        if not belongs_elsewhere:
            counts["consents_withdrawn"] = Consent.objects.filter(user=user, withdrawn_at__isnull=True).update(
                withdrawn_at=timezone.now()
            )
            end_all_sessions(user)
            user.is_active = False
            user.name = ERASED_NAME.format(id=guardian.pk)
            user.phone = None
            user.username = f"erased-{user.pk}"
            user.save(update_fields=["is_active", "name", "phone", "username"])
            counts["account"] = 1
    record(
        AuditEntry.Action.FAMILY_ERASED,
        actor=acting_user,
        school=guardian.school,
        target=guardian,
        summary=" ".join(f"{k}={v}" for k, v in counts.items()),
        request=request,
    )
    return counts
