"""How often PostgreSQL planned the prepared statements of a connection (tests of plan caching)."""

from __future__ import annotations

import sqlalchemy as sa


def plans(conn: sa.Connection, like: str) -> tuple[int, int]:
    """``(generic plans, custom plans)`` summed over the connection's prepared statements whose
    text matches the ``LIKE`` pattern ``like`` (``pg_prepared_statements``, PostgreSQL 14+)."""
    row = conn.execute(
        sa.text(
            "SELECT coalesce(sum(generic_plans), 0), coalesce(sum(custom_plans), 0) "
            "FROM pg_prepared_statements WHERE statement LIKE :like"
        ),
        {"like": like},
    ).one()
    return int(row[0]), int(row[1])
