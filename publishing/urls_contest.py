from django.urls import path

from . import views_contest as views

app_name = "contest"
urlpatterns = [
    path("", views.contest_list, name="list"),
    path("new/", views.contest_new, name="new"),
    path("<int:contest_id>/", views.contest_detail, name="detail"),
    path("<int:contest_id>/submit/", views.contest_submit, name="submit"),
    path("<int:contest_id>/manage/", views.manage, name="manage"),
    path("<int:contest_id>/judges/", views.judge_add, name="judge_add"),
    path("<int:contest_id>/assign/", views.assign, name="assign"),
    path("<int:contest_id>/announce/", views.announce, name="announce"),
    path("entries/<int:contest_entry_id>/", views.entry_mine, name="entry"),
    path("entries/<int:contest_entry_id>/certificate.pdf", views.certificate, name="certificate"),
    path("entries/<int:contest_entry_id>/add-judge/", views.entry_add_judge, name="entry_add_judge"),
    path("entries/<int:contest_entry_id>/published/", views.entry_published, name="entry_published"),
    path("judging/", views.judging, name="judging"),
    path("judging/<int:judging_id>/", views.score, name="score"),
    path("judging/<int:judging_id>/file/", views.judge_file, name="judge_file"),
]
