from django.urls import path

from . import views

app_name = "schools"
urlpatterns = [
    path("school/terms/", views.setup_terms, name="setup_terms"),
    path("school/terms/<int:term_id>/current/", views.make_term_current, name="make_term_current"),
    path("school/classes/", views.setup_classes, name="setup_classes"),
    path("school/staff/", views.setup_staff, name="setup_staff"),
    path("school/staff/<int:member_id>/admin/", views.set_staff_admin, name="set_staff_admin"),
    path("school/assignments/<int:assignment_id>/remove/", views.remove_assignment, name="remove_assignment"),
    path("school/year/", views.promote_year, name="promote_year"),
    path("school/audit/", views.audit_log, name="audit_log"),
    path("classes/<int:class_id>/", views.class_page, name="class"),
    path("guardians/<int:guardian_id>/reset/", views.reset_guardian_access, name="reset_guardian"),
    path("children/", views.my_children, name="children"),
    path("children/<int:student_id>/select/", views.select_child, name="select_child"),
]
