"""Issue 19, chat with headroom: the sender's membership is read from the one roster query each
message makes anyway (``access.role_of`` over ``access.member_ids``) and must say exactly what
``member_role`` says, for every kind of member and former member of every kind of conversation;
and a message sent over the socket costs a fixed, small number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from chat.access import _roster_sql, member_ids, member_role, role_of
from chat.actions import class_group, do_send, private_conversation, staff_group
from chat.models import Participant
from schools.models import StaffAssignment, StaffMember, Student

pytestmark = pytest.mark.usefixtures("unscoped")


def _everyone(cast):
    return [
        cast.admin_zhang,
        cast.ms_li,
        cast.mr_wang,
        cast.alice,
        cast.bob,
        cast.carol,
        cast.dave,
        cast.erin,
    ]


def _conversations(cast):
    group1 = class_group(cast.class1)
    group2 = class_group(cast.class2)
    private = private_conversation(cast.ms_li, cast.alice_child)
    staff = staff_group(cast.school, title="教研组", creator=cast.ms_li, member_ids=[cast.mr_wang.pk])
    other_school = class_group(cast.class_b)
    return [group1, group2, private, staff, other_school]


def _agree(cast):
    for conversation in _conversations(cast):
        members = member_ids(conversation)
        for user in _everyone(cast):
            user.refresh_from_db()
            assert role_of(user.pk, members) == member_role(user, conversation), (conversation.kind, user.username)


def test_role_of_agrees_with_member_role_for_everyone(cast):
    _agree(cast)


def test_role_of_agrees_after_the_roster_changes(cast):
    _conversations(cast)  # made while everyone is in
    # A child leaves, a teacher's assignment ends, an admin is no longer one, a staff member leaves
    # a staff group, an account is switched off.
    Student.objects.filter(pk=cast.alice_child.pk).update(status=Student.Status.LEFT)
    StaffAssignment.objects.filter(staff__user=cast.mr_wang).delete()
    StaffMember.objects.filter(user=cast.admin_zhang).update(is_school_admin=False)
    Participant.objects.filter(user=cast.mr_wang).update(left_at=timezone.now())
    cast.bob.is_active = False
    cast.bob.save(update_fields=["is_active"])
    _agree(cast)


def test_sending_costs_a_fixed_number_of_queries(cast, django_assert_num_queries):
    """do_send with the roster read once (as the socket does): the roster (one query), the
    sender's row (mute), the class's names (guardrail), the insert and the read position, between
    the transaction's two statements (here a savepoint and its release). Before issue 19 the same
    message cost 14: the sender's membership asked again (2-3), the roster in three queries, the
    idempotency key looked up ahead (the unique key refuses a repeat now), and the read position
    read before it was moved."""
    group = class_group(cast.class1)
    do_send(group, acting_user=cast.ms_li, body="第一条", client_key="k0")  # the sender's row exists
    members = member_ids(group)
    with django_assert_num_queries(7), CaptureQueriesContext(connection) as captured:
        members = member_ids(group)
        message, _replies = do_send(
            group, acting_user=cast.ms_li, body="明天春游，请带水壶。", client_key="k1", members=members
        )
    assert "INSERT" in captured.captured_queries[-3]["sql"]
    assert message.pk and message.sender_id == cast.ms_li.pk


def test_the_roster_query_keeps_no_scope_of_its_first_caller(cast):
    """``member_ids`` compiles its query once per conversation and process (issue 19). The first
    call may come from anywhere (a page of another school, a task in no school): what that
    caller's scope would add must not stay in the SQL that serves every later call."""
    group = class_group(cast.class1)
    expected = member_ids(group)
    assert {cast.ms_li.pk, cast.alice.pk} <= expected.everyone
    _roster_sql.cache_clear()
    with scope(school=[cast.class_b.school_id]):  # another school's scope at the first call
        assert member_ids(group) == expected
    assert member_ids(group) == expected
    assert _roster_sql.cache_info().hits >= 1  # the second call used the compiled query


def test_a_roster_change_shows_at_the_next_message_although_the_query_is_compiled(cast):
    """Compiled once, read every time: a child who leaves is out of the next roster."""
    group = class_group(cast.class1)
    assert cast.alice.pk in member_ids(group).everyone
    Student.objects.filter(pk=cast.alice_child.pk).update(status=Student.Status.LEFT)
    assert cast.alice.pk not in member_ids(group).everyone
