"""Schema-driven fuzzing of the JSON API (issue 20): schemathesis reads the OpenAPI document and
generates requests that fit it, for every operation, as a teacher and as a parent of school A; none
may get a 5xx, every answer is one the operation declares (a client reading the document is never
surprised), and every answer with a body is JSON (never Django's HTML pages). Bounded and
repeatable: a fixed number of examples per operation, derandomized (the same requests on every run),
no example database.

Found and fixed on the way: a NUL character in a query (a 500 on PostgreSQL), a body too large
(HTML from the API), unreadable JSON bodies; undeclared answers: the 404 of an operation that is not
for the caller's role, the 400 of a NUL character in a body.

CI runs it in every pass of `.ci/run` (it is part of `make test`), so on PostgreSQL too."""

import json
import warnings

import pytest
from django.http import HttpResponse
from django.test import Client

pytestmark = pytest.mark.usefixtures("unscoped")

EXAMPLES_PER_OPERATION = 12


def _call(client: Client, case) -> HttpResponse:
    from schemathesis.core import NotSet

    path = case.formatted_path
    kwargs: dict = {"QUERY_STRING": "&".join(_query_pairs(case.query or {}))}
    method = case.method.lower()
    if not isinstance(case.body, NotSet):
        if (case.media_type or "").startswith("multipart/"):
            # A form cannot carry None (the test client refuses it): such a field is left out.
            body = case.body if isinstance(case.body, dict) else {}
            kwargs["data"] = {key: value for key, value in body.items() if value is not None}
        else:
            kwargs["data"] = json.dumps(case.body)
            kwargs["content_type"] = case.media_type or "application/json"
    return getattr(client, method)(path, **kwargs)


def _query_pairs(query: dict) -> list[str]:
    from urllib.parse import quote

    pairs = []
    for key, value in query.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append(f"{quote(str(key))}={quote(str(item))}")
    return pairs


@pytest.mark.parametrize("who", ["ms_li", "alice"])
def test_no_request_that_fits_the_schema_gets_a_server_error(cast, who):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings

    from tongxin.api import api

    schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
    client = cast.client(getattr(cast, who))
    client.raise_request_exception = False
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def try_it(case):
            declared = {str(code) for code in case.operation.definition.raw.get("responses", {})}
            response = _call(client, case)
            where = f"{case.method} {case.formatted_path} {case.query} → {response.status_code}"
            if response.status_code >= 500:
                failures.append(where)
            elif str(response.status_code) not in declared:
                failures.append(f"{where}: not declared ({sorted(declared)}): {response.content[:120]!r}")
            elif response.content and not response.get("Content-Type", "").startswith("application/json"):
                failures.append(f"{where}: not JSON ({response.get('Content-Type')})")

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try_it()
    assert operations == len([1 for ops in api.get_openapi_schema()["paths"].values() for _ in ops])
    assert not failures, "\n".join(failures[:20])
