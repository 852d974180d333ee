from io import StringIO

from django.core.management import call_command
from django.db.models import Count
from django_scopes import scopes_disabled

from schools.models import Guardian, SchoolClass, StaffAssignment, StaffMember, Student


def test_demo_school_loads_once_and_prints_its_sign_ins(db):
    out = StringIO()
    call_command("load_demo", students_per_class=20, stdout=out)
    with scopes_disabled():
        counts = (SchoolClass.objects.count(), Student.objects.count(), Guardian.objects.count())
        assert counts[0] == 12 and counts[1] == 240
        names = {c.name for c in SchoolClass.objects.all()}
        assert {"一年级1班", "六年级2班"} <= names
        # A head teacher per class, subject teachers, one admin.
        assert StaffAssignment.objects.filter(role="head").count() == 12
        assert StaffAssignment.objects.filter(role="subject").exists()
        assert StaffMember.objects.filter(is_school_admin=True).count() == 1
        # Siblings and twins share guardians: some guardian has more than one child.
        assert Guardian.objects.annotate(n=Count("student_links")).filter(n__gt=1).exists()
        assert (
            Guardian.objects.filter(user__isnull=False).exists() and Guardian.objects.filter(user__isnull=True).exists()
        )
    printed = out.getvalue()
    assert "admin" in printed and "tongxin-demo" in printed and "t32" in printed
    # A parent meeting, this month's evaluation with some answers, and a class group with a question
    # answered and one waiting for the head teacher (their home page shows it).
    from chat.models import Message
    from events.models import Event
    from notices.models import Receipt
    from surveys.models import Participation, Survey

    with scopes_disabled():
        event = Event.objects.get(kind="parent_meeting")
        assert event.title == "三年级2班期中家长会" and Receipt.objects.filter(notice=event.notice).exists()
        survey = Survey.objects.get(status="sent")
        assert survey.series == "eval_parents" and Participation.objects.filter(survey=survey).count() == 7
        # (plain messages besides: the dashboards' demo adds a themed discussion and a late message)
        kinds = list(Message.objects.order_by("pk").values_list("kind", flat=True))
        assert [k for k in kinds if k != "text"] == ["question", "answer", "question"] and "text" in kinds

    again = StringIO()
    call_command("load_demo", stdout=again)
    with scopes_disabled():
        assert (SchoolClass.objects.count(), Student.objects.count(), Guardian.objects.count()) == counts
    assert "already loaded" in again.getvalue() and "admin" in again.getvalue()
