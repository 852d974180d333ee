"""What a notice still wants from a family (``notices.queries.waits_for_action``), seen from every
place that shows it: the feed, the top bar's badge and the home page's "needs your reply" list.

A survey, a collection form and an event invitation are done when answered, not when read: a parent
who opens one without answering still has it to do everywhere, and once the answer is in (on the
survey's page, or in one tap from the feed) it is done everywhere. These tests live in home, the
layer above notices, surveys and events."""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client

from events.models import Rsvp
from events.tests.helpers import create_event
from notices.models import Notice, Receipt, StudentReceipt
from surveys.tests.helpers import create_and_send

pytestmark = pytest.mark.usefixtures("unscoped")


@dataclass
class Sent:
    notice: Notice
    answer: Callable[[Client], None]  # what the parent does to answer it, through the pages


def _survey(cast) -> Sent:
    survey = create_and_send(
        cast.client(cast.ms_li),
        questions=[{"kind": "single", "text": "满意吗？", "options": ["满意", "不满意"]}],
        targets=[{"kind": "class", "class_id": cast.class1.pk}],
    )
    question = survey.questions.get()

    def answer(client: Client) -> None:
        assert client.post(f"/surveys/{survey.pk}/", {f"q{question.pk}": "0"}).status_code == 302

    assert survey.notice is not None
    return Sent(survey.notice, answer)


def _form(cast) -> Sent:
    survey = create_and_send(
        cast.client(cast.ms_li),
        title="校服尺码登记",
        kind="form",
        anonymous=False,
        questions=[{"kind": "text", "text": "校服尺码"}],
        targets=[{"kind": "class", "class_id": cast.class1.pk}],
    )
    question = survey.questions.get()

    def answer(client: Client) -> None:
        row = {"student": cast.alice_child.pk, f"s{cast.alice_child.pk}-q{question.pk}": "130"}
        assert client.post(f"/surveys/{survey.pk}/", row).status_code == 302

    assert survey.notice is not None
    return Sent(survey.notice, answer)


def _invitation(cast) -> Sent:
    event = create_event(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])

    def answer(client: Client) -> None:
        # What the feed's one-tap button posts: the answer alone.
        assert client.post(f"/events/{event.pk}/invitation/", {"op": "rsvp", "answer": "yes"}).status_code == 302
        assert Rsvp.objects.filter(event=event, answer="yes").count() == 1

    assert event.notice is not None
    return Sent(event.notice, answer)


KINDS = {"survey": _survey, "form": _form, "invitation": _invitation}


def _in_feed_to_do(client: Client, notice: Notice) -> bool:
    page = client.get("/notices/").content.decode()
    assert f'id="n-{notice.pk}"' in page
    return f'class="card todo" id="n-{notice.pk}"' in page


def _badge(client: Client) -> int:
    return client.get("/notices/").context["unread_notices"]


def _on_home_list(client: Client, notice: Notice) -> bool:
    return f'href="/notices/{notice.pk}/"' in client.get("/").content.decode()


def _in_api_to_do(client: Client, notice: Notice) -> bool:
    return next(item for item in client.get("/api/v1/notices").json() if item["id"] == notice.pk)["to_do"]


@pytest.mark.parametrize("kind", KINDS)
def test_opening_without_answering_leaves_it_to_do_in_the_feed(cast, kind):
    sent = KINDS[kind](cast)
    alice = cast.client(cast.alice)
    assert alice.get(f"/notices/{sent.notice.pk}/").status_code == 200  # opened, not answered
    assert _in_feed_to_do(alice, sent.notice)
    assert _in_api_to_do(alice, sent.notice)
    sent.answer(alice)
    assert not _in_feed_to_do(alice, sent.notice)
    assert not _in_api_to_do(alice, sent.notice)


