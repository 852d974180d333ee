from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.sign_in, name="login"),
    path("login/code/", views.sign_in_with_code, name="login_code"),
    path("login/verify/", views.sign_in_two_factor, name="login_two_factor"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("logout/", views.sign_out, name="logout"),
    path("password/", views.set_password, name="set_password"),
]
