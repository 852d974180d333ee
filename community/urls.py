from django.urls import path

from . import views_committees, views_duty, views_fund, views_volunteers  # noqa: F401  (each area adds its routes)

app_name = "community"
urlpatterns: list = []

# ==== Committees and working groups (section: committees) ====
urlpatterns += []
# (end of section: committees)


# ==== Volunteers, activities and recognition (section: volunteers) ====
urlpatterns += [
    path("volunteers/", views_volunteers.volunteer_home, name="volunteer_home"),
    path("volunteers/join/", views_volunteers.volunteer_join, name="volunteer_join"),
    path("volunteers/<int:volunteer_id>/archive/", views_volunteers.volunteer_archive, name="volunteer_archive"),
    path("volunteers/activities/", views_volunteers.activity_list, name="activity_list"),
    path("volunteers/activities/new/", views_volunteers.activity_new, name="activity_new"),
    path("volunteers/activities/<int:activity_id>/", views_volunteers.activity_family, name="activity_family"),
    path("volunteers/activities/<int:activity_id>/manage/", views_volunteers.activity_manage, name="activity_manage"),
    path(
        "volunteers/activities/<int:activity_id>/check-in/",
        views_volunteers.activity_checkin,
        name="activity_checkin",
    ),
    path("volunteers/activities/<int:activity_id>/cancel/", views_volunteers.activity_cancel, name="activity_cancel"),
    path("volunteers/slots/<int:slot_id>/sign-up/", views_volunteers.slot_signup, name="slot_signup"),
    path("volunteers/sign-ups/<int:signup_id>/code/", views_volunteers.signup_code, name="signup_code"),
    path("volunteers/sign-ups/<int:signup_id>/withdraw/", views_volunteers.signup_withdraw, name="signup_withdraw"),
    path("classes/<int:class_id>/volunteers/", views_volunteers.class_volunteers, name="class_volunteers"),
    path(
        "classes/<int:class_id>/volunteers.xlsx",
        views_volunteers.class_volunteers_export,
        name="class_volunteers_export",
    ),
]
# (end of section: volunteers)


# ==== Duty rosters and the class quantification (section: duty) ====
urlpatterns += [
    path("duty/", views_duty.duty_list, name="duty_list"),
    path("duty/<int:roster_id>/", views_duty.duty_roster, name="duty_roster"),
    path("duty/mine/", views_duty.duty_mine, name="duty_mine"),
    path("quant/", views_duty.quant_compare, name="quant_compare"),
    path("quant/categories/", views_duty.quant_categories, name="quant_categories"),
    path("quant/class/<int:class_id>/", views_duty.quant_class, name="quant_class"),
]
# (end of section: duty)


# ==== The class fund ledger (section: fund) ====
urlpatterns += []
# (end of section: fund)
