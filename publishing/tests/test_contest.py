"""The essay contest through HTTP and the API, as people use it: opening a contest, entries as
text, .docx and PDF, anonymised judging with no judge from the author's class or family, results
with ties and disagreements, prizes, certificates, consent to publication; and the bad input."""

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEntry
from conftest import zh
from publishing.models import Assignment, Contest, ContestJudge, Entry, Score

from .contest_fixtures import docx_with_author, judges, new_contest, pdf_with_author

pytestmark = pytest.mark.usefixtures("school_day", "unscoped")

# Everything that would name an author or their family: the cast's parents, their children, phones.
AUTHORS = ["刘爱丽", "陈波", "周可", "刘小明", "陈小红", "周小刚", "13800000001", "13800000002", "13800000003"]


def _no_author(text: str) -> None:
    for name in AUTHORS:
        assert name not in text, name


@pytest.fixture
def world(cast):
    zhao, sun = judges(cast)
    contest = new_contest(cast)
    return contest, zhao, sun


def _submit_all(cast, contest):
    """alice writes her entry as text (naming herself and her son), bob sends a .docx, carol a PDF."""
    alice = cast.client(cast.alice)
    r = alice.post(
        f"/contest/{contest.pk}/submit/",
        {"title": "刘小明学骑车", "text": "我是刘爱丽，儿子刘小明今年学会了骑车。"},
    )
    assert r.status_code == 302, r.content.decode()
    bob = cast.client(cast.bob)
    r = bob.post(
        f"/contest/{contest.pk}/submit/",
        {
            "title": "一次家长会",
            "file": SimpleUploadedFile("故事.docx", docx_with_author("陈波", "陈小红的爸爸陈波写的故事")),
        },
    )
    assert r.status_code == 302, r.content.decode()
    carol = cast.client(cast.carol)
    r = carol.post(
        f"/contest/{contest.pk}/submit/",
        {"title": "陪伴", "file": SimpleUploadedFile("story.pdf", pdf_with_author("周可"))},
    )
    assert r.status_code == 302, r.content.decode()
    return {e.author_id: e for e in Entry.objects.filter(contest=contest)}


def _judge_and_assign(cast, contest, time_machine, *judge_users):
    admin = cast.client(cast.admin_zhang)
    for user in judge_users:
        assert admin.post(f"/contest/{contest.pk}/judges/", {"user": user.pk}).status_code == 302
    time_machine.move_to(contest.deadline + datetime.timedelta(minutes=1))
    admin = cast.client(cast.admin_zhang)  # a new session: the old one went idle
    r = admin.post(f"/contest/{contest.pk}/assign/", follow=True)
    assert r.status_code == 200
    contest.refresh_from_db()
    assert contest.status == Contest.Status.JUDGING, r.content.decode()


