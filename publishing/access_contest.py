"""Who sees which part of the essay contest. A refusal is always 404.

- A contest: the staff of its school; its families when parents may submit.
- Organising (the panel, giving out entries, the results with authors, prizes): the school's
  admins, except an admin who is on the contest's panel while it is judged (a judge never learns
  who wrote what before the results are out).
- Judging: a judge sees only their own assignments, and only through the assignment (entry number,
  text with names blanked, the stripped file).
- An entry by its author: theirs alone (their certificate, their consent)."""

from django.http import Http404

from schools.roles import Roles

from .models import Assignment, Contest, ContestJudge, Entry


def _roles(request) -> Roles:
    return getattr(request, "roles", None) or Roles()


def may_see(roles: Roles, contest: Contest) -> bool:
    if roles.is_staff_of(contest.school_id):
        return True
    return contest.school_id in roles.child_school_ids and contest.audience != Contest.Audience.STAFF


def may_organise(request, contest: Contest) -> bool:
    roles = _roles(request)
    if not roles.is_admin_of(contest.school_id):
        return False
    if contest.status == Contest.Status.ANNOUNCED:
        return True
    return not ContestJudge.objects.filter(contest=contest, user_id=request.user.pk).exists()


def access_contest(request, contest_id: int) -> Contest:
    contest = Contest.objects.filter(pk=contest_id).select_related("school").first()
    if contest is None or not may_see(_roles(request), contest):
        raise Http404
    return contest


def access_contest_to_organise(request, contest_id: int) -> Contest:
    contest = Contest.objects.filter(pk=contest_id).select_related("school").first()
    if contest is None or not may_organise(request, contest):
        raise Http404
    return contest


def access_entry_to_organise(request, entry_id: int) -> Entry:
    entry = Entry.objects.filter(pk=entry_id).select_related("contest__school", "school").first()
    if entry is None or not may_organise(request, entry.contest):
        raise Http404
    return entry


def access_my_entry(request, entry_id: int) -> Entry:
    entry = Entry.objects.filter(pk=entry_id, author_id=request.user.pk).select_related("contest", "school").first()
    if entry is None:
        raise Http404
    return entry


def access_certificate(request, entry_id: int) -> Entry:
    """A winning entry's certificate: its author, or an organiser, once the results are out."""
    entry = Entry.objects.filter(pk=entry_id).select_related("contest", "school", "author").first()
    if entry is None or not entry.prize or entry.contest.status != Contest.Status.ANNOUNCED:
        raise Http404
    if entry.author_id != request.user.pk and not may_organise(request, entry.contest):
        raise Http404
    return entry


def access_judging(request, judging_id: int) -> Assignment:
    """One of the signed-in judge's own assignments, while its contest is judged."""
    assignment = (
        Assignment.objects.filter(pk=judging_id, judge_id=request.user.pk).select_related("entry__contest").first()
    )
    if assignment is None or not _roles(request).is_staff_of(assignment.school_id):
        raise Http404
    if assignment.entry.contest.status != Contest.Status.JUDGING:
        raise Http404
    return assignment
