"""The faults suite (marker ``faults``): Tongxin on real services that a test stops, kills or slows.

One session fixture, ``stack``, starts everything once: a private PostgreSQL cluster (``initdb`` into
a temporary folder, as the postgres user when run as root) and a private redis-server, both on free
ports, so the shared PostgreSQL (5432) and Redis (6379) that other runs use are never touched; then
``manage.py migrate``, the seed (``seed.py``), Tongxin under uvicorn and a Celery worker, pointed
at them through DATABASE_URL and REDIS_URL; a local SMTP server and a local HTTP SMS provider.
Each scenario restores what it stopped. Without PostgreSQL or Redis binaries the tests skip with
the reason, except in CI (``CI=true``), where they fail.

Each scenario adds one line of figures to ``FIGURES``; ``pytest_terminal_summary`` prints them at
the end of the run (rows expected, found, duplicates, seconds to recover)."""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests

from .services import (
    ROOT,
    PostgresCluster,
    Process,
    RedisServer,
    SmsProvider,
    SmtpServer,
    free_port,
    missing_binaries,
    port_open,
    wait_for,
)

# Guardians in the big school: its school-wide fan-out takes about a second on a loaded CI machine,
# long enough for a worker to be killed in the middle of it.
FAMILIES = int(os.environ.get("TONGXIN_FAULTS_FAMILIES", "40000"))

FIGURES: dict[str, str] = {}


def figure(scenario: str, **values) -> None:
    """One line of the end-of-run summary for this scenario."""
    parts = []
    for key, value in values.items():
        parts.append(f"{key}={value:.1f}" if isinstance(value, float) else f"{key}={value}")
    FIGURES[scenario] = " ".join(parts)


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    terminalreporter.write_sep("=", "faults: one line per scenario")
    for scenario, line in FIGURES.items():
        terminalreporter.write_line(f"faults {scenario}: {line}")


def _clean_env() -> dict:
    """The environment of the children: nothing of the outer run's services or test settings."""
    drop = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "TONGXIN_TEST_DAYS_AHEAD", "DJANGO_SETTINGS_MODULE"}
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith(("PYTEST", "CELERY_"))}


