"""HTTP fixtures: the whole application (``create_app``) on SQLite and on PostgreSQL.

* ``backend`` / ``db_url`` — a fresh database per test (SQLite file or PostgreSQL schema).
* ``api`` — an :class:`Api`: a running application (lifespan, capture worker) with a
  TestClient and API keys of five organizations: ``admin`` (the default actor of the helpers),
  ``operator`` (GLN 0614141000005), ``partner`` (another operator), ``auditor`` and
  ``regulator``.
* ``api_factory`` — builds an ``Api`` with other settings (limits, worker off).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from medtrace.api.app import create_app
from medtrace.api.settings import ApiSettings
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_api_key, create_organization

OPERATOR_GLN = "0614141000005"


@dataclass
class Api:
    """A running application with its client and the tokens of the test organizations."""

    client: TestClient[Litestar]
    repo: Repository
    settings: ApiSettings
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, who: str = "admin", **headers: str) -> dict[str, str]:
        """Request headers acting for ``who`` (plus ``headers``, ``_`` → ``-``)."""
        found = {name.replace("_", "-"): value for name, value in headers.items()}
        return {"Authorization": f"Bearer {self.tokens[who]}", **found}

    def wait_job(self, location: str, who: str = "admin") -> dict[str, Any]:
        """Poll a capture job until it has finished; its final resource."""
        for _ in range(3000):
            response = self.client.get(location, headers=self.auth(who))
            assert response.status_code == 200, response.text
            job: dict[str, Any] = response.json()
            if not job["running"]:
                return job
            time.sleep(0.01)
        raise AssertionError(f"capture job {location} did not finish")

    def capture(
        self, body: bytes, content_type: str, who: str = "admin", **headers: str
    ) -> dict[str, Any]:
        """POST /capture and wait for the job; the finished job resource."""
        response = self.client.post(
            "/capture",
            content=body,
            headers=self.auth(who, Content_Type=content_type, **headers),
        )
        assert response.status_code == 202, response.text
        return self.wait_job(response.headers["location"], who)


def _organizations(repo: Repository) -> dict[str, str]:
    engine = repo.engine
    tokens: dict[str, str] = {}
    for name, role, glns in (
        ("operator", Role.OPERATOR, (OPERATOR_GLN,)),
        ("partner", Role.OPERATOR, ("0012345000058",)),
        ("auditor", Role.AUDITOR, ()),
        ("regulator", Role.REGULATOR, ()),
        ("admin", Role.ADMIN, ()),
    ):
        org = create_organization(engine, name=f"{name} org", role=role, glns=glns)
        tokens[name] = create_api_key(engine, org.org_id, name="tests")[1]
    return tokens


@pytest.fixture
def api_factory(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Api]]:
    """Build running applications on ``db_url`` (closed at the end of the test)."""
    opened: list[tuple[TestClient[Litestar], Repository]] = []

    def build(**overrides: Any) -> Api:
        settings = replace(ApiSettings(db=db_url, spool_dir=tmp_path / "spool"), **overrides)
        repo = Repository.open(db_url, create=True)
        tokens = _organizations(repo) if not opened else {}
        client = TestClient(create_app(settings, repository=repo))
        client.__enter__()
        opened.append((client, repo))
        return Api(client=client, repo=repo, settings=settings, tokens=tokens)

    yield build
    for client, repo in reversed(opened):
        client.__exit__(None, None, None)
        repo.close()


@pytest.fixture
def api(api_factory: Callable[..., Api]) -> Api:
    """The application with default settings."""
    return api_factory()
