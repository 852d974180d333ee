from django.apps import AppConfig


class ContactbookConfig(AppConfig):
    name = "contactbook"
