"""The staff home page (issue 13): what happened and what waits, not three buttons.

李老师 (ms_li) is the head teacher of 三年级1班, 王老师 (mr_wang) teaches it 数学, 张主任
(admin_zhang) runs the school. Each opens the home page through HTTP and finds the notices they
sent lately with their read and done rates (as the results page counts them), the questions and
messages families wait an answer to, today's events and the to-do list overdue first; each line a
link to where it is dealt with. A family's home page has none of it. The page takes a fixed number
of queries, whatever the number of notices, questions, events and items.

The assertions read the page's structure (links, ids, numbers), not its words: the words are
translated by the catalogue."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone

from chat.actions import class_group, do_send, private_conversation
from chat.models import Conversation, Message
from events.actions import EventFields, do_create_event
from events.models import Event
from home.queries import SHOWN
from home.tests.test_todo import _fill as fill_todo
from notices.actions import TargetSpec, do_create_notice
from notices.fanout import fan_out
from notices.models import Notice, Receipt, StudentReceipt
from notices.queries import notice_results
from schools.models import Guardian, Student, StudentGuardian
from schools.roles import compute_roles
from surveys.tests.helpers import create_and_send

pytestmark = pytest.mark.usefixtures("unscoped")


def _notice(cast, title: str, *, author=None, action: str = "confirm", class_=None) -> Notice:
    author = author or cast.ms_li
    notice = do_create_notice(
        cast.school,
        acting_user=author,
        roles=compute_roles(author),
        title=title,
        body_html="<p>x</p>",
        action=action,
        targets=[TargetSpec("class", class_id=(class_ or cast.class1).pk)],
    )
    fan_out(notice)
    return notice


def _event(cast, title: str, *, author=None, starts=None, targets=None) -> Event:
    author = author or cast.ms_li
    starts = starts or timezone.now() + datetime.timedelta(hours=5)
    event = do_create_event(
        cast.school,
        acting_user=author,
        roles=compute_roles(author),
        fields=EventFields(
            kind="parent_meeting",
            title=title,
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=1),
            place="教室",
        ),
        targets=targets or [TargetSpec("class", class_id=cast.class1.pk)],
    )
    assert event.notice is not None
    fan_out(event.notice)
    return event


def _family(cast, i: int) -> tuple[Student, object]:
    """Another child of 三年级1班 with a parent who has signed up."""
    from accounts.models import User

    phone = f"137{i:08d}"
    user = User.objects.create_user(phone, "pw-not-used-42", name=f"家长{i}", phone=phone)
    student = Student.objects.create(school=cast.school, name=f"学生{i}", school_class=cast.class1)
    guardian = Guardian.objects.create(
        school=cast.school, name=f"家长{i}", phone=phone, user=user, activated_at=timezone.now()
    )
    StudentGuardian.objects.create(school=cast.school, student=student, guardian=guardian, relationship="母亲")
    return student, user


def _fill(cast, n: int) -> dict:
    """``n`` of everything for ms_li, and what must not be on her page."""
    made: dict = {"notices": [], "questions": [], "private": [], "events": []}
    for i in range(n):
        made["notices"].append(_notice(cast, f"班级通知{i}"))
        question, _ = do_send(class_group(cast.class1), acting_user=cast.alice, body=f"请问问题{i}")
        made["questions"].append(question)
        student, parent = _family(cast, i)
        conversation = private_conversation(cast.ms_li, student)
        do_send(conversation, acting_user=parent, body=f"私信{i}")
        made["private"].append(conversation)
        made["events"].append(_event(cast, f"今天的活动{i}"))
    fill_todo(cast, n)
    # Not waiting for ms_li: an answered question, a question in a class she does not teach, a
    # conversation she has answered, a notice of another teacher, one sent three weeks ago, an
    # event tomorrow.
    answered, _ = do_send(class_group(cast.class1), acting_user=cast.bob, body="已经回答的问题")
    do_send(class_group(cast.class1), acting_user=cast.ms_li, body="答复", question_id=answered.pk)
    made["other_class_question"], _ = do_send(class_group(cast.class2), acting_user=cast.carol, body="二班的问题")
    replied = private_conversation(cast.ms_li, cast.bob_child)
    do_send(replied, acting_user=cast.bob, body="老师好")
    do_send(replied, acting_user=cast.ms_li, body="您好")
    made["replied"] = replied
    made["wangs_notice"] = _notice(cast, "王老师的通知", author=cast.mr_wang)
    old = _notice(cast, "三周前的通知")
    Notice.objects.filter(pk=old.pk).update(published_at=timezone.now() - datetime.timedelta(days=21))
    made["old"] = old
    made["tomorrow"] = _event(cast, "明天的活动", starts=timezone.now() + datetime.timedelta(days=1, hours=1))
    return made


RATE = re.compile(r'<strong>(\d+)%</strong> <span class="muted">(\d+)/(\d+)</span>')


def _section(page: str, heading_id: str) -> str:
    """The card whose heading has this id."""
    start = page.index(f'aria-labelledby="{heading_id}"')
    return page[start : page.index("</section>", start)]


def _home(client: Client) -> str:
    response = client.get("/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_head_teacher_sees_what_happened_and_what_waits(cast, school_day):
    made = _fill(cast, 2)
    page = _home(cast.client(cast.ms_li))

    # The quick actions stay, as one row above the cards.
    quick = page[page.index('<nav class="quick"') : page.index("</nav>", page.index('<nav class="quick"'))]
    assert all(href in quick for href in ('href="/notices/new/"', 'href="/contacts/new/"', 'href="/events/new/"'))

    sent = _section(page, "h-sent")
    for notice in made["notices"]:
        assert f'href="/notices/{notice.pk}/results/"' in sent
    assert made["wangs_notice"].title not in sent and made["old"].title not in sent
    # The newest first, at most a screen's worth.
    assert sent.index(made["notices"][1].title) < sent.index(made["notices"][0].title)

    waiting = _section(page, "h-waiting")
    for question in made["questions"]:
        assert f'href="/chat/{question.conversation_id}/#m{question.pk}"' in waiting
    for conversation in made["private"]:
        assert f'href="/chat/{conversation.pk}/"' in waiting
    assert "已经回答的问题" not in waiting and "二班的问题" not in waiting
    assert f'href="/chat/{made["replied"].pk}/"' not in waiting
    assert '<span class="badge-count">4</span>' in waiting  # two questions, two conversations

    today = _section(page, "h-today")
    for event in made["events"]:
        assert f'href="/events/{event.pk}/"' in today  # hers: the manage page
    assert made["tomorrow"].title not in today

    todo = _section(page, "h-todo")
    assert 'href="/contacts/todo/"' in todo
    lines = re.findall(r"<li>.*?</li>", todo, re.S)
    assert len(lines) == SHOWN
    # Overdue first: test_todo's fill makes the first item of every dated kind overdue (3).
    assert ["badge warn" in line for line in lines] == [True, True, True, False, False]

    classes = _section(page, "h-classes")
    assert f'href="/classes/{cast.class1.pk}/"' in classes


def test_the_rates_are_the_results_page_s(cast):
    """Read by receipts, done by students when the notice went to families: the numbers of
    notices.queries.notice_results, whatever the home page shows them in."""
    notice = _notice(cast, "运动会通知")
    now = timezone.now()
    Receipt.objects.filter(notice=notice, guardian=cast.alice_guardian).update(read_at=now, acted_at=now)
    StudentReceipt.objects.filter(notice=notice, student=cast.alice_child).update(done_at=now)
    Receipt.objects.filter(notice=notice, guardian__user=cast.bob).update(read_at=now)
    info = _notice(cast, "只需知晓", action="none")
    results = notice_results(notice)
    assert (results["read"], results["total"], results["students_done"], results["students"]) == (2, 2, 1, 2)

    page = _home(cast.client(cast.ms_li))
    sent = _section(page, "h-sent")
    line = sent[sent.index(notice.title) :]
    line = line[: line.index("</li>")]
    assert RATE.findall(line) == [
        (str(results["read_pct"]), str(results["read"]), str(results["total"])),
        (str(results["students_done_pct"]), str(results["students_done"]), str(results["students"])),
    ]
    # A notice that asks for nothing shows only how many have read it.
    line = sent[sent.index(info.title) :]
    assert len(RATE.findall(line[: line.index("</li>")])) == 1


def test_a_survey_is_done_when_answered_not_when_opened(cast):
    survey = create_and_send(
        cast.client(cast.ms_li),
        questions=[{"kind": "single", "text": "满意吗？", "options": ["满意", "不满意"]}],
        targets=[{"kind": "class", "class_id": cast.class1.pk}],
    )
    question = survey.questions.get()
    alice = cast.client(cast.alice)
    alice.get(f"/notices/{survey.notice_id}/")  # opened, not answered

    def rates() -> list[tuple[str, str, str]]:
        """(percent, done, of) for read, then for done, on the survey's line."""
        sent = _section(_home(cast.client(cast.ms_li)), "h-sent")
        line = sent[sent.index(survey.title) :]
        return RATE.findall(line[: line.index("</li>")])

    assert rates() == [("50", "1", "2"), ("0", "0", "2")]  # read by one family of two, done by none
    assert alice.post(f"/surveys/{survey.pk}/", {f"q{question.pk}": "0"}).status_code == 302
    assert rates() == [("50", "1", "2"), ("50", "1", "2")]  # answered: done


