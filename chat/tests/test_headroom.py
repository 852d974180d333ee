"""Issue 19, chat with headroom: the sender's membership is read from the one roster query each
message makes anyway (``access.role_of`` over ``access.member_ids``) and must say exactly what
``member_role`` says, for every kind of member and former member of every kind of conversation;
and a message sent over the socket costs a fixed, small number of queries."""

from contextlib import nullcontext

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope

from chat.access import _roster_sql, member_ids, member_role, role_of
from chat.actions import (
    _class_names_sql,
    _sender_row_sql,
    class_group,
    do_send,
    private_conversation,
    read_send_facts,
    send_facts_from_rows,
    send_facts_statements,
    staff_group,
)
from chat.models import Message, Participant
from core.db import together
from guardrails.queries import _school_rules_sql
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


def test_sending_costs_a_fixed_number_of_queries(transactional_db, cast, django_assert_num_queries):
    """What the socket does for a message, outside a transaction: ``read_send_facts`` (the roster,
    the sender's row for the mute, the class's names and the school's words for the guardrail),
    then the message and the sender's read position. On PostgreSQL that is two statements: the four
    reads in one text, and one statement that writes both rows. Elsewhere the reads go one by one,
    and the writes in a transaction (on SQLite its BEGIN and COMMIT are counted). Before issue 19 the same message cost 14 queries."""
    group = class_group(cast.class1)
    do_send(group, acting_user=cast.ms_li, body="第一条", client_key="k0")  # the sender's row exists
    body = "明天春游，请带水壶。"
    postgres = connection.vendor == "postgresql"
    with django_assert_num_queries(2 if postgres else 8), CaptureQueriesContext(connection) as captured:
        facts = read_send_facts(group, cast.ms_li, body)
        message, _replies = do_send(group, acting_user=cast.ms_li, body=body, client_key="k1", facts=facts)
    sql = [q["sql"] for q in captured.captured_queries]
    reads = sql[0] if postgres else " ".join(sql[:4])
    assert "chat_participant" in reads and "schools_student" in reads and "guardrails_schoolwords" in reads
    if postgres:
        assert sql[1].startswith("WITH m AS (INSERT") and "ON CONFLICT" in sql[1]
    else:
        assert sql[4].startswith("BEGIN") and "INSERT" in sql[5] and "UPDATE" in sql[6] and sql[7] == "COMMIT"
    assert message.pk and message.sender_id == cast.ms_li.pk
    assert Participant.objects.get(conversation=group, user=cast.ms_li).last_read_id == message.pk
    assert cast.ms_li.pk in facts.members.staff and cast.alice.pk in facts.members.everyone


