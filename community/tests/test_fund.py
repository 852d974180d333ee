"""The class fund (班费) ledger: the keeper records, another committee member countersigns, the
class's families read the ledger, its balance and monthly statement and ask about an entry; entries
are never changed, a reversing entry corrects one. Money is integer fen."""

import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django_scopes import scopes_disabled

from accounts.models import User
from community.actions import (
    do_add_committee_member,
    do_countersign_entry,
    do_record_entry,
    do_start_committee,
    parse_yuan,
)
from community.models import EntryQuestion, LedgerEntry
from conftest import zh
from schools.models import Guardian, Student, StudentGuardian

pytestmark = pytest.mark.django_db


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def receipt_file(name="receipt.png"):
    return SimpleUploadedFile(name, png(), content_type="image/png")


@pytest.fixture
def fund(school_day, cast):
    """Class 1's committee: dan (a third family of class 1) its chair, bob its treasurer. alice is a
    family of the class who is not on the committee."""
    with scopes_disabled():
        dan = User.objects.create_user("13800000005", "pw-12345678", name="丁丹", phone="13800000005")
        child = Student.objects.create(
            school=cast.school, name="丁小东", student_number="2024003", school_class=cast.class1
        )
        guardian = Guardian.objects.create(
            school=cast.school, name="丁丹", phone="13800000005", user=dan, activated_at=timezone.now()
        )
        StudentGuardian.objects.create(school=cast.school, student=child, guardian=guardian)
        committee, _ = do_start_committee(cast.school, level="class", school_class=cast.class1, acting_user=cast.ms_li)
        do_add_committee_member(committee, guardian_id=guardian.pk, role="chair", acting_user=cast.ms_li)
        do_add_committee_member(
            committee, guardian_id=Guardian.objects.get(user=cast.bob).pk, role="treasurer", acting_user=cast.ms_li
        )
    cast.dan = dan
    return cast


def _entry(cast, *, kind="income", amount="100", signed=True, purpose="收班费") -> LedgerEntry:
    from core.uploads import accept_upload

    with scopes_disabled():
        entry = do_record_entry(
            cast.class1,
            kind=kind,
            amount=amount,
            occurred_on=timezone.localdate(),
            purpose=purpose,
            receipt=accept_upload(receipt_file()) if kind == "expense" else None,
            acting_user=cast.bob,
        )
        if signed:
            entry = do_countersign_entry(entry, acting_user=cast.dan)
    return entry


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12.5", 1250),
        ("12.50", 1250),
        ("¥12.50", 1250),
        ("￥12.50", 1250),
        ("12", 1200),
        ("0.01", 1),
        ("12元", 1200),
        (" 3.05 ", 305),
    ],
)
def test_amounts_people_write_are_read_as_fen(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["12.555", "abc", "-5", "-0.5", "0", "0.00", "", "12.", ".5", "1e3", "12,50", None])
def test_amounts_that_are_not_yuan_and_fen_are_refused(text):
    with pytest.raises(ValidationError):
        parse_yuan(text)


