"""The ASGI application that bench/chat.py serves with uvicorn: Tongxin's own application
(``tongxin.asgi.application``, unchanged, so ``/ws/chat/`` is exactly what production serves) plus,
on ``/ws/echo/``, the baseline: a bare Channels echo consumer.

The echo consumer does the same fan-out through the same channel layer as the chat socket, and
nothing else: on connect it joins the group ``echo-<n>`` named by the query string (``?group=<n>``,
the class group's conversation id), and for each ``{"type": "send", ...}`` it answers the sender
``{"type": "sent", ...}`` and ``group_send``-s the request's body to the group; every member's
socket (the sender's too) gets ``{"type": "message", "message": {...}}``. No session, no user, no
membership check, no database write. It is behind the same Origin check as the application's
sockets.

With ``BENCH_CHAT_PROFILE=1`` in the environment (``bench/chat.py --profile``) the chat path is
timed from the outside, without changing a line of ``chat/``: the consumer's database calls
(``database_sync_to_async``: time waiting for the one sync thread and time running in it), the
functions they call (``access_conversation``, ``do_send``, ``member_role``, ``payload``), every
trip to the sync thread of either endpoint (``thread trip:``, Channels' own included), opening
database connections, SQL statements, ``group_send``, the handling of each group event and the
garbage collector's pauses; and a
third route, ``/ws/bench-stats/``, sends the figures gathered since the last call and starts
afresh.
"""

import functools
import gc
import os
import threading
import time
from collections import defaultdict
from urllib.parse import parse_qs

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.security.websocket import AllowedHostsOriginValidator

from tongxin.asgi import application as tongxin_application  # sets Django up

PROFILE = os.environ.get("BENCH_CHAT_PROFILE") == "1"


class EchoConsumer(AsyncJsonWebsocketConsumer):
    """The baseline: the chat socket's fan-out through the channel layer, and nothing else."""

    group: str | None = None

    async def connect(self):
        values = parse_qs(self.scope.get("query_string", b"").decode()).get("group", [""])
        if not values[0].isdigit():
            await self.close(code=4400)
            return
        self.group = f"echo-{values[0]}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code):
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict) or content.get("type") != "send":
            await self.send_json({"type": "error", "detail": "unknown request"})
            return
        message = {"conversation": content.get("conversation"), "body": str(content.get("body") or "")}
        await self.send_json({"type": "sent", "client_key": content.get("client_key"), "message": message})
        await self.channel_layer.group_send(self.group, {"type": "echo.message", "message": message})

    async def echo_message(self, event):
        await self.send_json({"type": "message", "message": event["message"]})


echo_application = AllowedHostsOriginValidator(EchoConsumer.as_asgi())
stats_application = None

