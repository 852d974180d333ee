"""The results page, the collection form's table and the evaluation trend cost a number of queries
that does not grow with the answers, the families or the months."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .helpers import add_families, answers_for, create_and_send
from .test_evaluation import answer_evaluation

pytestmark = pytest.mark.usefixtures("unscoped")


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _school_survey(cast, families: int):
    users = [
        cast.alice,
        cast.bob,
        cast.carol,
        *add_families(cast, cast.class1, families // 2),
        *add_families(cast, cast.class2, families - families // 2, start=50),
    ]
    survey = create_and_send(cast.client(cast.admin_zhang), targets=[{"kind": "school"}])
    for i, user in enumerate(users):
        cast.client(user).post(
            f"/api/v1/surveys/{survey.pk}/answer",
            {"answers": answers_for(survey, single=i % 3, rating=1 + i % 5, text=f"建议{i}")},
            content_type="application/json",
        )
    return survey


def test_results_page_queries_do_not_grow_with_answers(cast, django_assert_num_queries):
    admin = cast.client(cast.admin_zhang)
    small = _school_survey(cast, 4)
    few = _queries(admin, f"/surveys/{small.pk}/results/")
    few_api = _queries(admin, f"/api/v1/surveys/{small.pk}/results")
    large = _school_survey(cast, 40)
    assert _queries(admin, f"/surveys/{large.pk}/results/") == few
    assert _queries(admin, f"/api/v1/surveys/{large.pk}/results") == few_api
    with django_assert_num_queries(few):
        admin.get(f"/surveys/{large.pk}/results/")


def test_form_table_queries_do_not_grow_with_families(cast):
    li = cast.client(cast.ms_li)
    questions = [{"kind": "text", "text": "尺码"}, {"kind": "single", "text": "订餐", "options": ["订", "不订"]}]

    def form_with(n):
        users = add_families(cast, cast.class1, n, start=n)
        survey = create_and_send(
            li,
            kind="form",
            anonymous=False,
            questions=questions,
            targets=[{"kind": "class", "class_id": cast.class1.pk}],
        )
        q = list(survey.questions.all())
        for user in users:
            child = user.guardianships.get().student_links.get().student
            cast.client(user).post(
                f"/api/v1/surveys/{survey.pk}/answer",
                {"student_id": child.pk, "answers": {str(q[0].pk): "130", str(q[1].pk): 0}},
                content_type="application/json",
            )
        return survey

    small, large = form_with(2), form_with(20)
    assert _queries(li, f"/surveys/{small.pk}/results/") == _queries(li, f"/surveys/{large.pk}/results/")


def test_evaluation_trend_queries_do_not_grow_with_months(cast):
    from surveys.models import Survey

    users = [cast.alice, cast.bob, *add_families(cast, cast.class1, 4)]
    li = cast.client(cast.ms_li)
    admin = cast.client(cast.admin_zhang)

    def month(filed_under=None):
        """This month's evaluation, answered; then filed under an earlier month so the next can be sent."""
        li.post("/surveys/evaluation/class/", {"class": cast.class1.pk})
        survey = Survey.objects.filter(series="eval_parents", status="sent").latest("id")
        for user in users:
            answer_evaluation(cast.client(user), survey, 3)
        if filed_under is not None:
            Survey.objects.filter(pk=survey.pk).update(period=filed_under)

    import datetime

    month(datetime.date(2026, 9, 1))
    admin.get("/surveys/evaluation/")  # the first visit copies the built-in templates: not part of the page's cost
    one = _queries(admin, "/surveys/evaluation/")
    one_class = _queries(li, f"/surveys/evaluation/?class={cast.class1.pk}")
    month(datetime.date(2026, 10, 1))
    month()
    assert Survey.objects.filter(series="eval_parents", status="sent").count() == 3
    assert _queries(admin, "/surveys/evaluation/") == one
    assert _queries(li, f"/surveys/evaluation/?class={cast.class1.pk}") == one_class


def test_the_staff_list_of_surveys_does_not_grow_with_surveys(cast):
    from .helpers import create_and_send

    li = cast.client(cast.ms_li)
    create_and_send(li, targets=[{"kind": "class", "class_id": cast.class1.pk}])
    one = _queries(li, "/surveys/")
    for i in range(4):
        create_and_send(li, title=f"问卷{i}", targets=[{"kind": "class", "class_id": cast.class1.pk}])
    assert _queries(li, "/surveys/") == one
    assert len(li.get("/api/v1/surveys").json()) == 5
