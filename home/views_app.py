"""The installable app (issue 17): the web app manifest, the service worker (served at the site's
root so that its scope is the whole site) and the Web Push subscription of this device."""

import json

from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from delivery import webpush
from delivery.actions import BadSubscription, do_subscribe_push, do_unsubscribe_push
from schools.access import access_my_schools

THEME_COLOUR = "#b03a2e"  # --red in static/css/tongxin.css


@require_GET
@cache_control(public=True, max_age=24 * 3600)
def manifest(request):
    data = {
        "name": _("Tongxin"),
        "short_name": _("Tongxin"),
        "description": _("Notices, messages and the contact book of your child's school."),
        "lang": "zh-CN",
        "start_url": "/?source=app",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static("img/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": static("img/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {
                "src": static("img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})


@require_GET
def service_worker(request):
    """static/js/sw.js at /sw.js: a worker controls only the paths under its own URL. Never cached
    by the browser's HTTP cache, so a new version reaches every phone on its next visit."""
    path = finders.find("js/sw.js")
    with open(path, encoding="utf-8") as source:  # type: ignore[arg-type]
        body = source.read()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


def _body(request) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {
        "endpoint": request.POST.get("endpoint", ""),
        "keys": {k: request.POST.get(k, "") for k in ("p256dh", "auth")},
    }


@login_required
@require_POST
def push_subscribe(request):
    """This device's browser subscribed (static/js/app.js posts what ``pushManager.subscribe``
    gave): the user's notices and messages of each of their schools reach it."""
    schools = access_my_schools(request)
    data = _body(request)
    keys = data.get("keys")
    if not isinstance(keys, dict):
        keys = {}
    try:
        count = do_subscribe_push(
            schools=schools,
            endpoint=str(data.get("endpoint", "")),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            acting_user=request.user,
        )
    except BadSubscription as exc:
        return JsonResponse({"detail": str(exc)}, status=400)
    return JsonResponse({"subscribed": count})


@login_required
@require_POST
def push_unsubscribe(request):
    count = do_unsubscribe_push(endpoint=str(_body(request).get("endpoint", "")), acting_user=request.user)
    return JsonResponse({"unsubscribed": count})


@login_required
@require_GET
def push_key(request):
    """The server's public VAPID key for ``pushManager.subscribe``; empty when push is not set up
    (``manage.py webpush_keys`` not run): the page then offers no notifications."""
    access_my_schools(request)
    return JsonResponse({"key": webpush.public_key() if webpush.enabled() else ""})
