from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        # openpyxl only parses with defusedxml when it is importable; a roster upload is untrusted
        # XML, so refuse to start without it rather than parse entity bombs.
        from openpyxl.xml import DEFUSEDXML

        if not DEFUSEDXML:  # pragma: no cover - guarded by requirements.txt
            raise RuntimeError("defusedxml must be installed: openpyxl would parse untrusted XML unsafely")
