import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEntry
from chat.actions import class_group
from chat.models import ChatSettings, Conversation, Message, QuietHours
from core.tests.test_uploads import png

pytestmark = pytest.mark.usefixtures("unscoped")


def send(client, conversation, body, **extra):
    return client.post(
        f"/api/v1/conversations/{conversation.pk}/messages", {"body": body, **extra}, content_type="application/json"
    )


def unread(client, conversation) -> int:
    return next(c["unread"] for c in client.get("/api/v1/conversations").json() if c["id"] == conversation.pk)


def open_group(cast, mode="open") -> Conversation:
    group = class_group(cast.class1)
    Conversation.objects.filter(pk=group.pk).update(mode=mode)
    group.refresh_from_db()
    return group


def test_class_group_members_unread_counts_and_reading(cast):
    group = open_group(cast)
    li, alice = cast.client(cast.ms_li), cast.client(cast.alice)
    assert send(li, group, "周五开运动会").status_code == 201
    assert send(li, group, "请穿运动鞋").status_code == 201
    assert unread(alice, group) == 2 and unread(li, group) == 0  # one's own messages are read
    page = alice.get(f"/chat/{group.pk}/").content.decode()
    assert "请穿运动鞋" in page
    assert unread(alice, group) == 0
    carols = cast.client(cast.carol).get("/api/v1/conversations").json()
    assert [c["title"] for c in carols] == [cast.class2.name]  # her child's class group only
    assert cast.client(cast.carol).get(f"/chat/{group.pk}/").status_code == 404


def test_conversation_list_queries_do_not_grow_with_conversations_or_messages(cast):
    li = cast.client(cast.ms_li)
    group = open_group(cast)
    send(li, group, "一")
    connection.queries_log.clear()  # a full log (9,000 entries) would hide new queries
    with CaptureQueriesContext(connection) as few:
        li.get("/api/v1/conversations")
    for student in (cast.alice_child, cast.bob_child):
        li.post("/chat/start/", {"student": student.pk})
    for i in range(30):
        send(li, group, f"消息{i}")
    connection.queries_log.clear()  # a full log (9,000 entries) would hide new queries
    with CaptureQueriesContext(connection) as many:
        data = li.get("/api/v1/conversations").json()
    assert len(data) == 3
    assert len(many.captured_queries) == len(few.captured_queries)
    connection.queries_log.clear()  # a full log (9,000 entries) would hide new queries
    with CaptureQueriesContext(connection) as page_many:
        assert li.get(f"/chat/{group.pk}/").status_code == 200
    send(li, group, "再来一条")
    connection.queries_log.clear()  # a full log (9,000 entries) would hide new queries
    with CaptureQueriesContext(connection) as page_more:
        response = li.get(f"/chat/{group.pk}/")
    assert response.status_code == 200
    assert len(page_more.captured_queries) == len(page_many.captured_queries)


def test_qa_mode_questions_are_shown_to_all_only_once_answered(cast):
    group = open_group(cast, "qa")
    li, alice, bob = cast.client(cast.ms_li), cast.client(cast.alice), cast.client(cast.bob)
    asked = send(alice, group, "明天要带水彩笔吗？")
    assert asked.status_code == 201 and asked.json()["kind"] == "question"
    question = asked.json()["id"]
    assert question not in [m["id"] for m in bob.get(f"/api/v1/conversations/{group.pk}/messages").json()]
    assert question in [m["id"] for m in li.get(f"/api/v1/conversations/{group.pk}/messages").json()]
    assert send(bob, group, "我来回答", question=question).status_code == 400  # only teachers answer
    assert send(li, group, "要带。", question=question).status_code == 201
    seen = [m["id"] for m in bob.get(f"/api/v1/conversations/{group.pk}/messages").json()]
    assert question in seen and len(seen) == 2


def test_notice_first_families_react_only(cast):
    group = open_group(cast, "notice_first")
    refused = send(cast.client(cast.alice), group, "收到")
    assert refused.status_code == 400 and "只有老师发言" in refused.json()["detail"]
    assert send(cast.client(cast.ms_li), group, "明天放假").status_code == 201


def test_the_guardrail_warns_before_a_score_list_in_the_class_group_and_logs_a_reason(cast):
    group = open_group(cast)
    li = cast.client(cast.ms_li)
    text = "刘小明数学59分，陈小红62分，都要加油。"
    warned = send(li, group, text)
    assert warned.status_code == 400 and warned.json()["concerns"]
    assert not Message.objects.exists()
    assert send(li, group, text, guardrail_reason="家长会上已说明，大家同意公布").status_code == 201
    entry = AuditEntry.objects.get(action=AuditEntry.Action.GUARDRAIL_OVERRIDE)
    assert entry.detail["reason"] == "家长会上已说明，大家同意公布"


