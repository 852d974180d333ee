"""The private services of the faults suite: a PostgreSQL cluster and a redis-server of its own (never
the shared ones on 5432 and 6379, which other runs use meanwhile), Tongxin under uvicorn and a
Celery worker pointed at them, a local SMTP server and a local HTTP SMS provider whose behaviour a
test switches (up, down, slow, refusing). Everything listens on 127.0.0.1, on free ports."""

import contextlib
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], bool], timeout: float, what: str, interval: float = 0.05) -> float:
    """Poll until ``check()`` is true; return the seconds it took, or fail after ``timeout``."""
    start = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - start
        except Exception:
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


def port_open(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def missing_binaries() -> str:
    """Why the suite cannot run here, or '' when it can."""
    if not postgres_bin_dir():
        return "PostgreSQL server binaries (initdb, pg_ctl under /usr/lib/postgresql/*/bin) not found"
    if not shutil.which("redis-server"):
        return "redis-server not found"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "runuser not found (needed to run PostgreSQL as the postgres user)"
    return ""


def postgres_bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).parent if pg_ctl else None


class PostgresCluster:
    """``initdb`` into a temporary folder and ``pg_ctl`` start/stop/restart, as the postgres user when
    run as root (PostgreSQL refuses to run as root)."""

    def __init__(self, base: Path):
        found = postgres_bin_dir()
        assert found is not None, "checked by missing_binaries()"
        self.bin: Path = found
        self.port = free_port()
        self.base = base
        self.data = base / "data"
        self.log = base / "postgres.log"
        base.mkdir(parents=True, exist_ok=True)
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(base, "postgres", "postgres")
            os.chmod(base, 0o700)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120, cwd="/")

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "tongxin")

    def _options(self) -> str:
        # Durability is not what is tested: no fsync keeps the start-up and the seeding cheap.
        return (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.base} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60"
        )

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def restart(self) -> None:
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", self._options(), "-m", "fast", "-w", "restart"
        )

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/tongxin"

    def connect(self):
        import psycopg

        return psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=tongxin", autocommit=True)

    def query(self, sql: str, params=None) -> list[tuple]:
        with self.connect() as conn:
            cur = conn.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def value(self, sql: str, params=None):
        rows = self.query(sql, params)
        return rows[0][0] if rows else None


class Process:
    """A child process in its own process group (so a SIGKILL reaches its children too), its output
    in a log file that a failing test prints."""

    def __init__(self, name: str, command: list[str], env: dict, log: Path):
        self.name, self.command, self.env, self.log = name, command, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        handle = open(self.log, "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(
            self.command, env=self.env, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        handle.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL to the whole group: no clean shutdown, nothing acknowledged or given back."""
        if self.alive():
            assert self.proc is not None
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self, timeout: float = 10) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def tail(self, lines: int = 100) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class RedisServer(Process):
    def __init__(self, base: Path):
        self.port = free_port()
        super().__init__(
            "redis",
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(base),
            ],
            dict(os.environ),
            base / "redis.log",
        )

    def start(self) -> None:
        super().start()
        wait_for(lambda: port_open(self.port), 20, "redis-server start")

    def stop(self, timeout: float = 10) -> None:
        super().stop(timeout)
        wait_for(lambda: not port_open(self.port), 10, "redis-server stop")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=2)


# ---------------------------------------------------------------------------------------- SMTP


class SmtpServer:
    """aiosmtpd on a free port; ``mode`` is read for each message: ``up`` keeps it, ``slow`` keeps it
    after ``delay`` seconds, ``refuse`` answers 451 (try later). ``down`` stops the listener."""

    def __init__(self):
        from aiosmtpd.controller import Controller

        self.port = free_port()
        self.mode = "up"
        self.delay = 0.0
        self.messages: list[dict] = []
        self.attempts = 0
        server = self

        class Handler:
            async def handle_DATA(self, srv, session, envelope):
                import asyncio

                server.attempts += 1
                if server.mode == "refuse":
                    return "451 4.3.0 Try again later"
                if server.mode == "slow":
                    await asyncio.sleep(server.delay)
                server.messages.append(
                    {"to": list(envelope.rcpt_tos), "data": envelope.content.decode("utf-8", "replace")}
                )
                return "250 OK"

        self.make_controller = lambda: Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller = self.make_controller()
        self.running = False
        self.black_hole: socket.socket | None = None

    def start(self) -> None:
        self.unhang()
        if not self.running:
            self.controller = self.make_controller()  # a stopped controller does not start again
            self.controller.start()
            self.running = True

    def stop(self) -> None:
        self.unhang()
        if self.running:
            self.controller.stop()
            self.running = False

    def hang(self) -> None:
        """A server that accepts connections and never answers (not even its greeting)."""
        self.stop()
        self.black_hole = socket.socket()
        self.black_hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.black_hole.bind(("127.0.0.1", self.port))
        self.black_hole.listen(16)  # connections wait in the backlog: accepted, never greeted

    def unhang(self) -> None:
        if self.black_hole is not None:
            self.black_hole.close()
            self.black_hole = None


# ---------------------------------------------------------------------------------------- SMS


class SmsProvider:
    """A local HTTP SMS provider for ``delivery.sms.HttpSmsBackend``: POST JSON ``{"to", "text"}``;
    ``up`` answers 200 and keeps it, ``slow`` after ``delay`` seconds, ``refuse`` answers 503,
    ``down`` closes the listener."""

    def __init__(self):
        self.port = free_port()
        self.mode = "up"
        self.delay = 0.0
        self.messages: list[dict] = []
        self.attempts = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                provider.attempts += 1
                if provider.mode == "refuse":
                    self.send_response(503)
                    self.end_headers()
                    return
                if provider.mode == "slow":
                    time.sleep(provider.delay)
                provider.messages.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.handler = Handler
        self.server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        if self.server is None:
            self.server = ThreadingHTTPServer(("127.0.0.1", self.port), self.handler)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/send"
