from django.http import Http404
from django.utils.translation import gettext as _
from django_scopes.exceptions import ScopeError
from ninja import NinjaAPI

from accounts.api import router as accounts_router
from chat.api import router as chat_router
from community.api import router as community_router
from contactbook.api import router as contactbook_router
from core.api_auth import SessionOrToken
from events.api import router as events_router
from feedback.api import router as feedback_router
from guardrails.api import router as guardrails_router
from home.api import router as home_router
from home.api_district import router as district_router
from home.api_push import router as push_router
from notices.api import router as notices_router
from plans.api import router as plans_router
from publishing.api import router as publishing_router
from publishing.api_contest import router as contest_router
from reports.api import router as reports_router
from schools.api import router as schools_router
from surveys.api import router as surveys_router

from .errors import install_api_handlers


class TongxinAPI(NinjaAPI):
    """The API, whose OpenAPI document also declares the answers every operation can give besides
    its own: 400 for a request that cannot be read (a NUL character in it, refused before any view),
    401 without a session or token, 404 for an id the caller may not see (or that does not
    exist: the two are never told apart) and for an operation that is not for the caller's role (a
    parent asking for the notices a teacher sent), 422 for input that does not fit the schema, 413 for a body
    too large, 503 while the database is unreachable. Clients and schemathesis read them there."""

    def get_openapi_schema(self, *args, **kwargs):
        schema = super().get_openapi_schema(*args, **kwargs)
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Error", ERROR_SCHEMA)
        schemas.setdefault("InvalidInput", INVALID_INPUT_SCHEMA)
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                answers = operation["responses"]
                for code, description, name, applies in (
                    (400, "The request could not be understood (a NUL character)", "Error", _takes_input(operation)),
                    (401, "Not signed in", "Error", bool(operation.get("security"))),
                    (404, "Not found, or not yours to see", "Error", "{" in path or bool(operation.get("security"))),
                    (422, "The input does not fit the schema", "InvalidInput", _takes_input(operation)),
                    (413, "The request is too large", "Error", "requestBody" in operation),
                    (503, "Briefly unavailable: try again after Retry-After seconds", "Error", True),
                ):
                    if applies and code not in answers and str(code) not in answers:
                        answers[code] = _answer(description, name)
        return schema


ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "properties": {"detail": {"title": "Detail", "type": "string"}},
    "required": ["detail"],
}
INVALID_INPUT_SCHEMA = {
    "title": "InvalidInput",
    "type": "object",
    "properties": {
        "detail": {
            "title": "Detail",
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "title": "Where",
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"title": "What is wrong", "type": "string"},
                    "type": {"title": "Kind", "type": "string"},
                },
            },
        }
    },
    "required": ["detail"],
}


def _takes_input(operation: dict) -> bool:
    return "requestBody" in operation or bool(operation.get("parameters"))


def _answer(description: str, schema_name: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}},
    }


api = TongxinAPI(
    title="Tongxin 同心 API",
    version="1",
    description="Home–school communication. Sign in with the web session or a bearer token "
    "(POST /api/v1/auth/token). Every object you cannot see answers 404.",
    auth=SessionOrToken(),
    urls_namespace="api",
    docs_url=None,
)
api.add_router("/", accounts_router)
api.add_router("/", schools_router)
api.add_router("/", notices_router)
# Before the contact book's: its GET /contacts/{record_id} would otherwise take /contacts/todo.
api.add_router("/", home_router)
api.add_router("/", contactbook_router)
api.add_router("/", surveys_router)
api.add_router("/", events_router)
api.add_router("/", chat_router)
api.add_router("/", community_router)
api.add_router("/", feedback_router)
api.add_router("/", publishing_router)
api.add_router("/", contest_router)
api.add_router("/", district_router)
api.add_router("/", plans_router)
api.add_router("/", reports_router)
api.add_router("/", guardrails_router)
api.add_router("/", push_router)


install_api_handlers(api)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(ScopeError)
def scope_error(request, exc):  # pragma: no cover - a bug; never leak, never 500 with data
    raise exc