def test_a_private_conversation_is_about_one_child_and_only_its_family_sees_it(cast):
    li = cast.client(cast.ms_li)
    response = li.post("/chat/start/", {"student": cast.alice_child.pk})
    conversation = Conversation.objects.get(kind="private")
    assert response.status_code == 302 and conversation.student == cast.alice_child
    assert li.post("/chat/start/", {"student": cast.alice_child.pk}).status_code == 302
    assert Conversation.objects.filter(kind="private").count() == 1  # the same one again
    alice = cast.client(cast.alice)
    page = alice.get(f"/chat/{conversation.pk}/").content.decode()
    assert "刘小明" in page
    assert send(alice, conversation, "老师好，孩子最近咳嗽。").status_code == 201
    for user in (cast.bob, cast.carol, cast.mr_wang, cast.erin):
        assert cast.client(user).get(f"/chat/{conversation.pk}/").status_code == 404
    assert cast.client(cast.carol).post("/chat/start/", {"student": cast.alice_child.pk}).status_code == 404


def test_quiet_hours_keep_the_message_quiet_and_tell_the_family_once(cast, time_machine):
    ChatSettings.objects.create(school=cast.school, office_phone="0371-12345678")
    li = cast.client(cast.ms_li)
    li.post("/chat/start/", {"student": cast.alice_child.pk})
    conversation = Conversation.objects.get(kind="private")
    evening = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(22, 30)))
    time_machine.move_to(evening, tick=False)  # every clock, the models' defaults included
    # Signed in again: 22:30 may be more than a staff session's 8 idle hours after the sign-in above.
    li = cast.client(cast.ms_li)
    alice = cast.client(cast.alice)
    assert send(alice, conversation, "老师，明天能请假吗？").status_code == 201
    assert send(alice, conversation, "孩子发烧了。").status_code == 201
    quiet = list(Message.objects.filter(kind="text").values_list("quiet", flat=True))
    assert quiet == [True, True]
    replies = list(Message.objects.filter(kind="auto_reply"))
    assert len(replies) == 1 and "07:00" in replies[0].body and "0371-12345678" in replies[0].body
    assert replies[0].sender == cast.ms_li
    # The teacher moves her quiet hours: at 22:30 she is no longer resting.
    QuietHours.objects.filter(user=cast.ms_li).delete()
    li.post("/chat/quiet-hours/", {"enabled": "on", "starts": "23:00", "ends": "06:30"})
    assert send(alice, conversation, "谢谢老师").status_code == 201
    assert Message.objects.filter(kind="text").latest("id").quiet is False


def test_recall_within_two_minutes_removal_with_reason_and_mute(cast):
    group = open_group(cast)
    alice, li, bob = cast.client(cast.alice), cast.client(cast.ms_li), cast.client(cast.bob)
    mine = send(alice, group, "发错了").json()["id"]
    alice.post(f"/chat/{group.pk}/messages/{mine}/recall/")
    assert Message.objects.get(pk=mine).recalled_at is not None
    old = send(alice, group, "两分钟前的").json()["id"]
    Message.objects.filter(pk=old).update(created_at=timezone.now() - datetime.timedelta(minutes=3))
    alice.post(f"/chat/{group.pk}/messages/{old}/recall/")
    assert Message.objects.get(pk=old).recalled_at is None
    bob.post(f"/chat/{group.pk}/messages/{old}/recall/")  # not his
    assert Message.objects.get(pk=old).recalled_at is None
    rude = send(bob, group, "这个老师不行").json()["id"]
    alice.post(f"/chat/{group.pk}/messages/{rude}/remove/", {"reason": "我不喜欢"})
    assert Message.objects.get(pk=rude).removed_at is None  # families do not moderate
    li.post(f"/chat/{group.pk}/messages/{rude}/remove/", {"reason": ""})
    assert Message.objects.get(pk=rude).removed_at is None  # a reason is required
    li.post(f"/chat/{group.pk}/messages/{rude}/remove/", {"reason": "不文明用语"})
    removed = Message.objects.get(pk=rude)
    assert removed.removed_by == cast.ms_li and removed.removed_reason == "不文明用语"
    shown = {m["id"]: m for m in alice.get(f"/api/v1/conversations/{group.pk}/messages").json()}
    assert shown[rude]["body"] == "" and shown[rude]["gone"] and shown[mine]["body"] == ""
    li.post(f"/chat/{group.pk}/manage/", {"op": "mute", "user": cast.bob.pk, "reason": "多次不文明"})
    muted = send(bob, group, "我还想说")
    assert muted.status_code == 400 and "多次不文明" in muted.json()["detail"]
    assert AuditEntry.objects.filter(action__in=["chat_removed", "chat_muted"]).count() == 2
    # The school's record keeps the removed message, who removed it and why.
    export = li.get(f"/chat/{group.pk}/record.xlsx")
    rows = list(openpyxl.load_workbook(io.BytesIO(export.content)).active.values)
    removed_row = next(r for r in rows if r[3] == "这个老师不行")
    assert "李老师" in removed_row and "不文明用语" in removed_row
    assert alice.get(f"/chat/{group.pk}/record.xlsx").status_code == 404


