"""Fewer trips to the database on a hot path (issue 19).

A chat message is stored on Channels' one thread for database work, and each trip to PostgreSQL
there is a wait, then a fight for the interpreter lock with the event loop that is delivering the
previous messages: under load a trip costs far more than its query. ``together`` sends several
statements in one trip: on PostgreSQL in psycopg's pipeline mode (the statements go out at once and
their results come back at once), elsewhere one after the other, with the same results. The
statements go through Django's cursors, so they are logged and counted like any other query.

``pipelined`` puts the connection in pipeline mode for a block of ORM work: statements whose results
are not read before the next one is sent (``BEGIN`` and an ``INSERT``; an ``UPDATE`` and the
``COMMIT`` of ``transaction.atomic``) share a trip. psycopg sends what is queued whenever a result
is needed, so the block behaves as without it, only with fewer trips, with two exceptions: an
``UPDATE``'s row count is not known there (-1), so nothing in the block may rely on ``update()``'s
return value or save a row that exists (``save()`` decides between UPDATE and INSERT by it)."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext

from django.db import connection

Statement = tuple[str, Sequence]


def in_pipeline() -> bool:
    raw = connection.connection
    return connection.vendor == "postgresql" and raw is not None and getattr(raw, "_pipeline", None) is not None


@contextmanager
def pipelined() -> Iterator[None]:
    """The block's statements in psycopg's pipeline mode on PostgreSQL, outside a transaction (as
    the chat socket stores a message). Nothing changes elsewhere: on other databases, when the
    connection already is in the mode, and inside a transaction, whose savepoint could not be
    rolled back through a pipeline that an error has aborted (a page or an API call that wraps
    its work in ``transaction.atomic``)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block or in_pipeline():
        yield
        return
    connection.ensure_connection()
    with connection.connection.pipeline():
        yield


def together(statements: Sequence[Statement]) -> list[list[tuple]]:
    """Run these reads, in one trip to the database where ``pipelined`` can (see the module's
    note); their rows, in order."""
    cursors = []
    try:
        with pipelined() if len(statements) > 1 else nullcontext():
            for sql, params in statements:
                cursor = connection.cursor()
                cursors.append(cursor)
                cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()
