"""Removing a guardian from a child on the web (home.views_family): the head teacher of the child's
class or a school admin; everyone else gets a 404 and the link stays. The removal itself (receipts
closed, the escalation ladder stops) is tested in notices/tests/test_ladder.py."""

from django.urls import reverse
from django_scopes import scopes_disabled

from audit.models import AuditEntry
from conftest import zh
from schools.models import Guardian, StaffMember, StudentGuardian


def _url(student, guardian) -> str:
    return reverse("home:unlink_guardian", kwargs={"student_id": student.pk, "guardian_id": guardian.pk})


def _linked(student, guardian) -> bool:
    with scopes_disabled():
        return StudentGuardian.objects.filter(student=student, guardian=guardian).exists()


def _guardian_of(user) -> Guardian:
    with scopes_disabled():
        return Guardian.objects.get(user=user)


def test_the_head_teacher_sees_what_happens_then_removes_the_guardian(cast):
    url = _url(cast.alice_child, cast.alice_guardian)
    teacher = cast.client(cast.ms_li)
    class_page = teacher.get(reverse("schools:class", kwargs={"class_id": cast.class1.pk})).content.decode()
    assert url in class_page
    page = teacher.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "刘爱丽" in text and "138****0001" in text and "13800000001" not in text
    assert zh("This child then has no guardian on file: add one or import the roster again.") in text
    assert _linked(cast.alice_child, cast.alice_guardian)  # looking changes nothing
    response = teacher.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("schools:class", kwargs={"class_id": cast.class1.pk})
    assert not _linked(cast.alice_child, cast.alice_guardian)
    shown = response.content.decode()
    assert "已将刘爱丽从刘小明名下移除，不再就 0 条通知提醒对方。" in shown
    assert zh("No guardian on file") in shown
    with scopes_disabled():
        entry = AuditEntry.objects.get(action=AuditEntry.Action.GUARDIAN_CHANGED, summary__startswith="removed")
        assert (entry.actor, entry.school) == (cast.ms_li, cast.school)
        assert Guardian.objects.filter(pk=cast.alice_guardian.pk).exists()  # the guardian and account stay
    assert teacher.get(url).status_code == 404  # gone: nothing left to remove
    # A second tap (or a retry after a lost answer) is answered as the first, not with a 404, and
    # removes nothing more.
    again = teacher.post(url, follow=True)
    assert again.redirect_chain[-1][0] == reverse("schools:class", kwargs={"class_id": cast.class1.pk})
    assert zh("This guardian is no longer linked to %(student)s.") % {"student": "刘小明"} in again.content.decode()
    with scopes_disabled():
        assert AuditEntry.objects.filter(action=AuditEntry.Action.GUARDIAN_CHANGED).count() == 1
    # Nobody else learns anything from a link that is gone.
    for refused in (cast.mr_wang, cast.bob, cast.dave):
        assert cast.client(refused).post(url).status_code == 404, refused


def test_a_child_with_another_guardian_gets_no_warning(cast):
    with scopes_disabled():
        grandpa = Guardian.objects.create(school=cast.school, name="刘爷爷", phone="13800000021")
        StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=grandpa)
    text = cast.client(cast.ms_li).get(_url(cast.alice_child, grandpa)).content.decode()
    assert "刘爷爷" in text
    assert zh("This child then has no guardian on file: add one or import the roster again.") not in text


def test_who_may_not_remove_a_guardian_gets_a_404_and_the_link_stays(cast):
    url = _url(cast.alice_child, cast.alice_guardian)
    # The subject teacher, parents (the guardian herself too), another school's admin and family.
    for refused in (cast.mr_wang, cast.alice, cast.bob, cast.carol, cast.dave, cast.erin):
        client = cast.client(refused)
        assert client.get(url).status_code == 404, refused
        assert client.post(url).status_code == 404, refused
    anonymous = cast.client().post(url)
    assert anonymous.status_code == 302 and reverse("accounts:login") in anonymous["Location"]
    assert _linked(cast.alice_child, cast.alice_guardian)
    # The head teacher of 三年级1班 may not touch 三年级2班; nor does the subject teacher see the link.
    carol_guardian = _guardian_of(cast.carol)
    assert cast.client(cast.ms_li).post(_url(cast.carol_child, carol_guardian)).status_code == 404
    assert _linked(cast.carol_child, carol_guardian)
    class_page = cast.client(cast.mr_wang).get(reverse("schools:class", kwargs={"class_id": cast.class1.pk}))
    assert url not in class_page.content.decode()


def test_forged_pairs_change_nothing_and_tell_nothing(cast):
    teacher = cast.client(cast.ms_li)
    bob_guardian = _guardian_of(cast.bob)
    # A real guardian and a real child of the class, but not each other's: no page to confirm.
    assert teacher.get(_url(cast.bob_child, cast.alice_guardian)).status_code == 404
    # Sent anyway, it is answered as a repeated removal (the head teacher manages the child) and the
    # answer is the same whether the guardian exists or not, so it tells nothing about the id.
    real = teacher.post(_url(cast.bob_child, cast.alice_guardian), follow=True)
    made_up = teacher.post(f"/students/{cast.bob_child.pk}/guardians/999999/remove/", follow=True)
    said = [[str(m) for m in r.context["messages"]] for r in (real, made_up)]
    assert said[0] == said[1] == [zh("This guardian is no longer linked to %(student)s.") % {"student": "陈小红"}]
    # A child that is not the head teacher's, or does not exist: 404.
    assert teacher.post(_url(cast.carol_child, _guardian_of(cast.carol))).status_code == 404
    assert teacher.post("/students/999999/guardians/999999/remove/").status_code == 404
    assert _linked(cast.alice_child, cast.alice_guardian) and _linked(cast.bob_child, bob_guardian)
    with scopes_disabled():
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.GUARDIAN_CHANGED).exists()


def test_the_school_admin_removes_in_any_class_and_alone_a_colleagues_link(cast):
    carol_guardian = _guardian_of(cast.carol)
    admin = cast.client(cast.admin_zhang)
    assert admin.post(_url(cast.carol_child, carol_guardian)).status_code == 302
    assert not _linked(cast.carol_child, carol_guardian)
    # 王老师 (staff of the school) is also 刘小明's father: his colleague the head teacher may not
    # remove him, the school admin may.
    with scopes_disabled():
        assert StaffMember.objects.filter(user=cast.mr_wang).exists()
        wang = Guardian.objects.create(school=cast.school, name="王老师", phone="13900000003", user=cast.mr_wang)
        StudentGuardian.objects.create(school=cast.school, student=cast.alice_child, guardian=wang, relationship="父亲")
    class_url = reverse("schools:class", kwargs={"class_id": cast.class1.pk})
    assert _url(cast.alice_child, wang) not in cast.client(cast.ms_li).get(class_url).content.decode()
    assert _url(cast.alice_child, cast.alice_guardian) in cast.client(cast.ms_li).get(class_url).content.decode()
    assert _url(cast.alice_child, wang) in admin.get(class_url).content.decode()
    assert cast.client(cast.ms_li).post(_url(cast.alice_child, wang)).status_code == 404
    assert _linked(cast.alice_child, wang)
    assert admin.post(_url(cast.alice_child, wang)).status_code == 302
    assert not _linked(cast.alice_child, wang)
