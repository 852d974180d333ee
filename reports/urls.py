from django.urls import path

from . import views, views_archive, views_dashboard, views_summary

app_name = "reports"
urlpatterns = [
    path("reports/recognition/", views.recognition, name="recognition"),
    path("reports/recognition/commend/", views.commend, name="commend"),
    path("reports/commendations/<int:commendation_id>/certificate.pdf", views.certificate, name="certificate"),
    path("reports/summary/", views_summary.summaries_page, name="summaries"),
    path("reports/summary/draft/", views_summary.draft, name="summary_draft"),
    path("reports/summary/<int:summary_id>/", views_summary.summary_page, name="summary"),
    path("reports/summary/<int:summary_id>/sections/<slug:key>/", views_summary.edit_section, name="summary_section"),
    path("reports/summary/<int:summary_id>/issue/", views_summary.issue, name="summary_issue"),
    path("reports/summary/<int:summary_id>/summary.<str:kind>", views_summary.document, name="summary_document"),
    path("reports/archive/", views_archive.archive_page, name="archive"),
    path("reports/archive/classes/<int:class_id>.zip", views_archive.class_zip, name="archive_class"),
    path("reports/archive/classes/<int:class_id>/grade.zip", views_archive.grade_zip, name="archive_grade"),
    path("reports/dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("reports/dashboard/mine/", views_dashboard.dashboard_mine, name="dashboard_mine"),
    path("reports/dashboard/classes/<int:class_id>/", views_dashboard.dashboard_class, name="dashboard_class"),
    path("reports/dashboard/teachers/", views_dashboard.teachers, name="dashboard_teachers"),
    path("reports/dashboard/workload/", views_dashboard.workload_view, name="dashboard_workload"),
    path("reports/dashboard/rules/", views_dashboard.rules, name="dashboard_rules"),
]
