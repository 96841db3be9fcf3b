"""Plain SQL through the driver, for the hot paths of capture and the item-state projection.

SQLAlchemy Core builds, caches and compiles a statement on every call (an ``in_()`` list is
coerced value by value); on the many small queries of a capture that costs more than the
queries themselves. The helpers here send fixed SQL text through the DBAPI connection under a
SQLAlchemy :class:`~sqlalchemy.engine.Connection` — the same connection, so the same
transaction: ``?`` markers for ``sqlite3``, ``%s`` for psycopg 3.

Table and column names in the SQL text come from schema constants, never from values; values
are always bound parameters. Lists of keys are bound as one array on PostgreSQL
(``= ANY(%s::bigint[])``, one statement whatever their number) and as chunks of
``IN (?, …)`` on SQLite (at most :data:`CHUNK` markers per statement).

Read sequences (:data:`Reads`): a function whose reads depend on each other's results (the
verification responder: who answers, the item, then its persistent dispositions) is written
once as a generator that yields ``(sql, params)`` and is sent the rows back, without any I/O
of its own; :func:`run_reads` runs it on a connection here, and
:meth:`medtrace.store.loop_pg.LoopPostgres.run` on the event loop's own PostgreSQL connections.

Bulk inserts on SQLite (:func:`sqlite_insert`) send many rows per ``INSERT`` statement: SQLite
does the set-up of an ``INSERT`` (its program, and a cursor on the table and on each of its
indexes) once per execution, so a ``VALUES (…), (…), …`` list of rows shares it. On PostgreSQL
they are ``COPY``, in the binary format where the table's column types allow it
(:func:`pg_copy`).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import lru_cache
from itertools import chain
from typing import Any, Final, Literal, TypeAlias, TypeVar

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection

__all__ = [
    "CHUNK",
    "ROWS_PER_INSERT",
    "ArrayType",
    "Read",
    "Reads",
    "Rows",
    "driver",
    "execute",
    "execute_many",
    "execute_named",
    "execute_planned_once",
    "marker",
    "pg_array",
    "pg_copy",
    "run_reads",
    "run_reads_with",
    "select_in",
    "sqlite_insert",
    "sqlite_insert_flat",
]

#: Markers per ``IN (…)`` list on SQLite (below the historical 999-variable limit).
CHUNK: Final = 900
#: Rows per multi-row ``INSERT`` on SQLite (fewer when they would need more than
#: :data:`CHUNK` markers). Measured here: ~100 rows per statement take 15-20 % off the inserts.
ROWS_PER_INSERT: Final = 100

ArrayType = Literal["bigint", "text"]
"""The PostgreSQL array type that a list of keys is bound as."""

_T = TypeVar("_T")
Read: TypeAlias = tuple[str, Sequence[object]]
"""One statement of a read sequence: SQL with ``{m}`` markers, and its parameters."""
Rows: TypeAlias = list[tuple[Any, ...]]
Reads: TypeAlias = Generator[Read, Rows, _T]
"""A read sequence (module docstring): yields :data:`Read`, is sent its rows, returns a value."""


def driver(conn: Connection) -> Any:
    """The DBAPI connection under ``conn`` (sqlite3 or psycopg), inside ``conn``'s transaction."""
    raw = conn.connection.driver_connection
    if raw is None:  # pragma: no cover - a checked-out connection always has one
        raise RuntimeError("no DBAPI connection")
    return raw


def marker(conn: Connection) -> str:
    """The parameter marker of the driver: ``?`` (sqlite3) or ``%s`` (psycopg)."""
    return "?" if conn.dialect.name == "sqlite" else "%s"


