from django.urls import path

from . import views, views_dashboard

app_name = "reports"
urlpatterns = [
    path("reports/recognition/", views.recognition, name="recognition"),
    path("reports/recognition/commend/", views.commend, name="commend"),
    path("reports/commendations/<int:commendation_id>/certificate.pdf", views.certificate, name="certificate"),
    path("reports/dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("reports/dashboard/mine/", views_dashboard.dashboard_mine, name="dashboard_mine"),
    path("reports/dashboard/classes/<int:class_id>/", views_dashboard.dashboard_class, name="dashboard_class"),
    path("reports/dashboard/teachers/", views_dashboard.teachers, name="dashboard_teachers"),
    path("reports/dashboard/workload/", views_dashboard.workload_view, name="dashboard_workload"),
    path("reports/dashboard/rules/", views_dashboard.rules, name="dashboard_rules"),
]
