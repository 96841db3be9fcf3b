"""``medtrace serve``: first start, open-start refusal, and docs/api.md's commands working."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import typer
from litestar import Litestar
from litestar.testing import TestClient
from tests.api.test_rest_capture import document, event
from typer.testing import CliRunner

from medtrace.api.app import create_app
from medtrace.cli import serve
from medtrace.cli.serve import OpenStartRefusedError, prepare

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
BASE = "http://127.0.0.1:8000"


def cli() -> typer.Typer:
    app = typer.Typer()
    serve.register(app)
    app.command("noop")(lambda: None)  # a group of two: "serve" stays a sub-command
    return app


@pytest.mark.parametrize(
    "host",
    [
        # every interface
        "0.0.0.0",  # noqa: S104 - refused, never bound
        # a routable address
        "192.0.2.10",
        # IPv6 any
        "::",
    ],
)
def test_refuses_to_start_open(tmp_path: Path, host: str) -> None:
    db = tmp_path / "fresh.sqlite"
    with pytest.raises(OpenStartRefusedError):
        prepare(str(db), host, 8000)
    result = CliRunner().invoke(cli(), ["serve", "--db", str(db), "--host", host])
    assert result.exit_code == 2
    assert "refusing to listen" in result.output


def test_first_start_prints_the_admin_key_once(tmp_path: Path) -> None:
    db = str(tmp_path / "first.sqlite")
    first = prepare(db, "127.0.0.1", 8123)
    assert first.url == "http://127.0.0.1:8123/"
    assert first.admin_token
    assert prepare(db, "127.0.0.1", 8123).admin_token is None
    # once an organization exists, a public address is allowed
    assert prepare(db, "0.0.0.0", 8123).admin_token is None  # noqa: S104 - not bound here


def curl_commands() -> list[str]:
    """The curl commands of docs/api.md's walkthrough section, in order."""
    text = DOCS.read_text()
    start = text.index("## Serve, get a key, capture, query")
    walkthrough = text[start : text.index("\n## ", start + 1)]
    return [line[2:] for line in walkthrough.splitlines() if line.startswith("$ curl ")]


def run_curl(
    client: TestClient[Litestar], line: str, key: str, files: Path, job: str | None
) -> httpx.Response:
    words = shlex.split(line.replace("$KEY", key))[1:]
    method, url = "GET", ""
    headers: dict[str, str] = {}
    body: bytes | None = None
    while words:
        word = words.pop(0)
        if word == "-X":
            method = words.pop(0)
        elif word == "-H":
            name, _, value = words.pop(0).partition(": ")
            headers[name] = value
        elif word == "--data-binary":
            body = (files / words.pop(0).removeprefix("@")).read_bytes()
        elif word.startswith("http"):
            url = word.removeprefix(BASE)
        else:
            assert word == "-i", word
    if job is not None:
        url = re.sub(r"/capture/[0-9a-f-]+\.\.\.", f"/capture/{job}", url)
    return client.request(method, url, headers=headers, content=body)


def test_docs_walkthrough(tmp_path: Path) -> None:
    commands = curl_commands()
    assert len(commands) == 4
    plan = prepare(str(tmp_path / "pharmacy.sqlite"), "127.0.0.1", 8000)
    assert plan.admin_token is not None
    (tmp_path / "shipment.jsonld").write_bytes(document(event()))
    with TestClient(create_app(plan.settings)) as client:
        captured = run_curl(client, commands[0], plan.admin_token, tmp_path, None)
        assert captured.status_code == 202, captured.text
        job = captured.headers["location"].removeprefix("/capture/")
        for _ in range(3000):
            state = run_curl(client, commands[1], plan.admin_token, tmp_path, job)
            assert state.status_code == 200, state.text
            if not state.json()["running"]:
                break
        assert state.json()["success"] is True
        for command in commands[2:]:
            answer = run_curl(client, command, plan.admin_token, tmp_path, job)
            assert answer.status_code == 200, answer.text
            assert b"urn:epc:id:sgtin:0614141.107346.2017" in answer.content


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_several_workers_run_capture_jobs_in_the_supervisor(tmp_path: Path) -> None:
    """``--workers 2``: the workers answer, the supervising process runs the capture jobs
    (``--no-access-log``: no line per request)."""
    port = _free_port()
    medtrace = Path(sys.executable).with_name("medtrace")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDTRACE_")}
    command = [str(medtrace), "serve", "--db", str(tmp_path / "w.sqlite"), "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*command, "--workers", "2", "--no-access-log"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 60
        token = None
        while token is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"mt_[A-Za-z0-9_-]+", log.read_text())
            token = found.group(0) if found else None
            time.sleep(0.1)
        assert token is not None, log.read_text()
        headers = {"Authorization": f"Bearer {token}"}
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(base + "/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        posted = httpx.post(
            base + "/capture",
            content=document(event(), event(bizStep="receiving")),
            headers={**headers, "Content-Type": "application/ld+json"},
        )
        assert posted.status_code == 202, posted.text
        location = posted.headers["Location"]
        job: dict[str, object] = {}
        while time.monotonic() < deadline:
            job = httpx.get(base + location, headers=headers).json()
            if job.get("running") is False:
                break
            time.sleep(0.1)
        assert job.get("success") is True, job
        events = httpx.get(base + "/events", headers=headers).json()
        assert len(events["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:  # pragma: no cover - a stuck shutdown
                proc.kill()
    assert proc.returncode == 0
    assert "GET /events" not in log.read_text()


def test_several_workers_get_time_to_start_on_a_busy_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--workers 2`` gives each worker :data:`serve.WORKER_HEALTHCHECK_SECONDS` to answer
    uvicorn's health check: its default (5 s) killed workers that a saturated machine had not
    finished starting."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(serve.uvicorn, "run", lambda _app, **options: calls.append(options))
    for name in (serve.ENV_VAR, serve.ENV_VARS["capture_worker"]):
        monkeypatch.delenv(name, raising=False)  # restored after the test (serve sets them)
    db = tmp_path / "w.sqlite"
    result = CliRunner().invoke(
        cli(), ["serve", "--db", str(db), "--port", str(_free_port()), "--workers", "2"]
    )
    assert result.exit_code == 0, result.output
    [options] = calls
    assert options["workers"] == 2
    assert options["timeout_worker_healthcheck"] == serve.WORKER_HEALTHCHECK_SECONDS
    assert serve.WORKER_HEALTHCHECK_SECONDS >= 30
