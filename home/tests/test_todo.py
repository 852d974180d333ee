"""One to-do list (home.todo) over the kinds the contact book and events leave: the page, the home
count and the API read it, so they agree; its queries do not grow with its length."""

import datetime

import pytest
from django.utils import timezone

from contactbook.models import ActionItem, ContactRecord, ContactStudent, ConversationRequest
from events.models import Event, FollowUp, Resolution
from home.todo import todo_count, todo_items
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def _fill(cast, n: int) -> None:
    """``n`` open items of every kind for ms_li (the head teacher of class 1), the first of each
    dated kind overdue, and some items that are not hers or are done (never on her list)."""
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)
    starts = timezone.now() - datetime.timedelta(days=1)
    for i in range(n):
        due = yesterday if i == 0 else today + datetime.timedelta(days=i)
        contact = ContactRecord.objects.create(
            school=cast.school,
            term=cast.term,
            author=cast.ms_li,
            kind="phone",
            occurred_on=today,
            summary=f"记录{i}",
            follow_up_on=due,
        )
        ContactStudent.objects.create(school=cast.school, record=contact, student=cast.alice_child)
        ActionItem.objects.create(
            school=cast.school, record=contact, description=f"事项{i}", owner=cast.ms_li, due_on=due
        )
        ConversationRequest.objects.create(
            school=cast.school, student=cast.alice_child, guardian=cast.alice_guardian, topic=f"想聊聊{i}"
        )
        event = Event.objects.create(
            school=cast.school,
            author=cast.ms_li,
            title=f"家长会{i}",
            starts_at=starts,
            ends_at=starts + datetime.timedelta(hours=2),
            place="教室",
        )
        FollowUp.objects.create(school=cast.school, event=event, student=cast.bob_child, owner=cast.ms_li)
        Resolution.objects.create(school=cast.school, event=event, text=f"决议{i}", owner=cast.ms_li, due_on=due)
    # Not hers, or done: on nobody's list here.
    contact = ContactRecord.objects.create(
        school=cast.school, term=cast.term, author=cast.mr_wang, kind="phone", occurred_on=today, summary="王"
    )
    ActionItem.objects.create(school=cast.school, record=contact, description="王老师的事", owner=cast.mr_wang)
    ActionItem.objects.create(
        school=cast.school, record=contact, description="做完了", owner=cast.ms_li, done_at=timezone.now()
    )
    ConversationRequest.objects.create(
        school=cast.school, student=cast.carol_child, guardian=cast.alice_guardian, topic="二班的", status="open"
    )


@pytest.mark.parametrize("n", [1, 12])
def test_the_list_and_the_count_take_a_fixed_number_of_queries(cast, django_assert_num_queries, n):
    _fill(cast, n)
    roles = compute_roles(cast.ms_li)
    # Seven kinds (the ladder's call tasks and the term plan's tasks the last two), and the
    # follow-ups' children in one more.
    with django_assert_num_queries(8):
        todo = todo_items(cast.ms_li, roles, cast.school)
        for todo_item in todo.follow_ups:
            assert [link.student.name for link in todo_item.item.student_links.all()] == ["刘小明"]
        assert {t.item.event.title for t in todo.event_resolutions}
        assert {t.item.student.name for t in todo.event_follow_ups}
        assert {str(t.item.student.school_class) for t in todo.conversation_requests} == {"三年级1班"}
    assert todo.count == 5 * n and todo.overdue == 3
    # One query per app.
    with django_assert_num_queries(3):
        assert todo_count(cast.ms_li, roles, cast.school).open == 5 * n


def test_the_page_the_home_count_and_the_api_agree(cast):
    _fill(cast, 3)
    teacher = cast.client(cast.ms_li)
    todo = todo_items(cast.ms_li, compute_roles(cast.ms_li), cast.school)
    count = todo_count(cast.ms_li, compute_roles(cast.ms_li), cast.school)
    assert (count.open, count.overdue) == (todo.count, todo.overdue) == (15, 3)

    api = teacher.get("/api/v1/contacts/todo").json()
    kinds = ["follow_ups", "actions", "conversation_requests", "event_follow_ups", "resolutions"]
    assert sum(len(api[kind]) for kind in kinds) == api["count"] == 15 and api["overdue"] == 3
    assert [a["description"] for a in api["actions"]] == ["事项0", "事项1", "事项2"]
    assert [r["text"] for r in api["resolutions"]] == ["决议0", "决议1", "决议2"]

    home = teacher.get("/").content.decode()
    assert "待办：15" in home or "To-do: 15" in home
    page = teacher.get("/contacts/todo/").content.decode()
    for i in range(3):
        assert f"事项{i}" in page and f"想聊聊{i}" in page and f"家长会{i}" in page and f"决议{i}" in page
    assert "二班的" not in page and "王老师的事" not in page and "做完了" not in page


def test_closing_an_item_takes_it_off_the_list_everywhere(cast):
    _fill(cast, 1)
    teacher = cast.client(cast.ms_li)
    resolution = Resolution.objects.get(owner=cast.ms_li)
    assert teacher.post(f"/events/resolutions/{resolution.pk}/done/").url == "/contacts/todo/"
    assert teacher.get("/api/v1/contacts/todo").json()["count"] == 4
    assert todo_count(cast.ms_li, compute_roles(cast.ms_li), cast.school).open == 4
