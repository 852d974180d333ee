"""Every write of the parent newspaper (家长报): start an issue, add, move and remove its sections
(a published article, a photo, a short item), and send it to the whole school as a notice (the
notice links to the issue's page, where the printable PDF is)."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.uploads import AcceptedUpload, UploadRefused, accept_upload
from notices.actions import do_create_notice
from notices.audience import TargetSpec
from notices.models import NoticeTarget
from schools.roles import Roles

from .models import Article, Issue, Section, Space

MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_ITEM = 2000


def accept_photo(upload) -> AcceptedUpload:
    try:
        return accept_upload(upload, max_bytes=MAX_PHOTO_BYTES, allowed_kinds=("image",))
    except UploadRefused as exc:
        raise ValidationError(str(exc)) from None


def next_number(school) -> int:
    return (Issue.objects.filter(school=school).aggregate(n=Max("number"))["n"] or 0) + 1


def do_create_issue(school, *, acting_user, number, date, title: str = "") -> Issue:
    try:
        number = int(number)
    except (TypeError, ValueError):
        raise ValidationError(_("Give the issue a number.")) from None
    if number < 1:
        raise ValidationError(_("Give the issue a number."))
    if date is None:
        raise ValidationError(_("Give the issue a date."))
    if Issue.objects.filter(school=school, number=number).exists():
        raise ValidationError(_("Issue %(n)d already exists.") % {"n": number})
    try:
        with transaction.atomic():
            issue = Issue.objects.create(
                school=school, number=number, date=date, title=(title or "").strip()[:60], created_by=acting_user
            )
            record(AuditEntry.Action.ISSUE_SAVED, actor=acting_user, school=school, target=issue, summary=str(issue))
    except IntegrityError:
        raise ValidationError(_("Issue %(n)d already exists.") % {"n": number}) from None
    return issue


def _editable(issue: Issue) -> None:
    if issue.status != Issue.Status.DRAFT:
        raise ValidationError(_("This issue has been sent and can no longer change."))


def do_add_section(
    issue: Issue,
    *,
    acting_user,
    kind: str,
    heading: str = "",
    article: Article | None = None,
    text: str = "",
    photo: AcceptedUpload | None = None,
) -> Section:
    _editable(issue)
    heading, text = (heading or "").strip()[:120], (text or "").strip()
    if kind == Section.Kind.ARTICLE:
        if article is None or article.school_id != issue.school_id:
            raise ValidationError(_("Choose a published article."))
        if article.status != Article.Status.PUBLISHED or article.space != Space.COLUMN:
            raise ValidationError(_("Only published column articles go in the newspaper."))
        heading = heading or article.title
    elif kind == Section.Kind.PHOTO:
        if photo is None:
            raise ValidationError(_("Choose a photo."))
    elif kind == Section.Kind.ITEM:
        if not text:
            raise ValidationError(_("Write the short item first."))
        if len(text) > MAX_ITEM:
            raise ValidationError(_("Keep a short item under %(n)d characters.") % {"n": MAX_ITEM})
    else:
        raise ValidationError(_("Choose what to add."))
    position = (issue.sections.aggregate(p=Max("position"))["p"] or 0) + 1
    with transaction.atomic():
        section = Section(
            school_id=issue.school_id,
            issue=issue,
            position=position,
            kind=kind,
            heading=heading,
            article=article if kind == Section.Kind.ARTICLE else None,
            text=text if kind != Section.Kind.ARTICLE else "",
        )
        if photo is not None and kind == Section.Kind.PHOTO:
            photo.store(section.photo)
        section.save()
        record(
            AuditEntry.Action.ISSUE_SAVED,
            actor=acting_user,
            school=issue.school,
            target=issue,
            summary=str(issue),
            detail={"added": kind},
        )
    return section


def do_remove_section(section: Section, *, acting_user) -> None:
    _editable(section.issue)
    with transaction.atomic():
        issue = section.issue
        section.delete()
        record(
            AuditEntry.Action.ISSUE_SAVED,
            actor=acting_user,
            school=issue.school,
            target=issue,
            summary=str(issue),
            detail={"removed": True},
        )


def do_move_section(section: Section, *, acting_user, up: bool) -> None:
    _editable(section.issue)
    siblings = list(Section.objects.filter(issue_id=section.issue_id).order_by("position", "id"))
    index = next(i for i, s in enumerate(siblings) if s.pk == section.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(siblings):
        return
    siblings[index], siblings[other] = siblings[other], siblings[index]
    with transaction.atomic():
        for position, item in enumerate(siblings, start=1):
            item.position = position
        Section.objects.bulk_update(siblings, ["position"])


def do_send_issue(issue: Issue, *, acting_user, roles: Roles, request=None) -> Issue:
    """Send the issue to the whole school's families as a notice that links to it. A second send
    changes nothing (the issue is sent once)."""
    if issue.status == Issue.Status.SENT:
        return issue
    if not issue.sections.exists():
        raise ValidationError(_("Add something to the issue before sending it."))
    headings = list(issue.sections.exclude(heading="").values_list("heading", flat=True)[:8])
    path = reverse("publishing:issue", kwargs={"issue_id": issue.pk})
    title = _("Parent newspaper, issue %(n)d") % {"n": issue.number}
    items = "".join(f"<li>{escape(h)}</li>" for h in headings)
    body = (
        f"<p>{escape(issue.title or title)}</p>"
        + (f"<ul>{items}</ul>" if items else "")
        + f'<p><a href="{path}">{escape(_("Read this issue"))}</a></p>'
    )
    with transaction.atomic():
        notice = do_create_notice(
            issue.school,
            acting_user=acting_user,
            roles=roles,
            title=title,
            body_html=body,
            targets=[TargetSpec(kind=NoticeTarget.Kind.SCHOOL)],
            idempotency_key=f"newspaper-{issue.pk}",
            request=request,
        )
        issue.status = Issue.Status.SENT
        issue.sent_at = timezone.now()
        issue.notice = notice
        issue.save(update_fields=["status", "sent_at", "notice"])
        record(AuditEntry.Action.ISSUE_SENT, actor=acting_user, school=issue.school, target=issue, summary=title)
    return issue
