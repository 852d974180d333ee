"""The class fund (班费) and the committee in a real browser on a phone-sized screen (issue 14).

bob, the treasurer of 三年级1班's committee, records the term's collection and an expense with a
photo of its receipt; alice, its chair, countersigns the collection in a second browser and sees
the balance count it (the expense waits for her); she opens her committee's page. axe-core checks
each page on the way: no serious or critical violation."""

import struct
import zlib

import pytest
from django_scopes import scopes_disabled

import conftest as cast_conftest

from .conftest import PHONE, TIMEOUT_MS, axe_check, sign_in, submit

pytestmark = pytest.mark.browser


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def test_the_treasurer_records_and_the_chair_countersigns(live_server, live_cast, phone_page, browser, tmp_path):
    from community.actions import do_add_committee_member, do_start_committee
    from schools.models import Guardian

    cast = live_cast
    with scopes_disabled():
        committee, _ = do_start_committee(cast.school, level="class", school_class=cast.class1, acting_user=cast.ms_li)
        for user, role in ((cast.alice, "chair"), (cast.bob, "treasurer")):
            do_add_committee_member(
                committee, guardian_id=Guardian.objects.get(user=user).pk, role=role, acting_user=cast.ms_li
            )
    receipt = tmp_path / "发票.png"
    receipt.write_bytes(_png())
    url = live_server.url
    record = "main form[action$='/fund/entries/']"

    page = phone_page
    sign_in(page, live_server, "13800000002", cast_conftest.PASSWORD)  # bob
    page.goto(f"{url}/me/fund/")  # one class: straight to its ledger
    assert page.url.endswith(f"/classes/{cast.class1.pk}/fund/"), page.url
    axe_check(page, label="ledger (treasurer)")
    page.locator(f"{record} input[name=kind][value=income]").check()
    page.fill(f"{record} input[name=amount]", "¥2000")
    page.fill(f"{record} input[name=purpose]", "本学期班费")
    submit(page, record)
    page.locator(f"{record} input[name=kind][value=expense]").check()
    page.fill(f"{record} input[name=amount]", "356.8")
    page.fill(f"{record} input[name=purpose]", "图书角新书")
    page.set_input_files(f"{record} input[name=receipt]", str(receipt))
    submit(page, record)
    main = page.locator("main").inner_text()
    assert "#2 图书角新书" in main and "¥356.80" in main, main
    assert page.locator("main form[action$='/countersign/']").count() == 0  # never one's own entries

    context = browser.new_context(**PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    alice = context.new_page()
    sign_in(alice, live_server, "13800000001", cast_conftest.PASSWORD)
    alice.goto(f"{url}/classes/{cast.class1.pk}/fund/")
    assert alice.locator("main form[action$='/countersign/']").count() == 2
    with alice.expect_navigation():
        alice.locator("article:has-text('本学期班费') form[action$='/countersign/'] button").click()
    main = alice.locator("main").inner_text()
    assert "¥2000.00" in main, main  # the collection counts; the expense waits
    axe_check(alice, label="ledger (chair)")
    receipt_link = alice.locator("article:has-text('图书角新书') a[href$='/receipt/']")
    response = alice.request.get(url + receipt_link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "image/png"

    alice.goto(f"{url}/me/committees/")
    with alice.expect_navigation():
        alice.locator("main a[href*='/committees/']").first.click()
    main = alice.locator("main").inner_text()
    assert "陈波" in main and "13800000002" not in main
    axe_check(alice, label="committee page")
    context.close()
