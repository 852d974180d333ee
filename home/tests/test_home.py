import pytest

from notices.actions import TargetSpec, do_create_notice
from notices.fanout import fan_out
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def _notices(cast, n, action="confirm"):
    roles = compute_roles(cast.ms_li)
    for i in range(n):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=roles,
            title=f"待回复{i}",
            body_html="<p>x</p>",
            action=action,
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        fan_out(notice)


def test_parent_home_lists_what_needs_a_reply(cast):
    _notices(cast, 1)
    _notices(cast, 1, action="none")
    page = cast.client(cast.alice).get("/").content.decode()
    assert "待回复0" in page


def test_teacher_home_counts_the_to_do(cast):
    import datetime

    from contactbook.actions import ActionSpec, do_record_contact

    do_record_contact(
        cast.school,
        acting_user=cast.ms_li,
        roles=compute_roles(cast.ms_li),
        kind="phone",
        occurred_on=cast.term.start_date,
        student_ids=[cast.alice_child.pk],
        summary="x",
        action_items=[ActionSpec("回访", due_on=cast.term.start_date - datetime.timedelta(days=1))],
    )
    page = cast.client(cast.ms_li).get("/").content.decode()
    assert "/contacts/todo/" in page and "badge warn" in page


@pytest.mark.parametrize("n", [1, 15])
def test_home_query_counts_do_not_grow(cast, django_assert_num_queries, n):
    _notices(cast, n)
    parent = cast.client(cast.alice)
    # 12: the 12th asks whether the guardian has given consent to what Tongxin keeps (accounts.consent).
    with django_assert_num_queries(12):
        assert parent.get("/").status_code == 200
    teacher = cast.client(cast.ms_li)
    # What happened and what waits (home.queries.staff_home): the to-do list itself instead of its
    # count (with the term plan's tasks, one query for the list and one for the count), the notices sent, the questions and conversations waiting, today's events (see
    # test_staff_home.py for every card full).
    # 23: the escalation ladder's call tasks (notices.ladder) and the term plan's tasks on the to-do list.
    with django_assert_num_queries(23):
        assert teacher.get("/").status_code == 200
