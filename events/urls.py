from django.urls import path

from . import views

app_name = "events"
urlpatterns = [
    path("events/", views.event_list, name="list"),
    path("events/new/", views.new, name="new"),
    path("events/<int:event_id>/", views.manage, name="manage"),
    path("events/<int:event_id>/cancel/", views.cancel, name="cancel"),
    path("events/<int:event_id>/attendance/", views.attendance, name="attendance"),
    path("events/<int:event_id>/checkin/", views.checkin, name="checkin"),
    path("events/<int:event_id>/screen/", views.screen, name="screen"),
    path("events/<int:event_id>/here/<str:code>/", views.here, name="here"),
    path("events/<int:event_id>/minutes/", views.minutes, name="minutes"),
    path("events/<int:event_id>/reflections/", views.reflections, name="reflections"),
    path("events/<int:event_id>/invitation/", views.invitation, name="invitation"),
    path("events/<int:event_id>/event.ics", views.event_ics, name="ics"),
    path("events/reflections/<int:reflection_id>/", views.comment, name="comment"),
    path("events/follow-ups/<int:follow_up_id>/done/", views.follow_up_done, name="follow_up_done"),
    path("events/resolutions/<int:resolution_id>/done/", views.resolution_done, name="resolution_done"),
    path("classes/<int:class_id>/parent-school/", views.parent_school, name="parent_school"),
    path("school/parent-school-rule/", views.rules, name="rules"),
    path("conferences/new/", views.conference_new, name="conference_new"),
    path("conferences/<int:conference_id>/", views.conference, name="conference"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("calendar/<str:token>.ics", views.feed, name="feed"),
]
