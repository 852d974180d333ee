from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("reports/recognition/", views.recognition, name="recognition"),
    path("reports/recognition/commend/", views.commend, name="commend"),
    path("reports/commendations/<int:commendation_id>/certificate.pdf", views.certificate, name="certificate"),
]
