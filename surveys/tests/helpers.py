"""Building surveys for tests the way users do: through the pages and the API."""

import datetime
import itertools

from django.utils import timezone

from schools.models import Guardian, Student, StudentGuardian
from surveys.models import Survey

_PHONES = itertools.count(1)  # every family added in a test run gets its own phone

QUESTIONS = [
    {"kind": "single", "text": "您对本月的班级通知满意吗？", "options": ["满意", "一般", "不满意"]},
    {"kind": "rating", "text": "信息是否及时？"},
    {"kind": "matrix", "text": "各渠道满意度", "options": ["通知", "电话"]},
    {"kind": "long_text", "text": "您的建议", "required": False},
]


def closes() -> str:
    return (timezone.now() + datetime.timedelta(days=3)).isoformat()


def create_and_send(client, *, title="本月家校沟通评价", questions=None, targets=None, kind="survey", anonymous=True):
    """Create a survey with its questions and send it, through the API; return the Survey."""
    response = client.post(
        "/api/v1/surveys",
        {"title": title, "kind": kind, "anonymous": anonymous, "questions": questions or QUESTIONS},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    survey_id = response.json()["id"]
    response = client.post(
        f"/api/v1/surveys/{survey_id}/send",
        {"targets": targets, "closes_at": closes()},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return Survey.objects.get(pk=survey_id)


def answers_for(survey, single=0, rating=4, matrix=(5, 3), text=""):
    qs = list(survey.questions.all())
    return {
        str(qs[0].pk): single,
        str(qs[1].pk): rating,
        str(qs[2].pk): list(matrix),
        str(qs[3].pk): text,
    }


def add_families(cast, school_class, n, start=0):
    """n more families in a class, each a signed-up parent with one child; returns their users."""
    from accounts.models import User

    users = []
    for i in range(start, start + n):
        phone = f"137{next(_PHONES):08d}"
        user = User.objects.create_user(phone, "x-horse-42", name=f"家长{i}", phone=phone)
        student = Student.objects.create(
            school=cast.school, name=f"学生{school_class.pk}-{i}", school_class=school_class
        )
        guardian = Guardian.objects.create(
            school=cast.school, name=f"家长{i}", phone=phone, user=user, activated_at=timezone.now()
        )
        StudentGuardian.objects.create(school=cast.school, student=student, guardian=guardian, relationship="母亲")
        users.append(user)
    return users


__all__ = ["Survey"]