if PROFILE:
    from asgiref.sync import SyncToAsync
    from channels.db import DatabaseSyncToAsync
    from channels.layers import get_channel_layer
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.signals import connection_created

    import chat.actions
    import chat.consumers
    import chat.queries

    # name → [calls, total seconds, max seconds]; touched from the event loop and the sync thread.
    _STATS: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])
    _LOCK = threading.Lock()
    _THREADS: set[int] = set()

    def _note(name: str, seconds: float) -> None:
        with _LOCK:
            row = _STATS[name]
            row[0] += 1
            row[1] += seconds
            row[2] = max(row[2], seconds)

    def _timed_sync(name, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                _note(name, time.perf_counter() - started)

        return wrapper

    def _timed_thread_handler(cls, label: str) -> None:
        """Time ``cls``'s runs in the sync thread, by the name of the function each runs."""
        original = cls.thread_handler

        def timed(self, loop, *args, **kwargs):
            _THREADS.add(threading.get_ident())
            name = getattr(self.func, "__qualname__", repr(self.func))
            started = time.perf_counter()
            try:
                return original(self, loop, *args, **kwargs)
            finally:
                _note(f"{label}: {name}", time.perf_counter() - started)

        cls.thread_handler = timed

    # Every trip to the sync thread, of either endpoint: Channels' own (``close_old_connections``
    # before each event a consumer handles) and the consumer's.
    _timed_thread_handler(SyncToAsync, "thread trip")
    # What each database_sync_to_async call runs (close_old_connections on both sides included).
    _timed_thread_handler(DatabaseSyncToAsync, "sync thread")

    # On the event loop: how long each of the consumer's database calls is awaited (queue + run).
    # Every method the consumer runs in the sync thread is found by its type, so a renamed or new
    # one is profiled too (a fixed list of names broke --profile when the consumer changed).
    _sync_methods = [n for n, v in vars(chat.consumers.ChatConsumer).items() if isinstance(v, SyncToAsync)]
    assert _sync_methods, "the chat consumer runs nothing in the sync thread?"
    for _name in _sync_methods:
        _wrapped = chat.consumers.ChatConsumer.__dict__[_name]

        def _make(name, wrapped):
            async def awaited(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return await wrapped(self, *args, **kwargs)
                finally:
                    _note(f"awaited: ChatConsumer.{name}", time.perf_counter() - started)

            return awaited

        setattr(chat.consumers.ChatConsumer, _name, _make(_name, _wrapped))

    for _name in ("chat_message", "_send"):
        _method = getattr(chat.consumers.ChatConsumer, _name)

        def _make_handler(name, method):
            async def handled(self, *args, **kwargs):
                started = time.perf_counter()
                try:
                    return await method(self, *args, **kwargs)
                finally:
                    _note(f"handled: ChatConsumer.{name}", time.perf_counter() - started)

            return handled

        setattr(chat.consumers.ChatConsumer, _name, _make_handler(_name, _method))

    # The functions those calls run, looked up as module globals at call time: each that exists.
    for _module, _func, _label in (
        (chat.consumers, "access_conversation", "in access_conversation"),
        (chat.consumers, "payload", "in payload"),
        (chat.consumers, "draw_for_readers", "in draw_for_readers (rendering)"),
        (chat.consumers, "member_ids", "in member_ids (the roster)"),
        (chat.consumers, "group_event", "in group_event (payload + drawings)"),
        (chat.consumers, "live_history", "in live_history (rendering)"),
        (chat.actions, "do_send", "in do_send"),
        (chat.queries, "history", "in queries.history"),
    ):
        if hasattr(_module, _func):
            setattr(_module, _func, _timed_sync(_label, getattr(_module, _func)))

    _connect = BaseDatabaseWrapper.connect

    def _profiled_connect(self):
        started = time.perf_counter()
        try:
            return _connect(self)
        finally:
            _note("db: open a connection", time.perf_counter() - started)

    BaseDatabaseWrapper.connect = _profiled_connect

    def _sql_timer(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            verb = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
            _note(f"db: SQL {verb}", time.perf_counter() - started)

    def _on_connection(sender, connection, **kwargs):
        if _sql_timer not in connection.execute_wrappers:
            connection.execute_wrappers.append(_sql_timer)

    connection_created.connect(_on_connection, weak=False)

    _layer = get_channel_layer()
    _group_send = _layer.group_send

    async def _profiled_group_send(group, message):
        started = time.perf_counter()
        try:
            return await _group_send(group, message)
        finally:
            _note(f"layer: group_send {group.split('-')[0]}-*", time.perf_counter() - started)

    _layer.group_send = _profiled_group_send

    _gc_started: list[float] = []

    def _gc_timer(phase: str, info: dict) -> None:
        if phase == "start":
            _gc_started[:] = [time.perf_counter()]
        elif _gc_started:
            _note(f"gc: generation {info.get('generation')}", time.perf_counter() - _gc_started[0])

    gc.callbacks.append(_gc_timer)

    class StatsConsumer(AsyncJsonWebsocketConsumer):
        async def connect(self):
            await self.accept()
            with _LOCK:
                figures = {name: list(row) for name, row in _STATS.items()}
                _STATS.clear()
            await self.send_json({"type": "stats", "stats": figures, "sync_threads": len(_THREADS)})
            await self.close()

    stats_application = StatsConsumer.as_asgi()


async def application(scope, receive, send):
    path = scope.get("path")
    if scope["type"] == "websocket" and path == "/ws/echo/":
        return await echo_application(scope, receive, send)
    if stats_application is not None and scope["type"] == "websocket" and path == "/ws/bench-stats/":
        return await stats_application(scope, receive, send)
    return await tongxin_application(scope, receive, send)
