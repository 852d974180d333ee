from django.urls import path

from . import views

app_name = "home"
urlpatterns = [
    path("", views.home, name="home"),
    # 我的: everything the phone's bottom tab bar has no room for (templates/_tabbar.html).
    path("me/", views.me, name="me"),
    # The to-do list gathers items of the contact book and of events, so it lives above both.
    path("contacts/todo/", views.todo, name="todo"),
]
