"""The survey's send page shares the notice composer's audience chooser and guardrail reason
(notices.forms.AudienceForm; issue 13, "Compose"): the class of a teacher of one class is chosen
already, the box asking why a survey must go to the whole class appears only after a warning, and
the page's queries do not grow with the class."""

import datetime

import pytest
from django.utils import timezone

from notices.tests.html import checked_values, field_names, inputs
from schools.models import StaffAssignment, StaffMember
from surveys.models import Survey

from .helpers import add_families

pytestmark = pytest.mark.usefixtures("unscoped")


def _draft(client, *, description: str = "") -> Survey:
    response = client.post("/surveys/new/", {"title": "午餐满意度", "kind": "survey", "description": description})
    assert response.status_code == 302
    survey = Survey.objects.get(title="午餐满意度")
    edit = f"/surveys/{survey.pk}/edit/"
    assert client.post(edit, {"op": "add", "kind": "rating", "text": "分量够吗？", "required": "on"}).status_code == 302
    return survey


def _closes() -> str:
    return (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")


def test_a_teacher_of_one_class_finds_it_chosen_and_an_admin_does_not(cast):
    li = cast.client(cast.ms_li)
    page = li.get(f"/surveys/{_draft(li).pk}/send/")
    assert page.status_code == 200
    assert checked_values(page, "classes") == [str(cast.class1.pk)]
    admin = cast.client(cast.admin_zhang)
    survey = Survey.objects.get()
    survey.author = cast.admin_zhang
    survey.save(update_fields=["author"])
    assert checked_values(admin.get(f"/surveys/{survey.pk}/send/"), "classes") == []


def test_a_teacher_of_two_classes_starts_with_nothing_chosen(cast):
    li = StaffMember.objects.get(user=cast.ms_li)
    StaffAssignment.objects.create(
        school=cast.school, term=cast.term, staff=li, school_class=cast.class2, role="subject", subject="语文"
    )
    client = cast.client(cast.ms_li)
    assert checked_values(client.get(f"/surveys/{_draft(client).pk}/send/"), "classes") == []


def test_the_reason_box_appears_only_after_a_warning(cast):
    client = cast.client(cast.ms_li)
    survey = _draft(client, description="上次成绩：刘小明 98分，陈小红 65分。请家长谈谈看法。")
    url = f"/surveys/{survey.pk}/send/"
    assert "guardrail_reason" not in field_names(client.get(url))
    warned = client.post(url, {"classes": [cast.class1.pk], "closes_at": _closes()})
    assert warned.status_code == 400 and 'aria-labelledby="h-warn"' in warned.content.decode()
    assert "guardrail_reason" in field_names(warned)
    survey.refresh_from_db()
    assert survey.status == "draft"
    sent = client.post(url, {"classes": [cast.class1.pk], "closes_at": _closes(), "guardrail_reason": "家委会要求"})
    assert sent.status_code == 302
    survey.refresh_from_db()
    assert survey.status == "sent" and survey.notice is not None
    assert survey.notice.guardrail_reason == "家委会要求"


@pytest.mark.parametrize("families", [0, 40])
def test_the_send_page_queries_do_not_grow_with_the_class(cast, django_assert_num_queries, families):
    add_families(cast, cast.class1, families)
    client = cast.client(cast.ms_li)
    survey = _draft(client)
    # session, user, roles (3), the survey, the classes, the students, the questions' count, the
    # badges (notices, chat, the to-do list 3)
    with django_assert_num_queries(14):
        page = client.get(f"/surveys/{survey.pk}/send/")
    assert len(inputs(page, "students")) == 2 + families
