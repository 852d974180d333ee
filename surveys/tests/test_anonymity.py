"""Anonymity by construction: after an anonymous survey, no table row, log line, audit entry or
export links an answer to a person."""

import io
import json
import logging
import threading

import openpyxl
import pytest
from django.apps import apps
from django.db import connection
from django_scopes import scopes_disabled

from audit.models import AuditEntry
from surveys.models import Answer, Participation, Response

from .helpers import add_families, answers_for, create_and_send

pytestmark = pytest.mark.usefixtures("unscoped")

SECRET = "只有一位家长写过的这句话"


def _person_fields(model) -> list[str]:
    """Every column of a model that could name a person, a child or a moment."""
    names = []
    for field in model._meta.concrete_fields:
        target = getattr(field, "related_model", None)
        if target is not None and target._meta.label in {
            "accounts.User",
            "schools.Guardian",
            "schools.Student",
            "notices.Receipt",
        }:
            names.append(field.name)
        if field.get_internal_type() in {"DateTimeField", "AutoField", "BigAutoField"}:
            names.append(field.name)
    return names


def test_an_anonymous_answer_is_stored_with_no_person_no_child_no_time_and_no_sequence(cast, caplog):
    caplog.set_level(logging.DEBUG)
    add_families(cast, cast.class1, 4)
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    response = cast.client(cast.alice).post(
        f"/api/v1/surveys/{survey.pk}/answer",
        {"answers": answers_for(survey, text=SECRET)},
        content_type="application/json",
    )
    assert response.status_code == 201
    stored = Response.objects.get(survey=survey)
    # The answer rows: the only columns that could point at a person are all empty.
    assert stored.respondent_id is None and stored.guardian_id is None and stored.student_id is None
    assert stored.submitted_at is None
    assert stored.school_class_id == cast.class1.pk  # the class only, for per-class results from 5 answers
    assert set(_person_fields(Answer)) == set()
    assert set(_person_fields(Response)) == {"respondent", "guardian", "student", "submitted_at"}
    first = Answer.objects.first()
    assert first is not None
    assert isinstance(stored.pk, type(first.pk))  # UUIDs: no order to follow
    # The mark says who answered, and nothing about what.
    mark = Participation.objects.get(survey=survey)
    assert mark.receipt.guardian is not None
    assert mark.receipt.guardian.user == cast.alice
    assert {f.name for f in Participation._meta.concrete_fields} == {"id", "school", "survey", "receipt", "created_at"}
    # No row of any table holds both the person and the text; no log line or audit entry holds the text.
    with scopes_disabled():
        for model in apps.get_models():
            if model in (Answer,):
                continue
            for field in model._meta.concrete_fields:
                kind = field.get_internal_type()
                if kind in {"TextField", "CharField"}:
                    assert not model._default_manager.filter(**{f"{field.name}__contains": SECRET}).exists(), (
                        model,
                        field.name,
                    )
                elif kind == "JSONField":
                    values = model._default_manager.values_list(field.name, flat=True)
                    assert not any(SECRET in json.dumps(v, ensure_ascii=False) for v in values), (model, field.name)
        assert not any(SECRET in str(e.detail) or SECRET in e.summary for e in AuditEntry.objects.all())
    assert SECRET not in caplog.text


def test_results_and_export_of_an_anonymous_survey_name_nobody(cast):
    users = [cast.alice, cast.bob, *add_families(cast, cast.class1, 4)]
    survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    for i, user in enumerate(users):
        cast.client(user).post(
            f"/api/v1/surveys/{survey.pk}/answer",
            {"answers": answers_for(survey, text=SECRET if user == cast.alice else f"意见{i}")},
            content_type="application/json",
        )
    li = cast.client(cast.ms_li)
    page = li.get(f"/surveys/{survey.pk}/results/").content.decode()
    assert SECRET in page  # the text is shown (6 answers) …
    for user in users:
        assert user.name not in page  # … without any name
    export = li.get(f"/surveys/{survey.pk}/results.xlsx")
    cells = {str(c) for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.values for c in row if c}
    assert SECRET in cells
    assert not cells & {u.name for u in users} and not cells & {u.phone for u in users}
    assert not cells & {"刘小明", "陈小红"}


def test_a_named_survey_says_so_and_keeps_the_name(cast):
    survey = create_and_send(
        cast.client(cast.ms_li), anonymous=False, targets=[{"kind": "class", "class_id": cast.class1.pk}]
    )
    alice = cast.client(cast.alice)
    assert "实名" in alice.get(f"/surveys/{survey.pk}/").content.decode()
    alice.post(f"/api/v1/surveys/{survey.pk}/answer", {"answers": answers_for(survey)}, content_type="application/json")
    stored = Response.objects.get(survey=survey)
    assert stored.respondent == cast.alice and stored.submitted_at is not None
    export = cast.client(cast.ms_li).get(f"/surveys/{survey.pk}/results.xlsx")
    cells = {c for row in openpyxl.load_workbook(io.BytesIO(export.content)).active.values for c in row}
    assert cast.alice.name in cells


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers itself (BEGIN IMMEDIATE)")
@pytest.mark.django_db(transaction=True)
def test_two_taps_at_once_store_one_answer(transactional_db):
    from conftest import build_cast
    from surveys.access import access_survey_to_answer
    from surveys.actions import do_answer

    cast = build_cast()
    with scopes_disabled():
        survey = create_and_send(cast.client(cast.ms_li), targets=[{"kind": "class", "class_id": cast.class1.pk}])
    outcomes: list = []
    barrier = threading.Barrier(2)

    class Request:
        user = cast.alice

    def tap():
        try:
            with scopes_disabled():
                found, receipt = access_survey_to_answer(Request(), survey.pk)
                barrier.wait(5)
                do_answer(found, receipt, answers_for(found))
            outcomes.append("stored")
        except Exception as exc:  # the loser's message is checked below
            outcomes.append(" ".join(getattr(exc, "messages", [str(exc)])))
        finally:
            connection.close()

    threads = [threading.Thread(target=tap) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes, key=len)[0] == "stored" and outcomes.count("stored") == 1, outcomes
    with scopes_disabled():
        assert Participation.objects.filter(survey=survey).count() == 1
        assert Response.objects.filter(survey=survey).count() == 1
