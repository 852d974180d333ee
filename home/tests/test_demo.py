"""The demo shows the product with the accounts the README prints (issue 13): the README's table
is what ``load_demo`` prints, its counts are what it loads, and the README's parent has a child in
三年级2班, where the demo activity is, so the notice, the meeting, the survey, the class group and
the contact book are all waiting in their pages, and the head teacher sees the other side."""

import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from chat.models import Conversation
from contactbook.models import ContactRecord
from events.models import Event
from notices.models import Notice
from schools.demo import DEMO_CODE, DEMO_PASSWORD, demo_counts, demo_sign_ins
from schools.models import School
from surveys.models import Survey

README = Path(settings.BASE_DIR) / "README.md"


def readme_accounts() -> list[tuple[str, str, str]]:
    """The rows of the README's "who | sign in with | password" table, backticks removed."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("| who | sign in with | password |") + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        who, login, password = (cell.strip().replace("`", "") for cell in line.strip("|").split("|"))
        rows.append((who, login, password))
    return rows


def signed_in(login: str) -> Client:
    client = Client()
    assert client.login(username=login, password=DEMO_PASSWORD), f"{login} cannot sign in with the README's password"
    return client


def test_the_demo_is_what_the_readme_says_and_its_parent_finds_everything_waiting(db):
    # Loaded as `make run` loads it (40 students a class), once: a few seconds.
    out = StringIO()
    call_command("load_demo", stdout=out)
    printed = out.getvalue()
    with scopes_disabled():
        school = School.objects.get(code=DEMO_CODE)

    # The README's table is what load_demo prints, and each account signs in with its password.
    assert readme_accounts() == demo_sign_ins(school)
    for who, login, password in readme_accounts():
        assert f"{who} · {login} · {password}" in printed
        if password == DEMO_PASSWORD:
            signed_in(login)
    assert f"{settings.SITE_URL}/accounts/login/" in printed

    # The README's counts are what it loads and prints.
    counts = demo_counts(school)
    assert counts in printed
    assert re.sub(r"\s+", " ", README.read_text(encoding="utf-8")).count(counts) == 1

    # The README's parent has a child in 三年级2班, where everything is waiting for them.
    parent_login = next(login for who, login, _ in readme_accounts() if who.startswith("家长 parent of children"))
    parent = signed_in(parent_login)
    with scopes_disabled():
        notice = Notice.objects.get(school=school, title="春季运动会通知")
        event = Event.objects.get(school=school, title="三年级2班期中家长会")
        survey = Survey.objects.get(school=school, status="sent")
        group = Conversation.objects.get(school=school, kind="class", school_class__grade=3, school_class__number=2)
        record = ContactRecord.objects.get(school=school, visibility="shared")  # the README family's

    feed = parent.get("/notices/").content.decode()
    for title in (notice.title, event.title, survey.title):
        assert title in feed, title
    assert event.title in parent.get("/calendar/").content.decode()
    assert parent.get(f"/notices/{survey.notice_id}/").status_code == 200
    assert parent.get(f"/events/{event.pk}/invitation/").status_code == 200
    assert parent.get(reverse_answer(survey)).status_code == 200  # not answered yet: the form
    chats = parent.get("/chat/").content.decode()
    assert f"/chat/{group.pk}/" in chats
    conversation = parent.get(f"/chat/{group.pk}/").content.decode()
    assert "欢迎来到三年级2班家长群" in conversation and "周五早上7:50在操场集合" in conversation
    assert record.parent_summary[:12] in parent.get("/family/records/").content.decode()
    # Two children, in two classes: the child picker has something to pick.
    home = parent.get("/").content.decode()
    assert "三年级2班" in home and "一年级1班" in home

    # The other side: the head teacher of 三年级2班 (the README's t32) sees the notice's results and the group.
    head_login = next(login for who, login, _ in readme_accounts() if who.startswith("班主任"))
    head = signed_in(head_login)
    assert head.get(f"/notices/{notice.pk}/results/").status_code == 200
    assert head.get(f"/chat/{group.pk}/").status_code == 200
    assert head.get(f"/contacts/{record.pk}/").status_code == 200
    # Their home page has something on every card: the notices sent with their rates, the question
    # waiting in the class group, today's meeting, the to-do list with the overdue action first.
    home = head.get("/").content.decode()
    with scopes_disabled():
        meeting = Event.objects.get(school=school, title="三年级2班任课教师碰头会")
    # (Loaded in the last minutes of a day, the meeting can only be tomorrow's.)
    held_today = timezone.localdate(meeting.starts_at) == timezone.localdate()
    for heading in ("h-sent", "h-waiting", "h-todo", *(["h-today"] if held_today else [])):
        card = home[home.index(f'aria-labelledby="{heading}"') :]
        card = card[: card.index("</section>")]
        assert 'class="empty"' not in card, heading
    assert f'href="/notices/{notice.pk}/results/"' in home and "下周的家长会可以带弟弟妹妹一起来吗" in home
    assert "把课外阅读书单发给家长" in home and (not held_today or meeting.title in home)
    # The term plan from the template, issued: the class's next task has the parent meeting as evidence.
    from plans.models import PlanTask

    with scopes_disabled():
        assert PlanTask.objects.filter(school=school, evidence_event=event, status="in_progress").exists()
        past_due = PlanTask.objects.filter(
            school=school, school_class=group.school_class, due_on__lt=timezone.localdate()
        )
        assert not past_due.exclude(status="done").exists()
    assert head.get("/plan/").status_code == 200


def reverse_answer(survey) -> str:
    from django.urls import reverse

    return reverse("surveys:answer", args=[survey.pk])


def test_the_demo_suggestion_box_has_a_suggestion_at_every_step(db):
    from feedback.models import Rectification, Suggestion

    call_command("load_demo", stdout=StringIO())
    with scopes_disabled():
        school = School.objects.get(code=DEMO_CODE)
        statuses = set(Suggestion.objects.filter(school=school).values_list("status", flat=True))
        assert statuses == {"submitted", "acknowledged", "answered", "decided", "closed"}
        assert Suggestion.objects.filter(school=school, anonymous=True, author__isnull=True).exists()
        assert Suggestion.objects.filter(school=school, published_at__isnull=False).exists()
        assert {r.closed_at is None for r in Rectification.objects.filter(school=school)} == {True, False}


def test_the_demo_column_and_newspaper_issue_8(db):
    from publishing.models import Article, Issue

    call_command("load_demo", stdout=StringIO())
    with scopes_disabled():
        school = School.objects.get(code=DEMO_CODE)
        published = Article.objects.filter(school=school, status="published")
        assert published.filter(space="column").count() >= 3
        assert published.filter(space="staff").exists()
        assert published.filter(public=True).exists()
        assert Article.objects.filter(school=school, status="submitted").exists()
        issue = Issue.objects.get(school=school, number=8)
        assert issue.status == "sent" and issue.notice is not None
        assert {s.kind for s in issue.sections.all()} == {"article", "photo", "item"}
    page = Client().get(f"/s/{DEMO_CODE}/")
    assert page.status_code == 200 and "亲子共读" in page.content.decode()