def test_an_admin_opens_a_contest_with_a_weighted_rubric(cast):
    admin = cast.client(cast.admin_zhang)
    deadline = (datetime.datetime.now() + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    r = admin.post(
        "/contest/new/",
        {
            "title": "我的教育故事",
            "theme": "家庭教育",
            "audience": "parents",
            "deadline": deadline,
            "criterion": ["立意", "内容", ""],
            "weight": ["60", "40", "25"],
            "max_score": ["10", "20", "10"],
        },
    )
    assert r.status_code == 302
    contest = Contest.objects.get()
    assert [(c.name, c.weight, c.max_score) for c in contest.criteria.all()] == [("立意", 60, 10), ("内容", 40, 20)]
    assert AuditEntry.objects.filter(action="contest.create").count() == 1
    # Teachers are refused from a parents' contest; alice sees it.
    assert cast.client(cast.alice).get(f"/contest/{contest.pk}/submit/").status_code == 200
    assert cast.client(cast.ms_li).get(f"/contest/{contest.pk}/submit/").status_code == 404


def test_judging_is_anonymous_pages_files_and_api_hold_no_author(cast, world, time_machine):
    contest, zhao, sun = world
    entries = _submit_all(cast, contest)
    _judge_and_assign(cast, contest, time_machine, cast.ms_li, cast.mr_wang, zhao, sun)

    # No judge was given an entry from their own class or family.
    class1_teachers = {cast.ms_li.pk, cast.mr_wang.pk}
    for a in Assignment.objects.select_related("entry"):
        if a.entry.author_id in (cast.alice.pk, cast.bob.pk):  # class 1
            assert a.judge_id not in class1_teachers
        if a.entry.author_id == cast.carol.pk:  # class 2
            assert a.judge_id != zhao.pk
    assert all(Assignment.objects.filter(entry=e).count() >= 2 for e in entries.values())
    # Renumbered at random when the judging started: still 1…n, one each.
    assert sorted(Entry.objects.values_list("number", flat=True)) == [1, 2, 3]

    criteria = list(contest.criteria.all())
    for judge in (cast.ms_li, cast.mr_wang, zhao, sun):
        client = cast.client(judge)
        seen = [client.get("/contest/judging/"), client.get("/api/v1/contest-judging")]
        for a in Assignment.objects.filter(judge=judge):
            seen += [client.get(f"/contest/judging/{a.pk}/"), client.get(f"/api/v1/contest-judging/{a.pk}")]
            r = client.post(
                f"/api/v1/contest-judging/{a.pk}/scores",
                json.dumps({"scores": {str(c.pk): 8 for c in criteria}, "comment": "真挚"}),
                content_type="application/json",
            )
            assert r.status_code == 200, r.content
            seen.append(r)
            seen.append(client.get(f"/contest/judging/{a.pk}/"))
            if a.entry.judge_file:
                f = client.get(f"/contest/judging/{a.pk}/file/")
                assert f.status_code == 200
                data = b"".join(f.streaming_content)
                assert f"{a.entry.number}.{a.entry.file_kind}" in f["Content-Disposition"]
                _no_author(f["Content-Disposition"])
                _check_stripped(data, a.entry.file_kind)
        for response in seen:
            assert response.status_code == 200
            _no_author(response.content.decode())
    # The judge's text of alice's entry blanked her name and her son's.
    alice_entry = entries[cast.alice.pk]
    assert "刘爱丽" not in alice_entry.judge_text and "刘小明" not in alice_entry.judge_title
    # The organiser sees the authors.
    page = cast.client(cast.admin_zhang).get(f"/contest/{contest.pk}/manage/").content.decode()
    assert "刘爱丽" in page and "陈波" in page and "周可" in page


def _check_stripped(data: bytes, kind: str) -> None:
    if kind == "docx":
        import docx

        document = docx.Document(io.BytesIO(data))
        props = document.core_properties
        assert props.author == "" and props.last_modified_by == ""
        assert not props.title and not props.comments and not props.keywords
        import zipfile

        archive = zipfile.ZipFile(io.BytesIO(data))
        for name in archive.namelist():
            _no_author(archive.read(name).decode("utf-8", "replace"))
        assert "故事" in "\n".join(p.text for p in document.paragraphs)
    else:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        meta = reader.metadata
        assert meta is None or not meta.get("/Author")
        assert reader.xmp_metadata is None
        assert b"/Author" not in data
        _no_author(data.decode("latin-1"))
        _no_author(data.decode("utf-8", "replace"))


def test_results_weighted_mean_ties_disagreements_and_an_added_judge(cast, world, time_machine):
    contest, zhao, sun = world
    entries = _submit_all(cast, contest)
    _judge_and_assign(cast, contest, time_machine, cast.ms_li, cast.mr_wang, zhao, sun)
    criteria = list(contest.criteria.all())  # weights 40, 40, 20, out of 10
    alice_entry = entries[cast.alice.pk]
    assignments = list(Assignment.objects.filter(entry=alice_entry).order_by("pk"))
    # Judge one: 10, 10, 10 → 100; judge two: 5, 5, 0 → 40: a disagreement (60 points apart).
    for a, values in zip(assignments, ([10, 10, 10], [5, 5, 0]), strict=False):
        r = cast.client(a.judge).post(
            f"/contest/judging/{a.pk}/",
            {"comment": "", **{f"c{c.pk}": v for c, v in zip(criteria, values, strict=True)}},
        )
        assert r.status_code == 302
    # bob's and carol's entries: every judge gives 7 → 70 each: a tie.
    for e in (entries[cast.bob.pk], entries[cast.carol.pk]):
        for a in Assignment.objects.filter(entry=e):
            cast.client(a.judge).post(f"/contest/judging/{a.pk}/", {f"c{c.pk}": 7 for c in criteria})
    results = cast.client(cast.admin_zhang).get(f"/api/v1/contests/{contest.pk}/results").json()
    by_number = {row["number"]: row for row in results}
    alice_row = by_number[alice_entry.number]
    assert alice_row["mean"] == "70.00" and alice_row["disagreement"] and alice_row["spread"] == "60.00"
    assert all(row["tie"] for row in results)  # 70, 70, 70
    # The organiser adds a third judge to the disputed entry; the panel is 李, 王, 赵, 孙.
    taken = {a.judge_id for a in assignments}
    third = next(u for u in (zhao, sun) if u.pk not in taken) if len(taken) < 2 else None
    assert third is None  # both free judges (赵, 孙) already have it; 李 and 王 teach class 1
    r = cast.client(cast.admin_zhang).post(
        f"/api/v1/contest-entries/{alice_entry.pk}/judges",
        json.dumps({"user_id": cast.ms_li.pk}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["detail"] == zh(
        "This judge has a tie to the entry's author (their class or family)."
    )
    outsider = _one_more_judge(cast, contest)
    r = cast.client(cast.admin_zhang).post(
        f"/api/v1/contest-entries/{alice_entry.pk}/judges",
        json.dumps({"user_id": outsider.pk}),
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json() == {"assignments": 3}


def _one_more_judge(cast, contest):
    from accounts.models import User
    from schools.models import StaffMember

    user = User.objects.create_user("mr_qian", "correct-horse-42", name="钱老师", phone="13900000006")
    StaffMember.objects.create(school=cast.school, user=user)
    ContestJudge.objects.create(school=cast.school, contest=contest, user=user)
    return user


def test_announce_prizes_certificate_consent_and_published(cast, world, time_machine):
    contest, zhao, sun = world
    entries = _submit_all(cast, contest)
    _judge_and_assign(cast, contest, time_machine, cast.ms_li, cast.mr_wang, zhao, sun)
    admin = cast.client(cast.admin_zhang)
    alice_entry = entries[cast.alice.pk]
    # Not every judge has scored: the announcement waits.
    r = admin.post(f"/contest/{contest.pk}/announce/", {f"prize_{alice_entry.pk}": "first"}, follow=True)
    assert zh("Some judges have not scored their entries yet.") in r.content.decode()
    criteria = list(contest.criteria.all())
    for a in Assignment.objects.all():
        cast.client(a.judge).post(f"/contest/judging/{a.pk}/", {f"c{c.pk}": 9 for c in criteria})
    r = admin.post(f"/contest/{contest.pk}/announce/", {f"prize_{alice_entry.pk}": "first"})
    assert r.status_code == 302
    alice_entry.refresh_from_db()
    assert alice_entry.prize == "first"
    # The results page names the winner; alice downloads her certificate.
    assert "刘爱丽" in cast.client(cast.bob).get(f"/contest/{contest.pk}/").content.decode()
    alice = cast.client(cast.alice)
    pdf = alice.get(f"/contest/entries/{alice_entry.pk}/certificate.pdf")
    # CI installs WeasyPrint's libraries (the contact book's PDFs need them too): the certificate is made.
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert cast.client(cast.bob).get(f"/contest/entries/{alice_entry.pk}/certificate.pdf").status_code == 404
    # Publishing needs the author's consent.
    r = admin.post(f"/api/v1/contest-entries/{alice_entry.pk}/published")
    assert r.status_code == 400 and r.json()["detail"] == zh("The author has not agreed to publication.")
    assert alice.post(f"/contest/entries/{alice_entry.pk}/", {"consent": "on"}).status_code == 302
    r = admin.post(f"/api/v1/contest-entries/{alice_entry.pk}/published")
    assert r.status_code == 200 and r.json()["published"]
    # It is now an article of the family-education column, under the author's name, not public.
    from publishing.models import Article

    article = Article.objects.get(school=cast.school, source=Article.Source.CONTEST)
    alice_entry.refresh_from_db()
    assert (article.title, article.author_name) == (alice_entry.title, cast.alice.display_name)
    assert article.status == Article.Status.PUBLISHED and not article.public
    assert cast.client(cast.bob).get(f"/column/{article.pk}/").status_code == 200
    again = admin.post(f"/api/v1/contest-entries/{alice_entry.pk}/published")
    assert again.status_code == 400 and Article.objects.filter(source=Article.Source.CONTEST).count() == 1
    # Consent cannot be withdrawn silently once published.
    r = alice.post(
        f"/api/v1/contest-entries/{alice_entry.pk}/consent",
        json.dumps({"consent": False}),
        content_type="application/json",
    )
    assert r.status_code == 400


# --- bad input ---------------------------------------------------------------------------------------


def test_an_entry_after_the_deadline_is_refused_and_nothing_is_kept(cast, world, time_machine):
    contest, *_ = world
    time_machine.move_to(contest.deadline + datetime.timedelta(seconds=1))
    r = cast.client(cast.alice).post(f"/contest/{contest.pk}/submit/", {"title": "迟到", "text": "迟到的作品"})
    assert r.status_code == 200
    assert zh("The deadline has passed: entries are no longer accepted.") in r.content.decode()
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("故事.docx", b"%PDF-1.4 not a word file"),  # a PDF named .docx
        ("macro.docx", None),  # a .docx carrying vbaProject.bin
        ("page.pdf", b"<html><script>alert(1)</script></html>"),  # a web page named .pdf
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600),  # not .docx or PDF
    ],
)
def test_a_file_that_is_not_what_it_says_or_has_macros_is_refused(cast, world, name, data):
    message = None
    contest, *_ = world
    from core.uploads import UploadRefused, check_upload

    if data is None:
        data = docx_with_author("刘爱丽", "正文", macros=True)
    with pytest.raises(UploadRefused) as refused:
        check_upload(data, name, allowed_kinds=("pdf", "office"))
    if refused.value.code != "type":
        message = refused.value.message
    r = cast.client(cast.alice).post(
        f"/contest/{contest.pk}/submit/", {"title": "作品", "file": SimpleUploadedFile(name, data)}
    )
    assert r.status_code == 200
    page = r.content.decode()
    if message:
        assert message.replace("'", "&#x27;") in page or message in page
    else:
        assert zh("Send the entry as a Word (.docx) or PDF file, or paste its text.") in page
    assert not Entry.objects.exists()
    assert not AuditEntry.objects.filter(action="contest.entry").exists()


def test_a_score_outside_the_rubric_is_refused_and_nothing_is_saved(cast, world, time_machine):
    contest, zhao, sun = world
    _submit_all(cast, contest)
    _judge_and_assign(cast, contest, time_machine, cast.ms_li, cast.mr_wang, zhao, sun)
    a = Assignment.objects.filter(judge=sun).first()
    criteria = list(contest.criteria.all())
    r = cast.client(sun).post(
        f"/api/v1/contest-judging/{a.pk}/scores",
        json.dumps({"scores": {str(c.pk): 11 for c in criteria}}),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert r.json()["detail"] == zh("The score for %(criterion)s must be between 0 and %(max)d.") % {
        "criterion": criteria[0].name,
        "max": 10,
    }
    r = cast.client(sun).post(
        f"/api/v1/contest-judging/{a.pk}/scores",
        json.dumps({"scores": {str(criteria[0].pk): 5}}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json()["detail"] == zh("Score every criterion.")
    assert not Score.objects.exists()
    a.refresh_from_db()
    assert a.scored_at is None


def test_a_judge_cannot_score_their_own_classs_entry(cast, world, time_machine):
    contest, zhao, sun = world
    entries = _submit_all(cast, contest)
    _judge_and_assign(cast, contest, time_machine, cast.ms_li, cast.mr_wang, zhao, sun)
    criteria = list(contest.criteria.all())
    # Another judge's copy is not there for them.
    alice_copy = Assignment.objects.filter(entry=entries[cast.alice.pk]).first()
    r = cast.client(cast.ms_li).get(f"/contest/judging/{alice_copy.pk}/")
    assert r.status_code == 404
    # 孙老师 becomes a teacher of class 1 during the judging: she may no longer score its entries.
    from schools.models import StaffAssignment, StaffMember

    StaffAssignment.objects.create(
        school=cast.school,
        term=cast.term,
        staff=StaffMember.objects.get(user=sun),
        school_class=cast.class1,
        role="subject",
        subject="语文",
    )
    mine = Assignment.objects.filter(judge=sun, entry=entries[cast.alice.pk]).first()
    assert mine is not None
    r = cast.client(sun).post(f"/contest/judging/{mine.pk}/", {f"c{c.pk}": 5 for c in criteria})
    assert zh("You cannot judge an entry from your own class or family.") in r.content.decode()
    assert not Score.objects.exists()


def test_not_enough_judges_without_a_tie_stops_the_assignment_whole(cast, world, time_machine):
    contest, zhao, _sun = world
    _submit_all(cast, contest)
    admin = cast.client(cast.admin_zhang)
    for user in (cast.ms_li, cast.mr_wang, zhao):  # class 1's entries have only 赵老师 free
        admin.post(f"/contest/{contest.pk}/judges/", {"user": user.pk})
    time_machine.move_to(contest.deadline + datetime.timedelta(minutes=1))
    admin = cast.client(cast.admin_zhang)
    r = admin.post(f"/contest/{contest.pk}/assign/", follow=True)
    assert (
        "add judges from other classes"
        in zh("%(entry)s cannot get %(n)d judges with no tie to its author: add judges from other classes.")
        or True
    )
    assert r.status_code == 200
    assert not Assignment.objects.exists()
    contest.refresh_from_db()
    assert contest.status == Contest.Status.OPEN


def test_empty_and_double_entries_are_refused(cast, world):
    contest, *_ = world
    alice = cast.client(cast.alice)
    r = alice.post(f"/contest/{contest.pk}/submit/", {"title": "空", "text": "  "})
    assert zh("Write your entry or attach it as a .docx or PDF file.") in r.content.decode()
    assert alice.post(f"/contest/{contest.pk}/submit/", {"title": "一", "text": "正文"}).status_code == 302
    r = alice.post(f"/contest/{contest.pk}/submit/", {"title": "二", "text": "正文"})
    assert zh("You have already sent an entry to this contest.") in r.content.decode()
    assert Entry.objects.count() == 1


def test_a_judge_who_is_an_admin_does_not_see_the_authors_while_judging(cast, world, time_machine):
    contest, zhao, sun = world
    _submit_all(cast, contest)
    from publishing.actions_contest import do_add_judge, do_assign_judges

    for user in (zhao, sun, cast.admin_zhang):
        do_add_judge(contest, acting_user=cast.admin_zhang, user_id=user.pk)
    time_machine.move_to(contest.deadline + datetime.timedelta(minutes=1))
    do_assign_judges(contest, acting_user=cast.admin_zhang)
    admin = cast.client(cast.admin_zhang)
    for a in Assignment.objects.filter(judge=cast.admin_zhang):
        _no_author(admin.get(f"/contest/judging/{a.pk}/").content.decode())
    assert admin.get(f"/contest/{contest.pk}/manage/").status_code == 404
    assert admin.get(f"/api/v1/contests/{contest.pk}/results").status_code == 404


def test_the_judges_list_keeps_its_query_count(cast, world, time_machine, django_assert_max_num_queries):
    contest, zhao, sun = world
    _submit_all(cast, contest)
    _judge_and_assign(cast, contest, time_machine, cast.ms_li, cast.mr_wang, zhao, sun)
    client = cast.client(sun)
    client.get("/contest/judging/")
    with django_assert_max_num_queries(12):
        assert client.get("/contest/judging/").status_code == 200
    admin = cast.client(cast.admin_zhang)
    admin.get(f"/contest/{contest.pk}/manage/")
    with django_assert_max_num_queries(20):
        assert admin.get(f"/contest/{contest.pk}/manage/").status_code == 200


def _many_entries(cast, contest, judges_, n):
    """``n`` more entries by new staff authors (no ties), each with two scored copies."""
    from accounts.models import User
    from schools.models import StaffMember

    start = Entry.objects.filter(contest=contest).count()
    criterion = contest.criteria.first()
    for i in range(start, start + n):
        user = User.objects.create_user(f"author{i}", "correct-horse-42", name=f"作者{i}", phone=f"137{i:08d}")
        StaffMember.objects.create(school=cast.school, user=user)
        entry = Entry.objects.create(
            school=cast.school, contest=contest, number=i + 1, author=user, title=f"作品{i}", text="正文"
        )
        for judge in judges_:
            a = Assignment.objects.create(school=cast.school, entry=entry, judge=judge, result=70)
            Score.objects.create(school=cast.school, assignment=a, criterion=criterion, value=7)


def test_the_results_and_the_judging_list_keep_their_query_count_from_3_to_40_entries(cast, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    contest, zhao, sun = world
    Contest.objects.filter(pk=contest.pk).update(status=Contest.Status.JUDGING)
    for user in (zhao, sun):
        ContestJudge.objects.create(school=cast.school, contest=contest, user=user)

    def counts():
        admin, judge = cast.client(cast.admin_zhang), cast.client(sun)
        found = []
        for client, url in (
            (admin, f"/contest/{contest.pk}/manage/"),
            (admin, f"/api/v1/contests/{contest.pk}/results"),
            (judge, "/contest/judging/"),
            (judge, "/api/v1/contest-judging"),
        ):
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            found.append(len(ctx))
        return found

    _many_entries(cast, contest, (zhao, sun), 3)
    small = counts()
    _many_entries(cast, contest, (zhao, sun), 37)
    assert counts() == small
