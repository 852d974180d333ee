"""Clean answers where a request cannot be served: the API always answers in JSON, and a database
that is restarting or unreachable gets a 503 with a retry hint instead of a 500.

Django calls ``server_error`` for any exception nothing else handled (``handler500``, set in
``tongxin.urls``), inside the ``except`` block, so the exception is still at hand. Ninja's own
exception handlers (``install_api_handlers``) answer the API's requests before that.
"""

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _
from ninja import NinjaAPI

# Seconds a client waits before trying again after the database was unreachable: a PostgreSQL
# restart or a fail-over takes a few seconds.
RETRY_AFTER = 5

UNAVAILABLE = (OperationalError, InterfaceError)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _unavailable_json() -> JsonResponse:
    response = JsonResponse(
        {"detail": _("The service is briefly unavailable. Please try again in a few seconds.")}, status=503
    )
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _unavailable_page(request: HttpRequest) -> HttpResponse:
    body = loader.render_to_string("503.html")
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database outage is a 503 with ``Retry-After`` (the next request may well
    succeed without restarting Tongxin); anything else the friendly 500 page, JSON on the API."""
    exc = sys.exc_info()[1]
    if isinstance(exc, UNAVAILABLE):
        return _unavailable_json() if _is_api(request) else _unavailable_page(request)
    if _is_api(request):
        return JsonResponse({"detail": _("The server had a problem. Please try again.")}, status=500)
    return HttpResponse(loader.render_to_string("500.html"), status=500)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """``handler400``: JSON on the API (a body too large, a suspicious request)."""
    if _is_api(request):
        if isinstance(exception, RequestDataTooBig):
            return JsonResponse({"detail": _("The request is too large.")}, status=413)
        return JsonResponse({"detail": _("The request could not be understood.")}, status=400)
    from django.views.defaults import bad_request as django_bad_request

    return django_bad_request(request, exception)


def install_api_handlers(api: NinjaAPI) -> None:
    """What Ninja would otherwise re-raise to Django's HTML handlers."""

    @api.exception_handler(RequestDataTooBig)
    def too_large(request, exc):
        return api.create_response(request, {"detail": _("The request is too large.")}, status=413)

    @api.exception_handler(DatabaseError)
    def database_error(request, exc):
        if isinstance(exc, UNAVAILABLE):
            return _unavailable_json()
        raise exc  # a bug, not an outage: the 500 handler logs it and answers in JSON
