from django.urls import path

from . import views

app_name = "guardrails"
urlpatterns = [
    path("school/guardrails/", views.admin_page, name="admin"),
]