def test_a_subject_teacher_sees_the_questions_of_the_classes_they_teach_and_their_own_notices(cast, school_day):
    made = _fill(cast, 1)
    staff_meeting = _event(
        cast,
        "一班任课教师碰头会",
        author=cast.admin_zhang,
        targets=[TargetSpec("class_teachers", class_id=cast.class1.pk)],
    )
    page = _home(cast.client(cast.mr_wang))

    sent = _section(page, "h-sent")
    assert f'href="/notices/{made["wangs_notice"].pk}/results/"' in sent
    assert made["notices"][0].title not in sent  # 李老师's

    waiting = _section(page, "h-waiting")
    assert f"#m{made['questions'][0].pk}" in waiting  # he answers for 三年级1班 too
    assert "二班的问题" not in waiting
    assert f'href="/chat/{made["private"][0].pk}/"' not in waiting  # 李老师's conversation

    today = _section(page, "h-today")
    assert f'href="/events/{staff_meeting.pk}/invitation/"' in today  # invited as staff
    assert made["events"][0].title not in today  # 李老师's meeting: not his to manage
    todo = _section(page, "h-todo")
    assert "王老师的事" in todo and "事项0" not in todo  # his own list, not hers


def test_an_admin_sees_the_school_s(cast, school_day):
    made = _fill(cast, 1)
    page = _home(cast.client(cast.admin_zhang))
    sent = _section(page, "h-sent")
    assert made["notices"][0].title in sent and made["wangs_notice"].title in sent
    assert cast.ms_li.display_name in sent  # whose notice it is
    waiting = _section(page, "h-waiting")
    assert f"#m{made['questions'][0].pk}" in waiting and f"#m{made['other_class_question'].pk}" in waiting
    today = _section(page, "h-today")
    assert f'href="/events/{made["events"][0].pk}/"' in today
    assert 'aria-labelledby="h-school"' in page  # the school's own card stays


