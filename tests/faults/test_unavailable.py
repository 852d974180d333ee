"""Without the PostgreSQL or Redis binaries, the faults suite skips with the reason on a developer's
machine and fails in CI (``CI=true``), where it must run. Not marked ``faults``: it needs nothing."""

import pytest

from .conftest import refuse_to_run
from .services import missing_binaries


def test_missing_binaries_fail_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="cannot run: redis-server not found"):
        refuse_to_run("redis-server not found")


def test_missing_binaries_skip_elsewhere(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="needs its own PostgreSQL and Redis: redis-server not found"):
        refuse_to_run("redis-server not found")


def test_the_binaries_are_looked_for(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    assert "PostgreSQL" in missing_binaries()