class Stack:
    def __init__(self, base: Path):
        self.base = base
        self.pg = PostgresCluster(base / "pg")
        self.redis = RedisServer(base)
        self.smtp = SmtpServer()
        self.sms = SmsProvider()
        self.web_port = free_port()
        self.url = f"http://127.0.0.1:{self.web_port}"
        self.seed: dict = {}
        self.env = {
            **_clean_env(),
            "DJANGO_SETTINGS_MODULE": "tongxin.settings",
            "TONGXIN_TESTING": "1",  # the development defaults: SITE_URL, the insecure key, no HTTPS
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "TONGXIN_DATA_DIR": str(base / "data"),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(self.smtp.port),
            "EMAIL_TIMEOUT": "2",
            "SMS_BACKEND": "delivery.sms.HttpSmsBackend",
            "SMS_HTTP_URL": self.sms.url,
            "SMS_HTTP_TIMEOUT": "3",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
        python = sys.executable
        self.web = Process(
            "web",
            [
                python,
                "-m",
                "uvicorn",
                "tongxin.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.web_port),
                "--lifespan",
                "off",
                "--no-access-log",
            ],
            self.env,
            base / "web.log",
        )
        self.worker = self.make_worker()

    def make_worker(self, **env) -> Process:
        return Process(
            "worker",
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tongxin",
                "worker",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"faults-{time.monotonic_ns()}@localhost",
            ],
            {**self.env, **env, "LOG_LEVEL": "INFO"},
            self.base / "worker.log",
        )

    # ------------------------------------------------------------------ start and stop

    def manage(self, *args: str, timeout: float = 300) -> str:
        done = subprocess.run(
            [sys.executable, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done.stdout

    def start(self) -> None:
        self.pg.init()
        self.redis.start()
        self.smtp.start()
        self.sms.start()
        self.manage("manage.py", "migrate", "--noinput", "-v", "0")
        self.seed = json.loads(self.manage("-m", "tests.faults.seed", str(FAMILIES)).strip().splitlines()[-1])
        self.web.start()
        self.start_worker()
        wait_for(lambda: self.get("/healthz").status_code == 200, 60, "Tongxin under uvicorn")

    def start_worker(self, **env) -> None:
        self.worker = self.make_worker(**env)
        mark = self.worker.log.stat().st_size if self.worker.log.exists() else 0
        self.worker.start()

        def ready() -> bool:
            with open(self.worker.log, "rb") as fh:
                fh.seek(mark)
                return b"ready." in fh.read()

        wait_for(ready, 60, "the Celery worker", interval=0.2)

    def drain(self, timeout: float = 60) -> None:
        """Wait until the worker has nothing queued or running (a redelivered copy included)."""
        client = self.redis.client()
        wait_for(lambda: not client.llen("celery") and not client.hlen("unacked"), timeout, "an idle worker", 0.1)

    def stop(self) -> None:
        for step in (self.web.stop, self.worker.stop, self.redis.stop, self.pg.stop, self.smtp.stop, self.sms.stop):
            with contextlib.suppress(Exception):
                step()

    def ensure_up(self) -> None:
        """What a scenario stopped is running again (a failed scenario must not take the next down)."""
        if not port_open(self.redis.port):
            self.redis.start()
        if self.pg.value("SELECT 1") != 1:  # pragma: no cover - raises instead when down
            raise RuntimeError("PostgreSQL is down")
        if not self.worker.alive():
            self.start_worker()
        self.smtp.mode = self.sms.mode = "up"
        self.smtp.start()
        self.sms.start()

    def logs(self) -> str:
        return (
            "\n".join(f"--- {p.name} ---\n{p.tail()}" for p in (self.web, self.worker, self.redis))
            + f"\n--- postgres ---\n{_tail(self.pg.log)}"
        )

    # ------------------------------------------------------------------ talking to it

    def get(self, path: str, token: str | None = None, **kwargs) -> requests.Response:
        return self.request("GET", path, token=token, **kwargs)

    def request(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        timeout = kwargs.pop("timeout", 30)
        return requests.request(
            method, self.url + path, headers=headers, allow_redirects=False, timeout=timeout, **kwargs
        )

    def token(self, name: str) -> str:
        return self.seed["tokens"][name]

    def send_task(self, name: str, *args) -> None:
        """Send a task as beat (or a publishing request) would: through the private Redis."""
        from celery import Celery

        app = Celery("faults", broker=self.redis.url, set_as_current=False)
        try:
            app.send_task(name, args=list(args))
        finally:
            app.close()

    def sign_in_session(self, identifier: str, password: str) -> tuple[requests.Session, requests.Response]:
        """A browser's password sign-in: fetch the form (its CSRF cookie), post it."""
        session = requests.Session()
        session.get(self.url + "/accounts/login/", timeout=30)
        response = session.post(
            self.url + "/accounts/login/",
            data={"identifier": identifier, "password": password, "csrfmiddlewaretoken": session.cookies["csrftoken"]},
            headers={"Referer": self.url + "/accounts/login/"},
            allow_redirects=False,
            timeout=30,
        )
        return session, response


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def refuse_to_run(reason: str) -> None:
    """No PostgreSQL or Redis binaries here: a failure in CI (it must run there), a skip elsewhere."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"the faults suite cannot run: {reason}", pytrace=False)
    pytest.skip(f"the faults suite needs its own PostgreSQL and Redis: {reason}")


@pytest.fixture(scope="session")
def stack():
    reason = missing_binaries()
    if reason:
        refuse_to_run(reason)
    base = Path(tempfile.mkdtemp(prefix="tongxin-faults-"))
    os.chmod(base, 0o755)  # noqa: S103 - the postgres user reaches its folder inside
    (base / "data").mkdir()
    started = time.monotonic()
    services = Stack(base)
    try:
        services.start()
    except Exception:
        print(services.logs())
        services.stop()
        raise
    FIGURES["start-up"] = f"seconds={time.monotonic() - started:.1f} families={FAMILIES}"
    yield services
    services.stop()
    if os.environ.get("TONGXIN_FAULTS_KEEP"):
        print(f"faults: logs and data kept in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def services(stack, request):
    """The stack, with everything running again after the test; its logs printed on failure."""
    stack.ensure_up()
    yield stack
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        print(stack.logs())
    stack.ensure_up()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report
