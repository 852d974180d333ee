"""Set-based writes the ORM has no word for: INSERT … SELECT, so that fan-out to many recipients
is one statement resolved inside the database, with no rows travelling through Python."""

from django.db import connection
from django.db.models import QuerySet


def insert_select(
    table: str, columns: list[str], constants: list, select: QuerySet, *, on_conflict: bool = True
) -> int:
    """INSERT INTO table (columns) SELECT constants…, sub.* FROM (select) ON CONFLICT DO NOTHING.

    ``select`` yields one column, the last of ``columns``; the constants fill the others. Unique
    constraints plus DO NOTHING make it idempotent. A caller that already excludes existing rows
    itself (an anti-join, under a lock) may drop ON CONFLICT, which costs PostgreSQL a probe per
    row. Returns the number of rows inserted."""
    select_sql, select_params = select.query.sql_with_params()
    quote = connection.ops.quote_name
    cols = ", ".join(quote(c) for c in columns)
    placeholders = ", ".join(["%s"] * len(constants))
    # Table and column names come from model meta and are quoted; every value is a bound parameter.
    # "WHERE true" keeps SQLite from reading ON CONFLICT as part of the SELECT.
    sql = (
        f"INSERT INTO {quote(table)} ({cols}) SELECT {placeholders}, sub.* FROM ({select_sql}) sub "  # noqa: S608
        "WHERE true" + (" ON CONFLICT DO NOTHING" if on_conflict else "")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*constants, *select_params])
        return cursor.rowcount
