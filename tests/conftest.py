"""Shared fixtures: the conformance corpus and the PostgreSQL test server.

Both are external resources. Outside CI a test that needs one skips with a reason when it is
absent; under ``CI=true`` it fails loudly instead, so a missing service can never pass as green.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from urllib.parse import urlsplit

import pytest

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
