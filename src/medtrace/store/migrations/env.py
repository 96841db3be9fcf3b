"""Alembic environment: always online, on the connection handed over by ``migrations.upgrade``.

Alembic executes this file itself; importing it elsewhere (e.g. doctest collection) does nothing.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from medtrace.store.schema import metadata


def run(connection: Connection) -> None:
    """Run the pending migrations on ``connection`` (its transaction belongs to the caller)."""
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    """Entry point when alembic runs this script."""
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise TypeError(
            "medtrace migrations run programmatically: use medtrace.store.migrations.upgrade()"
        )
    run(connection)


if hasattr(context, "config"):
    main()
