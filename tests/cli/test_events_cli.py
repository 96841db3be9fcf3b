"""``medtrace events`` / ``item`` / ``trace`` through Typer's runner, on a SQLite store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from medtrace.cli.events import register
from medtrace.epcis.xml_reader import read_xml
from medtrace.store.repository import Repository
from tests.store.test_custody import ITEM_1, ITEM_2, PALLET, SUPPLY_CHAIN
from tests.store.test_query_sql import document

runner = CliRunner()
app = typer.Typer()
register(app)


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A SQLite store holding the custody test supply chain."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    with Repository.open(url, create=True) as repo:
        assert repo.capture(document(SUPPLY_CHAIN)).captured == len(SUPPLY_CHAIN)
    return url


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def event_numbers(body: dict[str, object]) -> list[int]:
    results = body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]  # type: ignore[index]
    return [int(e["eventID"][-12:]) for e in results]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # one filter
        (["-p", "EQ_bizStep=shipping"], [4, 8]),
        # two filters ANDed, ordered
        (["-p", f"MATCH_epc={PALLET}", "-p", "orderBy=eventTime", "-p", "eventCountLimit=1"], [8]),
        # no parameter: every event in capture order
        ([], [1, 2, 3, 11, 4, 5, 6, 7, 8, 9, 10]),
    ],
)
def test_events_jsonld(db: str, params: list[str], expected: list[int]) -> None:
    code, stdout, stderr = run("events", "--db", db, *params)
    assert code == 0, stderr
    body = json.loads(stdout)
    assert body["type"] == "EPCISQueryDocument"
    assert event_numbers(body) == expected


def test_events_xml_reads_back(db: str) -> None:
    # XML output is an EPCIS query document our reader accepts
    code, stdout, stderr = run("events", "--db", db, "--format", "xml", "-p", "EQ_action=DELETE")
    assert code == 0, stderr
    doc = read_xml(stdout.encode())
    assert doc.kind == "query"
    assert [e.event_id[-2:] for e in doc.events if e.event_id] == ["06", "07"]


def test_events_limit_and_page_token(db: str) -> None:
    # --limit prints one page and the token for the next on stderr
    code, stdout, stderr = run("events", "--db", db, "--limit", "10")
    assert code == 0
    token = stderr.split("--page-token", 1)[1].split()[0]
    code, stdout, _ = run("events", "--db", db, "--page-token", token)
    assert code == 0
    assert event_numbers(json.loads(stdout)) == [10]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        # unknown parameter
        (["-p", "EQ_colour=red"], "EQ_colour"),
        # not NAME=VALUE
        (["-p", "EQ_bizStep"], "NAME=VALUE"),
        # eventCountLimit without orderBy
        (["-p", "eventCountLimit=1"], "requires orderBy"),
        # a token that was not issued by the server
        (["--page-token", "bogus"], "nextPageToken"),
    ],
)
def test_events_invalid_input_exits_2(db: str, args: list[str], message: str) -> None:
    code, _, stderr = run("events", "--db", db, *args)
    assert code == 2
    assert message in stderr


def test_events_too_large_exits_1(db: str) -> None:
    # maxEventCount exceeded: QueryTooLargeException
    code, _, stderr = run("events", "--db", db, "-p", "maxEventCount=2")
    assert code == 1
    assert "QueryTooLargeException" in stderr


@pytest.mark.parametrize(
    "epc",
    [
        # EPC URN
        ITEM_2,
        # Digital Link
        "https://id.gs1.org/01/10614141073464/21/1002",
        # element string (HRI)
        "(01)10614141073464(21)1002",
    ],
)
def test_item_json_any_form(db: str, epc: str) -> None:
    code, stdout, stderr = run("item", epc, "--db", db, "--json")
    assert code == 0, stderr
    state = json.loads(stdout)
    assert state["uri"] == "https://id.gs1.org/01/10614141073464/21/1002"
    assert state["serial"] == "1002"


def test_item_table_and_unknown(db: str) -> None:
    # the table names the item; an unknown item exits 1; a bad identifier exits 2
    code, stdout, _ = run("item", ITEM_1, "--db", db)
    assert (code, "10614141073464" in stdout) == (0, True)
    assert run("item", "urn:epc:id:sgtin:0614141.107346.404", "--db", db)[0] == 1
    assert run("item", "(01)10614141073465(21)1", "--db", db)[0] == 2


def test_trace_timeline(db: str) -> None:
    # the timeline shows the pallet's shipping step and the container it came through
    code, stdout, stderr = run("trace", ITEM_1, "--db", db)
    assert code == 0, stderr
    assert "shipping" in stdout
    assert "https://id.gs1.org/00/" in stdout
    assert "dispensing" in stdout
    assert run("trace", "urn:epc:id:sgtin:0614141.107346.404", "--db", db)[0] == 1


def test_db_from_environment(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # MEDTRACE_DB is used when --db is absent
    monkeypatch.setenv("MEDTRACE_DB", db)
    code, stdout, _ = run("events", "-p", "EQ_bizStep=receiving")
    assert code == 0
    assert event_numbers(json.loads(stdout)) == [5]
