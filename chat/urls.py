from django.urls import path

from . import views

app_name = "chat"
urlpatterns = [
    path("chat/", views.conversation_list, name="list"),
    path("chat/search/", views.search, name="search"),
    path("chat/start/", views.start_private, name="start"),
    path("chat/staff-groups/new/", views.new_staff_group, name="new_staff_group"),
    path("chat/quiet-hours/", views.quiet_hours, name="quiet_hours"),
    path("chat/<int:conversation_id>/", views.conversation, name="conversation"),
    path("chat/<int:conversation_id>/manage/", views.manage, name="manage"),
    path("chat/<int:conversation_id>/record.xlsx", views.export, name="export"),
    path("chat/<int:conversation_id>/messages/<int:message_id>/recall/", views.recall, name="recall"),
    path("chat/<int:conversation_id>/messages/<int:message_id>/remove/", views.remove, name="remove"),
    path("chat/<int:conversation_id>/files/<int:message_id>/", views.message_file, name="file"),
]