@pytest.mark.parametrize("kind", KINDS)
def test_opening_without_answering_keeps_the_badge(cast, kind):
    sent = KINDS[kind](cast)
    alice = cast.client(cast.alice)
    assert _badge(alice) == 1
    alice.get(f"/notices/{sent.notice.pk}/")
    assert _badge(alice) == 1  # read, but still waiting for an answer
    sent.answer(alice)
    assert _badge(alice) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_opening_without_answering_keeps_it_on_the_home_list(cast, kind):
    sent = KINDS[kind](cast)
    alice = cast.client(cast.alice)
    alice.get(f"/notices/{sent.notice.pk}/")
    assert _on_home_list(alice, sent.notice)
    sent.answer(alice)
    assert not _on_home_list(alice, sent.notice)


@pytest.mark.parametrize("kind", KINDS)
def test_the_teacher_counts_what_the_family_counts(cast, kind):
    """Opening is not answering for the teacher either: the receipt is acted on, and the child
    done, only once the answer is in."""
    sent = KINDS[kind](cast)
    alice = cast.client(cast.alice)
    alice.get(f"/notices/{sent.notice.pk}/")
    receipt = Receipt.objects.get(notice=sent.notice, guardian=cast.alice_guardian)
    child = StudentReceipt.objects.get(notice=sent.notice, student=cast.alice_child)
    assert receipt.read_at is not None and receipt.acted_at is None and child.done_at is None
    sent.answer(alice)
    receipt.refresh_from_db()
    child.refresh_from_db()
    assert receipt.acted_at is not None and child.done_at is not None
    sent_list = cast.client(cast.ms_li).get("/api/v1/notices/sent").json()
    assert next(n for n in sent_list if n["id"] == sent.notice.pk)["acted"] == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_notice_page_cannot_mark_it_done(cast, kind):
    """The notice's own confirm button does not stand in for the answer."""
    sent = KINDS[kind](cast)
    alice = cast.client(cast.alice)
    alice.post(f"/notices/{sent.notice.pk}/", {"answer": "yes"})
    assert Receipt.objects.get(notice=sent.notice, guardian=cast.alice_guardian).acted_at is None


def test_a_teacher_cannot_compose_a_survey_kind_by_hand(cast):
    response = cast.client(cast.ms_li).post(
        "/api/v1/notices",
        {
            "title": "问卷",
            "body_html": "x",
            "action": "survey",
            "targets": [{"kind": "class", "class_id": cast.class1.pk}],
        },
        content_type="application/json",
    )
    assert response.status_code == 400


def test_a_parent_answers_an_invitation_in_one_tap_from_the_feed(cast):
    sent = _invitation(cast)
    alice = cast.client(cast.alice)
    page = alice.get("/notices/").content.decode()
    # The item says what it wants and whom it is about, and carries the two answers.
    item = page[page.index(f'id="n-{sent.notice.pk}"') :]
    item = item[: item.index("</li>")]
    assert f"刘小明 · {cast.class1.name}" in item
    assert f'action="{sent.notice.respond_path}"' in item
    assert 'name="answer" value="yes"' in item and 'name="answer" value="no"' in item
    assert 'name="csrfmiddlewaretoken"' in item
    response = alice.post(
        sent.notice.respond_path, {"op": "rsvp", "answer": "yes", "next": f"/notices/#n-{sent.notice.pk}"}
    )
    assert response.status_code == 302 and response["Location"] == f"/notices/#n-{sent.notice.pk}"
    assert not _in_feed_to_do(alice, sent.notice)
    assert Receipt.objects.get(notice=sent.notice, guardian=cast.alice_guardian).answer == "yes"
    # A second tap changes nothing; another site is never where it goes back to.
    again = alice.post(sent.notice.respond_path, {"op": "rsvp", "answer": "yes", "next": "https://evil.example/"})
    assert again["Location"] == sent.notice.respond_path
    assert Rsvp.objects.filter(receipt__notice=sent.notice).count() == 1