def test_files_are_checked_from_their_bytes_and_served_to_members_only(cast):
    group = open_group(cast)
    li = cast.client(cast.ms_li)
    bad = li.post(
        f"/chat/{group.pk}/", {"body": "看看", "file": SimpleUploadedFile("a.jpg", b"MZ\x90\x00" + b"\x00" * 64)}
    )
    assert bad.status_code == 200 and not Message.objects.exists()
    assert "看看" in bad.content.decode()  # the text typed is kept for another try
    li.post(
        f"/chat/{group.pk}/",
        {"body": "班级照片", "file": SimpleUploadedFile("照片.png", png(), content_type="image/png")},
    )
    message = Message.objects.get()
    assert message.file_name == "照片.png" and message.file_mime == "image/png"
    assert cast.client(cast.alice).get(f"/chat/{group.pk}/files/{message.pk}/").status_code == 200
    assert cast.client(cast.carol).get(f"/chat/{group.pk}/files/{message.pk}/").status_code == 404


def test_search_finds_only_what_one_may_see(cast):
    group = open_group(cast, "qa")
    li, alice, bob = cast.client(cast.ms_li), cast.client(cast.alice), cast.client(cast.bob)
    send(li, group, "春游带水壶")
    send(bob, group, "春游几点集合？")  # an unanswered question
    assert {m["body"] for m in alice.get("/api/v1/chat/search?q=春游").json()} == {"春游带水壶"}
    assert {m["body"] for m in li.get("/api/v1/chat/search?q=春游").json()} == {"春游带水壶", "春游几点集合？"}
    assert cast.client(cast.carol).get("/api/v1/chat/search?q=春游").json() == []
    assert "春游带水壶" in alice.get("/chat/search/?q=春游").content.decode()


def test_staff_groups_and_leaving_a_conversation(cast):
    admin = cast.client(cast.admin_zhang)
    admin.post("/chat/staff-groups/new/", {"title": "家校工作小组", "members": [cast.ms_li.pk, cast.alice.pk]})
    group = Conversation.objects.get(kind="staff")
    assert set(group.participants.values_list("user__username", flat=True)) == {"admin_zhang", "ms_li"}
    li = cast.client(cast.ms_li)
    assert send(li, group, "周三开会").status_code == 201
    assert cast.client(cast.alice).get(f"/chat/{group.pk}/").status_code == 404
    li.post(f"/chat/{group.pk}/manage/", {"op": "leave"})
    assert li.get(f"/chat/{group.pk}/").status_code == 404
    after = send(li, group, "我还在吗")
    assert after.status_code == 404
    assert class_group(cast.class1).pk != group.pk


def test_the_sender_sees_how_many_have_read_unless_they_hide_it(cast):
    group = open_group(cast)
    li = cast.client(cast.ms_li)
    send(li, group, "下周一升旗仪式")
    cast.client(cast.alice).get(f"/chat/{group.pk}/")
    cast.client(cast.bob).get(f"/chat/{group.pk}/")
    assert "2 人已读" in li.get(f"/chat/{group.pk}/").content.decode()
    cast.client(cast.bob).post(f"/chat/{group.pk}/manage/", {"op": "hide_read", "hide": "1"})
    assert "1 人已读" in li.get(f"/chat/{group.pk}/").content.decode()
    from schools.models import Student

    Student.objects.filter(pk=cast.alice_child.pk).update(school_class=cast.class2)  # alice's family leaves
    assert "人已读" not in li.get(f"/chat/{group.pk}/").content.decode()


