"""Which messages a member sees: the one rule (``chat.access``), as a query and for one message,
with every kind of message a conversation holds."""

import pytest
from django.http import Http404
from django.utils import timezone

from chat.access import (
    FAMILY,
    NOT_GONE,
    STAFF,
    access_message,
    member_role,
    sees_message,
    visible_messages,
)
from chat.actions import class_group
from chat.models import Conversation, Message

pytestmark = pytest.mark.usefixtures("unscoped")


@pytest.fixture
def qa_group(cast):
    """Class 1's group in Q&A mode: an announcement, alice's open question, bob's answered one, a
    recalled and a removed message, and a quiet one."""
    group = class_group(cast.class1)
    Conversation.objects.filter(pk=group.pk).update(mode=Conversation.Mode.QA)
    group.refresh_from_db()
    now = timezone.now()

    def message(sender, body, **fields):
        return Message.objects.create(school=cast.school, conversation=group, sender=sender, body=body, **fields)

    messages = {
        "announcement": message(cast.ms_li, "明天春游"),
        "alice_open": message(cast.alice, "要带午饭吗？", kind=Message.Kind.QUESTION, visible_to_all=False),
        "bob_answered": message(cast.bob, "几点出发？", kind=Message.Kind.QUESTION, answered_at=now),
        "recalled": message(cast.ms_li, "发错了", recalled_at=now),
        "removed": message(cast.alice, "广告", removed_at=now, removed_by=cast.ms_li),
        "quiet": message(cast.bob, "晚上好", quiet=True),
    }
    return group, messages


EVERYTHING = {"announcement", "alice_open", "bob_answered", "recalled", "removed", "quiet"}


@pytest.mark.parametrize(
    "who,sees",
    [
        ("ms_li", EVERYTHING),  # staff: everything, the open question included
        ("alice", EVERYTHING),  # the asker sees her own open question
        ("bob", EVERYTHING - {"alice_open"}),  # another family: not until it is answered
    ],
)
def test_a_member_sees_what_the_rule_says_as_a_query_and_one_by_one(cast, qa_group, who, sees):
    group, messages = qa_group
    user = getattr(cast, who)
    role = member_role(user, group)
    assert role == (STAFF if who == "ms_li" else FAMILY)
    names = {m.pk: name for name, m in messages.items()}
    as_query = {names[pk] for pk in visible_messages(group, user, role).values_list("pk", flat=True)}
    one_by_one = {
        name
        for name, m in messages.items()
        if sees_message(role, user.pk, visible_to_all=m.visible_to_all, sender_id=m.sender_id)
    }
    assert as_query == one_by_one == sees
    # Recalled and removed messages keep their place in the history, but are not "live".
    live = {names[pk] for pk in visible_messages(group, user, role).filter(NOT_GONE).values_list("pk", flat=True)}
    assert live == sees - {"recalled", "removed"}


def test_access_message_refuses_what_the_member_may_not_see_and_other_conversations(cast, qa_group):
    group, messages = qa_group
    bob_role = member_role(cast.bob, group)
    assert bob_role == FAMILY
    assert access_message(group, cast.bob, bob_role, messages["announcement"].pk) == messages["announcement"]
    with pytest.raises(Http404):
        access_message(group, cast.bob, bob_role, messages["alice_open"].pk)
    assert access_message(group, cast.alice, FAMILY, messages["alice_open"].pk) == messages["alice_open"]
    other = class_group(cast.class2)
    with pytest.raises(Http404):
        access_message(other, cast.ms_li, STAFF, messages["announcement"].pk)
    for forged in ("1", None, True):
        with pytest.raises(Http404):
            access_message(group, cast.ms_li, STAFF, forged)  # type: ignore[arg-type]


def test_someone_who_is_not_a_member_sees_nothing():
    assert not sees_message(None, 1, visible_to_all=True, sender_id=1)
