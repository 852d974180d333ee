from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_GET
from django.views.i18n import set_language
from ninja.openapi.views import openapi_view

from .api import api

handler400 = "tongxin.errors.bad_request"
handler500 = "tongxin.errors.server_error"


@require_GET
def api_docs(request):
    return openapi_view(request, api)


@require_GET
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    # The public page is asked for by anybody, often: early, so that resolving its URL is quick.
    path("", include("publishing.urls")),
    path("", include("home.urls")),
    path("accounts/", include("accounts.urls")),
    path("", include("schools.urls")),
    path("", include("notices.urls")),
    path("", include("contactbook.urls")),
    path("", include("surveys.urls")),
    path("", include("events.urls")),
    path("", include("chat.urls")),
    path("", include("community.urls")),
    path("", include("feedback.urls")),
    path("contest/", include("publishing.urls_contest")),
    path("", include("plans.urls")),
    path("", include("reports.urls")),
    path("", include("guardrails.urls")),
    path("i18n/setlang/", set_language, name="set_language"),
    path("api/v1/", api.urls),
    path("api/docs", api_docs, name="api_docs"),
    path("healthz", healthz, name="healthz"),
]
