import datetime

import pytest
from django.utils import timezone

from notices.models import Notice
from surveys.actions import month_window
from surveys.models import Question, Survey

from .helpers import add_families

# Written about the months of the 2026—2027 first term: the clock stands in it.
pytestmark = pytest.mark.usefixtures("school_day", "unscoped")


def answer_evaluation(client, survey, rating):
    """Every question answered: the matrix rows, the ratings and the recommendation with ``rating``."""
    answers: dict[str, int | list[int]] = {}
    for q in survey.questions.all():
        if q.kind == Question.Kind.MATRIX:
            answers[str(q.pk)] = [rating] * len(q.options)
        elif q.kind in (Question.Kind.RATING, Question.Kind.NPS):
            answers[str(q.pk)] = rating
        elif q.kind == Question.Kind.SINGLE:
            answers[str(q.pk)] = 0
    response = client.post(f"/api/v1/surveys/{survey.pk}/answer", {"answers": answers}, content_type="application/json")
    assert response.status_code == 201, response.content


def test_the_built_in_template_is_copied_once_and_adjusted_by_the_school(cast):
    admin = cast.client(cast.admin_zhang)
    page = admin.get("/surveys/evaluation/")
    assert page.status_code == 200
    template = Survey.objects.get(school=cast.school, series="eval_parents", status="template")
    assert admin.get("/surveys/evaluation/").status_code == 200
    assert Survey.objects.filter(school=cast.school, series="eval_parents", status="template").count() == 1
    kinds = list(template.questions.values_list("kind", flat=True))
    assert kinds == ["matrix", "rating", "rating", "single", "nps", "long_text"]
    assert "家校沟通月度评价（家长）" in template.title
    # The school adds a question of its own; every month scheduled afterwards carries it.
    response = admin.post(
        f"/surveys/{template.pk}/edit/", {"op": "add", "kind": "rating", "text": "课后服务满意吗？", "required": "on"}
    )
    assert response.status_code == 302
    added = template.questions.get(text="课后服务满意吗？")
    assert added.key  # comparable across months


def test_an_admin_schedules_the_evaluation_for_the_months_of_the_term(cast):
    admin = cast.client(cast.admin_zhang)
    response = admin.post(
        "/surveys/evaluation/schedule/", {"series": "eval_parents", "months": ["2026-12-01", "2027-01-01"]}
    )
    assert response.status_code == 302
    surveys = list(Survey.objects.filter(series="eval_parents", status="sent").order_by("period"))
    assert [s.period for s in surveys] == [datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)]
    december = surveys[0]
    assert december.notice is not None
    opens, closes = month_window(datetime.date(2026, 12, 1), timezone.now())
    assert december.anonymous and december.notice.status == Notice.Status.SCHEDULED
    assert december.notice.publish_at == opens and december.closes_at == closes
    assert timezone.localtime(opens).day == 25 and timezone.localtime(closes).day == 31
    assert [q.key for q in december.questions.all()][:2] == ["channels", "timely"]
    # The teachers' evaluation goes to all staff; a head teacher may not schedule either.
    admin.post("/surveys/evaluation/schedule/", {"series": "eval_teachers", "months": ["2026-12-01"]})
    teachers = Survey.objects.get(series="eval_teachers", status="sent")
    assert teachers.notice is not None
    assert teachers.notice.targets.get().kind == "staff"
    assert (
        cast.client(cast.ms_li)
        .post("/surveys/evaluation/schedule/", {"series": "eval_parents", "months": ["2026-12-01"]})
        .status_code
        == 404
    )


def test_a_month_that_is_over_cannot_be_scheduled(cast):
    admin = cast.client(cast.admin_zhang)
    admin.post("/surveys/evaluation/schedule/", {"series": "eval_parents", "months": ["2026-09-01"]}, follow=True)
    assert not Survey.objects.filter(status="sent").exists()


