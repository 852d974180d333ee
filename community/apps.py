from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "家委会、志愿者、轮值与班费"
