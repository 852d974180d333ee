import datetime
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from core.tests.test_uploads import png
from delivery.models import Delivery, DeliveryPreference
from notices.models import Notice, Receipt
from surveys.models import Answer, Participation, Question, Response, Survey
from surveys.queries import shown_groups

from .helpers import QUESTIONS, add_families, answers_for, closes, create_and_send

pytestmark = pytest.mark.usefixtures("unscoped")


def answer(client, survey, **kw):
    return client.post(
        f"/api/v1/surveys/{survey.pk}/answer", {"answers": answers_for(survey, **kw)}, content_type="application/json"
    )


# --- building and sending, through the pages ------------------------------------------------------


def test_head_teacher_builds_a_survey_on_the_pages_and_sends_it_to_her_class(cast):
    li = cast.client(cast.ms_li)
    response = li.post("/surveys/new/", {"title": "午餐满意度", "kind": "survey", "anonymous": "on"})
    assert response.status_code == 302
    survey = Survey.objects.get(title="午餐满意度")
    assert survey.anonymous and survey.status == "draft"
    edit = f"/surveys/{survey.pk}/edit/"
    assert (
        li.post(
            edit,
            {"op": "add", "kind": "single", "text": "饭菜可口吗？", "options": "可口\n一般\n不好", "required": "on"},
        ).status_code
        == 302
    )
    assert li.post(edit, {"op": "add", "kind": "rating", "text": "分量够吗？", "required": "on"}).status_code == 302
    first, second = survey.questions.all()
    assert first.options == ["可口", "一般", "不好"] and second.position == 1
    li.post(edit, {"op": "up", "question": second.pk})
    assert list(survey.questions.values_list("text", flat=True)) == ["分量够吗？", "饭菜可口吗？"]
    response = li.post(
        f"/surveys/{survey.pk}/send/",
        {
            "classes": [cast.class1.pk],
            "closes_at": (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        },
    )
    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.status == "sent" and survey.is_open
    notice = survey.notice
    assert notice is not None
    assert notice.status == Notice.Status.PUBLISHED and notice.deadline == survey.closes_at
    assert set(Receipt.objects.filter(notice=notice).values_list("guardian__user__username", flat=True)) == {
        cast.alice.username,
        cast.bob.username,
    }
    # The notice tells the family what is kept, and links to the survey.
    page = cast.client(cast.alice).get(f"/notices/{notice.pk}/").content.decode()
    assert f"/surveys/{survey.pk}/" in page and "匿名" in page
    # Once sent, the questions are frozen.
    assert li.post(edit, {"op": "add", "kind": "rating", "text": "再加一题"}).status_code == 400
    assert survey.questions.count() == 2


def test_a_parent_answers_on_the_page_and_cannot_answer_twice(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    alice = cast.client(cast.alice)
    page = alice.get(f"/surveys/{survey.pk}/").content.decode()
    assert "只记录您已经填写过" in page or "keeps only that you have answered" in page
    q = list(survey.questions.all())
    post = {
        f"q{q[0].pk}": "1",
        f"q{q[1].pk}": "5",
        f"q{q[2].pk}_r0": "4",
        f"q{q[2].pk}_r1": "2",
        f"q{q[3].pk}": "多开家长会",
    }
    assert alice.post(f"/surveys/{survey.pk}/", post).status_code == 302
    assert Participation.objects.filter(survey=survey).count() == 1
    assert alice.post(f"/surveys/{survey.pk}/", post).status_code == 200  # shown "already answered"
    assert Response.objects.filter(survey=survey).count() == 1
    again = answer(alice, survey)
    assert again.status_code == 400 and "已经" in again.json()["detail"]
    assert Response.objects.filter(survey=survey).count() == 1


def test_missing_and_out_of_range_answers_are_refused_with_the_question_named_and_nothing_written(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    alice = cast.client(cast.alice)
    q = list(survey.questions.all())
    page = alice.post(f"/surveys/{survey.pk}/", {f"q{q[0].pk}": "7", f"q{q[1].pk}": "9"})
    assert page.status_code == 400
    text = page.content.decode()
    assert "请从选项中选择一项" in text or "Choose one of the options" in text
    assert "1 到 5" in text or "from 1 to 5" in text
    bad = alice.post(
        f"/api/v1/surveys/{survey.pk}/answer",
        {"answers": {str(q[0].pk): 0, str(q[1].pk): 0, str(q[2].pk): [5]}},
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {str(q[1].pk), str(q[2].pk)}
    assert not Participation.objects.exists() and not Response.objects.exists() and not Answer.objects.exists()


@pytest.mark.parametrize(
    "spec, message",
    [
        ({"kind": "single", "text": "没有选项", "options": []}, "需要两个选项"),
        ({"kind": "single", "text": "一个选项", "options": ["是"]}, "需要两个选项"),
        ({"kind": "matrix", "text": "空矩阵", "options": []}, "需要一行评分项"),
        ({"kind": "rating", "text": ""}, "题目"),
        ({"kind": "slider", "text": "未知题型"}, "题型"),
    ],
)
def test_a_bad_question_is_refused_and_no_survey_is_written(cast, spec, message):
    response = cast.client(cast.ms_li).post(
        "/api/v1/surveys", {"title": "问卷", "questions": [spec]}, content_type="application/json"
    )
    assert response.status_code == 400 and message in response.json()["detail"]
    assert not Survey.objects.exists() and not Question.objects.exists()


def test_a_survey_with_no_question_or_closing_before_opening_is_not_sent(cast):
    li = cast.client(cast.ms_li)
    survey_id = li.post("/api/v1/surveys", {"title": "空问卷"}, content_type="application/json").json()["id"]
    send = f"/api/v1/surveys/{survey_id}/send"
    target = [{"kind": "class", "class_id": cast.class1.pk}]
    response = li.post(send, {"targets": target, "closes_at": closes()}, content_type="application/json")
    assert response.status_code == 400 and "添加一个问题" in response.json()["detail"]
    Question.objects.create(school=cast.school, survey_id=survey_id, kind="rating", text="好吗？")
    soon = timezone.now() + datetime.timedelta(days=2)
    response = li.post(
        send,
        {
            "targets": target,
            "opens_at": soon.isoformat(),
            "closes_at": (soon - datetime.timedelta(hours=1)).isoformat(),
        },
        content_type="application/json",
    )
    assert response.status_code == 400 and "晚于" in response.json()["detail"]
    past = (timezone.now() - datetime.timedelta(hours=1)).isoformat()
    response = li.post(send, {"targets": target, "closes_at": past}, content_type="application/json")
    assert response.status_code == 400
    assert Survey.objects.get(pk=survey_id).status == "draft" and not Notice.objects.exists()


def test_a_teacher_may_not_send_to_a_class_she_does_not_teach_and_nothing_is_half_written(cast):
    li = cast.client(cast.ms_li)
    survey_id = li.post(
        "/api/v1/surveys", {"title": "问卷", "questions": QUESTIONS}, content_type="application/json"
    ).json()["id"]
    response = li.post(
        f"/api/v1/surveys/{survey_id}/send",
        {"targets": [{"kind": "class", "class_id": cast.class2.pk}], "closes_at": closes()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Survey.objects.get(pk=survey_id).status == "draft" and not Notice.objects.exists()


def test_a_survey_that_opens_later_goes_out_as_a_scheduled_notice_and_cannot_be_answered_yet(cast):
    li = cast.client(cast.ms_li)
    survey_id = li.post(
        "/api/v1/surveys", {"title": "下周问卷", "questions": QUESTIONS}, content_type="application/json"
    ).json()["id"]
    opens = timezone.now() + datetime.timedelta(days=2)
    li.post(
        f"/api/v1/surveys/{survey_id}/send",
        {
            "targets": [{"kind": "class", "class_id": cast.class1.pk}],
            "opens_at": opens.isoformat(),
            "closes_at": (opens + datetime.timedelta(days=3)).isoformat(),
        },
        content_type="application/json",
    )
    survey = Survey.objects.get(pk=survey_id)
    assert survey.notice is not None
    assert survey.notice.status == Notice.Status.SCHEDULED and not survey.is_open
    assert cast.client(cast.alice).get(f"/surveys/{survey.pk}/").status_code == 404  # not published to her yet


def test_a_closed_survey_takes_no_answers(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    Survey.objects.filter(pk=survey.pk).update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    response = answer(cast.client(cast.alice), survey)
    assert response.status_code == 400 and "已结束" in response.json()["detail"]
    assert not Participation.objects.exists()


# --- who may ---------------------------------------------------------------------------------------


def test_families_not_sent_the_survey_cannot_see_or_answer_it(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    for user in (cast.carol, cast.erin, cast.dave, cast.mr_wang):
        client = cast.client(user)
        assert client.get(f"/surveys/{survey.pk}/").status_code == 404
        assert answer(client, survey).status_code == 404
        assert client.get(f"/surveys/{survey.pk}/results/").status_code == 404
    assert not Participation.objects.exists()
    assert cast.client(cast.admin_zhang).get(f"/surveys/{survey.pk}/results/").status_code == 200


def test_reminders_go_only_to_those_who_have_not_answered(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    for user in (cast.alice, cast.bob):
        DeliveryPreference.objects.update_or_create(
            user=user, defaults={"email": f"{user.username}@example.cn", "email_enabled": True}
        )
    assert answer(cast.client(cast.alice), survey).status_code == 201
    li = cast.client(cast.ms_li)
    response = li.post(f"/api/v1/surveys/{survey.pk}/remind")
    assert response.status_code == 200 and response.json() == {"reminded": 1}
    reminded = set(Delivery.objects.filter(round__gte=1).values_list("receipt__guardian__user__username", flat=True))
    assert reminded == {cast.bob.username}
    again = li.post(f"/api/v1/surveys/{survey.pk}/remind")
    assert again.status_code == 400 and "3 小时" in again.json()["detail"]


# --- results and the minimum group -----------------------------------------------------------------


def test_results_count_and_tally_each_question(cast):
    add_families(cast, cast.class1, 4)
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    from accounts.models import User

    users = [cast.alice, cast.bob, *User.objects.filter(username__startswith="1370000")]
    for i, user in enumerate(users):
        assert (
            answer(
                cast.client(user), survey, single=i % 2, rating=5 if i < 3 else 3, matrix=(4, 2), text=f"建议{i}"
            ).status_code
            == 201
        )
    data = cast.client(cast.ms_li).get(f"/api/v1/surveys/{survey.pk}/results").json()
    assert data["answered"] == 6 and data["audience"] == 6 and not data["hidden"]
    single, rating, matrix, texts = data["questions"]
    assert [o["count"] for o in single["parts"][0]["options"]] == [3, 3, 0]
    assert rating["parts"][0]["mean"] == 4.0
    assert [p["mean"] for p in matrix["parts"]] == [4.0, 2.0]
    assert sorted(texts["texts"]) == [f"建议{i}" for i in range(6)]
    assert matrix["parts"][0]["by_class"] == [{"class": cast.class1.name, "mean": 4.0}]


def test_fewer_than_five_answers_show_no_result_at_all(cast):
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    answer(cast.client(cast.alice), survey, text="只有我写了这句话")
    data = cast.client(cast.ms_li).get(f"/api/v1/surveys/{survey.pk}/results").json()
    assert data["hidden"] and data["questions"] == [] and data["answered"] == 1
    page = cast.client(cast.ms_li).get(f"/surveys/{survey.pk}/results/").content.decode()
    assert "只有我写了这句话" not in page and ("少于 5" in page or "fewer than 5" in page.lower())
    export = cast.client(cast.ms_li).get(f"/surveys/{survey.pk}/results.xlsx")
    cells = [c for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.values for c in row]
    assert "只有我写了这句话" not in cells


def test_a_class_of_four_answers_shows_no_per_class_result_nor_one_that_reveals_it(cast):
    """Class 1 has 4 answers, class 2 has 6: the school total is shown, class 1 is held back, and so
    is class 2, since the school total minus class 2 would be class 1's result."""
    add_families(cast, cast.class1, 2)
    add_families(cast, cast.class2, 5)
    survey = create_and_send(cast.client(cast.admin_zhang), targets=[{"kind": "school"}])
    from accounts.models import User

    class1 = [
        cast.alice,
        cast.bob,
        *User.objects.filter(guardianships__student_links__student__school_class=cast.class1).exclude(
            pk__in=[cast.alice.pk, cast.bob.pk]
        ),
    ]
    class2 = [
        cast.carol,
        *User.objects.filter(guardianships__student_links__student__school_class=cast.class2).exclude(pk=cast.carol.pk),
    ]
    assert len(class1) == 4 and len(class2) == 6
    for user in class1:
        answer(cast.client(user), survey, rating=1)
    for user in class2:
        answer(cast.client(user), survey, rating=5)
    data = cast.client(cast.admin_zhang).get(f"/api/v1/surveys/{survey.pk}/results").json()
    assert not data["hidden"] and data["responses"] == 10
    rating = data["questions"][1]["parts"][0]
    assert rating["mean"] == 3.4
    assert rating["by_class"] == [] and data["held_back_classes"] == 2
    assert rating["by_grade"] == [{"grade": 3, "mean": 3.4}]


def test_shown_groups_holds_back_enough_that_subtraction_reveals_nothing():
    assert shown_groups({"a": 12, "b": 7}) == {"a", "b"}
    assert shown_groups({"a": 12, "b": 4}) == set()  # b alone would be total − a
    assert shown_groups({"a": 12, "b": 6, "c": 3}) == {"a"}  # b held back too: b + c = 9 ≥ 5
    assert shown_groups({"a": 12, "b": 2, "c": 3}) == {"a"}  # b + c = 5 held back together
    assert shown_groups({"a": 6, "b": 1, "x": 9}, {"a": 1, "b": 1, "x": 2}) == {"x"}
    assert shown_groups({"a": 2}, minimum=1) == {"a"}


# --- collection forms (接龙 / 收集表) --------------------------------------------------------------

FORM_QUESTIONS = [
    {"kind": "text", "text": "校服尺码"},
    {"kind": "single", "text": "是否订餐", "options": ["订", "不订"]},
    {"kind": "date", "text": "到校日期", "required": False},
    {"kind": "file", "text": "体检表", "required": False},
]

PNG = png()


def test_a_collection_form_has_one_row_per_child_the_teacher_sees_who_is_missing_and_exports_it(cast):
    li = cast.client(cast.ms_li)
    survey = create_and_send(
        li,
        title="校服尺码登记",
        kind="form",
        anonymous=False,
        questions=FORM_QUESTIONS,
        targets=[{"kind": "class", "class_id": cast.class1.pk}],
    )
    q = list(survey.questions.all())
    alice = cast.client(cast.alice)
    prefix = f"s{cast.alice_child.pk}-"
    response = alice.post(
        f"/surveys/{survey.pk}/",
        {
            "student": cast.alice_child.pk,
            f"{prefix}q{q[0].pk}": "130",
            f"{prefix}q{q[1].pk}": "0",
            f"{prefix}q{q[2].pk}": "2026-12-01",
            f"{prefix}q{q[3].pk}": SimpleUploadedFile("体检表.png", PNG, content_type="image/png"),
        },
    )
    assert response.status_code == 302
    # A correction replaces the row and keeps the file sent before.
    alice.post(
        f"/surveys/{survey.pk}/",
        {"student": cast.alice_child.pk, f"{prefix}q{q[0].pk}": "140", f"{prefix}q{q[1].pk}": "1"},
    )
    row = Response.objects.get(survey=survey, student=cast.alice_child)
    assert sorted(row.answers.values_list("text", flat=True)) == ["", "140", "体检表.png"]
    page = li.get(f"/surveys/{survey.pk}/results/").content.decode()
    assert "140" in page and "不订" in page and "陈小红" in page  # bob's child: not filled in yet
    file_answer = row.answers.get(question=q[3])
    assert li.get(f"/surveys/{survey.pk}/files/{file_answer.pk}/").status_code == 200
    assert cast.client(cast.bob).get(f"/surveys/{survey.pk}/files/{file_answer.pk}/").status_code == 404
    workbook = openpyxl.load_workbook(io.BytesIO(li.get(f"/surveys/{survey.pk}/results.xlsx").content)).active
    rows = list(workbook.values)
    assert rows[0][:2] == ("班级", "学生")
    assert any(r[1] == "刘小明" and "140" in r for r in rows) and any(r[1] == "陈小红" for r in rows)


def test_a_form_refuses_a_file_of_a_forbidden_type_and_a_child_not_asked_about(cast):
    survey = create_and_send(
        cast.client(cast.ms_li),
        kind="form",
        anonymous=False,
        questions=FORM_QUESTIONS,
        targets=[{"kind": "class", "class_id": cast.class1.pk}],
    )
    q = list(survey.questions.all())
    alice = cast.client(cast.alice)
    prefix = f"s{cast.alice_child.pk}-"
    response = alice.post(
        f"/surveys/{survey.pk}/",
        {
            "student": cast.alice_child.pk,
            f"{prefix}q{q[0].pk}": "130",
            f"{prefix}q{q[1].pk}": "0",
            f"{prefix}q{q[3].pk}": SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 100),
        },
    )
    assert response.status_code == 400
    assert not Response.objects.exists()
    assert alice.post(f"/surveys/{survey.pk}/", {"student": cast.bob_child.pk}).status_code == 404
    api = alice.post(
        f"/api/v1/surveys/{survey.pk}/answer",
        {"student_id": cast.bob_child.pk, "answers": {}},
        content_type="application/json",
    )
    assert api.status_code == 404


def test_an_anonymous_survey_cannot_ask_for_a_file_and_a_form_cannot_be_anonymous(cast):
    li = cast.client(cast.ms_li)
    r1 = li.post(
        "/api/v1/surveys", {"title": "匿名", "questions": [FORM_QUESTIONS[3]]}, content_type="application/json"
    )
    r2 = li.post(
        "/api/v1/surveys",
        {"title": "表", "kind": "form", "anonymous": True, "questions": [FORM_QUESTIONS[0]]},
        content_type="application/json",
    )
    r3 = li.post(
        "/api/v1/surveys",
        {"title": "实名", "anonymous": False, "questions": [FORM_QUESTIONS[3]]},
        content_type="application/json",
    )
    assert r1.status_code == 400 and r2.status_code == 400 and r3.status_code == 400
    assert "收集表" in r3.json()["detail"] or "collection form" in r3.json()["detail"]
    assert not Survey.objects.exists()
