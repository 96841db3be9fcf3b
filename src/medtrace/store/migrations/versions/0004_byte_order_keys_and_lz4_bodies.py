"""Identifier keys compared byte by byte, event bodies compressed with LZ4 (PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 03:00:00.000000

PostgreSQL only (SQLite compares ``TEXT`` byte by byte already and has no TOAST):

* ``epc.uri``, ``event.event_id`` and ``event.event_hash`` become ``TEXT COLLATE "C"``
  (:data:`medtrace.store.schema.Key`): EPC pattern queries (prefix ``LIKE``) use the ``epc.uri``
  index instead of scanning the table, and key lookups and inserts compare bytes instead of
  going through the C library's collation. PostgreSQL rebuilds the three unique indexes: on a
  store of 100M keys this takes minutes, under an exclusive lock.
* ``event.body`` is compressed with LZ4 where the server supports it (PostgreSQL 14+ built
  with ``--with-lz4``): the bodies (~2.5 kB of JSON each) were compressed with PGLZ, which cost
  a 1 MB capture ~8 ms of server time more (26.5 → 18.5 ms for its ``COPY event``). Bodies
  stored before keep their compression; PostgreSQL reads both.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None

_KEYS = (("epc", "uri"), ("event", "event_id"), ("event", "event_hash"))


def _lz4_available() -> bool:
    found = op.get_bind().execute(
        sa.text(
            "SELECT 1 FROM pg_settings "
            "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
        )
    )
    return found.first() is not None


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in _KEYS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "C"')
    if _lz4_available():
        op.execute("ALTER TABLE event ALTER COLUMN body SET COMPRESSION lz4")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    if _lz4_available():
        op.execute("ALTER TABLE event ALTER COLUMN body SET COMPRESSION pglz")
    for table, column in _KEYS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} TYPE text COLLATE "default"')
