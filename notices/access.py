"""Who sees which notice. Staff manage the notices they wrote, and school admins every notice of
their school; a family or staff member sees a notice only through their own receipt."""

from django.db.models import Q, QuerySet
from django.http import Http404

from schools.access import access_district
from schools.roles import Roles

from .models import CallTask, DistrictNotice, Notice, NoticeAttachment, Receipt


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def access_notice_to_manage(request, notice_id: int) -> Notice:
    roles = _roles(request)
    notice = Notice.objects.filter(pk=notice_id).select_related("school", "author").first()
    if notice is None:
        raise Http404
    if notice.author_id == request.user.pk and roles.is_staff_of(notice.school_id):
        return notice
    if roles.is_admin_of(notice.school_id):
        return notice
    raise Http404


def access_notice_to_read(request, notice_id: int) -> tuple[Notice, Receipt]:
    """A published notice the user received (as a guardian or as staff), with their receipt."""
    notice = (
        Notice.objects.filter(pk=notice_id, status=Notice.Status.PUBLISHED)
        .select_related("school", "author", "district_notice__district")
        .first()
    )
    if notice is None or not notice.is_live:  # expired notices are gone for families too
        raise Http404
    receipt = (
        Receipt.objects.filter(notice=notice)
        .filter(Q(guardian__user=request.user) | Q(guardian__isnull=True, user=request.user))
        .first()
    )
    if receipt is None:
        raise Http404
    return notice, receipt


def access_attachment_to_download(request, notice_id: int, attachment_id: int) -> NoticeAttachment:
    """A file of a notice, re-authorised on every download: for the notice's manager, or a
    recipient who received it (a published, live notice with their receipt)."""
    try:
        notice = access_notice_to_manage(request, notice_id)
    except Http404:
        notice, _receipt = access_notice_to_read(request, notice_id)
    item = NoticeAttachment.objects.filter(notice=notice, pk=attachment_id).first()
    if item is None:
        raise Http404
    return item


def access_receipt_by_link(token: str) -> Receipt:
    """The receipt a signed link names: valid signature, right purpose, not expired (14 days),
    notice still published. Anything else is a 404: a forged or stale link says nothing."""
    from django.core import signing
    from django_scopes import scopes_disabled

    from delivery.channels import LINK_SALT

    try:
        payload = signing.loads(token, salt=LINK_SALT, max_age=14 * 24 * 3600)
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(payload, dict) or payload.get("p") != "respond" or not isinstance(payload.get("r"), int):
        raise Http404
    with scopes_disabled():  # reviewed: the signed link names exactly one receipt
        receipt = (
            Receipt.objects.filter(pk=payload["r"], notice__status=Notice.Status.PUBLISHED)
            .select_related("notice__school", "guardian")
            .first()
        )
    if receipt is None or not receipt.notice.is_live:
        raise Http404
    return receipt


def receipts_of_link(receipt: Receipt) -> QuerySet[Receipt]:
    """What a signed link acts on: exactly the one receipt it names (a queryset, so that reading
    and answering stay one UPDATE each, like a signed-in family's own receipts)."""
    return Receipt.objects.filter(pk=receipt.pk)


def access_district_notice(request, district_id: int, notice_id: int):
    """A notice of a district the user administers, with the district: ``(district, district_notice)``,
    or a 404 (another district's notice, or not a district admin)."""
    district = access_district(request, district_id)
    sent = DistrictNotice.objects.filter(district=district, pk=notice_id).select_related("author").first()
    if sent is None:
        raise Http404
    return district, sent


def access_call_task(request, task_id: int) -> CallTask:
    """A call task of the ladder: for the staff of the child's class and the school's admins."""
    roles = _roles(request)
    task = CallTask.objects.filter(pk=task_id).select_related("notice", "student", "school_class", "school").first()
    if task is None:
        raise Http404
    if roles.is_admin_of(task.school_id) or task.school_class_id in roles.taught_class_ids:
        return task
    raise Http404