def test_another_school_s_staff_see_none_of_it(cast, school_day):
    _fill(cast, 1)
    page = _home(cast.client(cast.dave))
    for heading in ("h-sent", "h-today", "h-todo"):
        assert 'class="empty"' in _section(page, heading)
    assert 'class="empty"' in _section(page, "h-waiting")


def test_empty_cards_say_so(cast):
    page = _home(cast.client(cast.ms_li))
    for heading in ("h-sent", "h-waiting", "h-today", "h-todo"):
        assert '<li class="empty">' in _section(page, heading), heading


def test_a_family_s_home_has_none_of_it(cast, school_day):
    _fill(cast, 1)
    page = _home(cast.client(cast.alice))
    for heading in ("h-sent", "h-waiting", "h-today", "h-todo", "h-classes"):
        assert f'aria-labelledby="{heading}"' not in page
    assert 'class="quick"' not in page
    assert 'aria-labelledby="h-children"' in page and 'aria-labelledby="h-todo-family"' in page


def test_a_private_conversation_waits_until_the_teacher_replies(cast):
    conversation = private_conversation(cast.ms_li, cast.alice_child)
    teacher = cast.client(cast.ms_li)
    link = f'href="/chat/{conversation.pk}/"'
    assert link not in _section(_home(teacher), "h-waiting")  # nothing said yet
    do_send(conversation, acting_user=cast.alice, body="老师，孩子明天请假")
    assert link in _section(_home(teacher), "h-waiting")
    # An automatic reply (quiet hours) is not an answer.
    Message.objects.create(
        school=cast.school, conversation=conversation, sender=cast.ms_li, kind="auto_reply", body="老师在休息"
    )
    assert link in _section(_home(teacher), "h-waiting")
    do_send(conversation, acting_user=cast.ms_li, body="好的，收到")
    assert link not in _section(_home(teacher), "h-waiting")
    # A recalled message is not a word said.
    message, _ = do_send(conversation, acting_user=cast.alice, body="谢谢")
    assert link in _section(_home(teacher), "h-waiting")
    Message.objects.filter(pk=message.pk).update(recalled_at=timezone.now())
    assert link not in _section(_home(teacher), "h-waiting")


def test_a_cancelled_event_today_stays_on_the_card(cast, school_day):
    event = _event(cast, "今天的家长会")
    assert cast.client(cast.ms_li).post(f"/events/{event.pk}/cancel/", {"reason": "下雨"}).status_code == 302
    today = _section(_home(cast.client(cast.ms_li)), "h-today")
    line = today[today.index(event.title) :]
    assert 'class="badge warn"' in line[: line.index("</li>")]


@pytest.mark.parametrize("n", [1, 8])
def test_the_staff_home_takes_a_fixed_number_of_queries(cast, school_day, django_assert_num_queries, n):
    """Whatever the number of notices, questions, conversations, events and to-do items: 22 for
    the head teacher (the session, the user and her roles: 5; the four cards: 10, the follow-ups'
    children included; her classes: 2; the tab bar's badges: 5), and a fixed number for the admin
    (her school, its classes and term instead of her own classes)."""
    _fill(cast, n)
    assert Conversation.objects.filter(kind="private").count() == n + 1
    teacher = cast.client(cast.ms_li)
    with django_assert_num_queries(25):
        page = _home(teacher)
    assert page.count("请问问题") == min(n, SHOWN)
    admin = cast.client(cast.admin_zhang)
    with django_assert_num_queries(24):
        _home(admin)
