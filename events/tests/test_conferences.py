"""Individual conferences (家长个别面谈, issue 7): a teacher offers times to a class, families book
one for their child, change it, and two families never get the same time."""

import datetime
import threading
import zoneinfo

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone
from django_scopes import scopes_disabled

from conftest import zh
from events.actions import do_create_conference_day
from events.models import Booking, ConferenceDay, Slot
from notices.models import Notice, Receipt
from schools.models import Guardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


JUST_BOOKED = zh("Someone has just booked this time. Please choose another.")
BOOKED = zh("Booked. The teacher expects you then.")


def offer(client, cast, **changes):
    """POST the teacher's form: 14:00–15:00 in five days, 15 minutes a family and 5 between."""
    data = {
        "title": "期中家长个别面谈",
        "school_class": cast.class1.pk,
        "day": (timezone.localdate() + datetime.timedelta(days=5)).isoformat(),
        "start": "14:00",
        "end": "15:00",
        "slot_minutes": 15,
        "break_minutes": 5,
        "place": "三年级1班教室",
        "teachers": [cast.mr_wang.pk],
        **changes,
    }
    return client.post("/conferences/new/", data)


def offered(cast) -> tuple[ConferenceDay, list[Slot]]:
    response = offer(cast.client(cast.ms_li), cast)
    assert response.status_code == 302, response.content.decode()[-2000:]
    conference = ConferenceDay.objects.get()
    assert response["Location"] == f"/conferences/{conference.pk}/"
    return conference, list(conference.slots.order_by("starts_at"))


def book_api(client, conference, slot, **extra):
    return client.post(
        f"/api/v1/conferences/{conference.pk}/book", {"slot_id": slot.pk, **extra}, content_type="application/json"
    )


def book_page(client, conference, slot, students=()):
    """The family's form, then the page it lands on (with the message)."""
    response = client.post(
        f"/conferences/{conference.pk}/", {"slot": slot.pk, "students": [s.pk for s in students]}, follow=True
    )
    assert response.redirect_chain == [(f"/conferences/{conference.pk}/", 302)]
    return response.content.decode()


def booking_of(guardian) -> Booking:
    booking = Booking.objects.filter(receipt__guardian=guardian).first()
    assert booking is not None
    return booking


def guardian_of(user) -> Guardian:
    return Guardian.objects.get(user=user)


def test_offering_times_makes_slots_with_breaks_and_tells_the_families_of_the_class(cast):
    conference, slots = offered(cast)
    day = timezone.localdate() + datetime.timedelta(days=5)
    local = [(s.starts_at.astimezone(SHANGHAI), s.ends_at.astimezone(SHANGHAI)) for s in slots]
    assert [(a.date(), f"{a:%H:%M}", f"{b:%H:%M}") for a, b in local] == [
        (day, "14:00", "14:15"),
        (day, "14:20", "14:35"),
        (day, "14:40", "14:55"),
    ]
    assert conference.school_class == cast.class1
    assert set(conference.teachers.values_list("pk", flat=True)) == {cast.ms_li.pk, cast.mr_wang.pk}

    notice = conference.notice
    assert notice is not None and notice.status == Notice.Status.PUBLISHED
    families = set(Receipt.objects.filter(notice=notice).values_list("guardian__user", flat=True))
    assert families == {cast.alice.pk, cast.bob.pk}
    assert f"/conferences/{conference.pk}/" in notice.body_html
    assert conference.title in cast.client(cast.alice).get("/notices/").content.decode()
    assert conference.title not in cast.client(cast.carol).get("/notices/").content.decode()


def test_a_family_books_a_time_and_the_teachers_see_the_child(cast):
    conference, slots = offered(cast)
    alice = cast.client(cast.alice)
    page = alice.get(f"/conferences/{conference.pk}/")
    assert page.status_code == 200
    assert "14:20" in page.content.decode() and cast.alice_child.name in page.content.decode()

    html = book_page(alice, conference, slots[1], students=[cast.alice_child])
    assert BOOKED in html
    booking = Booking.objects.get()
    assert booking.slot == slots[1]
    assert booking.receipt.guardian == cast.alice_guardian
    assert set(booking.students.all()) == {cast.alice_child}

    for teacher in (cast.ms_li, cast.mr_wang):
        html = cast.client(teacher).get(f"/conferences/{conference.pk}/").content.decode()
        assert cast.alice_child.name in html, teacher
        assert cast.bob_child.name not in html  # bob has not booked

    # The API books as well (here: bob, for his child, another time).
    response = book_api(cast.client(cast.bob), conference, slots[2], student_ids=[cast.bob_child.pk])
    assert response.status_code == 200, response.content
    assert response.json()["slot_id"] == slots[2].pk
    assert set(booking_of(guardian_of(cast.bob)).students.all()) == {cast.bob_child}
    assert cast.bob_child.name in cast.client(cast.ms_li).get(f"/conferences/{conference.pk}/").content.decode()


