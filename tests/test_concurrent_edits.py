"""Two staff editing the same thing at once (issue 20, security-test-plan R-8).

The form and the API carry the version the editor opened; the action locks the row and compares
(core.concurrency). The second save is told who changed what, nothing is silently overwritten,
and a save sent twice is not a conflict with oneself.
"""

import threading

import pytest
from django.db import connection
from django_scopes import scopes_disabled

from conftest import zh
from contactbook.models import ContactRecord, ContactRevision
from notices.models import Notice, NoticeRevision

ON_POSTGRESQL = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers itself (BEGIN IMMEDIATE)"
)


CONFLICT = zh(
    "Someone changed this since you opened it: %(who)s changed %(what)s (%(when)s). "
    "Nothing was saved. Your text is kept below: read the changes, then save again."
).split("%(who)s")[0]


def publish(cast) -> Notice:
    response = cast.client(cast.ms_li).post(
        "/notices/new/",
        {"title": "春游通知", "body": "周五春游，八点出发。", "action": "confirm", "classes": [cast.class1.pk]},
    )
    assert response.status_code == 302
    with scopes_disabled():
        return Notice.objects.get(title="春游通知")


def edit_page(client, notice, version, title="春游通知", body="周五春游，八点出发。"):
    return client.post(f"/notices/{notice.pk}/edit/", {"title": title, "body": body, "version": version})


def edit_api(client, notice, version, title="春游通知", body="<p>周五春游，八点出发。</p>"):
    return client.post(
        f"/api/v1/notices/{notice.pk}/edit",
        {"title": title, "body_html": body, "version": version},
        content_type="application/json",
    )


def opened_version(page: str) -> str:
    return page.split('name="version" value="')[1].split('"')[0]


