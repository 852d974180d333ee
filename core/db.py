"""Fewer trips to the database on a hot path (issue 19).

A chat message is stored on Channels' one thread for database work. Every time that thread waits
for PostgreSQL it lets go of the interpreter lock, and the event loop, busy delivering the previous
messages, takes it; the thread then waits for it again, up to the interpreter's switch interval
(5 ms). Under load a wait costs far more than its query, so what counts is how many times the
thread waits, not how long the statements run.

``together`` runs several reads in one trip and one wait: on PostgreSQL their text goes out as one
simple query (Django's client-side binding has put the parameters in) and the result sets come back
together; elsewhere, or with server-side binding, one after the other, with the same results.
(psycopg's pipeline mode, used before, also sends statements at once, but waits for each one.)

``insert_statement`` is the ORM's own ``INSERT`` of a new object, to be made part of one larger
statement (``chat.actions``: the message and the sender's read position in one statement, which
PostgreSQL runs atomically without a ``BEGIN`` and a ``COMMIT`` of their own).

These go through Django's cursors, so they are logged and counted like any other query; the event
loop's own connections (below) do not, and tests count their statements with ``loop_statements``."""

import asyncio
import functools
from collections.abc import Sequence

import psycopg
from django.conf import settings
from django.db import connection
from django.db.models import Model
from django.db.models.sql import InsertQuery

Statement = tuple[str, Sequence]


def _binds_on_the_client() -> bool:
    if connection.vendor != "postgresql":
        return False
    connection.ensure_connection()
    return issubclass(connection.connection.cursor_factory, psycopg.ClientCursor)


def together(statements: Sequence[Statement]) -> list[list[tuple]]:
    """Run these reads (``SELECT``s only), in one trip to the database where it
    can (see the module's note); their rows, in order."""
    with connection.cursor() as cursor:
        if len(statements) < 2 or not _binds_on_the_client():
            results = []
            for sql, params in statements:
                cursor.execute(sql, params)
                results.append(cursor.fetchall())
            return results
        cursor.execute(";\n".join(sql for sql, _ in statements), [p for _, params in statements for p in params])
        results = [cursor.fetchall()]
        while cursor.nextset():
            results.append(cursor.fetchall())  # (a statement without rows would raise here)
    return results