def test_a_taken_time_is_refused_with_a_message_and_nothing_is_written(cast):
    conference, slots = offered(cast)
    assert book_api(cast.client(cast.alice), conference, slots[0]).status_code == 200
    bob = cast.client(cast.bob)

    html = book_page(bob, conference, slots[0])
    assert JUST_BOOKED in html
    assert Booking.objects.count() == 1
    assert Booking.objects.get(slot=slots[0]).receipt.guardian == cast.alice_guardian

    response = book_api(bob, conference, slots[0])
    assert response.status_code == 400
    assert response.json()["detail"] == JUST_BOOKED
    assert Booking.objects.count() == 1

    # A family that already has a time keeps it when the other one it asks for is taken.
    assert book_api(bob, conference, slots[2]).status_code == 200
    assert JUST_BOOKED in book_page(bob, conference, slots[0])
    assert booking_of(guardian_of(cast.bob)).slot == slots[2]
    assert Booking.objects.get(slot=slots[0]).receipt.guardian == cast.alice_guardian
    assert Booking.objects.count() == 2


def test_a_family_changes_its_time_and_the_old_one_is_freed(cast):
    conference, slots = offered(cast)
    alice, bob = cast.client(cast.alice), cast.client(cast.bob)
    assert book_api(alice, conference, slots[0]).status_code == 200
    assert BOOKED in book_page(alice, conference, slots[1], students=[cast.alice_child])
    assert list(Booking.objects.values_list("slot", flat=True)) == [slots[1].pk]
    assert not Booking.objects.filter(slot=slots[0]).exists()
    # The freed time can be booked by another family.
    assert book_api(bob, conference, slots[0]).status_code == 200
    assert booking_of(guardian_of(cast.bob)).slot == slots[0]
    assert booking_of(cast.alice_guardian).slot == slots[1]
    assert Booking.objects.count() == 2


def test_families_of_another_class_or_school_get_404(cast):
    conference, slots = offered(cast)
    for user in (cast.carol, cast.erin, cast.dave):
        client = cast.client(user)
        assert client.get(f"/conferences/{conference.pk}/").status_code == 404, user
        assert client.post(f"/conferences/{conference.pk}/", {"slot": slots[0].pk}).status_code == 404, user
        assert book_api(client, conference, slots[0]).status_code == 404, user
    anonymous = Client().get(f"/conferences/{conference.pk}/")
    assert anonymous.status_code == 302
    assert book_api(Client(), conference, slots[0]).status_code == 401
    assert not Booking.objects.exists()


def test_a_family_books_only_its_own_child_and_a_time_of_this_day(cast):
    conference, slots = offered(cast)
    alice = cast.client(cast.alice)
    for child in (cast.bob_child, cast.carol_child):
        response = book_api(alice, conference, slots[0], student_ids=[cast.alice_child.pk, child.pk])
        assert response.status_code == 400
        assert response.json()["detail"] == zh("Choose your own child in this class.")
    response = book_api(alice, conference, Slot(pk=slots[-1].pk + 1000))
    assert response.status_code == 400
    assert response.json()["detail"] == zh("Choose one of the times offered.")
    assert not Booking.objects.exists()
    # Without naming a child, the booking covers the family's children in the class.
    assert book_api(alice, conference, slots[0]).status_code == 200
    assert set(Booking.objects.get().students.all()) == {cast.alice_child}


def test_a_time_in_the_past_cannot_be_booked(cast):
    conference, slots = offered(cast)
    past = timezone.now() - datetime.timedelta(minutes=1)
    Slot.objects.filter(pk=slots[0].pk).update(starts_at=past, ends_at=past + datetime.timedelta(minutes=15))
    alice = cast.client(cast.alice)
    response = book_api(alice, conference, slots[0])
    assert response.status_code == 400
    assert response.json()["detail"] == zh("This time has passed.")
    assert zh("This time has passed.") in book_page(alice, conference, slots[0])
    assert not Booking.objects.exists()
    # The times still ahead are open.
    assert book_api(alice, conference, slots[1]).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"start": "15:00", "end": "14:00"}, None, "The event must end after it starts."),
        ({"start": "14:00", "end": "14:00"}, None, "The event must end after it starts."),
        ({"slot_minutes": 4}, "slot_minutes", None),
        ({"slot_minutes": 121}, "slot_minutes", None),
        ({"break_minutes": 61}, "break_minutes", None),
        ({"start": "14:00", "end": "14:10"}, None, "No slot fits between the start and the end."),
        ({"day": "2020-01-06"}, None, "The start is in the past."),
    ],
)
def test_a_bad_offer_is_refused_with_a_message_and_nothing_is_written(cast, changes, field, message):
    response = offer(cast.client(cast.ms_li), cast, **changes)
    assert response.status_code == 400
    errors = response.context["form"].errors
    if field is None:
        assert errors == {"__all__": [zh(message)]}
    else:
        assert list(errors) == [field]
    for text in [m for ms in errors.values() for m in ms]:
        assert text in response.content.decode()
    assert not ConferenceDay.objects.exists()
    assert not Slot.objects.exists()
    assert not Notice.objects.exists()


