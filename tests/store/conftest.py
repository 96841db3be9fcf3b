"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

* ``backend`` — ``"sqlite"`` or ``"postgres"`` (parametrized).
* ``db_url`` — a fresh, empty database location for that backend: a SQLite file under
  ``tmp_path``, or a fresh PostgreSQL schema ``t_<uuid>`` (selected through the medtrace URL
  parameter ``?search_path=``, so the URL works in subprocesses too) dropped afterwards.
* ``engine`` — a store engine on ``db_url`` with the schema migrated to the newest revision.
* ``repo`` — an open :class:`medtrace.store.repository.Repository` on ``db_url``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from medtrace.store import migrations
from medtrace.store.engine import create_store_engine
from medtrace.store.repository import Repository


@pytest.fixture
def engine(db_url: str) -> Iterator[sa.Engine]:
    """A store engine on ``db_url`` with the schema at the newest revision."""
    store_engine = create_store_engine(db_url)
    try:
        migrations.upgrade(store_engine)
        yield store_engine
    finally:
        store_engine.dispose()


@pytest.fixture
def repo(db_url: str) -> Iterator[Repository]:
    """An open repository on ``db_url`` (schema created)."""
    with Repository.open(db_url, create=True) as repository:
        yield repository
