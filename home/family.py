"""Removing a guardian from a child (custody changed, a number that was never the family's): the
link between them goes, and the notices the child's family was sent stop reaching that guardian
(the escalation ladder's SMS and call, ``notices.ladder``). It lives in home because it writes across
apps (schools' link, notices' receipts), as ``home.erasure`` does; no other write removes a link."""

from django.db import transaction
from django.utils import timezone

from audit.actions import record
from audit.models import AuditEntry
from core.phones import mask_phone
from notices.actions import close_receipts_of_former_guardian
from schools.models import Guardian, Student, StudentGuardian


@transaction.atomic
def do_unlink_guardian(student: Student, guardian: Guardian, *, acting_user, request=None) -> int:
    """Remove ``guardian`` from ``student`` (both of the acting staff member's school, chosen by an
    access function) and close the guardian's receipts of notices the family was sent that no other
    child of theirs still ties them to (``close_receipts_of_former_guardian``). Returns the receipts
    closed; nothing happens if they were not linked."""
    if not StudentGuardian.objects.filter(student=student, guardian=guardian).delete()[0]:
        return 0
    closed = close_receipts_of_former_guardian(guardian.pk, student.pk, timezone.now())
    record(
        AuditEntry.Action.GUARDIAN_CHANGED,
        actor=acting_user,
        school=student.school,
        target=student,
        summary=f"removed {guardian.name} {mask_phone(guardian.phone)}",
        request=request,
    )
    return closed
