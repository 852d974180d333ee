"""Erasing a family (docs/design/privacy.md): pseudonymised, the school's records kept, logged."""

from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from accounts.models import Consent, User
from audit.models import AuditEntry
from chat.models import Conversation, Message
from home.erasure import ERASED_BODY, do_erase_family
from schools.models import Guardian, StudentGuardian


def test_erasing_a_family_pseudonymises_it_and_keeps_the_schools_records(cast):
    with scopes_disabled():
        group = Conversation.objects.create(school=cast.school, kind="class", school_class=cast.class1)
        Message.objects.create(school=cast.school, conversation=group, sender=cast.alice, body="明天请假")
        Message.objects.create(school=cast.school, conversation=group, sender=cast.bob, body="收到")
        Consent.objects.create(user=cast.alice, kind="data", version="1", given_at=timezone.now())
        counts = do_erase_family(cast.alice_guardian, acting_user=cast.admin_zhang)
        guardian = Guardian.objects.get(pk=cast.alice_guardian.pk)
        alice = User.objects.get(pk=cast.alice.pk)
        entry = AuditEntry.objects.get(action="family_erased")
        bob_message = Message.objects.get(sender=cast.bob)
        alice_message = Message.objects.get(sender=cast.alice)
        standing = Consent.objects.filter(user=alice, withdrawn_at__isnull=True).count()
        still_linked = StudentGuardian.objects.filter(guardian=guardian, student=cast.alice_child).exists()
        bob_guardian = Guardian.objects.get(user=cast.bob)

    assert counts["account"] == 1 and counts["chat_messages"] == 1
    assert guardian.name == f"已删除家长 #{guardian.pk}" and "1380000000" not in guardian.phone
    assert guardian.user is None and still_linked
    assert not alice.is_active and alice.phone is None and alice.name != "刘爱丽" and alice.username != "13800000001"
    assert not alice.has_usable_password()
    assert alice_message.body == ERASED_BODY and bob_message.body == "收到"
    assert standing == 0
    assert "刘爱丽" not in entry.summary and "13800000001" not in entry.summary
    assert bob_guardian.name == "陈波" and bob_guardian.phone == "13800000002"

    # The class page no longer names her; she cannot sign in.
    page = cast.client(cast.admin_zhang).get(reverse("schools:class", kwargs={"class_id": cast.class1.pk}))
    body = page.content.decode()
    assert "刘爱丽" not in body and "13800000001" not in body and "陈波" in body
    assert not cast.client().login(username="13800000001", password="correct-horse-42")


def test_an_account_that_is_staff_elsewhere_keeps_its_identity(cast):
    with scopes_disabled():
        from schools.models import StaffMember

        StaffMember.objects.create(school=cast.school_b, user=cast.alice)
        counts = do_erase_family(cast.alice_guardian, acting_user=cast.admin_zhang)
        alice = User.objects.get(pk=cast.alice.pk)
    assert counts["account"] == 0 and alice.is_active and alice.name == "刘爱丽"


def test_the_admin_page_erases_only_with_the_right_phone(cast):
    url = reverse("home:erase_family", kwargs={"guardian_id": cast.alice_guardian.pk})
    admin = cast.client(cast.admin_zhang)
    assert "13800000001" in admin.get(reverse("schools:class", kwargs={"class_id": cast.class1.pk})).content.decode()
    admin.post(url, {"phone": "13800000002"})
    with scopes_disabled():
        assert Guardian.objects.get(pk=cast.alice_guardian.pk).name == "刘爱丽"
        assert not AuditEntry.objects.filter(action="family_erased").exists()
    for refused in (cast.ms_li, cast.dave, cast.bob):
        assert cast.client(refused).post(url, {"phone": "13800000001"}).status_code == 404
    response = admin.post(url, {"phone": "13800000001"})
    assert response.status_code == 302
    with scopes_disabled():
        assert Guardian.objects.get(pk=cast.alice_guardian.pk).name != "刘爱丽"
        assert AuditEntry.objects.filter(action="family_erased", actor=cast.admin_zhang).count() == 1
    export = admin.get(reverse("schools:export_school"))
    assert export.status_code == 200
    import io

    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(export.content))
    cells = " ".join(str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row)
    assert "刘爱丽" not in cells and "13800000001" not in cells and "陈波" in cells


def test_erasing_a_family_removes_its_phones_push_subscriptions_in_that_school(cast):
    from django_scopes import scopes_disabled

    from delivery.models import PushSubscription

    with scopes_disabled():
        for school, end in ((cast.school, "a"), (cast.school_b, "b")):
            PushSubscription.objects.create(
                school=school,
                user=cast.alice,
                endpoint=f"https://fcm.googleapis.com/fcm/send/{end}",
                p256dh="k",
                auth="a",
            )
        counts = do_erase_family(cast.alice_guardian, acting_user=cast.admin_zhang)
        assert counts["push_devices"] == 1
        assert list(PushSubscription.objects.values_list("school_id", flat=True)) == [cast.school_b.pk]
