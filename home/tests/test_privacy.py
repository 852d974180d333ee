"""A family's data rights (PIPL): consent given when joining and withdrawn on 我的, SMS reminders
stopped by a withdrawal, and the download of everything held about a family (only its own)."""

import io
import json
import zipfile

import pytest
from django.test import Client
from django.utils import timezone
from django_scopes import scope

from accounts.consent import DATA_VERSION, do_give_consents, do_withdraw_consent
from accounts.models import Consent
from chat.models import Conversation, Message
from contactbook.models import ContactRecord, ContactStudent
from delivery.models import Delivery
from notices.actions import TargetSpec, do_create_notice, do_remind_receipts, do_respond
from notices.fanout import fan_out
from notices.models import Notice, Receipt
from schools.models import Guardian, StudentGuardian
from schools.onboarding import active_join_link, do_create_activation_links
from schools.roles import compute_roles
from schools.tests.test_onboarding import join, last_code

pytestmark = pytest.mark.usefixtures("unscoped")

# --- consent ---------------------------------------------------------------------------------------


def test_joining_by_the_class_link_records_both_consents_with_version_and_time(cast):
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    client = Client()
    page = client.get(f"/join/{token}/").content.decode()
    assert 'name="consent_data"' in page and 'name="consent_sms"' in page
    join(client, token)
    client.post(f"/join/{token}/", {"step": "code", "code": last_code()})
    user = Guardian.objects.get(phone="13700000055").user
    kinds = dict(Consent.objects.filter(user=user, withdrawn_at__isnull=True).values_list("kind", "version"))
    assert kinds == {"data": DATA_VERSION}  # the SMS box was not ticked in this post


def test_joining_without_consent_to_the_data_is_refused(cast):
    token = active_join_link(cast.class1, acting_user=cast.ms_li).token
    client = Client()
    details = {
        "step": "details",
        "child_name": "刘小明",
        "fact": "2024001",
        "guardian_name": "刘爷爷",
        "relationship": "爷爷",
        "phone": "13700000056",
    }
    response = client.post(f"/join/{token}/", details)
    assert response.status_code == 400
    assert not Guardian.objects.filter(phone="13700000056").exists()


def test_an_activation_link_records_the_consents_and_needs_the_data_one(cast):
    waiting = Guardian.objects.create(school=cast.school, name="陈奶奶", phone="13700000088")
    StudentGuardian.objects.create(school=cast.school, student=cast.bob_child, guardian=waiting)
    [(_, token)] = do_create_activation_links([waiting], acting_user=cast.ms_li, send_sms=False, school=cast.school)
    client = Client()
    assert client.post(f"/activate/{token}/").status_code == 400
    waiting.refresh_from_db()
    assert not waiting.is_activated
    before = timezone.now()
    assert client.post(f"/activate/{token}/", {"consent_data": "on", "consent_sms": "on"}).status_code == 302
    waiting.refresh_from_db()
    rows = Consent.objects.filter(user=waiting.user)
    assert {c.kind for c in rows} == {"data", "sms"} and all(c.given_at >= before for c in rows)


def test_a_guardian_sees_and_withdraws_sms_consent_on_me(cast):
    do_give_consents(["data", "sms"], acting_user=cast.alice)
    parent = cast.client(cast.alice)
    assert "/me/privacy/" in parent.get("/me/").content.decode()
    page = parent.get("/me/privacy/").content.decode()
    assert DATA_VERSION in page and 'value="withdraw_sms"' in page
    assert parent.post("/me/privacy/", {"action": "withdraw_sms"}).status_code == 302
    sms = Consent.objects.get(user=cast.alice, kind="sms")
    assert sms.withdrawn_at is not None
    assert Consent.objects.get(user=cast.alice, kind="data").withdrawn_at is None  # data: a request to the school
    # Giving twice keeps one standing consent (a double tap).
    do_give_consents(["data"], acting_user=cast.alice)
    assert Consent.objects.filter(user=cast.alice, kind="data").count() == 1


def test_a_guardian_who_signed_in_with_a_code_is_asked_on_the_home_page(cast):
    parent = cast.client(cast.alice)
    assert "/me/privacy/" in parent.get("/").content.decode()
    parent.post("/me/privacy/", {"action": "give", "consent_data": "on"})
    assert Consent.objects.filter(user=cast.alice, kind="data").exists()
    assert "Read and agree" not in parent.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_the_privacy_pages_are_for_families_only(cast):
    assert cast.client(cast.ms_li).get("/me/privacy/").status_code == 404
    assert cast.client(cast.ms_li).post("/me/privacy/export/").status_code == 404