def test_the_facts_of_a_message_are_read_in_one_trip(transactional_db, cast):
    """On PostgreSQL the four reads go out as one text and their result sets come back together:
    one trip, one wait of the socket's database thread; elsewhere one after the other. Either way
    each gets its own rows."""
    group = class_group(cast.class1)
    executed = []

    def note(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        facts = read_send_facts(group, cast.alice, "老师好")
    assert len(executed) == (1 if connection.vendor == "postgresql" else 4)
    assert facts.me is None  # alice has no row of her own yet
    assert cast.alice_child.name in facts.student_names
    assert facts.members == member_ids(group)
    assert connection.cursor().execute("SELECT 1").fetchone() == (1,)  # the connection is as before


def test_one_statement_stores_the_message_as_save_would(transactional_db, cast):
    """The socket's statement (``core.db.insert_statement``, the ORM's own INSERT) writes every
    field as ``save()`` does; a first message makes the sender's row with its defaults."""
    group = class_group(cast.class1)
    message, _ = do_send(group, acting_user=cast.alice, body="老师好，孩子今天请假。", client_key="leave")
    stored = Message.objects.get(pk=message.pk)
    for f in Message._meta.concrete_fields:
        assert getattr(stored, f.attname) == getattr(message, f.attname), f.name
    assert not message._state.adding
    row = Participant.objects.get(conversation=group, user=cast.alice)
    assert (row.last_read_id, row.is_member, row.muted, row.left_at) == (message.pk, False, False, None)
    assert row.school_id == cast.school.pk and row.joined_at is not None


def test_a_read_position_never_moves_back(transactional_db, cast):
    """The sender had read further (another socket, a page) than the message they send now is: their
    position stays where it was."""
    group = class_group(cast.class1)
    first, _ = do_send(group, acting_user=cast.alice, body="第一条", client_key="p1")
    Participant.objects.filter(conversation=group, user=cast.alice).update(last_read_id=first.pk + 1000)
    later, _ = do_send(group, acting_user=cast.alice, body="第二条", client_key="p2")
    assert later.pk < first.pk + 1000
    assert Participant.objects.get(conversation=group, user=cast.alice).last_read_id == first.pk + 1000


@pytest.mark.parametrize("in_a_transaction", [False, True])
def test_a_repeated_key_returns_the_first_message_and_the_connection_stays_usable(
    transactional_db, cast, in_a_transaction
):
    """A repeated client key: the INSERT fails (outside a transaction, as on the socket, in the one
    statement that also moves the read position; inside one, as on a page or the API, in that
    transaction), the first message is returned, and the next statements run as usual."""
    group = class_group(cast.class1)
    first, _ = do_send(group, acting_user=cast.alice, body="第一条", client_key="same")
    with transaction.atomic() if in_a_transaction else nullcontext():
        again, _ = do_send(group, acting_user=cast.alice, body="第一条", client_key="same")
    assert again.pk == first.pk and getattr(again, "duplicate", False)
    assert Participant.objects.get(conversation=group, user=cast.alice).last_read_id == first.pk
    later, _ = do_send(group, acting_user=cast.alice, body="第二条", client_key="other")
    assert later.pk > first.pk
    assert Participant.objects.get(conversation=group, user=cast.alice).last_read_id == later.pk


def test_a_first_message_whose_row_appeared_since_the_facts_were_read_is_stored(transactional_db, cast):
    """The sender had no row of their own when the facts were read; another of their sockets made
    it before the write. The message is stored, and the position moved, in one row."""
    group = class_group(cast.class1)
    facts = read_send_facts(group, cast.alice, "老师好")
    assert facts.me is None
    Participant.objects.create(school=cast.school, conversation=group, user=cast.alice, last_read_id=0)
    message, _ = do_send(group, acting_user=cast.alice, body="老师好", client_key="first", facts=facts)
    assert Participant.objects.get(conversation=group, user=cast.alice).last_read_id == message.pk
    assert Participant.objects.filter(conversation=group, user=cast.alice).count() == 1


def test_a_muted_sender_is_refused_from_the_facts(cast):
    group = class_group(cast.class1)
    do_send(group, acting_user=cast.alice, body="第一条", client_key="a1")
    Participant.objects.filter(conversation=group, user=cast.alice).update(muted=True, muted_reason="刷屏")
    with pytest.raises(ValidationError, match="刷屏"):
        do_send(group, acting_user=cast.alice, body="第二条", client_key="a2")


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


def test_the_facts_queries_keep_no_scope_of_their_first_caller(cast):
    """The sender's row, the class's names and the school's words are compiled once per process
    too (issue 19): another school's scope at the first call must not stay in their SQL."""
    group = class_group(cast.class1)
    do_send(group, acting_user=cast.alice, body="第一条", client_key="s1")
    for compiled in (_sender_row_sql, _class_names_sql, _school_rules_sql):
        compiled.cache_clear()
    with scope(school=[cast.class_b.school_id]):  # another school's scope at the first call
        statements = send_facts_statements(group, cast.alice, "老师好")
    facts = send_facts_from_rows(group, "老师好", together(statements))
    assert facts.me is not None and cast.alice_child.name in facts.student_names
    assert send_facts_statements(group, cast.alice, "老师好") == statements  # compiled once
    assert _sender_row_sql.cache_info().hits >= 1


def test_the_insert_text_fits_its_values_whatever_the_model(db):
    """``core.db.insert_statement`` reuses the ORM's text for a model, one placeholder a value; a
    field with a database default (compiled as ``DEFAULT``, no placeholder, for an object that
    leaves it unset) or a value that is an expression is compiled afresh, so the text always has as
    many placeholders as there are values."""
    from django.db.models.functions import Now

    from core.db import insert_statement
    from delivery.models import Delivery

    unset = Delivery(school_id=1, receipt_id=1, channel="sms")  # error_kind … left to the database
    given = Delivery(school_id=1, receipt_id=1, channel="sms", error_kind="quota", provider_ref="b-1")
    expression = Message(school_id=1, conversation_id=1, sender_id=1, body="好", created_at=Now())
    for obj in (unset, given, expression, Message(school_id=1, conversation_id=1, sender_id=1, body="好")):
        sql, params = insert_statement(obj)
        assert sql.count("%s") == len(params), (type(obj).__name__, sql)
    assert "quota" in insert_statement(given)[1]
