from django.apps import AppConfig


class CommunityConfig(AppConfig):
    name = "community"
    verbose_name = "家委会、志愿者、轮值与班费"

    def ready(self) -> None:
        # Working groups are an audience of notices and events (their meetings): registered here,
        # so that neither notices nor events imports community (docs/design/community.md).
        from notices.audience import register_audience_kind

        from .queries import working_group_audience

        register_audience_kind(working_group_audience())
