"""Planner statistics after bulk loads (PostgreSQL).

PostgreSQL plans from table statistics that ``ANALYZE`` gathers; autovacuum refreshes them only
after a delay (``autovacuum_naptime``, a minute by default). A capture that adds a large share
of a table's rows — the first files into a new store, a migration — leaves the planner
estimating with no statistics at all: it then took ``event_epc.epc_id = ANY(…)`` (a handful of
rows) for thousands and answered a chain-of-custody lookup with a parallel sequential scan of
``event`` (50 ms on 1M rows, growing with the table, instead of well under a millisecond).
:func:`refresh_after_load` runs ``ANALYZE`` on the store's index tables when a capture added at
least ``fraction`` of ``event_epc`` (by the planner's own row estimate, ``pg_class.reltuples``;
``-1`` before the first ``ANALYZE``). A SQLite store is never analysed: its queries are written
to plan well without statistics (see :func:`medtrace.store.visibility._aggregation`), and a
full ``ANALYZE`` of a 10M-row store takes seconds.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from medtrace.store.engine import is_sqlite

__all__ = ["ANALYZED_TABLES", "refresh_after_load"]

#: The tables whose statistics the read paths depend on.
ANALYZED_TABLES: Final = (
    "event",
    "event_epc",
    "epc",
    "item_state",
    "event_source_dest",
    "event_biz_transaction",
    "event_field",
)
#: Fewer new ``event_epc`` rows than this never trigger an ``ANALYZE`` (autovacuum suffices).
MINIMUM_ROWS: Final = 50_000


def refresh_after_load(
    engine: Engine, *, inserted_rows: int, fraction: float = 0.1, minimum: int = MINIMUM_ROWS
) -> bool:
    """``ANALYZE`` the index tables when ``inserted_rows`` new ``event_epc`` rows are a large
    share of the table; whether it ran. Best effort: a lock held by another ``ANALYZE`` or by
    autovacuum makes it give up after 200 ms (autovacuum is doing the work then)."""
    if is_sqlite(engine) or inserted_rows < minimum:
        return False
    with engine.connect() as conn:
        estimate = conn.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE oid = to_regclass('event_epc')")
        ).scalar()
        if (
            estimate is not None
            and float(estimate) > 0
            and inserted_rows < fraction * float(estimate)
        ):
            conn.rollback()
            return False
        try:
            conn.execute(sa.text("SET LOCAL lock_timeout = '200ms'"))
            conn.execute(sa.text("ANALYZE " + ", ".join(ANALYZED_TABLES)))
            conn.commit()
        except OperationalError:
            conn.rollback()
            return False
    return True