def test_the_keeper_records_an_expense_and_another_member_countersigns(fund):
    cast = fund
    bob = cast.client(cast.bob)
    url = reverse("community:fund", args=[cast.class1.pk])
    _entry(cast, kind="income", amount="500")  # 500 in, countersigned
    response = bob.post(
        reverse("community:fund_record", args=[cast.class1.pk]),
        {
            "kind": "expense",
            "amount": "¥120.50",
            "occurred_on": "2026-11-15",
            "purpose": "买图书角的书",
            "receipt": receipt_file(),
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        entry = LedgerEntry.objects.get(kind="expense")
    assert (entry.amount_fen, entry.number, entry.counts) == (12050, 2, False)
    assert entry.receipt_mime == "image/png"
    page = cast.client(cast.alice).get(url).content.decode()
    assert "¥500.00" in page  # not counted before the countersignature
    # The author may not countersign their own entry; a family not on the committee may not either.
    refused = bob.post(reverse("community:fund_countersign", args=[entry.pk]), follow=True)
    own_entry = "You recorded this entry: another committee member countersigns it."
    assert escape(zh(own_entry)) in refused.content.decode()
    assert cast.client(cast.alice).post(reverse("community:fund_countersign", args=[entry.pk])).status_code == 404
    assert cast.client(cast.ms_li).post(reverse("community:fund_countersign", args=[entry.pk])).status_code == 404
    with scopes_disabled():
        entry.refresh_from_db()
    assert entry.countersigned_at is None
    cast.client(cast.dan).post(reverse("community:fund_countersign", args=[entry.pk]))
    with scopes_disabled():
        entry.refresh_from_db()
    assert entry.countersigned_by == cast.dan
    page = cast.client(cast.alice).get(url).content.decode()
    assert "¥379.50" in page
    assert "2026-11" in page  # the monthly statement
    data = cast.client(cast.alice).get(f"/api/v1/classes/{cast.class1.pk}/fund").json()
    assert data["balance_fen"] == 37950 and data["pending"] == 0
    assert data["months"] == [{"month": "2026-11", "income_fen": 50000, "expense_fen": 12050, "closing_fen": 37950}]
    assert data["may"] == {"keep": False, "countersign": False, "manage": False, "ask": True}


def test_bad_entries_are_refused_and_nothing_is_written(fund):
    cast = fund
    bob = cast.client(cast.bob)
    url = reverse("community:fund_record", args=[cast.class1.pk])
    no_receipt = "An expense needs a photo of its receipt."
    not_yuan = "Give the amount in yuan and fen, e.g. 12.50."
    not_positive = "The amount must be more than zero."
    cases = [
        ({"kind": "expense", "amount": "20", "occurred_on": "2026-11-15", "purpose": "彩纸"}, no_receipt),
        ({"kind": "income", "amount": "12.555", "occurred_on": "2026-11-15", "purpose": "班费"}, not_yuan),
        ({"kind": "income", "amount": "abc", "occurred_on": "2026-11-15", "purpose": "班费"}, not_yuan),
        ({"kind": "income", "amount": "-5", "occurred_on": "2026-11-15", "purpose": "班费"}, not_positive),
        ({"kind": "income", "amount": "0", "occurred_on": "2026-11-15", "purpose": "班费"}, not_positive),
        (
            {"kind": "income", "amount": "5", "occurred_on": "2026-12-25", "purpose": "班费"},
            "The date is in the future.",
        ),
        ({"kind": "income", "amount": "5", "occurred_on": "2026-11-15", "purpose": ""}, "Say what the money was for."),
        ({"kind": "gift", "amount": "5", "occurred_on": "2026-11-15", "purpose": "x"}, "Choose income or expense."),
    ]
    for data, message in cases:
        body = bob.post(url, data, follow=True).content.decode()
        assert escape(zh(message)) in body, (data, message)
    not_an_image = SimpleUploadedFile(
        "receipt.png", b"<html><script>alert(1)</script></html>", content_type="image/png"
    )
    bob.post(
        url, {"kind": "expense", "amount": "5", "occurred_on": "2026-11-15", "purpose": "x", "receipt": not_an_image}
    )
    api = bob.post(
        f"/api/v1/classes/{cast.class1.pk}/fund/entries",
        {"kind": "expense", "amount": "20", "occurred_on": "2026-11-15", "purpose": "彩纸"},
    )
    assert api.status_code == 400 and api.json()["detail"] == zh(no_receipt)
    with scopes_disabled():
        assert not LedgerEntry.objects.exists()


def test_only_the_keeper_records(fund):
    cast = fund
    url = reverse("community:fund_record", args=[cast.class1.pk])
    data = {"kind": "income", "amount": "5", "occurred_on": "2026-11-15", "purpose": "班费"}
    for who in ("alice", "dan", "ms_li", "mr_wang", "carol", "erin", "dave"):
        assert cast.client(getattr(cast, who)).post(url, data).status_code == 404, who
    # The head teacher names alice: she records from then on.
    ms_li = cast.client(cast.ms_li)
    with scopes_disabled():
        alice_guardian = Guardian.objects.get(user=cast.alice)
        carol_guardian = Guardian.objects.get(user=cast.carol)
    refused = ms_li.post(
        reverse("community:fund_keeper", args=[cast.class1.pk]), {"guardian": carol_guardian.pk}, follow=True
    )
    assert "三年级1班" in refused.content.decode()
    ms_li.post(reverse("community:fund_keeper", args=[cast.class1.pk]), {"guardian": alice_guardian.pk})
    assert cast.client(cast.alice).post(url, data).status_code == 302
    with scopes_disabled():
        assert LedgerEntry.objects.get().recorded_by == cast.alice


def test_a_mistake_is_corrected_by_a_reversing_entry_that_names_it(fund):
    cast = fund
    wrong = _entry(cast, kind="expense", amount="80", purpose="买奖品")
    pending = _entry(cast, kind="income", amount="5", signed=False)
    bob = cast.client(cast.bob)
    bob.post(reverse("community:fund_reverse", args=[wrong.pk]), {"reason": "金额记错"})
    with scopes_disabled():
        reversal = LedgerEntry.objects.get(reverses=wrong)
    assert (reversal.kind, reversal.amount_fen, reversal.counts) == ("income", 8000, False)
    assert reversal.purpose == zh("Reverses #%(n)d: %(reason)s") % {"n": wrong.number, "reason": "金额记错"}
    # Once only; never a reversal of a reversal; never of an entry that does not count.
    for target in (wrong, pending):
        bob.post(reverse("community:fund_reverse", args=[target.pk]), {"reason": "再来"})
    cast.client(cast.dan).post(reverse("community:fund_countersign", args=[reversal.pk]))
    api = bob.post(f"/api/v1/fund/entries/{reversal.pk}/reverse", {"reason": "x"}, content_type="application/json")
    assert api.status_code == 400
    with scopes_disabled():
        assert LedgerEntry.objects.count() == 3
        wrong.refresh_from_db()
    assert (wrong.amount_fen, wrong.purpose) == (8000, "买奖品")  # never changed
    data = cast.client(cast.alice).get(f"/api/v1/classes/{cast.class1.pk}/fund").json()
    assert data["balance_fen"] == 0
    by_number = {e["number"]: e for e in data["entries"]}
    assert by_number[wrong.number]["reversed_by"] == reversal.number
    assert by_number[reversal.number]["reverses"] == wrong.number
    page = cast.client(cast.alice).get(reverse("community:fund", args=[cast.class1.pk])).content.decode()
    assert f"#{wrong.number}" in page


def test_families_ask_about_an_entry_and_the_keeper_answers(fund):
    cast = fund
    entry = _entry(cast, kind="expense", amount="45.00", purpose="打印资料")
    alice = cast.client(cast.alice)
    alice.post(reverse("community:fund_ask", args=[entry.pk]), {"text": "打印了多少份？"})
    with scopes_disabled():
        question = EntryQuestion.objects.get()
    assert (
        cast.client(cast.carol).post(reverse("community:fund_ask", args=[entry.pk]), {"text": "?"}).status_code == 404
    )
    assert alice.post(reverse("community:fund_answer", args=[question.pk]), {"text": "x"}).status_code == 404
    answered = cast.client(cast.bob).post(
        f"/api/v1/fund/questions/{question.pk}/answer", {"text": "四十五份"}, content_type="application/json"
    )
    assert answered.status_code == 200
    assert (
        cast.client(cast.ms_li)
        .post(f"/api/v1/fund/questions/{question.pk}/answer", {"text": "again"}, content_type="application/json")
        .status_code
        == 400
    )
    body = cast.client(cast.dan).get(reverse("community:fund", args=[cast.class1.pk])).content.decode()
    assert "打印了多少份" in body and "四十五份" in body


def test_the_receipt_is_served_to_the_class_only(fund):
    cast = fund
    entry = _entry(cast, kind="expense", amount="10")
    url = reverse("community:fund_receipt", args=[entry.pk])
    response = cast.client(cast.alice).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["X-Content-Type-Options"] == "nosniff"
    for who in ("carol", "mr_wang", "erin", "dave"):
        assert cast.client(getattr(cast, who)).get(url).status_code == 404, who
    for who in ("carol", "erin"):
        assert cast.client(getattr(cast, who)).get(f"/api/v1/classes/{cast.class1.pk}/fund").status_code == 404
    assert cast.client().get(f"/api/v1/classes/{cast.class1.pk}/fund").status_code == 401


def test_the_api_records_with_a_receipt_once_per_key(fund):
    cast = fund
    bob = cast.client(cast.bob)
    url = f"/api/v1/classes/{cast.class1.pk}/fund/entries"
    data = {
        "kind": "expense",
        "amount": "12.5",
        "occurred_on": "2026-11-16",
        "purpose": "胶水",
        "idempotency_key": "k1",
    }
    first = bob.post(url, {**data, "receipt": receipt_file()})
    assert first.status_code == 201, first.content
    assert first.json()["amount"] == "12.50" and first.json()["receipt_url"]
    again = bob.post(url, {**data, "receipt": receipt_file()})
    assert again.json()["id"] == first.json()["id"]
    own = bob.post(f"/api/v1/fund/entries/{first.json()['id']}/countersign")
    assert own.status_code == 400
    signed = cast.client(cast.dan).post(f"/api/v1/fund/entries/{first.json()['id']}/countersign")
    assert signed.status_code == 200 and signed.json()["counts"] is True
    assert cast.client(cast.alice).get("/api/v1/fund").json() == [{"id": cast.class1.pk, "name": "三年级1班"}]
    with scopes_disabled():
        assert LedgerEntry.objects.count() == 1


@pytest.mark.parametrize("n", [2, 25])
def test_the_ledger_page_reads_a_fixed_number_of_queries(fund, django_assert_num_queries, n):
    cast = fund
    for i in range(n):
        entry = _entry(cast, kind="expense" if i % 2 else "income", amount=f"{i + 1}.00", signed=i % 3 != 0)
        with scopes_disabled():
            EntryQuestion.objects.create(school=cast.school, entry=entry, asked_by=cast.alice, text="?")
    client = cast.client(cast.alice)
    url = reverse("community:fund", args=[cast.class1.pk])
    client.get(url)
    with django_assert_num_queries(17):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("n", [2, 25])
def test_the_ledger_api_reads_a_fixed_number_of_queries(fund, django_assert_num_queries, n):
    cast = fund
    for i in range(n):
        entry = _entry(cast, kind="income", amount=f"{i + 1}", signed=i % 2 == 0)
        with scopes_disabled():
            EntryQuestion.objects.create(school=cast.school, entry=entry, asked_by=cast.alice, text="?")
    client = cast.client(cast.alice)
    url = f"/api/v1/classes/{cast.class1.pk}/fund"
    client.get(url)
    with django_assert_num_queries(QUERIES_LEDGER_API):
        data = client.get(url).json()
    assert len(data["entries"]) == n


QUERIES_LEDGER_API = 14  # session, user, roles (3), the fund role (4), the ledger (5): any size


def test_a_wrong_entry_is_sent_back_before_it_counts_and_stays_in_the_ledger(fund):
    cast = fund
    wrong = _entry(cast, kind="income", amount="2000", signed=False, purpose="班费（多记一个零）")
    for who in ("alice", "ms_li", "carol", "erin"):
        assert (
            cast.client(getattr(cast, who))
            .post(reverse("community:fund_decline", args=[wrong.pk]), {"reason": "x"})
            .status_code
            == 404
        ), who
    dan = cast.client(cast.dan)
    refused = dan.post(reverse("community:fund_decline", args=[wrong.pk]), {"reason": ""}, follow=True)
    assert escape(zh("Say why the entry is sent back.")) in refused.content.decode()
    dan.post(reverse("community:fund_decline", args=[wrong.pk]), {"reason": "应为200元"})
    with scopes_disabled():
        wrong.refresh_from_db()
    assert (wrong.declined_by, wrong.decline_reason, wrong.counts) == (cast.dan, "应为200元", False)
    # Sent back: it can no longer be countersigned, nor sent back again.
    assert cast.client(cast.dan).post(f"/api/v1/fund/entries/{wrong.pk}/countersign").status_code == 400
    again = cast.client(cast.bob).post(
        f"/api/v1/fund/entries/{wrong.pk}/decline", {"reason": "y"}, content_type="application/json"
    )
    assert again.status_code == 400
    data = cast.client(cast.alice).get(f"/api/v1/classes/{cast.class1.pk}/fund").json()
    assert data["balance_fen"] == 0 and data["pending"] == 0
    assert data["entries"][0]["declined_by"] == "丁丹" and data["entries"][0]["decline_reason"] == "应为200元"
    assert "应为200元" in cast.client(cast.alice).get(reverse("community:fund", args=[cast.class1.pk])).content.decode()


def test_a_familys_committee_messages_and_fund_questions_are_in_its_download_and_go_with_erasure(fund):
    """PIPL: what the family wrote to its committee and asked about the class fund is in the family's
    download; erasing the family removes its words and keeps the committee's and keeper's answers."""
    from community.actions import do_answer_entry_question, do_ask_about_entry, do_write_to_committee_member
    from community.models import CommitteeMember, CommitteeMessage, EntryQuestion
    from home.erasure import ERASED_BODY, do_erase_family
    from home.privacy import family_export

    cast = fund
    entry = _entry(cast)
    with scopes_disabled():
        chair = CommitteeMember.objects.get(guardian__user=cast.dan)
        written = do_write_to_committee_member(chair, text="请问春游费用怎么交？", acting_user=cast.alice)
        asked = do_ask_about_entry(entry, text="这笔收入包括哪些家庭？", acting_user=cast.alice)
        do_answer_entry_question(asked, text="全班38户。", acting_user=cast.bob)
        data = family_export(cast.alice).data
        assert [(m["committee"], m["text"]) for m in data["committee_messages"]] == [
            (str(chair.committee), "请问春游费用怎么交？")
        ]
        assert [(q["entry"], q["question"], q["answer"]) for q in data["class_fund_questions"]] == [
            ("收班费", "这笔收入包括哪些家庭？", "全班38户。")
        ]
        assert family_export(cast.bob).data["committee_messages"] == []  # only the writer's own

        counts = do_erase_family(Guardian.objects.get(user=cast.alice), acting_user=cast.admin_zhang)
        assert counts["committee_messages"] == 1 and counts["fund_questions"] == 1
        assert CommitteeMessage.objects.get(pk=written.pk).text == ERASED_BODY
        kept = EntryQuestion.objects.get(pk=asked.pk)
        assert (kept.text, kept.answer) == (ERASED_BODY, "全班38户。")
