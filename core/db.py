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

Everything goes through Django's cursors, so it is logged and counted like any other query."""

from collections.abc import Sequence

from django.db import connection
from django.db.models import Model
from django.db.models.sql import InsertQuery

Statement = tuple[str, Sequence]


def _binds_on_the_client() -> bool:
    if connection.vendor != "postgresql":
        return False
    import psycopg

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
    rows of the statement it is part of and sets it (``adopt_inserted``)."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    ((sql, params),) = compiler.as_sql()
    return sql, params


def adopt_inserted(obj: Model, pk: int) -> None:
    """``obj`` as ``save()`` leaves a new object: its primary key set, and saved in this database."""
    obj.pk = pk
    obj._state.adding = False
    obj._state.db = connection.alias