def test_a_one_tap_answer_keeps_the_number_of_people_and_the_note(cast):
    sent = _invitation(cast)
    alice = cast.client(cast.alice)
    alice.post(sent.notice.respond_path, {"op": "rsvp", "answer": "yes", "people": "3", "note": "带弟弟"})
    alice.post(sent.notice.respond_path, {"op": "rsvp", "answer": "no", "next": f"/notices/{sent.notice.pk}/"})
    rsvp = Rsvp.objects.get(receipt__notice=sent.notice)
    assert (rsvp.answer, rsvp.people, rsvp.note) == ("no", 3, "带弟弟")
    page = alice.get(f"/notices/{sent.notice.pk}/").content.decode()
    assert 'value="no" aria-pressed="true"' in page  # the notice page shows the answer given


def test_a_cancelled_invitation_asks_only_to_be_read(cast):
    sent = _invitation(cast)
    event_id = sent.notice.respond_path.split("/")[2]
    assert cast.client(cast.ms_li).post(f"/events/{event_id}/cancel/", {"reason": "下雨"}).status_code == 302
    alice = cast.client(cast.alice)
    alice.get(f"/notices/{sent.notice.pk}/")
    assert not _in_feed_to_do(alice, sent.notice) and _badge(alice) == 0


@pytest.mark.parametrize("n", [1, 6])
def test_the_feed_and_home_take_as_many_queries_as_before_whatever_the_kinds_and_children(
    cast, django_assert_num_queries, n
):
    """Whom each item is about and what it wants come with the feed's one query: a family of two
    children, with surveys, forms and invitations, costs what the pinned counts of the notices and
    home tests say (9 each)."""
    from schools.models import Student, StudentGuardian

    sibling = Student.objects.create(school=cast.school, name="刘小亮", school_class=cast.class2)
    StudentGuardian.objects.create(school=cast.school, student=sibling, guardian=cast.alice_guardian)
    for _ in range(n):
        for make in KINDS.values():
            make(cast)
    alice = cast.client(cast.alice)
    # 11: the feed and the home page, with the tab bar's two badges (unread chat, records to acknowledge).
    with django_assert_num_queries(11):
        page = alice.get("/notices/").content.decode()
    assert page.count('class="card todo"') == 3 * n and page.count(f"刘小明 · {cast.class1.name}") == 3 * n
    # The home page asks once more: whether the guardian has given consent (accounts.consent).
    with django_assert_num_queries(12):
        assert alice.get("/").status_code == 200


def test_the_migrations_put_surveys_and_invitations_sent_before_right(cast):
    """Sent as read receipts and opened (so acted on): after the data migrations they wait for an
    answer again, except where the family answered."""
    import importlib

    from django.apps import apps
    from django.utils import timezone

    survey, invitation = _survey(cast), _invitation(cast)
    invitation.answer(cast.client(cast.bob))
    now = timezone.now()
    for sent in (survey, invitation):
        Notice.objects.filter(pk=sent.notice.pk).update(action="read", respond_path="")
        Receipt.objects.filter(notice=sent.notice, acted_at__isnull=True).update(acted_at=now, read_at=now)
        StudentReceipt.objects.filter(notice=sent.notice).update(done_at=now)
    for module in (
        "surveys.migrations.0002_notices_done_when_answered",
        "events.migrations.0002_invitations_done_when_answered",
    ):
        importlib.import_module(module).forwards(apps, None)
    alice = cast.client(cast.alice)
    assert _in_feed_to_do(alice, survey.notice) and _in_feed_to_do(alice, invitation.notice)
    assert Receipt.objects.get(notice=invitation.notice, guardian__user=cast.bob).answer == "yes"
    assert not StudentReceipt.objects.get(notice=invitation.notice, student=cast.alice_child).done_at
    assert StudentReceipt.objects.get(notice=invitation.notice, student=cast.bob_child).done_at
    assert Notice.objects.get(pk=invitation.notice.pk).respond_path == invitation.notice.respond_path
