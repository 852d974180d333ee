"""Clean answers where a request cannot be served (issue 20): NUL characters refused at the door,
the API answering in JSON even for a body too large, and a database outage a 503 with a retry
hint, JSON on the API, instead of the 500 page."""

import json
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.usefixtures("unscoped")


def test_a_nul_in_the_search_is_a_clear_400_not_a_500(cast):
    response = cast.client(cast.ms_li).get("/api/v1/chat/search?q=ab%00cd")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert "NUL" in response.json()["detail"]
    assert cast.client(cast.ms_li).get("/api/v1/chat/search?q=abcd").status_code == 200


def test_a_nul_in_a_page_form_or_a_json_body_is_refused(cast):
    alice = cast.client(cast.alice)
    assert alice.get("/notices/?child=%00").status_code == 400
    assert alice.post("/accounts/login/", {"identifier": "a\x00b", "password": "x"}).status_code == 400
    body = json.dumps({"identifier": "13800000001\u0000", "password": "x"})
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 400 and "NUL" in response.json()["detail"]


def test_a_body_too_large_gets_json_from_the_api(cast, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"identifier": "x" * 2000, "password": "x"})
    response = Client().post("/api/v1/auth/token", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json" and response.json()["detail"]


def test_the_database_unreachable_is_a_503_with_a_retry_hint(cast):
    down = OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")
    client = cast.client(cast.alice)
    client.raise_request_exception = False
    with mock.patch("notices.queries.parent_feed", side_effect=down):
        api = client.get("/api/v1/notices")
    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert api["Content-Type"] == "application/json" and api.json()["detail"]
    with mock.patch("schools.middleware.compute_roles", side_effect=down):
        page = client.get("/notices/")
    assert page.status_code == 503 and page["Retry-After"] == "5"
    assert "请稍后再试" in page.content.decode()
    # The next request, with the database back, is served as usual.
    assert client.get("/notices/").status_code == 200


def test_any_other_failure_on_the_api_is_a_json_500(cast):
    client = cast.client(cast.alice)
    client.raise_request_exception = False
    with mock.patch("notices.queries.parent_feed", side_effect=RuntimeError("a bug")):
        response = client.get("/api/v1/notices")
    assert response.status_code == 500 and response["Content-Type"] == "application/json"