def test_a_class_the_teacher_does_not_teach_is_refused(cast):
    # ms_li teaches 三年级1班 only: the form does not offer 三年级2班 and refuses it if posted.
    form = cast.client(cast.ms_li).get("/conferences/new/").content.decode()
    assert cast.class1.name in form and cast.class2.name not in form
    response = offer(cast.client(cast.ms_li), cast, school_class=cast.class2.pk)
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["school_class"]
    assert errors["school_class"][0] in response.content.decode()
    # A class of another school either.
    response = offer(cast.client(cast.ms_li), cast, school_class=cast.class_b.pk)
    assert response.status_code == 400 and "school_class" in response.context["form"].errors
    # And the action refuses it too, whatever the form offers.
    with pytest.raises(ValidationError, match=zh("You may not send to this class.")):
        do_create_conference_day(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="面谈",
            place="",
            class_id=cast.class2.pk,
            day=timezone.localdate() + datetime.timedelta(days=5),
            start=datetime.time(14),
            end=datetime.time(15),
            slot_minutes=15,
            break_minutes=5,
            teacher_ids=[],
        )
    with pytest.raises(ValidationError) as excinfo:
        do_create_conference_day(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="面谈",
            place="",
            class_id=cast.class1.pk,
            day=timezone.localdate() + datetime.timedelta(days=5),
            start=datetime.time(14),
            end=datetime.time(15),
            slot_minutes=200,
            break_minutes=5,
            teacher_ids=[],
        )
    assert excinfo.value.messages == [zh("A slot lasts 5 to 120 minutes, a break up to 60.")]
    assert not ConferenceDay.objects.exists()
    assert not Slot.objects.exists()
    assert not Notice.objects.exists()
    # Parents cannot offer times at all.
    assert offer(cast.client(cast.alice), cast).status_code in (403, 404)
    assert not ConferenceDay.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers itself (BEGIN IMMEDIATE)")
@pytest.mark.django_db(transaction=True)
def test_two_families_booking_one_time_at_once_one_wins(transactional_db, monkeypatch):
    from conftest import build_cast

    cast = build_cast()
    with scopes_disabled():
        response = offer(cast.client(cast.ms_li), cast)
        assert response.status_code == 302, response.content.decode()[-2000:]
        conference = ConferenceDay.objects.get()
        slot = conference.slots.order_by("starts_at").first()
    clients = [cast.client(cast.alice), cast.client(cast.bob)]

    # Both families pass every check before either writes: the barrier sits just before the
    # INSERT, inside the booking's transaction, so the database alone decides who wins.
    barrier = threading.Barrier(2, timeout=20)
    create = Booking.objects.create

    def create_together(**kwargs):
        barrier.wait()
        return create(**kwargs)

    monkeypatch.setattr(Booking.objects, "create", create_together)
    responses, errors = {}, []

    def run(index):
        try:
            responses[index] = book_api(clients[index], conference, slot)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert sorted(r.status_code for r in responses.values()) == [200, 400]
    (loser,) = [r for r in responses.values() if r.status_code == 400]
    assert loser.json()["detail"] == JUST_BOOKED
    with scopes_disabled():
        assert Booking.objects.count() == 1
        (winner,) = [i for i, r in responses.items() if r.status_code == 200]
        guardian = Booking.objects.get().receipt.guardian
        assert guardian is not None and guardian.user == (cast.alice, cast.bob)[winner]


def test_a_double_tap_on_offering_times_offers_them_once(cast):
    from notices.models import Notice

    li = cast.client(cast.ms_li)
    first, second = offer(li, cast), offer(li, cast)
    assert first.status_code == second.status_code == 302 and first["Location"] == second["Location"]
    assert ConferenceDay.objects.count() == 1 and Slot.objects.count() == 3
    assert Notice.objects.count() == 1
