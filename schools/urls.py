from django.urls import path

from . import views, views_onboarding, views_roster

app_name = "schools"
urlpatterns = [
    path("school/switch/", views.switch_school, name="switch_school"),
    path("school/terms/", views.setup_terms, name="setup_terms"),
    path("school/terms/<int:term_id>/current/", views.make_term_current, name="make_term_current"),
    path("school/classes/", views.setup_classes, name="setup_classes"),
    path("school/staff/", views.setup_staff, name="setup_staff"),
    path("school/staff/<int:member_id>/admin/", views.set_staff_admin, name="set_staff_admin"),
    path("school/staff/<int:member_id>/care/", views.set_staff_care, name="set_staff_care"),
    path("school/two-factor/", views.set_two_factor_required, name="set_two_factor_required"),
    path("school/staff/<int:member_id>/leave/", views.deactivate_staff, name="deactivate_staff"),
    path("school/assignments/<int:assignment_id>/remove/", views.remove_assignment, name="remove_assignment"),
    path("school/year/", views.promote_year, name="promote_year"),
    path("school/audit/", views.audit_log, name="audit_log"),
    path("classes/<int:class_id>/", views.class_page, name="class"),
    path("guardians/<int:guardian_id>/reset/", views.reset_guardian_access, name="reset_guardian"),
    path("children/", views.my_children, name="children"),
    path("children/<int:student_id>/select/", views.select_child, name="select_child"),
    # rosters in and out
    path("school/import/", views_roster.import_roster, name="import_school"),
    path("classes/<int:class_id>/import/", views_roster.import_roster, name="import_class"),
    path("imports/<int:upload_id>/", views_roster.import_preview, name="import_preview"),
    path("imports/<int:upload_id>/discard/", views_roster.discard_upload, name="import_discard"),
    path("school/export.xlsx", views_roster.export_school_roster, name="export_school"),
    path("classes/<int:class_id>/export.xlsx", views_roster.export_class_roster, name="export_class"),
    # bringing families on board
    path("classes/<int:class_id>/families/", views_onboarding.class_onboarding, name="onboarding"),
    path("classes/<int:class_id>/families/join-link/", views_onboarding.class_join_link, name="join_link"),
    path("classes/<int:class_id>/families/remind/", views_onboarding.class_remind, name="remind"),
    path("classes/<int:class_id>/families/sheet/", views_onboarding.class_activation_sheet, name="activation_sheet"),
    path("join-requests/<int:join_request_id>/", views_onboarding.decide_join_request, name="decide_join"),
    path("join/<str:token>/", views_onboarding.join, name="join"),
    path("activate/<str:token>/", views_onboarding.activate, name="activate"),
    path("family/", views_onboarding.family, name="family"),
    path("family/phone/", views_onboarding.family_phone, name="family_phone"),
]
