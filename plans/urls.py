from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("plan/", views.plan, name="plan"),
    path("plan/adopt/", views.adopt, name="adopt"),
    path("plan/<int:plan_id>/tasks/", views.add_task, name="add_task"),
    path("plan/<int:plan_id>/issue/", views.issue, name="issue"),
    path("plan/tasks/<int:task_id>/", views.task, name="task"),
    path("plan/tasks/<int:task_id>/edit/", views.edit_task, name="edit_task"),
    path("plan/tasks/<int:task_id>/file/", views.evidence_file, name="evidence_file"),
]