@pytest.fixture
def notice(cast) -> Notice:
    with scope(school=[cast.school.pk]):
        notice = do_create_notice(
            cast.school,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            title="春游通知",
            body_html="<p>周五春游。</p>",
            action=Notice.Action.CONFIRM,
            targets=[TargetSpec("class", class_id=cast.class1.pk)],
        )
        fan_out(notice)
    return notice


def test_no_sms_reminder_goes_to_a_guardian_who_withdrew_sms_consent(cast, notice):
    from delivery.models import DeliveryPreference

    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.create(user=user, sms_enabled=True, email_enabled=False)
        do_give_consents(["data", "sms"], acting_user=user)
    do_withdraw_consent("sms", acting_user=cast.alice)
    receipts = Receipt.objects.filter(notice=notice)
    do_remind_receipts(notice, receipts, acting_user=cast.ms_li)
    to = set(Delivery.objects.filter(channel="sms").values_list("receipt__guardian__user", flat=True))
    assert to == {cast.bob.pk}


# --- the download ----------------------------------------------------------------------------------


def _family_data(cast, notice) -> None:
    with scope(school=[cast.school.pk]):
        for user in (cast.alice, cast.bob):
            do_respond(
                notice,
                Receipt.objects.filter(notice=notice, guardian__user=user),
                acting_user=user,
                comment=f"{user.name}收到",
            )
            do_give_consents(["data"], acting_user=user)
        for child, text in ((cast.alice_child, "小明进步很大"), (cast.bob_child, "小红需要多休息")):
            record = ContactRecord.objects.create(
                school=cast.school,
                term=cast.term,
                author=cast.ms_li,
                kind="phone",
                occurred_on=timezone.localdate(),
                summary="内部",
                visibility="shared",
                parent_summary=text,
            )
            ContactStudent.objects.create(school=cast.school, record=record, student=child)
        ContactRecord.objects.create(
            school=cast.school, term=cast.term, author=cast.ms_li, kind="phone",
            occurred_on=timezone.localdate(), summary="仅教师可见的内部记录",
        )  # fmt: skip
        conversation = Conversation.objects.create(school=cast.school, kind="class", school_class=cast.class1)
        Message.objects.create(school=cast.school, conversation=conversation, sender=cast.alice, body="爱丽的消息")
        Message.objects.create(school=cast.school, conversation=conversation, sender=cast.bob, body="陈波的消息")


def _download(client) -> tuple[dict, zipfile.ZipFile]:
    response = client.post("/me/privacy/export/")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    return json.loads(archive.read("data.json")), archive


def test_a_family_downloads_its_own_data_and_nothing_of_another_family(cast, notice):
    _family_data(cast, notice)
    parent = cast.client(cast.alice)
    assert "zip" in parent.get("/me/privacy/export/").content.decode()
    data, archive = _download(parent)
    assert data["profile"]["phone"] == "13800000001"
    assert [c["name"] for c in data["children"]] == ["刘小明"]
    assert data["enrolments"] and data["guardian_records"][0]["school"] == cast.school.name
    assert [r["notice"] for r in data["receipts"]] == ["春游通知"] and data["receipts"][0]["answered_at"]
    assert [c["summary_for_the_family"] for c in data["contact_book"]] == ["小明进步很大"]
    assert [m["text"] for m in data["chat_messages"]] == ["爱丽的消息"]
    assert [c["kind"] for c in data["consents"]] == ["data"]
    assert "anonymous" in archive.read("README.txt").decode()
    everything = json.dumps(data, ensure_ascii=False)
    for other in ("陈小红", "陈波", "小红需要多休息", "13800000002", "内部", "周小刚", "吴小雨"):
        assert other not in everything


@pytest.mark.parametrize("n", [1, 6])
def test_the_export_takes_a_fixed_number_of_queries(cast, notice, django_assert_num_queries, n):
    from home.privacy import family_export

    _family_data(cast, notice)
    conversation = Conversation.objects.get(school_class=cast.class1)
    for i in range(n):
        with scope(school=[cast.school.pk]):
            Message.objects.create(school=cast.school, conversation=conversation, sender=cast.alice, body=f"m{i}")
    with django_assert_num_queries(
        14
    ):  # 14: with the phones subscribed to notifications, the committee messages and the fund questions
        export = family_export(cast.alice)
    assert len(export.data["chat_messages"]) == n + 1
