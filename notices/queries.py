"""Reads for the notice pages: each a fixed number of queries, whatever the number of notices or
recipients (pinned in the tests at two sizes)."""

import datetime
from collections.abc import Sequence

from django.db.models import BooleanField, Case, Count, Exists, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from schools.models import Guardian, Student, StudentGuardian

from .models import Notice, Receipt, StudentReceipt


def waits_for_action(now: datetime.datetime, *, acted_at: str = "acted_at", notice: str = "notice__") -> Q:
    """THE definition of what a notice still wants from a family: its receipt has not done what the
    notice asks (confirmed, answered; for a survey, a collection form or an invitation, answered in
    its own app: ``do_record_response``, never by being read) and the deadline has not passed.

    The same rule over a receipt (``acted_at``, its ``notice__`` fields) or over a notice annotated
    with the family's receipt (``waits_for_action(now, acted_at="my_acted_at", notice="")``): the
    feed, the home page's list and the top bar's badge all use it."""
    return (
        Q(**{f"{acted_at}__isnull": True})
        & ~Q(**{f"{notice}action": Notice.Action.NONE})
        & (Q(**{f"{notice}deadline__isnull": True}) | Q(**{f"{notice}deadline__gt": now}))
    )


def parent_feed(user, *, child_id: int | None = None, limit: int = 50, children: Sequence[Student] = ()):
    """A family's notices across all their children: what needs action first, then the rest,
    newest first. Each notice carries ``my_read_at``, ``my_acted_at``, ``my_answer`` and ``to_do``
    (``waits_for_action``); given the family's ``children`` (``schools.queries.children_of``), also
    ``about``: those of them the notice is about, in the same query (one EXISTS per child)."""
    now = timezone.now()
    # As a guardian (any guardian row of this user) or, for staff audiences, as a staff member. The
    # guardian ids are read first: an OR across a join would make PostgreSQL scan every receipt of
    # a school-wide notice.
    guardian_ids = list(Guardian.objects.filter(user=user).values_list("pk", flat=True))
    mine = Receipt.objects.filter(
        Q(guardian_id__in=guardian_ids) | Q(guardian__isnull=True, user=user), notice=OuterRef("pk")
    )
    notices = Notice.objects.filter(Exists(mine), status=Notice.Status.PUBLISHED).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    if child_id is not None:
        notices = notices.filter(Exists(StudentReceipt.objects.filter(notice=OuterRef("pk"), student_id=child_id)))
    about = {
        f"about_{child.pk}": Exists(StudentReceipt.objects.filter(notice=OuterRef("pk"), student_id=child.pk))
        for child in children
    }
    notices = notices.annotate(
        my_read_at=Subquery(mine.values("read_at")[:1]),
        my_acted_at=Subquery(mine.values("acted_at")[:1]),
        my_answer=Subquery(mine.values("answer")[:1]),
        my_seen_version=Subquery(mine.values("seen_version")[:1]),
        **about,
    ).annotate(
        to_do=Case(
            When(waits_for_action(now, acted_at="my_acted_at", notice=""), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        )
    )
    return notices.select_related("school", "author").order_by("-to_do", "-pinned", "-published_at", "-pk")[:limit]


def family_feed(user, *, children: Sequence[Student], child_id: int | None = None, limit: int = 50) -> list[Notice]:
    """``parent_feed`` for a page: each notice with ``about``, the children of the family it is
    about (for "刘小明 · 三年级1班"), from the same query."""
    page = list(parent_feed(user, child_id=child_id, limit=limit, children=children))
    for n in page:
        n.about = [child for child in children if getattr(n, f"about_{child.pk}")]  # type: ignore[attr-defined]
    return page


def wanting_count(user) -> int:
    """The top bar's badge: the user's live notices that still want something of them, unread or
    waiting for what they ask (``waits_for_action``). A survey opened but not answered still counts."""
    now = timezone.now()
    return Receipt.objects.filter(
        Q(guardian__user=user) | Q(guardian__isnull=True, user=user),
        Q(read_at__isnull=True) | waits_for_action(now),
        Q(notice__expires_at__isnull=True) | Q(notice__expires_at__gt=now),
        notice__status=Notice.Status.PUBLISHED,
    ).count()


def staff_notices(request, school):
    """The notices a teacher wrote (an admin: every notice of the school) with their counts."""
    notices = Notice.objects.filter(school=school)
    if not request.roles.is_admin_of(school.pk):
        notices = notices.filter(author=request.user)
    return (
        notices.annotate(
            total=Count("receipts", distinct=True),
            read=Count("receipts", filter=Q(receipts__read_at__isnull=False), distinct=True),
            acted=Count("receipts", filter=Q(receipts__acted_at__isnull=False), distinct=True),
        )
        .select_related("author")
        .order_by("-pinned", "-created_at")[:100]
    )


def percent(n: int, d: int) -> int:
    """A share as the results pages show it: a whole percentage, 0 of nothing."""
    return round(100 * n / d) if d else 0


def _count(qs) -> Coalesce:
    """A correlated COUNT(*) of ``qs`` (rows of one notice) as a subquery."""
    counted = qs.order_by().values("notice_id").annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def recent_sent(user, roles, school, *, days: int = 14, limit: int = 5) -> list[Notice]:
    """The staff home's "recent notices": the last ``limit`` notices the user published in the
    school in the last ``days`` days (a school admin: anyone's), newest first, each counted as the
    results page counts it (``notice_results``), in one query whatever the audience:

    - ``total``, ``read``, ``acted``: receipts, read ones, acted ones (for a survey, a collection
      form or an invitation, acted means answered: ``do_record_response``);
    - ``students``, ``students_done``: the per-student rollup;
    - ``read_pct``; ``done``, ``done_of``, ``done_pct``: students done of students when the notice
      went to families, acted receipts of receipts for a staff audience; ``asks_answer``: whether
      the notice asks more than to be read (only then is a done rate shown)."""
    since = timezone.now() - datetime.timedelta(days=days)
    notices = Notice.objects.filter(school=school, status=Notice.Status.PUBLISHED, published_at__gte=since)
    if not roles.is_admin_of(school.pk):
        notices = notices.filter(author=user)
    receipts = Receipt.objects.filter(notice=OuterRef("pk"))
    students = StudentReceipt.objects.filter(notice=OuterRef("pk"))
    page: list[Notice] = list(
        notices.annotate(
            total=_count(receipts),
            read=_count(receipts.filter(read_at__isnull=False)),
            acted=_count(receipts.filter(acted_at__isnull=False)),
            students=_count(students),
            students_done=_count(students.filter(done_at__isnull=False)),
        )
        .select_related("author", "district_notice__district")  # sender_name: the district, for its notices
        .order_by("-published_at", "-pk")[:limit]
    )
    for n in page:
        counts = vars(n)  # the annotations above
        n.read_pct = percent(counts["read"], counts["total"])  # type: ignore[attr-defined]
        done, of = (
            (counts["students_done"], counts["students"]) if counts["students"] else (counts["acted"], counts["total"])
        )
        n.done, n.done_of, n.done_pct = done, of, percent(done, of)  # type: ignore[attr-defined]
        n.asks_answer = n.action not in (Notice.Action.NONE, Notice.Action.READ)  # type: ignore[attr-defined]
    return page


def notice_results(notice: Notice) -> dict:
    """Per student and per guardian: delivered, read, acted; totals, percentages, the tally of
    answers. Four queries, whatever the audience."""
    receipts = list(Receipt.objects.filter(notice=notice).select_related("guardian", "user").order_by("pk"))
    by_guardian = {r.guardian_id: r for r in receipts if r.guardian_id}
    from delivery.models import Delivery
    from delivery.sms_providers import failure_text

    channels: dict[int, list[tuple[str, str, int]]] = {}
    # What went wrong, in plain words for the sender (a refused number, a provider that waits …).
    problems: dict[int, list[str]] = {}
    for receipt_id, channel, status, round_, attempts, error_kind in (
        Delivery.objects.filter(receipt__notice=notice)
        .values_list("receipt_id", "channel", "status", "round", "attempts", "error_kind")
        .order_by("round", "pk")
    ):
        # A sending that failed and waits for its next try (the mail server or the SMS provider
        # down, slow or refusing) is told apart from one not tried yet: the sender sees it.
        if status == Delivery.Status.PENDING and attempts:
            status = "retrying"
        channels.setdefault(receipt_id, []).append((channel, status, round_))
        if error_kind:
            text = failure_text(error_kind, given_up=status == Delivery.Status.FAILED)
            if text not in problems.get(receipt_id, []):
                problems.setdefault(receipt_id, []).append(text)
    for r in receipts:
        r.channels = channels.get(r.pk, [])  # type: ignore[attr-defined]
        r.delivery_problems = problems.get(r.pk, [])  # type: ignore[attr-defined]
    students = list(
        StudentReceipt.objects.filter(notice=notice)
        .select_related("student__school_class")
        .order_by("student__school_class__grade", "student__school_class__number", "student__name")
    )
    links = StudentGuardian.objects.filter(student_id__in=[s.student_id for s in students]).values_list(
        "student_id", "guardian_id", "relationship"
    )
    guardians_of: dict[int, list] = {}
    for student_id, guardian_id, relationship in links:
        receipt = by_guardian.get(guardian_id)
        if receipt is not None:
            guardians_of.setdefault(student_id, []).append((receipt, relationship))
    rows: list[dict] = []
    for s in students:
        guardians = guardians_of.get(s.student_id, [])
        # What matters first: no guardian has read it, then read but not done, then done.
        state = "done" if s.done_at else "read" if any(r.read_at for r, _rel in guardians) else "unread"
        rows.append({"student": s.student, "done_at": s.done_at, "guardians": guardians, "state": state})
    order = {"unread": 0, "read": 1, "done": 2}
    rows.sort(key=lambda row: order[row["state"]])  # stable: by class and name within a state
    staff_rows = [r for r in receipts if r.guardian_id is None]
    total = len(receipts)
    read = sum(1 for r in receipts if r.read_at)
    acted = sum(1 for r in receipts if r.acted_at)
    tally = dict.fromkeys(notice.options, 0)
    for r in receipts:
        if r.answer in tally:
            tally[r.answer] += 1
    students_done = sum(1 for s in students if s.done_at)
    pct = percent
    return {
        "rows": rows,
        "staff_rows": staff_rows,
        "total": total,
        "read": read,
        "acted": acted,
        "read_pct": pct(read, total),
        "acted_pct": pct(acted, total),
        "students": len(students),
        "students_done": students_done,
        "students_done_pct": pct(students_done, len(students)),
        "students_unread": sum(1 for row in rows if row["state"] == "unread"),
        "students_pending": len(students) - students_done,
        "tally": [(option, count, pct(count, acted)) for option, count in tally.items()],
        "comments": [(r.guardian.name if r.guardian else "", r.answer, r.comment) for r in receipts if r.comment],
    }


# --- The escalation ladder: call tasks and reachability (notices.ladder) ---------------------------


def open_call_tasks(roles, school):
    """The head teacher's open call tasks in the school: not recorded, the family still not done
    (a guardian who acts meanwhile takes the task off the list)."""
    from .models import CallTask

    not_done = StudentReceipt.objects.filter(
        notice_id=OuterRef("notice_id"), student_id=OuterRef("student_id"), done_at__isnull=True
    )
    return CallTask.objects.filter(school=school, outcome="", school_class_id__in=roles.head_class_ids).filter(
        Exists(not_done)
    )


def call_tasks_to_show(roles, school):
    """``open_call_tasks`` as the to-do list shows them: urgent and oldest first, with the numbers."""
    from django.db.models import Prefetch

    return (
        open_call_tasks(roles, school)
        .select_related("notice", "student", "school_class")
        .prefetch_related(
            Prefetch("student__guardian_links", queryset=StudentGuardian.objects.select_related("guardian"))
        )
        .order_by("-urgent", "created_at", "pk")
    )


STALE = datetime.timedelta(days=30)


def class_reachability(school_class, *, now: datetime.datetime | None = None) -> list[dict]:
    """Per family (student) of the class: each guardian's channels (app, SMS, email) with when each
    last worked and whether it is failing, the last call's outcome, and what to fix. Five queries
    whatever the size of the class. Families that are hard to reach come first."""
    from django.db.models import Max, Prefetch
    from django.utils.translation import gettext as _

    from accounts.models import Consent
    from delivery.models import Delivery

    from .models import CallTask

    now = now or timezone.now()
    students = list(
        Student.objects.filter(school_class=school_class, status=Student.Status.ACTIVE)
        .order_by("name", "pk")
        .prefetch_related(
            Prefetch("guardian_links", queryset=StudentGuardian.objects.select_related("guardian__user").order_by("pk"))
        )
    )
    guardian_ids = {link.guardian_id for s in students for link in s.guardian_links.all()}
    sent, failed = Delivery.Status.SENT, Delivery.Status.FAILED
    channels = {
        row["receipt__guardian_id"]: row
        for row in Delivery.objects.filter(receipt__guardian_id__in=guardian_ids)
        .values("receipt__guardian_id")
        .annotate(
            sms_ok=Max("sent_at", filter=Q(channel="sms", status=sent)),
            sms_failed=Max("created_at", filter=Q(channel="sms", status=failed)),
            email_ok=Max("sent_at", filter=Q(channel="email", status=sent)),
            email_failed=Max("created_at", filter=Q(channel="email", status=failed)),
        )
    }
    user_ids = {link.guardian.user_id for s in students for link in s.guardian_links.all() if link.guardian.user_id}
    consented = set(
        Consent.objects.filter(user_id__in=user_ids, kind="sms", withdrawn_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    last_call: dict[int, str] = {}
    for student_id, outcome in (
        CallTask.objects.filter(student__in=students)
        .exclude(outcome="")
        .order_by("recorded_at", "pk")
        .values_list("student_id", "outcome")
    ):
        last_call[student_id] = outcome  # the latest wins
    rows = []
    for student in students:
        guardians = []
        fixes: list[str] = []
        reachable = False
        for link in student.guardian_links.all():
            g = link.guardian
            c: dict = dict(channels.get(g.pk) or {})
            app = g.user.last_login if g.user_id and g.user else None
            sms_ok, sms_failed = c.get("sms_ok"), c.get("sms_failed")
            email_ok, email_failed = c.get("email_ok"), c.get("email_failed")
            sms_failing = sms_failed is not None and (sms_ok is None or sms_failed > sms_ok)
            email_bouncing = email_failed is not None and (email_ok is None or email_failed > email_ok)
            if (app and now - app < STALE) or (sms_ok and now - sms_ok < STALE and not sms_failing):
                reachable = True
            if not g.user_id:
                fixes.append(_("%(name)s has never signed in: invite them to the app") % {"name": g.name})
            elif g.user_id not in consented:
                fixes.append(_("%(name)s has not agreed to SMS reminders") % {"name": g.name})
            if sms_failing:
                fixes.append(_("SMS to %(name)s fails: check the number") % {"name": g.name})
            if email_bouncing:
                fixes.append(_("e-mail to %(name)s bounces: ask for a new address") % {"name": g.name})
            guardians.append(
                {
                    "guardian": g,
                    "relationship": link.relationship,
                    "app_last": app,
                    "sms_consent": g.user_id in consented,
                    "sms_last": sms_ok,
                    "sms_failing": sms_failing,
                    "email_last": email_ok,
                    "email_bouncing": email_bouncing,
                }
            )
        call = last_call.get(student.pk, "")
        if call == "wrong_number":
            fixes.append(_("The last call reached a wrong number: update the family's numbers"))
        elif call == "not_reached":
            fixes.append(_("The last call did not reach the family"))
        hard = not reachable or call in ("wrong_number", "not_reached")
        rows.append({"student": student, "guardians": guardians, "last_call": call, "hard": hard, "fixes": fixes})
    rows.sort(key=lambda row: not row["hard"])  # stable: by name within each group
    return rows


def ladder_state(notice) -> list[dict]:
    """Per family (student) of the notice: done, read by somebody of the family, the ladder's
    messages to its guardians (channel, status, the failure in plain words) and the call task.
    Five queries whatever the number of families."""
    from delivery.models import Delivery
    from delivery.sms_providers import failure_text

    from .ladder import LADDER_ROUND
    from .models import CallTask

    families = list(
        StudentReceipt.objects.filter(notice=notice)
        .select_related("student__school_class")
        .order_by("student__name", "pk")
    )
    student_ids = [f.student_id for f in families]
    links: dict[int, list[int]] = {}
    for student_id, guardian_id in StudentGuardian.objects.filter(student_id__in=student_ids).values_list(
        "student_id", "guardian_id"
    ):
        links.setdefault(student_id, []).append(guardian_id)
    receipts = {
        r.guardian_id: r
        for r in Receipt.objects.filter(notice=notice, guardian_id__isnull=False).select_related("guardian")
    }
    messages: dict[int, list[dict]] = {}
    for d in (
        Delivery.objects.filter(receipt__notice=notice, round=LADDER_ROUND, receipt__guardian__isnull=False)
        .select_related("receipt__guardian")
        .order_by("pk")
    ):
        guardian = d.receipt.guardian
        assert guardian is not None
        failed = d.status == Delivery.Status.FAILED or d.report == "undelivered"
        problem = ""
        if failed or d.error_kind:
            problem = failure_text(d.error_kind or "refused", given_up=d.status == Delivery.Status.FAILED)
        messages.setdefault(guardian.pk, []).append(
            {
                "guardian": guardian.name,
                "channel": d.channel,
                "status": d.status,
                "sent_at": d.sent_at,
                "report": d.report,
                "problem": problem,
            }
        )
    calls = {t.student_id: t for t in CallTask.objects.filter(notice=notice)}
    rows = []
    for family in families:
        guardian_ids = links.get(family.student_id, [])
        task = calls.get(family.student_id)
        rows.append(
            {
                "student_id": family.student_id,
                "student": family.student.name,
                "class_name": family.student.school_class.name if family.student.school_class else "",
                "done": family.done_at is not None,
                "read": any(g in receipts and receipts[g].read_at is not None for g in guardian_ids),
                "messages": [m for g in guardian_ids for m in messages.get(g, [])],
                "call_task_id": task.pk if task else None,
                "call_outcome": task.outcome if task else "",
            }
        )
    return rows
