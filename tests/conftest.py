"""Shared fixtures: the conformance corpus and the PostgreSQL test server.

Both are external resources. Outside CI a test that needs one skips with a reason when it is
absent; under ``CI=true`` it fails loudly instead, so a missing service can never pass as green.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
import sqlalchemy as sa

from medtrace.store.engine import create_store_engine

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFORMANCE_DIR = REPO_ROOT.parent / "shared" / "conformance"
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"


def in_ci() -> bool:
    """Whether we run under CI (``CI=true``), where absent resources are failures."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(condition: bool, reason: str) -> None:
    """Skip the calling test (fail under CI) unless ``condition`` holds."""
    if condition:
        return
    if in_ci():
        pytest.fail(f"required test resource missing under CI=true: {reason}", pytrace=False)
    pytest.skip(reason)


def conformance_path() -> Path:
    """The conformance corpus: ``MEDTRACE_CONFORMANCE_DIR`` or ``../shared/conformance``."""
    configured = os.environ.get("MEDTRACE_CONFORMANCE_DIR")
    return Path(configured) if configured else DEFAULT_CONFORMANCE_DIR


@pytest.fixture(scope="session")
def conformance_dir() -> Path:
    """The third-party conformance corpus, read in place (never copied into the project)."""
    path = conformance_path()
    require(
        (path / "README.md").is_file(),
        f"conformance corpus not found at {path} (set MEDTRACE_CONFORMANCE_DIR)",
    )
    return path


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """URL of the PostgreSQL test server: ``MEDTRACE_TEST_POSTGRES_URL`` or the local default."""
    url = os.environ.get("MEDTRACE_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    require(_reachable(url), f"PostgreSQL not reachable at {url} (set MEDTRACE_TEST_POSTGRES_URL)")
    return url


#: Store-backed tests run on both backends; the PostgreSQL ones carry the ``postgres`` marker.
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
    """A fresh, empty database for ``backend``.

    SQLite: a file in ``tmp_path``. PostgreSQL: a new schema on the test server, selected with
    ``?search_path=`` (so the URL also works in child processes), dropped afterwards.
    """
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'medtrace.sqlite'}"
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
