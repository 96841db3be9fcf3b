"""Store fixtures: every store test runs on SQLite and on PostgreSQL.

* ``backend`` — ``"sqlite"`` or ``"postgres"`` (parametrized).
* ``db_url`` — a fresh, empty database location for that backend: a SQLite file under
  ``tmp_path``, or a fresh PostgreSQL schema ``t_<uuid>`` (selected through the medtrace URL
  parameter ``?search_path=``, so the URL works in subprocesses too) dropped afterwards.
* ``engine`` — a store engine on ``db_url`` with the schema migrated to the newest revision.
* ``repo`` — an open :class:`medtrace.store.repository.Repository` on ``db_url``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from medtrace.store import migrations
from medtrace.store.engine import create_store_engine
from medtrace.store.repository import Repository

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _with_search_path(url: str, schema: str) -> str:
    parts = urlsplit(url)
    query = f"{parts.query}&search_path={schema}" if parts.query else f"search_path={schema}"
    return urlunsplit(parts._replace(query=query))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The backend under test."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database for ``backend``."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    server: str = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_store_engine(server)
    try:
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        yield _with_search_path(server, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


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
