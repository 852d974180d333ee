from io import StringIO

from django.core.management import call_command
from django_scopes import scopes_disabled

from publishing.models import Assignment, Contest, Entry
from publishing.queries_contest import results
from schools.demo import DEMO_CODE
from schools.models import School


def test_the_demo_has_a_contest_being_judged_with_a_disagreement(db):
    call_command("load_demo", stdout=StringIO())
    with scopes_disabled():
        school = School.objects.get(code=DEMO_CODE)
        contest = Contest.objects.get(school=school)
        assert contest.status == Contest.Status.JUDGING
        assert Entry.objects.filter(contest=contest).count() >= 2
        copies = Assignment.objects.filter(entry__contest=contest)
        assert copies.filter(scored_at__isnull=False).exists() and copies.filter(scored_at__isnull=True).exists()
        assert any(row.disagreement for row in results(contest))
        # No judge has an entry they are tied to.
        from publishing.actions_contest import conflict
        from publishing.queries_contest import ties_of_many

        for a in copies.select_related("entry"):
            assert not conflict(a.entry, a.judge_id, ties_of_many([a.judge_id], school.pk)[a.judge_id])
