"""Recognition (表彰, issue 14): admins see the term's most engaged teachers and families with their
evidence, commend them with a citation, and Tongxin makes a certificate PDF and, if asked, a notice."""

import base64
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from audit.models import AuditEntry
from community import actions as community_actions
from community.models import (
    DutyAssignment,
    DutyFamily,
    DutyFamilyGuardian,
    DutyRoster,
    DutyShift,
    VolunteerSignup,
)
from conftest import zh
from contactbook.models import ContactRecord
from events.models import Attendance, Event, Reflection
from notices.models import Notice, NoticeTarget, Receipt
from reports import queries
from reports.actions import do_commend
from reports.models import Commendation
from schools.models import Guardian, StaffMember, StudentGuardian
from schools.roles import compute_roles

pytestmark = pytest.mark.usefixtures("unscoped")


def past(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


def engaged_school(cast):
    """ms_li: two contacts and a parent meeting; mr_wang: one contact and a staff training attended;
    alice: came to the meeting,
    wrote a reflection and helped two hours; bob: came to the meeting."""
    for author, n in ((cast.ms_li, 2), (cast.mr_wang, 1)):
        for i in range(n):
            ContactRecord.objects.create(
                school=cast.school,
                term=cast.term,
                author=author,
                kind="phone",
                occurred_on=timezone.localdate() - datetime.timedelta(days=i),
            )
    meeting = Event.objects.create(
        school=cast.school,
        author=cast.ms_li,
        kind=Event.Kind.PARENT_MEETING,
        title="期中家长会",
        starts_at=past(2),
        ends_at=past(2) + datetime.timedelta(hours=1),
    )
    notice = Notice.objects.create(school=cast.school, author=cast.ms_li, title="期中家长会", body_html="x")
    receipts = {}
    for user in (cast.alice, cast.bob):
        receipts[user] = Receipt.objects.create(
            school=cast.school, notice=notice, guardian=Guardian.objects.get(user=user)
        )
        Attendance.objects.create(
            school=cast.school, event=meeting, receipt=receipts[user], status="present", method="code"
        )
    Reflection.objects.create(school=cast.school, event=meeting, receipt=receipts[cast.alice], text="很有收获")
    # mr_wang was invited as staff to a teachers' meeting and signed in.
    staff_meeting = Event.objects.create(
        school=cast.school,
        author=cast.admin_zhang,
        kind=Event.Kind.STAFF_TRAINING,
        title="教师培训",
        starts_at=past(3),
        ends_at=past(3) + datetime.timedelta(hours=1),
    )
    staff_notice = Notice.objects.create(school=cast.school, author=cast.admin_zhang, title="教师培训", body_html="x")
    wang_receipt = Receipt.objects.create(school=cast.school, notice=staff_notice, user=cast.mr_wang)
    Attendance.objects.create(
        school=cast.school, event=staff_meeting, receipt=wang_receipt, status="present", method="code"
    )
    # Alice served two hours as a volunteer (checked in).
    start = timezone.now() + datetime.timedelta(days=2)
    activity = community_actions.do_create_activity(
        cast.school,
        acting_user=cast.ms_li,
        roles=compute_roles(cast.ms_li),
        school_class=cast.class1,
        fields=community_actions.ActivityFields(
            kind="sports_meet",
            title="秋季运动会",
            place="操场",
            withdraw_until=start - datetime.timedelta(hours=1),
            slots=[community_actions.SlotSpec("检录", start, start + datetime.timedelta(hours=2), 3)],
        ),
    )
    v = community_actions.do_register_volunteer(
        Guardian.objects.get(user=cast.alice), acting_user=cast.alice, skills="", availability="周末"
    )
    signup = community_actions.do_sign_up(activity.slots.get(), v, acting_user=cast.alice)
    VolunteerSignup.objects.filter(pk=signup.pk).update(checked_in_at=past(1), minutes=120)
    # School B's records never show in school A's ranking.
    ContactRecord.objects.create(
        school=cast.school_b, term=cast.term, author=cast.dave, kind="phone", occurred_on=timezone.localdate()
    )


def test_admins_see_the_most_engaged_teachers_and_families_with_their_evidence(cast):
    engaged_school(cast)
    response = cast.client(cast.admin_zhang).get("/api/v1/reports/engagement")
    assert response.status_code == 200
    data = response.json()
    teachers = [(p["name"], p["score"]) for p in data["teachers"]]
    assert teachers == [("李老师", 5), ("王老师", 2)]  # 2 contacts + a meeting held (3); 1 contact + 1 attended
    wang = {e["key"]: e for e in data["teachers"][1]["evidence"]}
    assert wang["staff_meetings_attended"]["items"][0].endswith("教师培训")
    families = {p["name"]: p for p in data["families"]}
    assert list(families) == ["刘爱丽", "陈波"]
    alice = {e["key"]: e for e in families["刘爱丽"]["evidence"]}
    assert alice["meetings_attended"]["count"] == 1 and alice["meetings_attended"]["items"][0].endswith("期中家长会")
    assert alice["volunteer_hours"]["count"] == 2.0
    assert alice["reflections"]["count"] == 1
    assert families["刘爱丽"]["score"] == 2 + 2 * 2 + 2
    assert "三年级1班刘小明" in families["刘爱丽"]["detail"]
    page = cast.client(cast.admin_zhang).get("/reports/recognition/").content.decode()
    assert "李老师" in page and "刘爱丽" in page and "秋季运动会" in page
    # Not an admin: 404; another school's admin sees their own school only.
    assert cast.client(cast.ms_li).get("/reports/recognition/").status_code == 404
    assert cast.client(cast.alice).get("/api/v1/reports/engagement").status_code == 404
    assert "李老师" not in cast.client(cast.dave).get("/reports/recognition/").content.decode()


def test_engagement_takes_one_query_per_source_whatever_the_size(cast, django_assert_num_queries):
    engaged_school(cast)
    expected = len(queries.SOURCES) + 2  # then the teachers' names and the families' children
    with django_assert_num_queries(expected):
        queries.engagement(cast.term)
    for i in range(5):
        g = Guardian.objects.create(school=cast.school, name=f"家长{i}", phone=f"1370000{i:04d}")
        from schools.models import StudentGuardian

        StudentGuardian.objects.create(school=cast.school, student=cast.bob_child, guardian=g)
        notice = Notice.objects.create(school=cast.school, author=cast.ms_li, title="x", body_html="x")
        receipt = Receipt.objects.create(school=cast.school, notice=notice, guardian=g)
        event = Event.objects.get(title="期中家长会")
        Attendance.objects.create(school=cast.school, event=event, receipt=receipt, status="late", method="code")
    with django_assert_num_queries(expected):
        people = queries.engagement(cast.term)
    assert len(people["family"]) == 7


def _shift_done_by(cast, user, day_offset: int, status="done"):
    """A class-1 duty shift (护学岗) a few days ago, with the family of ``user`` on it."""
    roster = DutyRoster.objects.create(
        school=cast.school, term=cast.term, school_class=cast.class1, title="护学岗", checkin_secret="s"
    )
    guardian = Guardian.objects.get(user=user)
    student = StudentGuardian.objects.get(guardian=guardian).student
    family = DutyFamily.objects.create(school=cast.school, roster=roster, student=student, label=student.name)
    DutyFamilyGuardian.objects.create(school=cast.school, family=family, guardian=guardian)
    day = timezone.localdate() - datetime.timedelta(days=day_offset)
    shift = DutyShift.objects.create(
        school=cast.school,
        roster=roster,
        date=day,
        starts_at=datetime.time(7, 30),
        ends_at=datetime.time(8, 0),
        place="校门口",
    )
    DutyAssignment.objects.create(school=cast.school, shift=shift, family=family, status=status)
    return day


def test_duty_shifts_done_count_for_the_family(cast):
    """A shift done counts for the family's guardians, with its date and place; a no-show does not."""
    engaged_school(cast)
    day = _shift_done_by(cast, cast.bob, day_offset=3)
    _shift_done_by(cast, cast.alice, day_offset=4, status="no_show")
    families = {p.name: p for p in queries.engagement(cast.term)["family"]}
    assert families["陈波"].evidence["shifts"].items == [f"{day:%Y-%m-%d} 07:30 校门口"]
    assert "shifts" not in families["刘爱丽"].evidence


def test_a_source_is_one_line(cast):
    """Anything else adds a source as one Source: it counts at once."""
    engaged_school(cast)
    bob = Guardian.objects.get(user=cast.bob)

    def essays(window):
        yield bob.pk, "2026-11-10 征文", 1

    extra = [*queries.SOURCES, queries.Source("essays", "essays", queries.FAMILY, 20, essays)]
    families = queries.engagement(cast.term, sources=extra)["family"]
    assert families[0].name == "陈波" and families[0].evidence["essays"].items == ["2026-11-10 征文"]


def test_an_admin_commends_a_family_with_a_certificate_and_a_notice(cast):
    engaged_school(cast)
    alice_guardian = Guardian.objects.get(user=cast.alice)
    admin = cast.client(cast.admin_zhang)
    response = admin.post(
        "/reports/recognition/commend/",
        {
            "kind": "family",
            "person_id": alice_guardian.pk,
            "award": "优秀志愿者家长",
            "citation": "本学期积极参加家长会和志愿服务。",
            "notify": "1",
        },
    )
    assert response.status_code == 302
    c = Commendation.objects.get()
    assert (c.name, c.award, c.guardian, c.user) == ("刘爱丽", "优秀志愿者家长", alice_guardian, None)
    assert {e["label"] for e in c.evidence} >= {str(queries.SOURCES[3].label)}
    assert c.notice is not None
    assert list(NoticeTarget.objects.filter(notice=c.notice).values_list("kind", "student_id")) == [
        ("student", cast.alice_child.pk)
    ]
    assert AuditEntry.objects.filter(action="commended", target_id=str(c.pk)).exists()
    # The certificate: a PDF for the admin and for the family; nobody else.
    pdf = admin.get(f"/reports/commendations/{c.pk}/certificate.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    mine = cast.client(cast.alice).get(f"/api/v1/reports/commendations/{c.pk}/certificate")
    assert base64.b64decode(mine.json()["content_base64"]).startswith(b"%PDF")
    assert cast.client(cast.bob).get(f"/reports/commendations/{c.pk}/certificate.pdf").status_code == 404
    assert cast.client(cast.dave).get(f"/reports/commendations/{c.pk}/certificate.pdf").status_code == 404
    # Once a term.
    again = admin.post(
        "/api/v1/reports/commendations",
        {"kind": "family", "person_id": alice_guardian.pk, "award": "再次", "citation": "x"},
        content_type="application/json",
    )
    assert again.status_code == 400
    assert again.json()["detail"] == zh("%(name)s has already been commended this term.") % {"name": "刘爱丽"}


def test_a_teacher_is_commended_through_the_api_without_a_notice(cast):
    engaged_school(cast)
    response = cast.client(cast.admin_zhang).post(
        "/api/v1/reports/commendations",
        {"kind": "teacher", "person_id": cast.ms_li.pk, "award": "家校共育优秀教师", "citation": "家访认真。"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["notice_id"] is None
    listed = cast.client(cast.admin_zhang).get("/api/v1/reports/commendations").json()
    assert [(c["name"], c["kind"]) for c in listed] == [("李老师", "teacher")]
    assert cast.client(cast.ms_li).get(listed[0]["certificate"]).status_code == 200
    assert cast.client(cast.mr_wang).get(listed[0]["certificate"]).status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"award": ""}, "Give the award a title of at most 40 characters, e.g. 优秀志愿者家长."),
        ({"award": "优" * 41}, "Give the award a title of at most 40 characters, e.g. 优秀志愿者家长."),
        ({"citation": "  "}, "Write the citation, at most 1000 characters."),
        ({"kind": "pupil"}, "Choose a teacher or a family."),
        ({"person_id": 0}, "Choose someone from this term's list."),
    ],
)
def test_bad_commendations_are_refused_and_nothing_is_written(cast, changes, message):
    engaged_school(cast)
    payload = {"kind": "teacher", "person_id": cast.ms_li.pk, "award": "优秀教师", "citation": "好", **changes}
    response = cast.client(cast.admin_zhang).post(
        "/api/v1/reports/commendations", payload, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["detail"] == zh(message)
    assert not Commendation.objects.exists()


def test_someone_with_no_record_or_of_another_school_cannot_be_commended(cast):
    engaged_school(cast)
    with pytest.raises(ValidationError):
        do_commend(
            cast.term,
            acting_user=cast.admin_zhang,
            roles=compute_roles(cast.admin_zhang),
            kind="teacher",
            person_id=cast.dave.pk,
            award="x",
            citation="x",
        )
    with pytest.raises(ValidationError):  # a teacher cannot commend
        do_commend(
            cast.term,
            acting_user=cast.ms_li,
            roles=compute_roles(cast.ms_li),
            kind="teacher",
            person_id=cast.ms_li.pk,
            award="x",
            citation="x",
        )
    StaffMember.objects.filter(user=cast.mr_wang).update(is_active=False)
    assert [p.name for p in queries.engagement(cast.term)["teacher"]] == ["李老师"]
    assert not Commendation.objects.exists()
