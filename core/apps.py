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
    many small batches. Ask the library for its real limit (32,766 by default since SQLite 3.32;
    Debian builds allow 250,000), so that a class or a whole school goes in one statement."""
    import sqlite3

    if connection.vendor == "sqlite":
        connection.features.max_query_params = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
