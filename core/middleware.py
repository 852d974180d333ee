"""Generic middleware: security headers and the in-process beat of ``make run``. The roles and
tenancy scope of a request live in ``schools.middleware``."""


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
        interval = int(entry["schedule"])
        if not cache.add(f"local-beat:{name}", 1, timeout=interval):
            continue
        try:
            import_string(entry["task"]).apply()
            ran.append(name)
        except Exception:  # a failing job must never break a page
            logging.getLogger(__name__).exception("local beat task %s failed", name)
    return ran
