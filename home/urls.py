from django.urls import path

from . import views

app_name = "home"
urlpatterns = [
    path("", views.home, name="home"),
    # The to-do list gathers items of the contact book and of events, so it lives above both.
    path("contacts/todo/", views.todo, name="todo"),
]
