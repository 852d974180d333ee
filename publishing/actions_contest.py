"""Every write of the essay contest: open a contest, name its judges, submit an entry, give the
entries to judges, score, add a judge to a disputed entry, announce the prizes, consent to
publication and mark an entry published. One transaction and one audit row each; a refusal is a
ValidationError with a message for the person, and nothing is half-written."""

import datetime
import secrets
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import record
from audit.models import AuditEntry
from core.richtext import text_to_html
from core.uploads import UploadRefused
from schools.models import StaffMember

from .contest_files import blank_names, make_judge_copy
from .models import Assignment, Contest, ContestJudge, Criterion, Entry, Prize, Score
from .queries_contest import ties_of, ties_of_many

MAX_TITLE = 120
MAX_TEXT = 20_000
MAX_CRITERIA = 10
MAX_COMMENT = 2000


def _text(value: str, message: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    if len(value) > limit:
        raise ValidationError(_("Keep it under %(n)d characters.") % {"n": limit})
    return value


def do_create_contest(
    school,
    *,
    acting_user,
    title: str,
    theme: str,
    rules: str,
    audience: str,
    deadline: datetime.datetime,
    criteria: list[tuple[str, int, int]],
    judges_per_entry: int = 2,
    disagreement_points: int = 20,
) -> Contest:
    """``criteria``: (name, weight, highest score) for each criterion of the rubric."""
    title = _text(title, _("Give the contest a title."), MAX_TITLE)
    theme = _text(theme, _("Give the contest a theme."), 200)
    if audience not in Contest.Audience.values:
        raise ValidationError(_("Choose who may submit."))
    if deadline is not None and timezone.is_naive(deadline):
        deadline = timezone.make_aware(deadline)
    if deadline is None or deadline <= timezone.now():
        raise ValidationError(_("The deadline must be in the future."))
    if not 2 <= judges_per_entry <= 5:
        raise ValidationError(_("Each entry needs between 2 and 5 judges."))
    if not 1 <= disagreement_points <= 100:
        raise ValidationError(_("The disagreement threshold is between 1 and 100 points."))
    cleaned: list[tuple[str, int, int]] = []
    for name, weight, max_score in criteria:
        name = (name or "").strip()[:60]
        if not name:
            continue
        if not (1 <= weight <= 100 and 1 <= max_score <= 100):
            raise ValidationError(_("A criterion's weight and highest score are between 1 and 100."))
        if name in {c[0] for c in cleaned}:
            raise ValidationError(_("Two criteria have the same name."))
        cleaned.append((name, weight, max_score))
    if not cleaned:
        raise ValidationError(_("The rubric needs at least one criterion."))
    if len(cleaned) > MAX_CRITERIA:
        raise ValidationError(_("A rubric has at most %(n)d criteria.") % {"n": MAX_CRITERIA})
    with transaction.atomic():
        contest = Contest.objects.create(
            school=school,
            title=title,
            theme=theme,
            rules=(rules or "").strip()[:MAX_TEXT],
            audience=audience,
            deadline=deadline,
            judges_per_entry=judges_per_entry,
            disagreement_points=disagreement_points,
            created_by=acting_user,
        )
        Criterion.objects.bulk_create(
            Criterion(school=school, contest=contest, name=n, weight=w, max_score=m, position=i)
            for i, (n, w, m) in enumerate(cleaned)
        )
        record(AuditEntry.Action.CONTEST_CREATED, actor=acting_user, school=school, target=contest, summary=title)
    return contest


def do_add_judge(contest: Contest, *, acting_user, user_id: int) -> ContestJudge:
    if contest.status == Contest.Status.ANNOUNCED:
        raise ValidationError(_("The results are already announced."))
    if not StaffMember.objects.filter(school_id=contest.school_id, user_id=user_id, is_active=True).exists():
        raise ValidationError(_("Choose a staff member of the school as a judge."))
    with transaction.atomic():
        judge, created = ContestJudge.objects.get_or_create(
            school_id=contest.school_id, contest=contest, user_id=user_id
        )
        if created:
            record(AuditEntry.Action.CONTEST_JUDGE_ADDED, actor=acting_user, school=contest.school, target=judge)
    return judge


def may_submit(contest: Contest, roles) -> bool:
    staff = roles.is_staff_of(contest.school_id)
    parent = contest.school_id in roles.child_school_ids
    if contest.audience == Contest.Audience.STAFF:
        return staff
    if contest.audience == Contest.Audience.PARENTS:
        return parent
    return staff or parent


def do_submit_entry(
    contest: Contest,
    *,
    acting_user,
    roles,
    title: str,
    text: str = "",
    file_data: bytes | None = None,
    filename: str = "",
) -> Entry:
    if not may_submit(contest, roles):
        raise ValidationError(_("This contest is not open to you."))
    if contest.status != Contest.Status.OPEN or contest.is_past_deadline:
        raise ValidationError(_("The deadline has passed: entries are no longer accepted."))
    title = _text(title, _("Give your entry a title."), MAX_TITLE)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ValidationError(_("Keep it under %(n)d characters.") % {"n": MAX_TEXT})
    if not text and not file_data:
        raise ValidationError(_("Write your entry or attach it as a .docx or PDF file."))
    if Entry.objects.filter(contest=contest, author=acting_user).exists():
        raise ValidationError(_("You have already sent an entry to this contest."))
    class_ids, student_ids, names = ties_of(acting_user, contest.school_id)
    names = [acting_user.name, *names]
    stripped = None
    if file_data:
        try:
            stripped = make_judge_copy(file_data, filename, names)
        except UploadRefused as exc:
            raise ValidationError(exc.message) from exc
    judge_text = blank_names(text, names) if text else (stripped.text if stripped else "")
    try:
        with transaction.atomic():
            # Lock the contest so two entries at once do not take the same number.
            Contest.objects.select_for_update().filter(pk=contest.pk).first()
            number = (Entry.objects.filter(contest=contest).aggregate(n=Max("number"))["n"] or 0) + 1
            entry = Entry(
                school_id=contest.school_id,
                contest=contest,
                number=number,
                author=acting_user,
                class_ids=sorted(class_ids),
                student_ids=sorted(student_ids),
                title=title,
                text=text,
                judge_title=blank_names(title, names),
                judge_text=judge_text,
                file_kind=stripped.kind if stripped else "",
            )
            if stripped is not None:
                entry.judge_file.save(
                    f"{secrets.token_hex(16)}.{stripped.kind}", ContentFile(stripped.data), save=False
                )
            entry.save()
            record(AuditEntry.Action.CONTEST_ENTRY_SUBMITTED, actor=acting_user, school=contest.school, target=entry)
    except IntegrityError as exc:  # a double tap: the first one is the entry
        raise ValidationError(_("You have already sent an entry to this contest.")) from exc
    return entry


def conflict(entry: Entry, judge_id: int, ties: tuple[set[int], set[int]]) -> bool:
    """A judge may not judge their own entry, one from a class they teach or their child is in, or
    one from their own family (a child they share with the author)."""
    class_ids, student_ids = ties
    return (
        entry.author_id == judge_id
        or bool(class_ids & set(entry.class_ids))
        or bool(student_ids & set(entry.student_ids))
    )


def do_assign_judges(contest: Contest, *, acting_user) -> int:
    """After the deadline, give each entry to ``judges_per_entry`` judges of the panel, none with a
    tie to it, the load spread evenly. All or nothing: an entry that cannot get enough judges
    stops it with the entry's number. Returns the number of assignments made."""
    if contest.status != Contest.Status.OPEN:
        raise ValidationError(_("The entries were already given to the judges."))
    if not contest.is_past_deadline:
        raise ValidationError(_("Wait for the deadline before the judging starts."))
    entries = list(Entry.objects.filter(contest=contest).order_by("number"))
    if not entries:
        raise ValidationError(_("There are no entries to judge."))
    judge_ids = list(ContestJudge.objects.filter(contest=contest).order_by("pk").values_list("user_id", flat=True))
    ties = ties_of_many(judge_ids, contest.school_id)
    load: dict[int, int] = defaultdict(int)
    plan: list[tuple[Entry, int]] = []
    for entry in entries:
        free = [j for j in judge_ids if not conflict(entry, j, ties[j])]
        if len(free) < contest.judges_per_entry:
            raise ValidationError(
                _("%(entry)s cannot get %(n)d judges with no tie to its author: add judges from other classes.")
                % {"entry": entry.label, "n": contest.judges_per_entry}
            )
        free.sort(key=lambda j: (load[j], judge_ids.index(j)))
        for j in free[: contest.judges_per_entry]:
            load[j] += 1
            plan.append((entry, j))
    with transaction.atomic():
        changed = Contest.objects.filter(pk=contest.pk, status=Contest.Status.OPEN).update(
            status=Contest.Status.JUDGING
        )
        if not changed:
            raise ValidationError(_("The entries were already given to the judges."))
        Assignment.objects.bulk_create(Assignment(school_id=contest.school_id, entry=e, judge_id=j) for e, j in plan)
        contest.status = Contest.Status.JUDGING
        record(
            AuditEntry.Action.CONTEST_ASSIGNED,
            actor=acting_user,
            school=contest.school,
            target=contest,
            detail={"entries": len(entries), "assignments": len(plan)},
        )
    return len(plan)


def _shuffle_numbers(entries: list[Entry]) -> None:
    """Number the entries in a random order when judging starts: the order of submission (which
    the audit log keeps, with the authors) then says nothing about which entry is which number.
    Two steps, so that the unique (contest, number) never sees two entries with one number."""
    numbers = list(range(1, len(entries) + 1))
    secrets.SystemRandom().shuffle(numbers)
    for entry, number in zip(entries, numbers, strict=True):
        entry.number = _RENUMBER_OFFSET + number
    Entry.objects.bulk_update(entries, ["number"])
    Entry.objects.filter(pk__in=[e.pk for e in entries]).update(number=F("number") - _RENUMBER_OFFSET)
    for entry in entries:
        entry.number -= _RENUMBER_OFFSET


_RENUMBER_OFFSET = 1_000_000


def do_add_entry_judge(entry: Entry, *, acting_user, user_id: int) -> Assignment:
    """The organiser adds a judge to one entry (a disagreement, a tie): from the panel, no tie."""
    contest = entry.contest
    if contest.status != Contest.Status.JUDGING:
        raise ValidationError(_("Judges can be added only while the contest is being judged."))
    if not ContestJudge.objects.filter(contest=contest, user_id=user_id).exists():
        raise ValidationError(_("Choose a judge of this contest's panel."))
    if conflict(entry, user_id, ties_of_many([user_id], contest.school_id)[user_id]):
        raise ValidationError(_("This judge has a tie to the entry's author (their class or family)."))
    if Assignment.objects.filter(entry=entry, judge_id=user_id).exists():
        raise ValidationError(_("This judge already has this entry."))
    with transaction.atomic():
        assignment = Assignment.objects.create(school_id=entry.school_id, entry=entry, judge_id=user_id)
        record(AuditEntry.Action.CONTEST_ASSIGNED, actor=acting_user, school=contest.school, target=assignment)
    return assignment


def weighted_result(values: dict[int, int], criteria: list[Criterion]) -> Decimal:
    """The weighted mean of the scores, each as a share of its criterion's highest, out of 100."""
    total_weight = sum(c.weight for c in criteria)
    points = sum((Decimal(values[c.pk]) / c.max_score * c.weight for c in criteria), Decimal(0))
    result: Decimal = points * 100 / total_weight
    return result.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def do_score(assignment: Assignment, *, acting_user, values: dict[int, int], comment: str) -> Assignment:
    entry = assignment.entry
    contest = entry.contest
    if contest.status != Contest.Status.JUDGING:
        raise ValidationError(_("This contest is not being judged."))
    # Roles change during a term: a judge who now teaches the entry's class may not score it.
    if conflict(entry, acting_user.pk, ties_of_many([acting_user.pk], contest.school_id)[acting_user.pk]):
        raise ValidationError(_("You cannot judge an entry from your own class or family."))
    criteria = list(Criterion.objects.filter(contest=contest))
    for c in criteria:
        value = values.get(c.pk)
        if value is None:
            raise ValidationError(_("Score every criterion."))
        if not 0 <= value <= c.max_score:
            raise ValidationError(
                _("The score for %(criterion)s must be between 0 and %(max)d.")
                % {"criterion": c.name, "max": c.max_score}
            )
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise ValidationError(_("Keep it under %(n)d characters.") % {"n": MAX_COMMENT})
    with transaction.atomic():
        Score.objects.filter(assignment=assignment).delete()
        Score.objects.bulk_create(
            Score(school_id=assignment.school_id, assignment=assignment, criterion=c, value=values[c.pk])
            for c in criteria
        )
        assignment.comment = comment
        assignment.result = weighted_result(values, criteria)
        assignment.scored_at = timezone.now()
        assignment.save(update_fields=["comment", "result", "scored_at"])
        record(AuditEntry.Action.CONTEST_SCORED, actor=acting_user, school=contest.school, target=assignment)
    return assignment


def do_announce(contest: Contest, *, acting_user, prizes: dict[int, str]) -> Contest:
    """``prizes``: entry id → prize level (first, second, third, merit); other entries get none.
    Every entry must have been scored by its judges first."""
    if contest.status != Contest.Status.JUDGING:
        raise ValidationError(_("Announce the results once the entries are judged."))
    if Assignment.objects.filter(entry__contest=contest, scored_at__isnull=True).exists():
        raise ValidationError(_("Some judges have not scored their entries yet."))
    entry_ids = set(Entry.objects.filter(contest=contest).values_list("pk", flat=True))
    for entry_id, level in prizes.items():
        if entry_id not in entry_ids:
            raise ValidationError(_("An entry given a prize is not in this contest."))
        if level and level not in Prize.values:
            raise ValidationError(_("Choose a prize level."))
    with transaction.atomic():
        changed = Contest.objects.filter(pk=contest.pk, status=Contest.Status.JUDGING).update(
            status=Contest.Status.ANNOUNCED, announced_at=timezone.now()
        )
        if not changed:
            raise ValidationError(_("The results are already announced."))
        by_level: dict[str, list[int]] = defaultdict(list)
        for entry_id, level in prizes.items():
            if level:
                by_level[level].append(entry_id)
        for level, ids in by_level.items():
            Entry.objects.filter(contest=contest, pk__in=ids).update(prize=level)
        contest.refresh_from_db()
        record(
            AuditEntry.Action.CONTEST_ANNOUNCED,
            actor=acting_user,
            school=contest.school,
            target=contest,
            detail={level: len(ids) for level, ids in by_level.items()},
        )
    return contest


def do_set_consent(entry: Entry, *, acting_user, consent: bool) -> Entry:
    """The author agrees (or no longer agrees) to their entry being published in the column or
    the newspaper. Withdrawing is refused once it has been published."""
    if entry.author_id != acting_user.pk:
        raise ValidationError(_("Only the author can decide this."))
    if not consent and entry.published:
        raise ValidationError(_("The entry is already published; ask the school to take it down."))
    with transaction.atomic():
        entry.publish_consent = consent
        entry.consent_at = timezone.now()
        entry.save(update_fields=["publish_consent", "consent_at"])
        record(
            AuditEntry.Action.CONTEST_CONSENT,
            actor=acting_user,
            school=entry.school,
            target=entry,
            summary="given" if consent else "withdrawn",
        )
    return entry


def do_mark_published(entry: Entry, *, acting_user) -> Entry:
    """Publish a winning entry in the family-education column (``do_publish_external_article``:
    under the author's name, not on the public page until an editor puts it there) and record it.
    Only with the author's consent, only for a prize; once (the article's key is the entry's)."""
    if entry.contest.status != Contest.Status.ANNOUNCED or not entry.prize:
        raise ValidationError(_("Only a winning entry can be published."))
    if not entry.publish_consent:
        raise ValidationError(_("The author has not agreed to publication."))
    if entry.published:
        raise ValidationError(_("This entry is already published."))
    from .actions_articles import do_publish_external_article

    with transaction.atomic():
        do_publish_external_article(
            entry.school,
            acting_user=acting_user,
            title=entry.title,
            # The entry as written (the author agreed to its publication); a file's text as read.
            body_html=text_to_html(entry.text or entry.judge_text),
            author_name=entry.author.display_name,
            idempotency_key=f"contest-entry-{entry.pk}",
        )
        entry.published = True
        entry.published_at = timezone.now()
        entry.save(update_fields=["published", "published_at"])
        record(AuditEntry.Action.CONTEST_PUBLISHED, actor=acting_user, school=entry.school, target=entry)
    return entry