@contextmanager
def _cursor(conn: Connection, sql: str) -> Iterator[Any]:
    """A driver cursor whose errors surface as SQLAlchemy's (``IntegrityError``,
    ``OperationalError``, …), as if the statement had gone through SQLAlchemy."""
    cursor = driver(conn).cursor()
    try:
        yield cursor
    except conn.dialect.loaded_dbapi.Error as error:
        raise sa_exc.DBAPIError.instance(
            sql, None, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error
    finally:
        cursor.close()


def execute(conn: Connection, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    """Run ``sql`` (``{m}`` stands for the driver's marker) with ``params``; its rows."""
    text = sql.format(m=marker(conn))
    with _cursor(conn, text) as cursor:
        cursor.execute(text, tuple(params))
        return list(cursor.fetchall()) if cursor.description is not None else []


def run_reads(conn: Connection, reads: Reads[_T]) -> _T:
    """Run the read sequence ``reads`` on ``conn`` (:func:`execute` for each read); its value."""
    return run_reads_with(lambda: nullcontext(conn), reads)


def run_reads_with(
    connect: Callable[[], AbstractContextManager[Connection]], reads: Reads[_T]
) -> _T:
    """Run ``reads`` on a connection of ``connect``, opened only once it reads: a sequence
    that fails its own checks first, or needs no read, never opens one."""
    try:
        read = next(reads)
    except StopIteration as done:
        first: _T = done.value
        return first
    with connect() as conn:
        try:
            while True:
                read = reads.send(execute(conn, *read))
        except StopIteration as done:
            result: _T = done.value
            return result


def execute_named(conn: Connection, sql: str, params: Mapping[str, object]) -> list[Any]:
    """Run ``sql`` written in the driver's own named style (sqlite3 ``:name``, psycopg
    ``%(name)s``) with ``params``; its rows."""
    with _cursor(conn, sql) as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if cursor.description is not None else []


def execute_planned_once(conn: Connection, sql: str, params: Mapping[str, object]) -> list[Any]:
    """:func:`execute_named` for a statement that is planned the same for every value of its
    parameters (its fixed values written into it): on PostgreSQL prepared at its first execution
    on the connection and planned that once (a generic plan, PostgreSQL documentation §20.7.2
    ``plan_cache_mode``; ``SET LOCAL``: the rest of the transaction only).

    By default psycopg prepares a statement at its sixth execution on a connection and the
    server plans the prepared statement afresh for five more before it settles on a generic
    plan: for an organization's ``MATCH_anyEPC`` query on PostgreSQL (its visibility condition
    ~15 KB of SQL) each of those ~11 executions per pooled connection spent 20 to 45 ms
    planning, then ~1 ms. Here only the first one does. On SQLite it is :func:`execute_named`
    (sqlite3 keeps its compiled statements anyway).

    The ``SET LOCAL``, the statement (and the ``BEGIN`` of the transaction, when this is its
    first statement) travel in one pipeline (PostgreSQL documentation §34.5, psycopg's
    ``Connection.pipeline``): one round trip to the server instead of three. On a lightly
    loaded virtual machine a round trip to a server process that has gone idle costs ~0.3 ms.
    """
    if conn.dialect.name != "postgresql":
        return execute_named(conn, sql, params)
    raw = driver(conn)
    with _cursor(conn, sql) as cursor:
        with raw.pipeline():  # its end sends both and waits for the results
            raw.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor.execute(sql, params, prepare=True)
        return list(cursor.fetchall()) if cursor.description is not None else []


def execute_many(conn: Connection, sql: str, rows: Sequence[Sequence[object]]) -> None:
    """Run ``sql`` (``{m}`` stands for the driver's marker) once per row of ``rows``."""
    text = sql.format(m=marker(conn))
    with _cursor(conn, text) as cursor:
        cursor.executemany(text, rows)


def select_in(
    conn: Connection,
    sql: str,
    values: Sequence[object],
    array: ArrayType,
    params: Sequence[object] = (),
) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` for every value of ``values`` (none for no values, or no result).

    ``sql`` holds ``{m}`` for the driver's marker of each of ``params`` (bound first) and one
    ``{in}`` after the column compared with ``values``: ``WHERE id {in}`` becomes
    ``WHERE id = ANY(%s::bigint[])`` on PostgreSQL and ``WHERE id IN (?, ?, …)`` on SQLite.
    """
    rows: list[tuple[Any, ...]] = []
    if not values:
        return rows
    with _cursor(conn, sql) as cursor:
        if conn.dialect.name == "sqlite":
            for start in range(0, len(values), CHUNK):
                chunk = values[start : start + CHUNK]
                text = sql.format(m="?", **{"in": f"IN ({', '.join(['?'] * len(chunk))})"})
                cursor.execute(text, (*params, *chunk))
                if cursor.description is not None:
                    rows.extend(cursor.fetchall())
        else:
            text = sql.format(m="%s", **{"in": f"= ANY(%s::{array}[])"})
            cursor.execute(text, (*params, pg_array(values, array)))
            if cursor.description is not None:
                rows.extend(cursor.fetchall())
    return rows


def pg_array(values: Sequence[object], array: ArrayType) -> object:
    """``values`` as the parameter of a ``%s::bigint[]`` / ``%s::text[]`` cast on PostgreSQL.

    The array's text literal (PostgreSQL §8.15.6, array input syntax) made with a few C-level
    joins when that is safe: every value an ``int`` (``bigint``), or no value containing ``"``
    or ``\\`` (``text``: each one double-quoted, so commas, braces, blanks and the word NULL
    stay data). psycopg's own list dumper handles every other case, value by value in Python:
    on a 1 MB capture's 7k identifier keys it was about 7% of the capture's client CPU.
    """
    if array == "bigint":
        if all(type(value) is int for value in values):
            return "{" + ",".join(map(str, values)) + "}"
        return list(values)
    try:
        plain = "".join(values)  # type: ignore[arg-type]
    except TypeError:  # not all of them are str
        return list(values)
    if '"' in plain or "\\" in plain:
        return list(values)
    return '{"' + '","'.join(values) + '"}' if values else "{}"  # type: ignore[arg-type]


#: The PostgreSQL type of a column type whose Python values psycopg's binary dumpers take as
#: they come (``int``, ``str``, ``bool``, ``bytes``), most specific first. ``NUMERIC`` columns
#: (:class:`medtrace.store.schema.DecimalNumber`) are not among them: their binary dumper takes
#: only ``Decimal``.
_PG_BINARY: Final[tuple[tuple[type[sa.types.TypeEngine[Any]], str], ...]] = (
    (sa.BigInteger, "int8"),
    (sa.SmallInteger, "int2"),
    (sa.Integer, "int4"),
    (sa.Boolean, "bool"),
    (sa.LargeBinary, "bytea"),
    (sa.Text, "text"),
)


@lru_cache(maxsize=64)
def _pg_copy_plan(table: sa.Table, into: str) -> tuple[str, tuple[str, ...] | None]:
    """The ``COPY`` statement of ``table``'s columns into ``into``, and their binary types
    (``None``: a column needs the text format)."""
    names = ", ".join(column.name for column in table.columns)
    types: list[str] = []
    for column in table.columns:
        found = next((name for kind, name in _PG_BINARY if isinstance(column.type, kind)), None)
        if found is None:
            return f"COPY {into} ({names}) FROM STDIN", None
        types.append(found)
    return f"COPY {into} ({names}) FROM STDIN (FORMAT BINARY)", tuple(types)


def pg_copy(
    cursor: Any, table: sa.Table, rows: Sequence[Sequence[object]], *, into: str | None = None
) -> None:
    """``COPY`` ``rows`` (values in the column order of ``table``) through a psycopg cursor
    into ``into`` (default: ``table`` itself; a temporary table of the same columns).

    In the binary format (PostgreSQL §COPY, binary format) when every column is of a type of
    :data:`_PG_BINARY`: psycopg then writes each value's bytes as they are, where the text
    format escapes every value (and hex-encodes ``bytea``): 6.8k rows shaped like a 1 MB
    capture's ``item_state`` rows took 19 ms of client CPU as text and 8.5 ms as binary here,
    and the server's ``COPY event`` of a 1 MB capture (its bodies) about a third less time
    (docs/benchmarks.md, store_capture). A value must then be of its column's Python type
    (``int``, ``str``, ``bool``, ``bytes``; ``None`` for NULL), as the capture's rows are.
    """
    sql, types = _pg_copy_plan(table, into or table.name)
    with cursor.copy(sql) as copy:
        if types is not None:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


@lru_cache(maxsize=256)
def _insert_sql(head: str, width: int, rows: int) -> str:
    row = f"({', '.join(['?'] * width)})"
    return f"{head} VALUES {', '.join([row] * rows)}"


def sqlite_insert(cursor: Any, head: str, width: int, rows: Sequence[Sequence[object]]) -> None:
    """Insert ``rows`` through a ``sqlite3`` cursor, many rows per statement.

    ``head`` is ``INSERT INTO table (columns)`` (names from schema constants) and every row has
    ``width`` values in that column order. Full statements of :data:`ROWS_PER_INSERT` rows (or
    as many as :data:`CHUNK` markers allow) go as one ``executemany``; the rows left over go one
    per execution. The rows are inserted in their order, as by ``executemany`` row by row.
    """
    per = max(1, min(ROWS_PER_INSERT, CHUNK // width))
    full = len(rows) - len(rows) % per
    if full:
        groups = (tuple(chain.from_iterable(rows[at : at + per])) for at in range(0, full, per))
        cursor.executemany(_insert_sql(head, width, per), groups)
    if full < len(rows):
        cursor.executemany(_insert_sql(head, width, 1), rows[full:])


def sqlite_insert_flat(cursor: Any, head: str, width: int, values: Sequence[object]) -> None:
    """:func:`sqlite_insert` of rows given as one flat sequence of values, row after row.

    A caller that builds many rows of a few values (``event_epc``) writes them straight into
    one list instead of making a tuple per row that :func:`sqlite_insert` then copies into the
    statement's parameters: each statement's parameters are one slice of ``values``.
    """
    if len(values) % width:
        raise ValueError(f"{len(values)} values are no whole number of rows of {width}")
    per = max(1, min(ROWS_PER_INSERT, CHUNK // width))
    step = per * width
    full = len(values) - len(values) % step
    if full:
        params = (values[at : at + step] for at in range(0, full, step))
        cursor.executemany(_insert_sql(head, width, per), params)
    if full < len(values):
        rest = (values[at : at + width] for at in range(full, len(values), width))
        cursor.executemany(_insert_sql(head, width, 1), rest)
