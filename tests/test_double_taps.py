"""Double taps and retries on every write a family makes (issue 20, security-test-plan R-7/R-8).

A family on a train taps twice, or its phone sends the same request again after a dropped answer:
each write below must leave ONE row. Each is tested as a retry (the same request twice, on any
database) and as two taps at once (two threads held at a barrier just before the write, on
PostgreSQL, where the database alone decides between them; SQLite serialises writers itself).
"""

import datetime
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from chat.actions import private_conversation
from chat.models import Message
from events.models import Booking, ConferenceDay, Rsvp
from events.tests.helpers import create_event
from notices.models import Notice, Receipt
from surveys.models import Answer, Participation, Response
from surveys.tests.helpers import answers_for, create_and_send

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers itself (BEGIN IMMEDIATE)"
)


# --- how each write is made, as the family's phone makes it --------------------------------------------


def send_notice(cast, action="confirm", options=""):
    response = cast.client(cast.ms_li).post(
        "/notices/new/",
        {
            "title": "春游通知",
            "body": "周五春游，请带好水壶。",
            "action": action,
            "options": options,
            "classes": [cast.class1.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    with scopes_disabled():
        return Notice.objects.get(title="春游通知")


def respond(client, notice, **answer):
    return client.post(f"/api/v1/notices/{notice.pk}/respond", answer, content_type="application/json")


def class_event(cast):
    return create_event(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}], capacity=30)


def rsvp(client, event):
    return client.post(
        f"/api/v1/events/{event.pk}/rsvp", {"answer": "yes", "people": 2}, content_type="application/json"
    )


def conference(cast):
    response = cast.client(cast.ms_li).post(
        "/conferences/new/",
        {
            "title": "期中家长个别面谈",
            "school_class": cast.class1.pk,
            "day": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
            "start": "14:00",
            "end": "15:00",
            "slot_minutes": 15,
            "break_minutes": 5,
            "place": "三年级1班教室",
            "teachers": [cast.mr_wang.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[-1500:]
    with scopes_disabled():
        day = ConferenceDay.objects.get()
        return day, day.slots.order_by("starts_at").first()


def book(client, day, slot):
    return client.post(
        f"/api/v1/conferences/{day.pk}/book", {"slot_id": slot.pk, "note": "下午可以"}, content_type="application/json"
    )


def survey(cast):
    return create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])


def answer(client, found, answers=None):
    answers = answers if answers is not None else answers_for(found)
    return client.post(f"/api/v1/surveys/{found.pk}/answer", {"answers": answers}, content_type="application/json")


def alice_to_ms_li(cast):
    with scopes_disabled():
        return private_conversation(cast.ms_li, cast.alice_child)


def say(client, conversation, key="k-7f3a9c"):
    return client.post(
        f"/api/v1/conversations/{conversation.pk}/messages",
        {"body": "老师好，明天孩子请假一天。", "client_key": key},
        content_type="application/json",
    )


def alices_receipt(cast, notice) -> Receipt:
    return Receipt.objects.get(notice=notice, guardian=cast.alice_guardian)


# --- the same request twice ------------------------------------------------------------------------------


@pytest.mark.usefixtures("unscoped")
def test_confirming_twice_keeps_one_receipt_and_the_first_time(cast):
    notice = send_notice(cast)
    alice = cast.client(cast.alice)
    assert respond(alice, notice).status_code == 204
    first = alices_receipt(cast, notice)
    assert first.acted_at is not None
    assert respond(alice, notice).status_code == 204  # the retry
    again = alices_receipt(cast, notice)
    assert Receipt.objects.filter(notice=notice, guardian=cast.alice_guardian).count() == 1
    assert again.acted_at == first.acted_at  # the school sees when she confirmed, not when she retried
    # The page's form, tapped twice, is the same.
    assert alice.post(f"/notices/{notice.pk}/").status_code == 302
    assert alice.post(f"/notices/{notice.pk}/").status_code == 302
    assert alices_receipt(cast, notice).acted_at == first.acted_at


@pytest.mark.usefixtures("unscoped")
def test_answering_twice_keeps_one_answer_and_a_changed_answer_replaces_it(cast):
    notice = send_notice(cast, action="answer", options="参加\n不参加")
    alice = cast.client(cast.alice)
    assert respond(alice, notice, answer="参加").status_code == 204
    first = alices_receipt(cast, notice)
    assert respond(alice, notice, answer="参加").status_code == 204
    assert alices_receipt(cast, notice).acted_at == first.acted_at
    assert respond(alice, notice, answer="不参加").status_code == 204  # a change of mind is not a retry
    changed = alices_receipt(cast, notice)
    assert changed.answer == "不参加" and changed.acted_at is not None and first.acted_at is not None
    assert changed.acted_at >= first.acted_at
    assert Receipt.objects.filter(notice=notice, guardian=cast.alice_guardian).count() == 1


@pytest.mark.usefixtures("unscoped")
def test_an_rsvp_sent_twice_is_one_reply(cast):
    event = class_event(cast)
    alice = cast.client(cast.alice)
    assert rsvp(alice, event).status_code == 200
    assert rsvp(alice, event).status_code == 200
    assert Rsvp.objects.filter(event=event).count() == 1
    assert Rsvp.objects.get(event=event).people == 2


@pytest.mark.usefixtures("unscoped")
def test_a_booking_sent_twice_keeps_the_same_booking(cast):
    day, slot = conference(cast)
    alice = cast.client(cast.alice)
    assert book(alice, day, slot).status_code == 200
    first = Booking.objects.get()
    retry = book(alice, day, slot)
    assert retry.status_code == 200 and retry.json()["slot_id"] == slot.pk
    assert Booking.objects.count() == 1
    assert Booking.objects.get().pk == first.pk  # kept, not deleted and made again
    assert list(Booking.objects.get().students.values_list("pk", flat=True)) == [cast.alice_child.pk]


@pytest.mark.usefixtures("unscoped")
def test_a_survey_answered_twice_is_stored_once_and_the_retry_is_told(cast):
    found = survey(cast)
    alice = cast.client(cast.alice)
    assert answer(alice, found).status_code == 201
    retry = answer(alice, found)
    assert retry.status_code == 400
    assert "已经" in retry.json()["detail"] or "already" in retry.json()["detail"]
    assert Participation.objects.filter(survey=found).count() == 1
    assert Response.objects.filter(survey=found).count() == 1
    assert Answer.objects.filter(survey=found).count() == found.questions.count()


@pytest.mark.usefixtures("unscoped")
def test_a_chat_message_sent_twice_with_its_key_is_one_message(school_day, cast):
    # At 10:00: in a teacher's quiet hours a family's message brings an auto-reply (one more row).
    conversation = alice_to_ms_li(cast)
    alice = cast.client(cast.alice)
    first = say(alice, conversation)
    retry = say(alice, conversation)
    assert first.status_code == retry.status_code == 201
    assert retry.json()["id"] == first.json()["id"]
    assert Message.objects.filter(conversation=conversation, sender=cast.alice).count() == 1
    # A new message (a new key) is a new row; the key is the sender's own, not shared with others.
    assert say(alice, conversation, key="k-second").status_code == 201
    assert say(cast.client(cast.ms_li), conversation).status_code == 201
    assert Message.objects.filter(conversation=conversation).count() == 3


@pytest.mark.usefixtures("unscoped")
def test_the_chat_page_gives_each_form_a_fresh_key_and_a_resubmitted_form_sends_once(cast):
    conversation = alice_to_ms_li(cast)
    alice = cast.client(cast.alice)
    page = alice.get(f"/chat/{conversation.pk}/").content.decode()
    key = page.split('name="client_key" value="')[1].split('"')[0]
    assert len(key) == 32
    again = alice.get(f"/chat/{conversation.pk}/").content.decode()
    assert key not in again  # each page (each message typed) has its own key
    for _ in range(2):  # the browser sends the form twice
        assert alice.post(f"/chat/{conversation.pk}/", {"body": "谢谢老师", "client_key": key}).status_code == 302
    assert Message.objects.filter(conversation=conversation, sender=cast.alice).count() == 1


# --- two taps at once --------------------------------------------------------------------------------------


def at_once(monkeypatch, target, name: str, requests: list[Callable]) -> list:
    """Run the requests in threads, each held at a barrier when it reaches ``target.name`` (after
    its checks, just before its write), so that every one of them writes at the same time."""
    barrier = threading.Barrier(len(requests), timeout=20)
    original = getattr(target, name)
    met: list[bool] = []

    def held(*args, **kwargs):
        barrier.wait()
        met.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, held)
    results: list = [None] * len(requests)
    errors: list = []

    def run(index):
        try:
            results[index] = requests[index]()
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert len(met) == len(requests), "the requests did not all reach the write together"
    return results


def fresh_cast():
    from conftest import build_cast

    return build_cast()


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("action", "options", "given"), [("confirm", "", {}), ("answer", "参加\n不参加", {"answer": "参加"})]
)
def test_two_confirmations_at_once_leave_one_receipt(transactional_db, monkeypatch, action, options, given):
    import notices.api

    cast = fresh_cast()
    notice = send_notice(cast, action=action, options=options)
    clients = [cast.client(cast.alice), cast.client(cast.alice)]
    results = at_once(
        monkeypatch, notices.api, "access_notice_to_read", [lambda c=c: respond(c, notice, **given) for c in clients]
    )
    assert [r.status_code for r in results] == [204, 204]
    with scopes_disabled():
        receipts = Receipt.objects.filter(notice=notice, guardian=cast.alice_guardian)
        assert receipts.count() == 1
        assert receipts.get().acted_at is not None and receipts.get().answer == given.get("answer", "")


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_rsvps_at_once_are_one_reply(transactional_db, monkeypatch):
    import events.api

    cast = fresh_cast()
    with scopes_disabled():
        event = class_event(cast)
    clients = [cast.client(cast.alice), cast.client(cast.alice)]
    results = at_once(monkeypatch, events.api, "access_event_as_invited", [lambda c=c: rsvp(c, event) for c in clients])
    assert [r.status_code for r in results] == [200, 200]
    with scopes_disabled():
        assert Rsvp.objects.filter(event=event).count() == 1


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_bookings_of_one_time_by_one_family_at_once_are_one_booking(transactional_db, monkeypatch):
    cast = fresh_cast()
    day, slot = conference(cast)
    clients = [cast.client(cast.alice), cast.client(cast.alice)]
    # Both taps pass every check before either writes: held just before the INSERT.
    results = at_once(monkeypatch, Booking.objects, "create", [lambda c=c: book(c, day, slot) for c in clients])
    # The second tap is not told "someone has just booked this time": it is her own booking.
    assert [r.status_code for r in results] == [200, 200], [r.content for r in results]
    assert {r.json()["slot_id"] for r in results} == {slot.pk}
    with scopes_disabled():
        assert Booking.objects.count() == 1


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_survey_answers_at_once_store_one(transactional_db, monkeypatch):
    cast = fresh_cast()
    with scopes_disabled():
        found = survey(cast)
        given = answers_for(found)
    clients = [cast.client(cast.alice), cast.client(cast.alice)]
    results = at_once(
        monkeypatch, Participation.objects, "create", [lambda c=c: answer(c, found, given) for c in clients]
    )
    assert sorted(r.status_code for r in results) == [201, 400]
    with scopes_disabled():
        assert Participation.objects.filter(survey=found).count() == 1
        assert Response.objects.filter(survey=found).count() == 1
        assert Answer.objects.filter(survey=found).count() == found.questions.count()


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_sends_of_one_chat_message_at_once_are_one_message(transactional_db, school_day, monkeypatch):
    # At 10:00: in a teacher's quiet hours a family's message brings an auto-reply (one more row).
    import chat.actions

    cast = fresh_cast()
    conversation = alice_to_ms_li(cast)
    clients = [cast.client(cast.alice), cast.client(cast.alice)]
    # Held after the "sent before with this key?" look-up, so both miss it and both INSERT.
    results = at_once(monkeypatch, chat.actions, "_guardrails", [lambda c=c: say(c, conversation) for c in clients])
    assert [r.status_code for r in results] == [201, 201], [r.content for r in results]
    assert results[0].json()["id"] == results[1].json()["id"]
    with scopes_disabled():
        assert Message.objects.filter(conversation=conversation).count() == 1
