"""Every operation of the JSON API declares what it answers, so the OpenAPI document at /api/docs
describes every field a client receives: no free-form ``dict`` responses, no untyped fields."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    from tongxin.api import api

    return api.get_openapi_schema()


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return schema["components"]["schemas"][name]
    return node


def _loose_fields(schema: dict[str, Any], node: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """The places under ``node`` where a client cannot tell what it gets: a free-form object or an
    untyped field."""
    ref = node.get("$ref")
    if ref:
        if ref in seen:
            return []
        seen.add(ref)
    node = _resolve(schema, node)
    problems: list[str] = []
    for option in node.get("anyOf", []) + node.get("allOf", []) + node.get("oneOf", []):
        problems += _loose_fields(schema, option, where, seen)
    if "anyOf" in node or "allOf" in node or "oneOf" in node:
        return problems
    kind = node.get("type")
    if kind is None and "enum" not in node and "const" not in node:
        return [f"{where}: no type"]
    if kind == "object":
        properties = node.get("properties")
        extra = node.get("additionalProperties")
        if not properties and not isinstance(extra, dict):
            return [f"{where}: a free-form object"]
        for name, field in (properties or {}).items():
            problems += _loose_fields(schema, field, f"{where}.{name}", seen)
        if isinstance(extra, dict):
            problems += _loose_fields(schema, extra, f"{where}[*]", seen)
    elif kind == "array":
        items = node.get("items")
        if not items:
            return [f"{where}: an array of anything"]
        problems += _loose_fields(schema, items, f"{where}[]", seen)
    return problems


def test_every_operation_declares_its_answer_and_every_field_is_typed(schema):
    problems = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = {str(code): body for code, body in operation["responses"].items()}
            successes = [code for code in answers if code.startswith("2")]
            if not successes:
                problems.append(f"{method.upper()} {path}: no success answer declared")
            for code in successes:
                if code == "204":
                    continue  # no body
                content = answers[code].get("content", {}).get("application/json")
                if not content:
                    problems.append(f"{method.upper()} {path} {code}: no JSON schema")
                    continue
                problems += _loose_fields(schema, content["schema"], f"{method.upper()} {path} {code}", set())
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_free_form_answer():
    fake = {"components": {"schemas": {"Thing": {"type": "object", "properties": {"n": {"type": "integer"}}}}}}
    assert _loose_fields(fake, {"type": "object", "additionalProperties": True}, "x", set()) == [
        "x: a free-form object"
    ]
    assert _loose_fields(fake, {"$ref": "#/components/schemas/Thing"}, "x", set()) == []
    assert _loose_fields(fake, {"type": "array"}, "x", set()) == ["x: an array of anything"]
    assert _loose_fields(fake, {"type": "object", "properties": {"d": {}}}, "x", set()) == ["x.d: no type"]


def test_every_operation_declares_the_errors_it_can_answer(schema):
    """Issue 20: the schema declared none of the 400/401/404/422 answers (schemathesis: 90 findings)."""
    missing = []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            answers = {str(code) for code in operation["responses"]}
            wanted = {"503"}
            if operation.get("security"):
                wanted.add("401")
            if "{" in path:
                wanted.add("404")
            if "requestBody" in operation or operation.get("parameters"):
                wanted.add("422")
            missing += [f"{method.upper()} {path}: {code}" for code in sorted(wanted - answers)]
    assert not missing, "\n".join(missing)


def test_the_declared_errors_are_what_the_api_answers(cast):
    from django.test import Client

    assert set(Client().get("/api/v1/notices").json()) == {"detail"}  # 401
    assert Client().get("/api/v1/notices").status_code == 401
    teacher = cast.client(cast.ms_li)
    not_yours = teacher.get(f"/api/v1/classes/{cast.class_b.pk}/roster")
    assert not_yours.status_code == 404 and isinstance(not_yours.json()["detail"], str)
    invalid = teacher.post("/api/v1/notices", {"title": 3}, content_type="application/json")
    assert invalid.status_code == 422
    assert {"loc", "msg", "type"} <= set(invalid.json()["detail"][0])


# Schemas of the same name and different shape in two apps: the document holds only one of them,
# so the other operation is described wrongly. ErrorOut's shapes differ only by optional extras
# (``concerns``, ``errors``) on top of ``detail``, which every one has.
SAME_NAME_ALLOWED = {"ErrorOut"}


def _shape(node: object) -> object:
    """The schema without its descriptions (a docstring changes no field)."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in node.items() if k != "description"}
    if isinstance(node, list):
        return [_shape(v) for v in node]
    return node


def test_no_two_schemas_share_a_name():
    """Found by the cross-tenant replay (issue 20): the survey's ``SendIn`` (targets) and the chat's
    (body) had one name, so the document told clients to send a chat message to send a survey."""
    import importlib
    import inspect
    from pathlib import Path

    from django.apps import apps
    from ninja import Schema

    shapes: dict[str, dict[str, object]] = {}
    root = Path(__file__).resolve().parents[1]
    for config in apps.get_app_configs():
        if not config.path.startswith(str(root)):
            continue
        for file in sorted(Path(config.path).glob("api*.py")):
            module = importlib.import_module(f"{config.name}.{file.stem}")
            for name, cls in inspect.getmembers(module, inspect.isclass):
                if issubclass(cls, Schema) and cls.__module__ == module.__name__:
                    shapes.setdefault(name, {})[module.__name__] = _shape(cls.model_json_schema())
    clashes = [
        f"{name}: {sorted(found)}"
        for name, found in shapes.items()
        if name not in SAME_NAME_ALLOWED and len({repr(s) for s in found.values()}) > 1
    ]
    assert not clashes, f"schemas with one name and different shapes (rename one): {clashes}"
