from django.http import Http404
from django.utils.translation import gettext as _
from django_scopes.exceptions import ScopeError
from ninja import NinjaAPI

from accounts.api import router as accounts_router
from chat.api import router as chat_router
from contactbook.api import router as contactbook_router
from core.api_auth import SessionOrToken
from events.api import router as events_router
from home.api import router as home_router
from notices.api import router as notices_router
from schools.api import router as schools_router
from surveys.api import router as surveys_router

from .errors import install_api_handlers

api = NinjaAPI(
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


install_api_handlers(api)


@api.exception_handler(Http404)
def not_found(request, exc):
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(ScopeError)
def scope_error(request, exc):  # pragma: no cover - a bug; never leak, never 500 with data
    raise exc
