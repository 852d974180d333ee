"""District-wide notices (教育局 / 集团校): composed once by a district admin, sent to every school of
the district.

Each school gets its own ``Notice``, owned by the school and made by the one compose action every
notice goes through (``notices.actions.do_create_notice``: the audience check, the guardrails, the
text limits, publishing), marked as from the district (``Notice.district_notice``). So the family's
feed, the receipts, the signed links, the school's results page and its reminders all work as for
any notice, and each school's copy is fanned out by its own task: one bulk ``INSERT … SELECT`` per
school (``notices.fanout``). The district's pages only add up its schools' receipts: counts, never a
name.

The district admin is no one in the schools; the audience check is asked as the district, which
may address every family (the whole school) and all staff of each of its schools, and nothing else.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django_scopes import scope

from audit.actions import record
from audit.models import AuditEntry
from schools.district import district_schools, district_scope
from schools.models import District
from schools.roles import Roles

from .actions import do_create_notice, do_remind_notice
from .audience import TargetSpec
from .models import DistrictNotice, Notice, NoticeTarget, Receipt

# A district sends information and asks for confirmations; a survey, an answer with options or an
# invitation is each school's own.
DISTRICT_ACTIONS = (Notice.Action.NONE, Notice.Action.READ, Notice.Action.CONFIRM)


def _as_the_district(school_id: int, user) -> Roles:
    """What a district may address in one of its schools, for ``resolve_audience``: the whole school
    and all staff (an admin's reach in that school). Only for composing; it is never a request's roles."""
    return Roles(user_id=user.pk, admin_school_ids={school_id})


def _targets(audience: str) -> list[TargetSpec]:
    if audience == DistrictNotice.Audience.FAMILIES:
        return [TargetSpec(NoticeTarget.Kind.SCHOOL)]
    if audience == DistrictNotice.Audience.STAFF:
        return [TargetSpec(NoticeTarget.Kind.STAFF)]
    if audience == DistrictNotice.Audience.BOTH:
        return [TargetSpec(NoticeTarget.Kind.SCHOOL), TargetSpec(NoticeTarget.Kind.STAFF)]
    raise ValidationError(_("Choose who the notice is for."))


def do_send_district_notice(
    district: District,
    *,
    acting_user,
    title: str,
    body_html: str,
    action: str = Notice.Action.READ,
    audience: str = DistrictNotice.Audience.FAMILIES,
    deadline=None,
    guardrail_reason: str = "",
    idempotency_key: str = "",
    request=None,
) -> DistrictNotice:
    """Compose once, publish in every school of the district, in one transaction: either every school
    gets its copy or none does (a guardrail warning or a bad deadline in one school stops all). Each
    copy's fan-out is queued after the commit. A double tap with the same idempotency key returns the
    first district notice."""
    if idempotency_key:
        existing = DistrictNotice.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if existing is not None:
            return existing
    if action not in DISTRICT_ACTIONS:
        raise ValidationError(_("Choose what families must do."))
    targets = _targets(audience)
    schools = district_schools(district)
    if not schools:
        raise ValidationError(_("The district has no schools yet."))
    try:
        with transaction.atomic():
            sent = DistrictNotice.objects.create(
                district=district,
                author=acting_user,
                title=title.strip()[:120],
                action=action,
                audience=audience,
                idempotency_key=idempotency_key[:64],
            )
            for school in schools:
                with scope(school=[school.pk]):
                    copy = do_create_notice(
                        school,
                        acting_user=acting_user,
                        roles=_as_the_district(school.pk, acting_user),
                        title=title,
                        body_html=body_html,
                        action=action,
                        deadline=deadline,
                        targets=targets,
                        guardrail_reason=guardrail_reason,
                        district_notice=sent,
                        request=request,
                    )
            DistrictNotice.objects.filter(pk=sent.pk).update(body_html=copy.body_html)
            sent.body_html = copy.body_html
            record(
                AuditEntry.Action.DISTRICT_NOTICE_SENT,
                actor=acting_user,
                schools=schools,
                target=sent,
                summary=f"{district.name}: {sent.title}"[:255],
                request=request,
            )
    except IntegrityError:
        # Two taps at the same instant: the other one sent it; answer with that one.
        existing = DistrictNotice.objects.filter(author=acting_user, idempotency_key=idempotency_key[:64]).first()
        if not idempotency_key or existing is None:
            raise
        return existing
    return sent


def do_remind_district_notice(sent: DistrictNotice, *, acting_user) -> int:
    """Remind, in every school, those who have not done what the notice asks: each school's copy
    through the school's own reminder (``do_remind_notice``: at most one round every 3 hours, logged
    in the school). A copy that cannot be reminded (recalled by its school, past its deadline,
    reminded lately) is skipped; when none could be, the first reason is the answer. Returns how
    many were reminded."""
    with district_scope(s.pk for s in district_schools(sent.district)):
        copies = list(Notice.objects.filter(district_notice=sent).select_related("school").order_by("school_id"))
    total, refusals = 0, []
    for notice in copies:
        with scope(school=[notice.school_id]):
            try:
                total += do_remind_notice(notice, acting_user=acting_user)
            except ValidationError as exc:
                refusals.append(exc)
    if refusals and len(refusals) == len(copies):
        raise refusals[0]
    return total


# --- reads: counts only ---------------------------------------------------------------------------


def _receipt_counts(path: str = "") -> dict:
    """Recipients, families among them, read, done: counts of the receipts ``path`` leads to ("" for
    a queryset of receipts, ``"notices__receipts__"`` from a district notice across its copies)."""

    def count(condition: str | None = None) -> Count:
        where = Q(**{f"{path}{condition}__isnull": False}) if condition else None
        return Count(f"{path}pk", filter=where, distinct=bool(path))

    return {"total": count(), "families": count("guardian"), "read": count("read_at"), "acted": count("acted_at")}


def district_notices(district: District, *, limit: int = 100) -> list[DistrictNotice]:
    """The district's notices, newest first, each with its schools' receipts added up (``total``,
    ``families``, ``read``, ``acted``) and how many schools got it: one query, whatever the number
    of schools or families."""
    return list(
        DistrictNotice.objects.filter(district=district)
        .annotate(schools=Count("notices", distinct=True), **_receipt_counts("notices__receipts__"))
        .select_related("author")
        .order_by("-created_at", "-pk")[:limit]
    )


def district_notice_by_school(sent: DistrictNotice, schools) -> tuple[list[dict], dict]:
    """One district notice's figures per school and in total: recipients, read, done (confirmed),
    and the school's copy's status (a school may have recalled it). Two queries, whatever the number
    of schools. ``schools``: the district's (``schools.district.district_schools``)."""
    by_id = {s.pk: s for s in schools}
    with district_scope(by_id):
        copies = {
            n["school_id"]: n
            for n in Notice.objects.filter(district_notice=sent).values("school_id", "pk", "status", "recalled_at")
        }
        counts = {
            row["school_id"]: row
            for row in Receipt.objects.filter(notice__district_notice=sent)
            .values("school_id")
            .annotate(**_receipt_counts())
            .order_by()
        }
    rows = []
    for school_id, school in by_id.items():
        copy = copies.get(school_id)
        c: dict = dict(counts.get(school_id) or {})
        rows.append(
            {
                "school": school,
                "sent": copy is not None,
                "recalled": copy is not None and copy["status"] == Notice.Status.RECALLED,
                "total": c.get("total", 0),
                "families": c.get("families", 0),
                "read": c.get("read", 0),
                "acted": c.get("acted", 0),
            }
        )
    totals = {key: sum(r[key] for r in rows) for key in ("total", "families", "read", "acted")}
    totals["schools"] = sum(1 for r in rows if r["sent"])
    return rows, totals