def test_a_family_writes_privately_to_the_head_teacher_about_its_child(cast):
    alice = cast.client(cast.alice)
    assert "刘小明" in alice.get("/chat/").content.decode()
    response = alice.post("/chat/start/", {"student": cast.alice_child.pk})
    conversation = Conversation.objects.get(kind="private")
    assert response.status_code == 302 and conversation.student == cast.alice_child
    assert list(conversation.participants.filter(is_member=True).values_list("user__username", flat=True)) == ["ms_li"]
    assert send(alice, conversation, "老师，孩子这周请假两天。").status_code == 201
    assert "请假" in cast.client(cast.ms_li).get(f"/chat/{conversation.pk}/").content.decode()
    assert alice.post("/chat/start/", {"student": cast.bob_child.pk}).status_code == 404  # not her child


def test_only_members_can_be_muted_and_a_class_group_takes_its_class_name_as_it_is_now(cast):
    group = open_group(cast)
    li = cast.client(cast.ms_li)
    li.post(f"/chat/{group.pk}/manage/", {"op": "mute", "user": cast.carol.pk, "reason": "x"})
    assert not group.participants.filter(user=cast.carol).exists()
    from schools.models import SchoolClass

    SchoolClass.objects.filter(pk=cast.class1.pk).update(grade=4)  # a new school year
    group.refresh_from_db()
    assert group.display_title == "四年级1班"
    assert any(c["title"] == "四年级1班" for c in li.get("/api/v1/conversations").json())


def test_a_double_tap_on_creating_a_staff_group_makes_one(cast):
    admin = cast.client(cast.admin_zhang)
    for _ in range(2):
        response = admin.post("/chat/staff-groups/new/", {"title": "德育工作小组", "members": [cast.ms_li.pk]})
        assert response.status_code == 302
    assert Conversation.objects.filter(kind="staff").count() == 1


def test_the_admin_sets_the_office_phone_with_the_quiet_hours_and_it_is_audited(cast):
    zhang, li = cast.client(cast.admin_zhang), cast.client(cast.ms_li)
    form = {"enabled": "on", "starts": "21:00", "ends": "07:00", "office_phone": " 0371-87654321 "}
    assert zhang.post("/chat/quiet-hours/", form).status_code == 302
    assert ChatSettings.objects.get(school=cast.school).office_phone == "0371-87654321"
    entry = AuditEntry.objects.get(action=AuditEntry.Action.SETTINGS_CHANGED)
    assert entry.actor == cast.admin_zhang and entry.summary == "0371-87654321"
    li.post("/chat/quiet-hours/", {**form, "office_phone": "110"})  # not an admin: her hours only
    assert ChatSettings.objects.get(school=cast.school).office_phone == "0371-87654321"


def test_the_api_answers_with_the_payload_the_socket_sends(cast):
    """The typed answers of the API carry exactly the socket's ``live.payload`` (quotes, files,
    answers and recalled messages included)."""
    import json

    from chat.access import STAFF
    from chat.live import payload
    from chat.queries import history

    group = open_group(cast, "qa")
    li, alice = cast.client(cast.ms_li), cast.client(cast.alice)
    li.post(f"/chat/{group.pk}/", {"body": "班级照片", "file": SimpleUploadedFile("照片.png", png())})
    question = send(alice, group, "要带午饭吗？").json()
    answer = send(li, group, "要带。", question=question["id"], quote=question["id"])
    assert answer.status_code == 201
    recalled = send(li, group, "发错了").json()
    li.post(f"/chat/{group.pk}/messages/{recalled['id']}/recall/")
    expected = json.loads(json.dumps([payload(m) for m in history(group, cast.ms_li, STAFF)]))
    assert [m["kind"] for m in expected] == ["text", "question", "answer", "text"]
    assert expected[0]["file"] and expected[2]["quote"] and expected[3]["gone"]
    assert li.get(f"/api/v1/conversations/{group.pk}/messages").json() == expected
    assert answer.json() == {**expected[2], "visible_to_all": True}
    found = li.get("/api/v1/chat/search", {"q": "要带"}).json()
    assert found == [{**m, "conversation_title": cast.class1.name} for m in reversed(expected[1:3])]
    listed = li.get("/api/v1/conversations").json()
    assert listed == [
        {
            "id": group.pk,
            "kind": "class",
            "title": cast.class1.name,
            "mode": "qa",
            "student": None,
            "role": "staff",
            "unread": 0,
        }
    ]
    assert li.post(
        f"/api/v1/conversations/{group.pk}/read", {"up_to": recalled["id"]}, content_type="application/json"
    ).json() == {"ok": True}
    li.post("/chat/start/", {"student": cast.alice_child.pk})
    private = next(c for c in li.get("/api/v1/conversations").json() if c["kind"] == "private")
    assert private["student"] == private["title"] == cast.alice_child.name
