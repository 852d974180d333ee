from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from .actions import start_session_clock

        def _start_session_clock(sender, request, user, **kwargs) -> None:
            if request is not None and hasattr(request, "session"):
                start_session_clock(request, user)

        # Every sign-in, whichever way (and the test client's), sets the session's idle expiry.
        user_logged_in.connect(_start_session_clock, dispatch_uid="tongxin.session_clock", weak=False)
