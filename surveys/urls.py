from django.urls import path

from . import views

app_name = "surveys"
urlpatterns = [
    path("surveys/", views.manage_list, name="manage"),
    path("surveys/new/", views.new, name="new"),
    path("surveys/evaluation/", views.evaluation, name="evaluation"),
    path("surveys/evaluation/schedule/", views.schedule, name="schedule"),
    path("surveys/evaluation/class/", views.send_class_evaluation, name="send_class_evaluation"),
    path("surveys/<int:survey_id>/", views.answer, name="answer"),
    path("surveys/<int:survey_id>/edit/", views.edit, name="edit"),
    path("surveys/<int:survey_id>/send/", views.send, name="send"),
    path("surveys/<int:survey_id>/results/", views.results, name="results"),
    path("surveys/<int:survey_id>/results.xlsx", views.export, name="export"),
    path("surveys/<int:survey_id>/remind/", views.remind, name="remind"),
    path("surveys/<int:survey_id>/files/<uuid:answer_id>/", views.answer_file, name="file"),
]
