"""The fast path of ``GET /verify/...`` (:mod:`medtrace.api.vrs_fast`), SQLite and PostgreSQL.

Every request is sent twice to the whole application (``create_app``, real API keys): once with
the fast path in front, once with it switched off (the framework's handler answers). The two
answers must be the same (status, headers, body; only the time stamp of the answer differs),
each answer must leave exactly one audit row, and the fast path must have answered exactly the
ordinary requests and declined the rest before doing anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.verify.test_responder import (
    CHAIN,
    CHAIN_GLNS,
    GTIN,
    OTHER_GTIN,
    PHARMACY,
    PHARMACY_GLN,
    store,
)

from medtrace.api.app import MedtraceApp, create_app
from medtrace.api.settings import ApiSettings
from medtrace.api.vrs import services_of
from medtrace.api.vrs_fast import FastVerify
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_api_key
from medtrace.verify import audit
from medtrace.verify.audit_writer import LoopAuditWriter, PostgresLoopAuditWriter

__all__ = ["store"]  # the module-scoped store of the responder tests (SQLite, PostgreSQL)


@dataclass
class Served:
    app: MedtraceApp
    client: TestClient[MedtraceApp]
    repo: Repository
    keys: dict[str, str]
    answered_fast: list[bool]


@pytest.fixture(scope="module")
def served(store: Repository, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    keys = {
        principal.org_id: create_api_key(store.engine, principal.org_id, name="fast")[1]
        for principal in (PHARMACY, CHAIN)
    }
    spool = Path(tmp_path_factory.mktemp("spool"))
    settings = ApiSettings(
        db=store.engine.url.render_as_string(hide_password=False), spool_dir=spool
    )
    app = create_app(settings, repository=store)
    fast = app.fast_verify
    assert isinstance(fast, FastVerify)
    answered: list[bool] = []
    handle = fast.handle

    async def spy(scope: Any, send: Any) -> bool:
        result = await handle(scope, send)
        answered.append(result)
        return result

    fast.handle = spy  # type: ignore[method-assign]
    with TestClient(app) as client:
        yield Served(app, client, store, keys, answered)


def _corr() -> str:
    return str(uuid.uuid4())


def _audit_rows(repo: Repository, corr_uuid: str) -> int:
    with repo.engine.connect() as conn:
        return sum(
            1 for row in audit.list_records(conn, limit=10_000) if row.corr_uuid == corr_uuid
        )


def _ask(served: Served, path: str, headers: dict[str, str], *, fast: bool) -> Any:
    saved = served.app.fast_verify
    if not fast:
        served.app.fast_verify = None
    try:
        served.answered_fast.clear()
        response = served.client.get(path, headers=headers)
    finally:
        served.app.fast_verify = saved
    return response, list(served.answered_fast)


def _comparable(response: Any, corr_uuid: str) -> tuple[int, dict[str, str], Any]:
    """Status, headers and body, without what differs between two answers (the time stamp,
    the ``date`` header; the ``corrUUID`` each request sent is checked, then blanked)."""
    headers = {k: v for k, v in response.headers.items() if k.lower() != "date"}
    body = response.json()
    if response.status_code == 200:
        assert body.pop("corrUUID") == corr_uuid
        body.pop("verificationTimestamp")
    return response.status_code, headers, body


_QUERY = "linkType=verificationService&context=dscsaSaleableReturn"
#: (case, path without query, extra query, who asks, whether the fast path answers it)
CASES = [
    (
        "genuine",
        f"/verify/01/{GTIN}/10/L1/21/OK",
        f"exp=491231&reqGLN={PHARMACY_GLN}",
        "pharm",
        True,
    ),
    ("short names", f"/verify/gtin/{GTIN}/lot/L1/ser/OK", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    ("recalled pack", f"/verify/01/{GTIN}/10/L1/21/REC", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    ("lot recall", f"/verify/01/{GTIN}/10/LR/21/LOT", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    ("wrong lot", f"/verify/01/{GTIN}/10/XX/21/OK", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    (
        "wrong expiry",
        f"/verify/01/{GTIN}/10/L1/21/OK",
        f"exp=300101&reqGLN={PHARMACY_GLN}",
        "pharm",
        True,
    ),
    ("unknown serial", f"/verify/01/{GTIN}/21/NOPE", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    ("expired", f"/verify/01/{GTIN}/10/L0/21/OLD", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    ("dispensed", f"/verify/01/{GTIN}/21/DIS", f"reqGLN={PHARMACY_GLN}", "pharm", True),
    ("GLN left out (one GLN)", f"/verify/01/{GTIN}/21/OK", "", "pharm", True),
    (
        "chain, one of its GLNs",
        f"/verify/01/{GTIN}/21/OK",
        f"reqGLN={min(CHAIN_GLNS)}",
        "chain",
        True,
    ),
    # declined: the application answers (problems, refusals)
    ("chain without reqGLN", f"/verify/01/{GTIN}/21/OK", "", "chain", False),
    (
        "reqGLN of another org",
        f"/verify/01/{GTIN}/21/OK",
        f"reqGLN={min(CHAIN_GLNS)}",
        "pharm",
        False,
    ),
    (
        "bad check digit",
        "/verify/01/00312345678907/21/OK",
        f"reqGLN={PHARMACY_GLN}",
        "pharm",
        False,
    ),
    (
        "no responder for GTIN",
        f"/verify/01/{OTHER_GTIN}/21/X1",
        f"reqGLN={PHARMACY_GLN}",
        "pharm",
        False,
    ),
    ("bad percent-encoding", f"/verify/01/{GTIN}/21/%ZZ", f"reqGLN={PHARMACY_GLN}", "pharm", False),
    (
        "unknown linkType",
        f"/verify/01/{GTIN}/21/OK",
        f"reqGLN={PHARMACY_GLN}&linkType=gs1:pip",
        "pharm",
        False,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_fast_and_framework_answers_are_the_same(
    served: Served, case: tuple[str, str, str, str, bool]
) -> None:
    _, path, query, who, fast = case
    headers = {"Authorization": f"Bearer {served.keys[who]}"}
    answers = []
    for use_fast in (True, False):
        # the key is in the (1 s) cache now: a cheap authenticated request right before, so that
        # a slow machine cannot let the entry expire in between
        assert served.client.get("/", headers=headers).status_code == 200
        corr = _corr()
        link_type = "" if "linkType" in query else f"&{_QUERY}"
        params = "&".join(part for part in (query, f"corrUUID={corr}") if part) + link_type
        response, answered = _ask(served, f"{path}?{params}", headers, fast=use_fast)
        assert answered == ([fast] if use_fast else [])
        # one audit row per answer (a refusal is recorded too), none for a malformed request
        assert _audit_rows(served.repo, corr) == (response.status_code in (200, 404)), response.text
        answers.append(_comparable(response, corr))
    assert answers[0] == answers[1]


def test_x_api_key_header_and_check_connectivity_take_the_fast_path(served: Served) -> None:
    headers = {"X-API-Key": served.keys["pharm"]}
    assert served.client.get("/", headers=headers).status_code == 200  # key cached
    path = f"/verify/01/{GTIN}/21/OK?linkType=checkConnectivity&reqGLN={PHARMACY_GLN}"
    fast, answered = _ask(served, path, headers, fast=True)
    slow, _ = _ask(served, path, headers, fast=False)
    assert answered == [True]
    assert fast.status_code == slow.status_code == 200
    assert fast.headers.keys() == slow.headers.keys()
    assert fast.json().keys() == slow.json().keys()
    assert fast.json()["responderGLN"] == slow.json()["responderGLN"]


def test_a_key_not_yet_seen_and_a_missing_credential_go_to_the_application(
    served: Served, store: Repository
) -> None:
    fresh = create_api_key(store.engine, PHARMACY.org_id, name="fresh")[1]
    path = f"/verify/01/{GTIN}/21/OK?reqGLN={PHARMACY_GLN}"
    first, answered = _ask(served, path, {"Authorization": f"Bearer {fresh}"}, fast=True)
    assert first.status_code == 200 and answered == [False]  # authenticated by the middleware
    second, answered = _ask(served, path, {"Authorization": f"Bearer {fresh}"}, fast=True)
    assert second.status_code == 200 and answered == [True]  # now from the key cache
    missing, answered = _ask(served, path, {}, fast=True)
    assert missing.status_code == 401 and answered == [False]


def test_the_fast_path_reads_and_records_on_the_event_loop(served: Served) -> None:
    """SQLite: the loop's held connection and group commit; PostgreSQL: the loop's own
    connections (:class:`LoopPostgres`) for the reads and the audit rows, no worker thread."""
    services = services_of(served.app.state)
    if served.repo.engine.dialect.name == "sqlite":
        assert services.held is not None and isinstance(services.loop_writer, LoopAuditWriter)
        assert services.pg is None
        return
    assert services.held is None and services.pg is not None
    assert isinstance(services.loop_writer, PostgresLoopAuditWriter)
    pg = services.pg
    calls: list[str] = []
    run, execute = pg.run, pg.execute

    async def spy_run(reads: Any) -> Any:
        calls.append("run")
        return await run(reads)

    async def spy_execute(sql: str, params: Any) -> None:
        calls.append("write")
        await execute(sql, params)

    headers = {"Authorization": f"Bearer {served.keys[PHARMACY.org_id]}"}
    assert served.client.get("/", headers=headers).status_code == 200  # key cached
    corr = _corr()
    path = f"/verify/01/{GTIN}/10/L1/21/OK?reqGLN={PHARMACY_GLN}&corrUUID={corr}"
    pg.run, pg.execute = spy_run, spy_execute  # type: ignore[method-assign]
    try:
        response, answered = _ask(served, path, headers, fast=True)
    finally:
        del pg.run, pg.execute  # back to the class's methods
    assert response.status_code == 200 and answered == [True]
    assert calls == ["run", "write"]
    assert _audit_rows(served.repo, corr) == 1
