"""``medtrace demo --no-serve`` on a tiny world; its printed examples run against the app.

The demo runs once per module (300 packs). The ``curl`` lines it prints are parsed and sent,
with the keys it printed, to ``create_app`` over the demo's database (Litestar's TestClient),
and the ``medtrace trace`` line is run through the root command.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
import typer
from litestar import Litestar
from litestar.testing import TestClient
from typer.testing import CliRunner

from medtrace.api.app import create_app
from medtrace.api.settings import ApiSettings
from medtrace.cli.demo import register
from medtrace.cli.main import app as root_app
from medtrace.demo import DemoPaths, clear_store
from medtrace.store.repository import Repository

runner = CliRunner()
app = typer.Typer()


@app.callback()
def _root() -> None:
    """A root with one group, as in ``medtrace``."""


register(app)

TINY = "300"
CURL = re.compile(r'^curl -s -H "Authorization: Bearer (\S+)" "http://127\.0\.0\.1:8000(/\S*)"$')


@dataclass(frozen=True)
class Run:
    """One finished ``medtrace demo --no-serve`` run."""

    directory: Path
    stdout: str

    @property
    def requests(self) -> list[tuple[str, str]]:
        """``(token, path)`` of every printed ``curl`` line, in order."""
        found = [CURL.match(line) for line in self.stdout.splitlines()]
        return [(match[1], match[2]) for match in found if match is not None]

    def line(self, prefix: str) -> str:
        """The first printed line that starts with ``prefix``."""
        return next(line for line in self.stdout.splitlines() if line.startswith(prefix))


def demo(directory: Path, *extra: str) -> Run:
    result = runner.invoke(
        app, ["demo", "--no-serve", "--scale", TINY, "--dir", str(directory), *extra]
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    return Run(directory, result.stdout)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    return demo(tmp_path_factory.mktemp("demo"))


@pytest.fixture(scope="module")
def client(run: Run) -> Iterator[TestClient[Litestar]]:
    settings = ApiSettings(db=str(run.directory / "medtrace.sqlite"), capture_worker=False)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def events(body: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return result


def genuine_verified(body: dict[str, Any]) -> bool:
    return bool(body["data"] == {"verified": True})


def counterfeit_refused(body: dict[str, Any]) -> bool:
    return body["data"]["verified"] is False and (
        body["data"]["verificationFailureReason"] == "No_match_GTIN_Serial"
    )


def recalled_flagged(body: dict[str, Any]) -> bool:
    return "Recalled" in body["data"].get("additionalInfo", [])


def trace_found(body: dict[str, Any]) -> bool:
    steps = [event.get("bizStep") for event in events(body)]
    return steps[0] == "commissioning" and "packing" in steps


def lot_found(body: dict[str, Any]) -> bool:
    found = events(body)
    return bool(found) and all(event["action"] == "ADD" for event in found)


def recall_found(body: dict[str, Any]) -> bool:
    [event] = events(body)
    return bool(event["persistentDisposition"] == {"set": ["recalled"]})


@pytest.mark.parametrize(
    ("index", "check"),
    [
        # 1: the genuine pack verifies (saleable return, lot and expiry match)
        (0, genuine_verified),
        # 2: the counterfeit serial was never commissioned
        (1, counterfeit_refused),
        # 3: a pack of the recalled lot is flagged Recalled
        (2, recalled_flagged),
        # 4: MATCH_epc returns the events naming the genuine pack, commissioning first
        (3, trace_found),
        # 5: EQ_ILMD_cbvmda:lotNumber returns the lot's commissioning events
        (4, lot_found),
        # 6: MATCH_epcClass on the LGTIN returns the manufacturer's recall event
        (5, recall_found),
    ],
)
def test_printed_examples_answer(
    run: Run, client: TestClient[Litestar], index: int, check: Callable[[dict[str, Any]], bool]
) -> None:
    token, path = run.requests[index]
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert check(response.json()), response.text


def test_the_store_holds_the_world_and_the_recall(run: Run) -> None:
    truth = orjson.loads((run.directory / "world" / "ground_truth.json").read_bytes())
    with Repository.open(run.directory / "medtrace.sqlite") as repo:
        assert repo.event_count() == truth["totals"]["events"] + 1
    assert "0 documents rejected" in run.line("store:")


def test_printed_trace_command_runs(run: Run) -> None:
    args = shlex.split(run.line("medtrace trace "))[1:]
    result = runner.invoke(root_app, args)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "commissioning" in result.stdout


def test_second_run_reuses_the_store_with_new_keys(run: Run, client: TestClient[Litestar]) -> None:
    again = demo(run.directory)
    assert again.line("reusing ").startswith(f"reusing {run.directory / 'medtrace.sqlite'}")
    (old, _), (new, path) = run.requests[0], again.requests[0]
    assert new != old
    response = client.get(path, headers={"Authorization": f"Bearer {new}"})
    assert response.json()["data"] == {"verified": True}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # a scale below the simulator's minimum
        (["--scale", "5"], "at least 100 packs"),
        # a scale that is neither a name nor a number
        (["--scale", "huge"], "small, medium, large"),
    ],
)
def test_invalid_scale_is_refused(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--dir", str(tmp_path), *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_clear_store_removes_the_store_and_both_spools(tmp_path: Path) -> None:
    paths = DemoPaths(tmp_path)
    leftovers = [
        paths.db,
        Path(f"{paths.db}-wal"),
        Path(f"{paths.db}.spool") / "job.xml",
        Path(f"{paths.db}.audit-spool") / "writer.jsonl",
        paths.marker,
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    clear_store(paths)
    assert not any(path.exists() for path in leftovers)
    assert not Path(f"{paths.db}.audit-spool").exists()
