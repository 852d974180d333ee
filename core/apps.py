from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        # openpyxl only parses with defusedxml when it is importable; a roster upload is untrusted
        # XML, so refuse to start without it rather than parse entity bombs.
        from openpyxl.xml import DEFUSEDXML

        if not DEFUSEDXML:  # pragma: no cover - guarded by requirements.txt
            raise RuntimeError("defusedxml must be installed: openpyxl would parse untrusted XML unsafely")

        from django.db.backends.signals import connection_created

        connection_created.connect(_sqlite_bulk_limit)


def _sqlite_bulk_limit(sender, connection, **kwargs) -> None:
    """Django assumes SQLite's old limit of 999 variables a statement and splits bulk inserts into
    many small batches; SQLite 3.32+ allows 32,766, so a class or a school goes in one statement."""
    import sqlite3

    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info >= (3, 32):
        connection.features.max_query_params = 32766