def record(cast) -> ContactRecord:
    response = cast.client(cast.mr_wang).post(
        "/api/v1/contacts",
        {
            "kind": "phone",
            "occurred_on": str(cast.term.start_date),
            "student_ids": [cast.alice_child.pk],
            "summary": "数学作业常常没写完。",
            "participants": "刘妈妈",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    with scopes_disabled():
        return ContactRecord.objects.get(pk=response.json()["id"])


def edit_record_api(client, contact, version, **fields):
    body = {"kind": "phone", "summary": "数学作业常常没写完。", "participants": "刘妈妈", "version": version, **fields}
    return client.post(f"/api/v1/contacts/{contact.pk}/edit", body, content_type="application/json")


# --- notices -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("unscoped")
def test_the_second_editor_of_a_notice_is_told_and_nothing_is_overwritten(cast):
    notice = publish(cast)
    li, zhang = cast.client(cast.ms_li), cast.client(cast.admin_zhang)
    # Both open the edit page of version 1.
    li_opened = opened_version(li.get(f"/notices/{notice.pk}/edit/").content.decode())
    zhang_opened = opened_version(zhang.get(f"/notices/{notice.pk}/edit/").content.decode())
    assert li_opened == zhang_opened == "1"
    # The admin saves first: a new title.
    assert edit_page(zhang, notice, zhang_opened, title="春游通知（改期）").status_code == 302
    # The head teacher saves her change of the text on the version she opened: refused, explained.
    refused = edit_page(li, notice, li_opened, body="周五春游，九点出发。")
    page = refused.content.decode()
    assert refused.status_code == 409
    assert CONFLICT in page and cast.admin_zhang.name in page and zh("the title") in page
    assert "春游通知（改期）" in page  # the notice as it is now, beside her form
    assert "九点出发" in page  # her text is kept in the form
    notice.refresh_from_db()
    assert (notice.title, notice.body_text, notice.version) == ("春游通知（改期）", "周五春游，八点出发。", 2)
    # Her form now carries version 2: saving again after reading is her decision and goes through.
    assert opened_version(page) == "2"
    assert edit_page(li, notice, "2", title="春游通知（改期）", body="周五春游，九点出发。").status_code == 302
    notice.refresh_from_db()
    assert (notice.title, notice.body_text, notice.version) == ("春游通知（改期）", "周五春游，九点出发。", 3)
    assert NoticeRevision.objects.filter(notice=notice).count() == 2


@pytest.mark.usefixtures("unscoped")
def test_the_api_answers_a_stale_notice_edit_with_409_and_what_changed(cast):
    notice = publish(cast)
    li, zhang = cast.client(cast.ms_li), cast.client(cast.admin_zhang)
    version = li.get(f"/api/v1/notices/{notice.pk}/results").json()["version"]
    assert edit_api(zhang, notice, version, body="<p>周五春游，九点出发。</p>").status_code == 200
    stale = edit_api(li, notice, version, title="春游（新）")
    assert stale.status_code == 409
    assert stale.json()["changed"] == [zh("the text")] and stale.json()["version"] == 2
    assert CONFLICT in stale.json()["detail"]
    notice.refresh_from_db()
    assert (notice.title, notice.body_text) == ("春游通知", "周五春游，九点出发。")


@pytest.mark.usefixtures("unscoped")
def test_a_notice_saved_twice_by_its_editor_is_not_a_conflict(cast):
    notice = publish(cast)
    li = cast.client(cast.ms_li)
    assert edit_page(li, notice, "1", body="周五春游，九点出发。").status_code == 302
    assert edit_page(li, notice, "1", body="周五春游，九点出发。").status_code == 302  # the double tap
    notice.refresh_from_db()
    assert notice.version == 2 and NoticeRevision.objects.filter(notice=notice).count() == 1


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_notice_edits_at_once_one_saves_the_other_is_told(transactional_db):
    from conftest import build_cast

    cast = build_cast()
    notice = publish(cast)
    clients = [cast.client(cast.ms_li), cast.client(cast.admin_zhang)]
    bodies = ["<p>九点出发。</p>", "<p>十点出发。</p>"]
    barrier = threading.Barrier(2, timeout=20)
    results: dict = {}

    def save(i):
        try:
            barrier.wait()
            results[i] = edit_api(clients[i], notice, 1, body=bodies[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status_code for r in results.values()) == [200, 409]
    (winner,) = [i for i, r in results.items() if r.status_code == 200]
    with scopes_disabled():
        notice.refresh_from_db()
        assert notice.version == 2 and notice.body_html == bodies[winner]
        assert NoticeRevision.objects.filter(notice=notice).count() == 1


# --- contact records ------------------------------------------------------------------------------


@pytest.mark.usefixtures("unscoped")
def test_the_second_editor_of_a_contact_record_is_told_and_nothing_is_overwritten(cast):
    contact = record(cast)
    li, wang = cast.client(cast.ms_li), cast.client(cast.mr_wang)  # the head teacher and the author
    page = li.get(f"/contacts/{contact.pk}/edit/").content.decode()
    assert opened_version(page) == "1"
    assert edit_record_api(wang, contact, 1, summary="数学作业常常没写完，已约好每晚检查。").status_code == 200
    refused = li.post(
        f"/contacts/{contact.pk}/edit/",
        {"kind": "home_visit", "duration_minutes": 40, "summary": "数学作业常常没写完。", "version": 1},
    )
    text = refused.content.decode()
    assert refused.status_code == 409
    assert CONFLICT in text and cast.mr_wang.display_name in text and zh("the summary") in text
    assert "已约好每晚检查" in text  # the record as it is now
    contact.refresh_from_db()
    assert contact.summary == "数学作业常常没写完，已约好每晚检查。" and contact.kind == "phone"
    assert contact.version == 2
    assert opened_version(text) == "2"
    assert ContactRevision.objects.get(record=contact).fields["summary"] == "数学作业常常没写完。"


@pytest.mark.usefixtures("unscoped")
def test_a_contact_record_edit_goes_through_and_keeps_the_version_before(cast):
    contact = record(cast)
    li = cast.client(cast.ms_li)
    assert "/edit/" in li.get(f"/contacts/{contact.pk}/").content.decode()
    saved = li.post(
        f"/contacts/{contact.pk}/edit/",
        {"kind": "phone", "duration_minutes": 20, "summary": "已好转。", "topics": ["praise"], "version": 1},
    )
    assert saved.status_code == 302
    contact.refresh_from_db()
    assert (contact.summary, contact.version, contact.has_praise, contact.edited_by) == (
        "已好转。",
        2,
        True,
        cast.ms_li,
    )
    # The same save again (a double tap) changes nothing and is not a conflict.
    again = edit_record_api(li, contact, 1, summary="已好转。", duration_minutes=20, topics=["praise"], participants="")
    assert again.status_code == 200 and again.json()["version"] == 2
    # A family's summary is required to share it: nothing half-written.
    refused = edit_record_api(li, contact, 2, shared=True)
    assert refused.status_code == 400
    contact.refresh_from_db()
    assert contact.visibility == "internal" and contact.version == 2


@pytest.mark.usefixtures("unscoped")
def test_the_api_answers_a_stale_contact_edit_with_409(cast):
    contact = record(cast)
    wang, zhang = cast.client(cast.mr_wang), cast.client(cast.admin_zhang)
    assert wang.get(f"/api/v1/contacts/{contact.pk}").json()["version"] == 1
    assert edit_record_api(zhang, contact, 1, participants="刘妈妈、刘爸爸").status_code == 200
    stale = edit_record_api(wang, contact, 1, summary="另一个说法。")
    assert stale.status_code == 409
    assert stale.json()["changed"] == [zh("who took part")] and stale.json()["version"] == 2
    contact.refresh_from_db()
    assert contact.summary == "数学作业常常没写完。" and contact.participants == "刘妈妈、刘爸爸"


@ON_POSTGRESQL
@pytest.mark.django_db(transaction=True)
def test_two_contact_edits_at_once_one_saves_the_other_is_told(transactional_db):
    from conftest import build_cast

    cast = build_cast()
    contact = record(cast)
    clients = [cast.client(cast.mr_wang), cast.client(cast.ms_li)]
    summaries = ["王老师的版本。", "李老师的版本。"]
    barrier = threading.Barrier(2, timeout=20)
    results: dict = {}

    def save(i):
        try:
            barrier.wait()
            results[i] = edit_record_api(clients[i], contact, 1, summary=summaries[i])
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status_code for r in results.values()) == [200, 409]
    (winner,) = [i for i, r in results.items() if r.status_code == 200]
    with scopes_disabled():
        contact.refresh_from_db()
        assert contact.version == 2 and contact.summary == summaries[winner]
        assert ContactRevision.objects.filter(record=contact).count() == 1


@pytest.mark.usefixtures("unscoped")
def test_erasing_a_family_also_unnames_it_in_the_versions_kept_of_a_record(cast):
    from home.erasure import do_erase_family

    contact = record(cast)
    li = cast.client(cast.ms_li)
    assert edit_record_api(li, contact, 1, participants="刘爱丽、刘爸爸").status_code == 200
    assert edit_record_api(li, contact, 2, participants="刘爸爸").status_code == 200  # no longer named now
    assert ContactRevision.objects.get(record=contact, version=2).fields["participants"] == "刘爱丽、刘爸爸"
    do_erase_family(cast.alice_guardian, acting_user=cast.admin_zhang)
    kept = dict(ContactRevision.objects.filter(record=contact).values_list("version", "fields__participants"))
    assert kept == {1: "刘妈妈", 2: "刘爸爸"}
