"""Schema migrations (alembic), run programmatically: no ``alembic.ini`` is needed.

The scripts live in this package (``env.py``, ``versions/``) and ship in the wheel as package
data. :func:`upgrade` brings a database to the newest revision; :func:`current_revision`
tells where a database stands (``None`` for an empty one).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from medtrace.store.engine import write_transaction

__all__ = ["SCRIPT_LOCATION", "alembic_config", "current_revision", "head_revision", "upgrade"]

#: Directory holding ``env.py`` and ``versions/``.
SCRIPT_LOCATION: Final = Path(__file__).resolve().parent
#: PostgreSQL advisory lock serialising concurrent migrations ("mdbm" in ASCII).
_PG_MIGRATION_LOCK: Final = 0x6D64626D


def alembic_config(connection: Connection | None = None) -> Config:
    """An alembic ``Config`` built in code; ``connection`` is handed to ``env.py``."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision shipped with this version of medtrace."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships a revision
        raise RuntimeError(f"no migration revisions found under {SCRIPT_LOCATION}")
    return head


def current_revision(bind: Engine | Connection) -> str | None:
    """The revision the database is at, or ``None`` when it was never migrated."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    return MigrationContext.configure(bind).get_current_revision()


def upgrade(bind: Engine | Connection, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: the newest) in one transaction.

    Given an engine, the migration holds the writer lock (SQLite ``BEGIN IMMEDIATE``, a
    PostgreSQL advisory lock), so that processes opening a new database at once do not race.
    Given a connection, it runs in the caller's transaction.
    """
    if isinstance(bind, Engine):
        with write_transaction(bind) as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            command.upgrade(alembic_config(conn), revision)
        return
    command.upgrade(alembic_config(bind), revision)