def test_head_teacher_sends_the_evaluation_to_her_class_and_the_trend_compares_months(cast):
    families = [cast.alice, cast.bob, *add_families(cast, cast.class1, 4)]
    li = cast.client(cast.ms_li)
    # Last month's evaluation first (sent now, then filed under October), then this month's.
    assert li.post("/surveys/evaluation/class/", {"class": cast.class1.pk}).status_code == 302
    october = Survey.objects.get(series="eval_parents", status="sent")
    assert october.period == timezone.localdate().replace(day=1)
    Survey.objects.filter(pk=october.pk).update(period=datetime.date(2026, 10, 1))
    for user in families[:5]:
        answer_evaluation(cast.client(user), october, 2)
    assert li.post("/surveys/evaluation/class/", {"class": cast.class1.pk}).status_code == 302
    november = Survey.objects.filter(series="eval_parents", status="sent").latest("id")
    assert november.pk != october.pk
    for user in families:
        answer_evaluation(cast.client(user), november, 4)
    trend = li.get(f"/api/v1/evaluations/eval_parents?class_id={cast.class1.pk}").json()
    assert trend["months"] == ["2026-10-01", "2026-11-01"]
    assert trend["answered"] == [5, 6]
    assert trend["response_rate"] == [83, 100]
    timely = next(q for q in trend["questions"] if q["label"].startswith("学校和班级的信息是否及时"))
    assert timely["means"] == [2.0, 4.0]
    page = li.get(f"/surveys/evaluation/?class={cast.class1.pk}").content.decode()
    assert "2026年10月" in page and "83%" in page
    # Another class's trend is not hers, in the page or the API.
    assert li.get(f"/surveys/evaluation/?class={cast.class2.pk}").status_code == 404
    assert li.get(f"/api/v1/evaluations/eval_parents?class_id={cast.class2.pk}").status_code == 404
    assert li.get("/api/v1/evaluations/eval_teachers").status_code == 404


def test_a_month_with_fewer_than_five_answers_in_the_class_shows_no_means(cast):
    li = cast.client(cast.ms_li)
    li.post("/surveys/evaluation/class/", {"class": cast.class1.pk})
    survey = Survey.objects.get(series="eval_parents", status="sent")
    for user in (cast.alice, cast.bob):
        answer_evaluation(cast.client(user), survey, 1)
    trend = li.get(f"/api/v1/evaluations/eval_parents?class_id={cast.class1.pk}").json()
    assert trend["answered"] == [2]
    assert trend["response_rate"] == [None]
    assert all(q["means"] == [None] for q in trend["questions"])
    admin = cast.client(cast.admin_zhang).get("/api/v1/evaluations/eval_parents").json()
    assert all(q["means"] == [None] for q in admin["questions"])


def test_a_subject_teacher_cannot_send_the_class_evaluation(cast):
    assert cast.client(cast.mr_wang).post("/surveys/evaluation/class/", {"class": cast.class1.pk}).status_code == 404
    assert not Survey.objects.filter(status="sent").exists()


def test_scheduling_a_month_twice_sends_it_once(cast):
    admin = cast.client(cast.admin_zhang)
    for _ in range(2):
        admin.post("/surveys/evaluation/schedule/", {"series": "eval_parents", "months": ["2026-12-01"]})
    assert Survey.objects.filter(series="eval_parents", status="sent", period=datetime.date(2026, 12, 1)).count() == 1


def test_the_schools_template_is_adjusted_by_admins_only_even_if_a_head_teacher_made_it(cast):
    cast.client(cast.ms_li).post("/surveys/evaluation/class/", {"class": cast.class1.pk})
    template = Survey.objects.get(series="eval_parents", status="template")
    assert template.author == cast.ms_li
    assert cast.client(cast.ms_li).get(f"/surveys/{template.pk}/edit/").status_code == 404
    assert cast.client(cast.admin_zhang).get(f"/surveys/{template.pk}/edit/").status_code == 200


def test_a_double_tap_on_send_to_my_class_sends_one_evaluation(cast):
    li = cast.client(cast.ms_li)
    first = li.post("/surveys/evaluation/class/", {"class": cast.class1.pk})
    second = li.post("/surveys/evaluation/class/", {"class": cast.class1.pk})
    assert first.status_code == second.status_code == 302 and first.url == second.url
    assert Survey.objects.filter(series="eval_parents", status="sent").count() == 1


def test_a_double_tap_on_add_question_adds_it_once(cast):
    li = cast.client(cast.ms_li)
    li.post("/surveys/new/", {"title": "午餐", "kind": "survey", "anonymous": "on"})
    survey = Survey.objects.get(title="午餐")
    question = {"op": "add", "kind": "rating", "text": "饭菜好吗？", "required": "on"}
    assert li.post(f"/surveys/{survey.pk}/edit/", question).status_code == 302
    again = li.post(f"/surveys/{survey.pk}/edit/", question)
    assert again.status_code == 400 and "已经" in again.content.decode()
    assert survey.questions.count() == 1
