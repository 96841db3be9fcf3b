"""Capture over HTTP (EPCIS 2.0 REST ``/capture``): GS1 examples, jobs, limits, restarts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.api.conftest import Api

from medtrace.api.capture_worker import CaptureWorker, Spool, SpooledJob
from medtrace.api.settings import ApiSettings, SettingsError
from medtrace.epcis.documents import read_document
from medtrace.epcis.hashing import event_hash
from medtrace.store import jobs

EXAMPLES = (
    "ReferenceEventHashAlgorithm",
    "epcisDocWithVariousEventTypes",
    "epcisDocWithSensorComponent",
    "persistentDisposition",
)
CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
EPC = "urn:epc:id:sgtin:0614141.107346.2017"


def event(**fields: Any) -> dict[str, Any]:
    """A valid ObjectEvent, with ``fields`` replaced."""
    return {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "eventTime": "2024-05-01T10:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [EPC],
        "bizStep": "shipping",
        **fields,
    }


def document(*events: dict[str, Any]) -> bytes:
    """An EPCISDocument holding ``events``."""
    return orjson.dumps(
        {
            "@context": [CONTEXT],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-05-01T10:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    )


INVALID = {"type": "AggregationEvent", "action": "ADD", "childEPCs": [EPC]}
INVALID |= {"eventTime": "2024-05-01T10:00:00Z", "eventTimeZoneOffset": "+00:00"}


def all_events(api: Api, who: str = "admin") -> list[Any]:
    response = api.client.get("/events", params={"perPage": "1000"}, headers=api.auth(who))
    assert response.status_code == 200, response.text
    return list(read_document(response.content).events)


@pytest.mark.conformance
@pytest.mark.parametrize(
    ("suffix", "media"),
    [
        # EPCIS 2.0 JSON-LD
        (".jsonld", "application/ld+json"),
        # EPCIS 2.0 XML
        (".xml", "application/xml"),
    ],
)
def test_gs1_examples_round_trip(api: Api, conformance_dir: Path, suffix: str, media: str) -> None:
    expected: list[str] = []
    for name in EXAMPLES:
        source = conformance_dir / "event-hash" / "examples" / f"{name}{suffix}"
        job = api.capture(source.read_bytes(), media)
        assert job["success"] is True, (name, job)
        assert job["errors"] == []
        expected += [event_hash(e) for e in read_document(source).events]
    assert sorted(event_hash(e) for e in all_events(api)) == sorted(set(expected))


@pytest.mark.parametrize(
    ("behaviour", "stored"),
    [
        # the default: all or nothing
        (None, 0),
        # rollback explicitly
        ("rollback", 0),
        # proceed keeps the valid event
        ("proceed", 1),
    ],
)
def test_error_behaviour(api: Api, behaviour: str | None, stored: int) -> None:
    headers = {} if behaviour is None else {"GS1_Capture_Error_Behaviour": behaviour}
    job = api.capture(document(event(), INVALID), "application/ld+json", **headers)
    assert job["running"] is False
    assert job["success"] is False
    assert job["captureErrorBehaviour"] == (behaviour or "rollback")
    assert job["finishedAt"] is not None
    [problem] = job["errors"]
    assert problem["type"] == "epcisException:ValidationException"
    assert problem["errors"][0]["rule"] == "aggregation.parent-required"
    assert problem["errors"][0]["eventIndex"] == 1
    assert len(all_events(api)) == stored


def test_job_is_pending_until_a_worker_runs_it_and_resumes_after_restart(
    api_factory: Callable[..., Api],
) -> None:
    idle = api_factory(capture_worker=False)
    response = idle.client.post(
        "/capture", content=document(event()), headers=idle.auth(Content_Type="application/json")
    )
    assert response.status_code == 202
    location = response.headers["location"]
    assert location.startswith("/capture/")
    pending = idle.client.get(location, headers=idle.auth()).json()
    assert pending["running"] is True
    assert pending["success"] is True
    assert "finishedAt" not in pending
    listed = idle.client.get("/capture", headers=idle.auth()).json()
    assert [job["captureID"] for job in listed] == [location.removeprefix("/capture/")]
    # a second process with a worker picks the spooled job up
    working = api_factory()
    working.tokens = idle.tokens
    done = working.wait_job(location)
    assert done["success"] is True
    assert len(all_events(working)) == 1


def spool_job(spool: Spool, body: bytes) -> str:
    """Put a one-event JSON-LD capture job into the spool as ``POST /capture`` does; its id."""
    job_id = spool.new_id()
    spool.partial(job_id).write_bytes(body)
    spool.publish(
        SpooledJob(
            id=job_id,
            org_id=None,
            behaviour="rollback",
            syntax="jsonld",
            created=datetime.now(UTC),
            events=1,
        )
    )
    return job_id


def test_interrupted_job_is_captured_again(api_factory: Callable[..., Api]) -> None:
    idle = api_factory(capture_worker=False)
    spool = Spool(idle.settings.effective_spool_dir())
    spool.prepare()
    job_id = spool_job(spool, document(event()))
    # the row a crashed process left behind: running, never finished
    jobs.start_job(idle.repo.engine, job_id=job_id, behaviour="rollback", source=None)
    working = api_factory()
    working.tokens = idle.tokens
    done = working.wait_job(f"/capture/{job_id}")
    assert done["success"] is True
    assert len(all_events(working)) == 1
    assert spool.get(job_id) is None


@pytest.mark.parametrize(
    ("overrides", "body", "limit_header"),
    [
        # more bytes than GS1-EPCIS-Capture-File-Size-Limit
        ({"capture_max_bytes": 100}, document(event()), "GS1-EPCIS-Capture-File-Size-Limit"),
        # more events than GS1-EPCIS-Capture-Limit
        ({"capture_max_events": 1}, document(event(), event()), "GS1-EPCIS-Capture-Limit"),
    ],
)
def test_capture_limits(
    api_factory: Callable[..., Api], overrides: dict[str, int], body: bytes, limit_header: str
) -> None:
    api = api_factory(**overrides)
    response = api.client.post(
        "/capture", content=body, headers=api.auth(Content_Type="application/ld+json")
    )
    assert response.status_code == 413, response.text
    assert response.json()["type"] == "epcisException:CaptureLimitExceededException"
    assert response.headers[limit_header] == str(next(iter(overrides.values())))
    assert api.client.get("/capture", headers=api.auth()).json() == []
    options = api.client.options("/capture", headers=api.auth())
    assert options.status_code == 204
    assert options.headers[limit_header] == str(next(iter(overrides.values())))
    assert options.headers["GS1-Capture-Error-Behaviour"] == "all"


def test_capture_jobs_are_paginated_and_private(api: Api) -> None:
    ids = []
    for minute in range(5):
        body = document(event(eventTime=f"2024-05-01T10:0{minute}:00Z"))
        response = api.client.post(
            "/capture", content=body, headers=api.auth(Content_Type="application/ld+json")
        )
        ids.append(response.headers["location"].removeprefix("/capture/"))
        api.wait_job(response.headers["location"])
    seen: list[str] = []
    url: str | None = "/capture?perPage=2"
    while url is not None:
        response = api.client.get(url, headers=api.auth())
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page) <= 2
        seen += [job["captureID"] for job in page]
        link = response.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert sorted(seen) == sorted(ids)
    assert len(seen) == len(set(seen))
    # another organization sees none of them
    assert api.client.get("/capture", headers=api.auth("partner")).json() == []
    other = api.client.get(f"/capture/{ids[0]}", headers=api.auth("partner"))
    assert other.status_code == 404
    # a regulator sees them all
    everything = api.client.get("/capture?perPage=100", headers=api.auth("regulator")).json()
    assert set(ids) <= {job["captureID"] for job in everything}


@pytest.mark.parametrize("threads", [1, 3])
def test_worker_threads_run_every_job_once(api_factory: Callable[..., Api], threads: int) -> None:
    idle = api_factory(capture_worker=False)
    spool = Spool(idle.settings.effective_spool_dir())
    spool.prepare()
    serials = [f"https://id.gs1.org/01/09506000134352/21/t{n}" for n in range(12)]
    ids = [spool_job(spool, document(event(epcList=[serial]))) for serial in serials]
    worker = CaptureWorker(idle.repo.engine, spool, poll_seconds=0.05, threads=threads)
    worker.start()
    try:
        finished = [idle.wait_job(f"/capture/{job_id}") for job_id in ids]
    finally:
        worker.stop()
    assert all(job["success"] for job in finished)
    assert sorted(job["captureID"] for job in finished) == sorted(ids)
    assert len(all_events(idle)) == 12  # each job captured once: no duplicate, none lost
    assert all(spool.get(job_id) is None for job_id in ids)
    assert not list(spool.directory.iterdir())  # no file left behind, lock files included


def test_capture_threads_setting() -> None:
    assert ApiSettings(db="sqlite:////tmp/x.sqlite").effective_capture_threads() == 1
    assert ApiSettings(db="postgresql://u@h/db").effective_capture_threads() == 2
    assert (
        ApiSettings(db="sqlite:////tmp/x.sqlite", capture_threads=3).effective_capture_threads()
        == 3
    )
    assert ApiSettings.from_env({"MEDTRACE_CAPTURE_THREADS": "4"}).capture_threads == 4
    with pytest.raises(SettingsError, match="MEDTRACE_CAPTURE_THREADS"):
        ApiSettings.from_env({"MEDTRACE_CAPTURE_THREADS": "-1"})
    with pytest.raises(ValueError, match="threads must be at least 1"):
        CaptureWorker(None, Spool(Path("/nonexistent")), threads=0)  # type: ignore[arg-type]
