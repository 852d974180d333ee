from django.urls import path

from . import views, views_app, views_district, views_family, views_privacy

app_name = "home"
urlpatterns = [
    path("", views.home, name="home"),
    # 我的: everything the phone's bottom tab bar has no room for (templates/_tabbar.html).
    path("me/", views.me, name="me"),
    # The installable app (issue 17): manifest, service worker at the root (its scope), Web Push.
    path("manifest.webmanifest", views_app.manifest, name="manifest"),
    path("sw.js", views_app.service_worker, name="service_worker"),
    path("me/push/key/", views_app.push_key, name="push_key"),
    path("me/push/subscribe/", views_app.push_subscribe, name="push_subscribe"),
    path("me/push/unsubscribe/", views_app.push_unsubscribe, name="push_unsubscribe"),
    path("me/week/", views.week, name="week"),
    # A family's data rights (PIPL): consents, the download of everything held about them.
    path("me/privacy/", views_privacy.my_privacy, name="privacy"),
    path("me/privacy/export/", views_privacy.my_export, name="export"),
    path("school/guardians/<int:guardian_id>/erase/", views_privacy.erase_family, name="erase_family"),
    # Custody changed, or a number that was never the family's: the link goes, the chasing stops.
    path(
        "students/<int:student_id>/guardians/<int:guardian_id>/remove/",
        views_family.unlink_guardian,
        name="unlink_guardian",
    ),
    # How long the school keeps each kind of record, with a dry run of the daily purge (PIPL).
    path("school/retention/", views_privacy.retention_settings, name="retention"),
    # The to-do list gathers items of the contact book and of events, so it lives above both.
    path("contacts/todo/", views.todo, name="todo"),
    # A district's admin (教育局 / 集团校): the schools' figures and district-wide notices, which read
    # every app, so they live above them all.
    path("district/", views_district.district_home, name="district_home"),
    path("district/<int:district_id>/", views_district.overview, name="district"),
    path("district/<int:district_id>/notices/", views_district.notice_list, name="district_notices"),
    path("district/<int:district_id>/notices/new/", views_district.compose, name="district_compose"),
    path("district/<int:district_id>/notices/<int:notice_id>/", views_district.notice, name="district_notice"),
    path(
        "district/<int:district_id>/notices/<int:notice_id>/remind/",
        views_district.remind,
        name="district_notice_remind",
    ),
]
