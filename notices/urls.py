from django.urls import path

from . import views

app_name = "notices"
urlpatterns = [
    path("notices/", views.feed, name="feed"),
    path("notices/new/", views.compose, name="compose"),
    path("notices/sent/", views.manage_list, name="manage_list"),
    path("notices/<int:notice_id>/", views.read, name="read"),
    path("notices/<int:notice_id>/results/", views.results, name="results"),
    path("notices/<int:notice_id>/results.xlsx", views.export, name="export"),
    path("notices/<int:notice_id>/remind/", views.remind, name="remind"),
    path("notices/<int:notice_id>/recall/", views.recall, name="recall"),
    path("notices/<int:notice_id>/pin/", views.pin, name="pin"),
    path("notices/<int:notice_id>/edit/", views.edit, name="edit"),
    path("notices/<int:notice_id>/files/<int:attachment_id>/", views.attachment, name="attachment"),
    path("classes/<int:class_id>/reachability/", views.reachability, name="reachability"),
    path("n/<str:token>/", views.by_link, name="by_link"),
    path("account/notifications/", views.preferences, name="preferences"),
]
