from django.urls import path

from . import views, views_pdf

app_name = "contactbook"
urlpatterns = [
    path("contacts/new/", views.new_record, name="new"),
    path("contacts/<int:record_id>/", views.record_detail, name="record"),
    path("contacts/<int:record_id>/edit/", views.edit_record, name="edit"),
    path("classes/<int:class_id>/coverage/", views.class_coverage, name="class_coverage"),
    path("classes/<int:class_id>/contactbook.xlsx", views.export_class, name="export_class"),
    path("classes/<int:class_id>/contactbook.pdf", views_pdf.class_pdf, name="export_class_pdf"),
    path("school/coverage/", views.school_coverage, name="school_coverage"),
    path("school/coverage/rules/", views.coverage_rules, name="coverage_rules"),
    path("students/<int:student_id>/contacts/", views.student_book, name="student"),
    path("students/<int:student_id>/contactbook.pdf", views_pdf.student_pdf, name="student_pdf"),
    path("students/<int:student_id>/care/new/", views.open_care_case, name="care_open"),
    path("care/<int:case_id>/", views.care_case, name="care_case"),
    path("contacts/calls/<int:task_id>/", views.record_call, name="call"),
    path("family/records/", views.family_records, name="family"),
    path("family/records/<int:record_id>/ack/", views.acknowledge, name="acknowledge"),
]