def insert_statement(obj: Model) -> Statement:
    """The ``INSERT`` that ``obj.save()`` would run for this new object, ``RETURNING`` its primary
    key: the fields' ``pre_save`` (``auto_now_add``, an upload's name) applied to ``obj`` as
    ``save()`` applies them. Its primary key is not set on ``obj``; the caller reads it from the
    rows of the statement it is part of and sets it (``adopt_inserted``).

    The ORM compiles the statement's text once per model (``_insert_sql``; compiling it for every
    chat message cost more than storing it); the values are prepared here each time, as the
    compiler prepares them. A value that is an expression, or a field that draws its own
    placeholder or has a database default, is compiled afresh."""
    fields, plain = _insert_fields(type(obj))
    values = [f.pre_save(obj, True) for f in fields]
    if not plain or any(hasattr(v, "resolve_expression") for v in values):
        return _compiled_insert(obj, fields)
    params = [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
    return _insert_sql(type(obj), connection.vendor), params


@functools.lru_cache(maxsize=64)
def _insert_fields(model: type[Model]) -> tuple[list, bool]:
    """The fields an ``INSERT`` of ``model`` writes, and whether each is a plain placeholder for
    its value (not a field drawing its own placeholder, nor one with a database default, compiled
    as ``DEFAULT`` when left unset)."""
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    return fields, not any(hasattr(f, "get_placeholder") or f.has_db_default() for f in fields)


def _compiled_insert(obj: Model, fields: list) -> Statement:
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [obj._meta.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, params


@functools.lru_cache(maxsize=64)
def _insert_sql(model: type[Model], vendor: str) -> str:
    """The text of ``model``'s ``INSERT`` with a plain placeholder for every field (the vendor is
    part of the key: a test run may switch databases)."""
    sql, _params = _compiled_insert(model(), _insert_fields(model)[0])
    return sql


def adopt_inserted(obj: Model, pk: int) -> None:
    """``obj`` as ``save()`` leaves a new object: its primary key set, and saved in this database."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias


# --- the event loop's own connections --------------------------------------------------------------
#
# Even two waits a message cost the socket's database thread two fights for the interpreter lock
# with a busy event loop, plus one to wake it: under load each is up to the 5 ms switch interval,
# and on a machine whose cores are busy, a wait for the operating system to run the thread again.
# So the chat socket stores an everyday message from the event loop itself (``chat.consumers``),
# through asynchronous psycopg connections of the loop's: the loop waits for PostgreSQL as it waits
# for a socket, and no thread is involved. Only PostgreSQL; anything else, or any failure here,
# goes the usual way (Django's connection on the database thread), which has every rule.
#
# A loop has a few connections (``TONGXIN_LOOP_CONNECTIONS``, default 4), each used by one
# statement at a time, not one: with one, every message queued behind the one before it, and a
# single slow commit (the disk's flush of the write-ahead log) held up every socket of the process;
# with several, the commits that are waiting are flushed together (PostgreSQL's group commit).
# Statements sent here are not seen by Django's query log or counters; tests count them with
# ``loop_statements``.

loop_statements: list[str] | None = None  # a list: every statement sent on a loop's connection (tests)


class _LoopConnections:
    """One loop's connections: at most ``size`` open, the most recently used handed out first (a
    quiet process keeps using one), opened when every open one is busy."""

    def __init__(self, size: int):
        self.size = size
        self.turns = asyncio.Semaphore(size)  # a turn is one statement on one connection
        self.idle: list[psycopg.AsyncConnection] = []
        self.opened: set[psycopg.AsyncConnection] = set()  # idle or in use (``forget``)

    async def take(self) -> psycopg.AsyncConnection:
        await self.turns.acquire()
        try:
            while self.idle:
                conn = self.idle.pop()
                if not conn.closed and not conn.broken:
                    return conn
                self.opened.discard(conn)
            conn = await _connect()
            self.opened.add(conn)
            return conn
        except BaseException:
            self.turns.release()
            raise

    async def give_back(self, conn: psycopg.AsyncConnection) -> None:
        try:
            if conn.closed or conn.broken:  # PostgreSQL restarted, the network cut: a new one next time
                self.opened.discard(conn)
                await conn.close()
            else:
                self.idle.append(conn)
        finally:
            self.turns.release()

    def forget(self) -> None:
        for conn in self.opened:
            conn.pgconn.finish()
        self.opened.clear()
        self.idle.clear()


# A server process has one loop; each test has a loop of its own (``forget_loop_connections``).
_loops: dict[asyncio.AbstractEventLoop, _LoopConnections] = {}


def loop_connection_available() -> bool:
    """Whether ``aread`` and ``awrite`` may be tried: on PostgreSQL, in an event loop."""
    return connection.vendor == "postgresql" and settings.TONGXIN_LOOP_CONNECTIONS > 0


async def _connect() -> psycopg.AsyncConnection:
    # Django's own parameters (the database, its user, the adapters), with a client-side binding
    # cursor: several statements may then go out as one text.
    params = connection.get_connection_params()
    params["cursor_factory"] = psycopg.AsyncClientCursor
    params.pop("prepare_threshold", None)
    conn = await psycopg.AsyncConnection.connect(**params, autocommit=True)
    try:
        if conn.info.parameter_status("TimeZone") != "UTC":
            await conn.execute("SET TIME ZONE 'UTC'")  # as Django's connections (USE_TZ)
    except BaseException:
        await conn.close()
        raise
    return conn


def _connections() -> _LoopConnections:
    loop = asyncio.get_running_loop()
    connections = _loops.get(loop)
    if connections is None:
        connections = _loops[loop] = _LoopConnections(settings.TONGXIN_LOOP_CONNECTIONS)
    return connections


async def _run(sql: str, params: Sequence) -> list[list[tuple]]:
    connections = _connections()
    conn = await connections.take()
    if loop_statements is not None:
        loop_statements.append(sql)
    try:
        cursor = conn.cursor()
        await cursor.execute(sql, params)
        results = [await cursor.fetchall()]
        while cursor.nextset():
            results.append(await cursor.fetchall())
        return results
    finally:
        await connections.give_back(conn)


async def aread(statements: Sequence[Statement]) -> list[list[tuple]]:
    """``together`` on one of the event loop's connections: the reads in one trip, their rows in
    order."""
    return await _run(";\n".join(sql for sql, _ in statements), [p for _, params in statements for p in params])


async def awrite(statement: Statement) -> list[tuple]:
    """One writing statement on one of the event loop's connections (autocommit: it is its own
    transaction); the rows it returns."""
    sql, params = statement
    (rows,) = await _run(sql, params)
    return rows


def loop_backend_pids() -> list[int]:
    """The PostgreSQL backends of the loops' idle connections (tests: to end them)."""
    return [conn.info.backend_pid for connections in _loops.values() for conn in connections.idle]


def forget_loop_connections() -> None:
    """Close every loop's connections from outside its loop (tests: each test has a loop of its
    own, gone when the test ends; the test database could not be dropped while they are open)."""
    for connections in _loops.values():
        connections.forget()
    _loops.clear()
