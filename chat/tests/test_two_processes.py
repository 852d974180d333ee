"""Issue 19: two server processes behind the same Redis. Two real uvicorn processes serve
``tongxin.asgi.application`` on 127.0.0.1 (with the production default of a PostgreSQL connection
pool, ``DB_POOL=1``), both on the test database and the channel layer of ``REDIS_URL``; a message
sent on a socket of one process reaches the members whose sockets are on the other, and their
open pages' 消息 badge there, both ways; a non-member's socket hears nothing.

Needs PostgreSQL and Redis (the first pass of .ci/run): skipped without ``REDIS_URL`` or on SQLite.
Bounded: every wait has a timeout, and the processes are terminated (then killed) in any case."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django_scopes import scopes_disabled

from delivery.tests.test_consumers import session_cookie

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs the real Redis of REDIS_URL"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    d = connection.settings_dict
    auth = quote(d["USER"] or "", safe="") + (":" + quote(d["PASSWORD"], safe="") if d.get("PASSWORD") else "")
    port = f":{d['PORT']}" if d.get("PORT") else ""
    return f"postgres://{auth}@{d['HOST'] or '127.0.0.1'}{port}/{d['NAME']}"


class Uvicorn:
    def __init__(self, env: dict[str, str], log: Path):
        self.port = _free_port()
        self.log = log.open("wb")
        command = [sys.executable, "-m", "uvicorn", "tongxin.asgi:application", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--lifespan", "off", "--log-level", "warning", "--no-access-log"]
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"uvicorn exited with {self.process.returncode}"
            with socket.socket() as probe:
                probe.settimeout(0.5)
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"uvicorn did not listen on {self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


async def _scenario(ports: dict[str, int], cookies: dict[str, str], group: int) -> None:
    from websockets.asyncio.client import connect
    from websockets.typing import Origin

    async def open_socket(who: str, server: str, path: str):
        port = ports[server]
        ws = await connect(
            f"ws://127.0.0.1:{port}{path}",
            origin=Origin(f"http://127.0.0.1:{port}"),
            additional_headers={"Cookie": cookies[who]},
            proxy=None,
            open_timeout=20,
        )
        assert json.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "hello"
        return ws

    async def receive(ws) -> dict:
        return json.loads(await asyncio.wait_for(ws.recv(), 10))

    async def joined(ws) -> None:
        await ws.send(json.dumps({"type": "join", "conversation": group, "after": 0}))
        assert (await receive(ws))["type"] == "joined"

    async def nothing(ws, seconds: float = 0.5) -> bool:
        try:
            await asyncio.wait_for(ws.recv(), seconds)
        except TimeoutError:
            return True
        return False

    teacher = await open_socket("ms_li", "a", "/ws/chat/")  # process A
    alice = await open_socket("alice", "b", "/ws/chat/")  # process B
    bob = await open_socket("bob", "a", "/ws/chat/")  # process A
    carol = await open_socket("carol", "b", "/ws/chat/")  # another class: not a member
    alice_page = await open_socket("alice", "b", "/ws/events/")
    assert (await receive(alice_page))["type"] == "badges"
    try:
        for ws in (teacher, alice, bob):
            await joined(ws)
        await carol.send(json.dumps({"type": "join", "conversation": group}))
        assert (await receive(carol))["type"] == "error"

        # Sent on A: reaches alice's socket and her open page on B, and bob's on A.
        await teacher.send(
            json.dumps({"type": "send", "conversation": group, "body": "明天春游。", "client_key": "t1"})
        )
        sent = await receive(teacher)
        assert sent["type"] == "sent"
        for ws in (alice, bob):
            got = await receive(ws)
            assert got["type"] == "message" and got["message"]["id"] == sent["message"]["id"]
            assert got["message"]["body"] == "明天春游。"
        badge = await receive(alice_page)
        assert badge["type"] == "badges" and badge["messages"] == 1

        # Sent on B: reaches the teacher and bob on A.
        await alice.send(json.dumps({"type": "send", "conversation": group, "body": "收到。", "client_key": "a1"}))
        sent = await receive(alice)
        assert sent["type"] == "sent"
        for ws in (teacher, bob):
            got = await receive(ws)
            if got["message"]["id"] != sent["message"]["id"]:  # the teacher's own copy came first
                got = await receive(ws)
            assert got["message"]["id"] == sent["message"]["id"]
        assert await nothing(carol)
    finally:
        for ws in (teacher, alice, bob, carol, alice_page):
            await ws.close()


def test_a_message_sent_on_one_process_reaches_sockets_on_the_other(cast, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("two processes share the database: PostgreSQL (the test SQLite database is in memory)")
    from chat.actions import class_group
    from chat.models import Conversation

    with scopes_disabled():
        group = class_group(cast.class1)
        Conversation.objects.filter(pk=group.pk).update(mode=Conversation.Mode.OPEN)
    cookies = {who: session_cookie(getattr(cast, who)) for who in ("ms_li", "alice", "bob", "carol")}
    env = {k: v for k, v in os.environ.items() if k != "TONGXIN_TEST_DAYS_AHEAD"}
    env.update(
        DJANGO_SETTINGS_MODULE="tongxin.settings",
        DATABASE_URL=_database_url(),
        SECRET_KEY=settings.SECRET_KEY,  # the sessions' auth hashes were made with it
        TONGXIN_DATA_DIR=str(tmp_path),
        DB_POOL="1",  # the production default (tongxin/settings.py)
    )
    servers = {}
    try:
        for name in ("a", "b"):
            servers[name] = Uvicorn(env, tmp_path / f"uvicorn-{name}.log")
        for server in servers.values():
            server.wait_ready()
        asyncio.run(asyncio.wait_for(_scenario({n: s.port for n, s in servers.items()}, cookies, group.pk), 60))
    finally:
        for server in servers.values():
            server.stop()
    logs = "\n".join((tmp_path / f"uvicorn-{n}.log").read_text(errors="replace") for n in servers)
    assert "Traceback" not in logs, logs[-3000:]
