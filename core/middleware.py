"""Generic middleware: security headers, refusing NUL characters, and the in-process beat of
``make run``. The roles and tenancy scope of a request live in ``schools.middleware``."""

import json

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


class RefuseNulMiddleware:
    """PostgreSQL text cannot hold a NUL character, so a NUL in a query string, a form or a JSON
    body would fail deep inside a query, as a 500. No real text contains one: refuse it at the door
    with a 400 that says why (JSON on the API). Multipart bodies are left alone (files hold NULs;
    their text fields go through Django forms, which refuse NULs themselves)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._has_nul(request):
            message = _("The request contains a character that is not allowed (NUL).")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request: HttpRequest) -> bool:
        if any("\x00" in value for _key, values in request.GET.lists() for value in values):
            return True
        content_type = request.content_type or ""
        if request.method in ("GET", "HEAD", "OPTIONS") or content_type.startswith("multipart/"):
            return False
        if content_type == "application/x-www-form-urlencoded":
            return any("\x00" in value for _key, values in request.POST.lists() for value in values)
        if content_type == "application/json" and request.body:
            try:
                return _holds_nul(json.loads(request.body))
            except ValueError:
                return False  # not JSON at all: the endpoint answers that itself
        return False


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


class SecurityHeadersMiddleware:
    """Headers Django does not set itself: a strict CSP (no inline scripts, no third parties) and
    no caching of personal pages by browsers or proxies."""

    CSP = (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    )

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", self.CSP)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            response.headers["Cache-Control"] = "private, no-store"
        return response


class LocalBeatMiddleware:
    """On one machine with no broker (``make run``), nothing runs celery beat: scheduled notices
    would never go out and failed emails never be retried. This runs the beat schedule in-process
    instead, at most once per task interval, after a request has been answered by the app. With
    REDIS_URL set, the real beat does it and this middleware is not installed."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        run_due_beat_tasks()
        return response


def run_due_beat_tasks() -> list[str]:
    import logging

    from django.conf import settings
    from django.core.cache import cache
    from django.utils.module_loading import import_string

    ran = []
    for name, entry in getattr(settings, "CELERY_BEAT_SCHEDULE", {}).items():
        if not isinstance(entry["schedule"], int | float):
            continue  # a crontab entry (the weekly digest): left to the real beat
        interval = int(entry["schedule"])
        if not cache.add(f"local-beat:{name}", 1, timeout=interval):
            continue
        try:
            import_string(entry["task"]).apply()
            ran.append(name)
        except Exception:  # a failing job must never break a page
            logging.getLogger(__name__).exception("local beat task %s failed", name)
    return ran
