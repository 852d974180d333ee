from django.urls import path

from . import views

app_name = "feedback"
urlpatterns = [
    path("feedback/new/", views.new, name="new"),
    path("feedback/mine/", views.mine, name="mine"),
    path("feedback/follow/", views.follow, name="follow"),
    path("feedback/<int:suggestion_id>/", views.detail, name="detail"),
    path("feedback/inbox/", views.inbox, name="inbox"),
    path("feedback/<int:suggestion_id>/handle/", views.handle, name="handle"),
    path(
        "feedback/rectifications/<int:rectification_id>/close/", views.rectification_close, name="rectification_close"
    ),
    path("feedback/routes/", views.routes, name="routes"),
    path("feedback/report/", views.report, name="report"),
    path("feedback/you-said-we-did/", views.public, name="public"),
]
