"""What every benchmark shares: start Django against a throwaway database, run, clean up.

The database is never the one DATABASE_URL names, nor test_<name> (another engineer's test run may
be using it at the same moment): a temporary SQLite file, or ``tongxin_bench_<label>_<pid>`` on
PostgreSQL, created through Django's test machinery and dropped at the end, also on failure or
Ctrl-C."""

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/tongxin"


def run_in_throwaway_database(label: str, *, postgres: bool, run: Callable[[float], int]) -> int:
    """Set up Django and a fresh database, call ``run(setup_seconds)`` and return its exit status."""
    # Everything Django reads from the environment must be set before it starts.
    if postgres:
        os.environ["DATABASE_URL"] = POSTGRES_URL
    os.environ["DJANGO_SETTINGS_MODULE"] = "tongxin.settings"
    os.environ["TONGXIN_TESTING"] = "1"
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()

    from django.conf import settings
    from django.db import connection
    from django.test.utils import (
        setup_databases,
        setup_test_environment,
        teardown_databases,
        teardown_test_environment,
    )

    tmpdir = None
    test_settings = settings.DATABASES["default"].setdefault("TEST", {})
    if connection.vendor == "sqlite":
        tmpdir = tempfile.mkdtemp(prefix="tongxin-bench-")
        test_settings["NAME"] = str(Path(tmpdir) / "bench.sqlite3")
    else:
        test_settings["NAME"] = f"tongxin_bench_{label}_{os.getpid()}"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fixtures' users

    setup_test_environment()
    old_config = None
    try:
        started = time.perf_counter()
        old_config = setup_databases(verbosity=0, interactive=False, serialized_aliases=set())
        return run(time.perf_counter() - started)
    finally:
        try:
            if old_config is not None:
                teardown_databases(old_config, verbosity=0)
        finally:
            teardown_test_environment()
            if tmpdir is not None:
                shutil.rmtree(tmpdir, ignore_errors=True)
