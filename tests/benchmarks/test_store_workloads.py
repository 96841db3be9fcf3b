"""The store benchmark workloads run end to end on SQLite at a tiny scale and give sane JSON.

These tests check behaviour only (counts, idempotence, the shape of the results); they never
assert speed. The workloads' sizes are shrunk so that each runs in a few seconds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from benchmarks import RunOptions, store_capture, store_query

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def _tiny(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDTRACE_BENCH_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(store_capture, "SIZES_MB", {"small": 0.3, "full": 0.3})
    monkeypatch.setattr(store_capture, "PROFILE_MB", 0.3)
    monkeypatch.setattr(store_query, "DOCUMENTS", {"small": 2, "full": 2})
    monkeypatch.setattr(store_query, "DOCUMENT_MB", 0.2)
    monkeypatch.setattr(store_query, "SAMPLES", 20)
    monkeypatch.setattr(store_query, "WARMUP", 3)
    # never merge figures from the repository's real results files into a test run
    monkeypatch.setattr(store_capture, "previous", lambda _name, _scale: {})
    monkeypatch.setattr(store_query, "previous", lambda _name, _scale: {})


def _options() -> RunOptions:
    return RunOptions(scale="small", runs=1, seed=3, profile=True, backend="sqlite")


def test_store_capture_runs_and_recapture_adds_nothing() -> None:
    logged: list[str] = []
    result: dict[str, Any] = store_capture.run(_options(), log=logged.append)
    assert json.loads(json.dumps(result)) == result  # JSON-ready
    (row,) = result["results"]
    assert row["backend"] == "sqlite"
    assert row["events"] > 0
    assert row["epc_refs"] > row["events"]
    # every EPC reference is one event_epc row; every event one event row
    assert row["rows"]["event_epc"] == row["epc_refs"]
    assert row["rows"]["event"] == row["events"]
    assert row["rows"]["item_state"] == row["rows"]["epc"]
    assert row["wall_s"] > 0
    assert row["cpu_s"] > 0
    assert row["peak_rss_mb"] >= row["baseline_rss_mb"] > 0
    again = row["recapture"]
    assert again["new_rows"] == 0
    assert again["captured"] == 0
    assert again["duplicates"] == row["events"]
    profile = result["profiles"]["sqlite"]
    stages = {s["stage"]: s["cumulative_s"] for s in profile["stages"]}
    assert stages["read + validate (reader, validate)"] > 0
    assert stages["item-state projection"] > 0
    assert profile["by_own"]
    assert profile["by_cumulative"]
    text = store_capture.render(result)
    assert "| sqlite |" in text
    assert "re-capture: 0 new rows | 0 | met" in text
    assert logged


def test_store_query_builds_caches_and_measures() -> None:
    logged: list[str] = []
    result: dict[str, Any] = store_query.run(_options(), log=logged.append)
    assert json.loads(json.dumps(result)) == result
    (row,) = result["results"]
    build = row["build"]
    assert not build["reused"]
    assert len(build["documents"]) == 2
    docs = build["documents"]
    assert docs[-1]["event_epc_rows_after"] == sum(d["epc_refs"] for d in docs)
    assert row["rows"]["event_epc"] == docs[-1]["event_epc_rows_after"]
    for op in store_query.OPERATIONS:
        figures = row["operations"][op]
        assert 0 < figures["p50_ms"] <= figures["p90_ms"] <= figures["p99_ms"] <= figures["max_ms"]
        assert figures["samples"] == 20
    # an item: commissioned, packed into a case (MATCH_epc); + case into pallet, shipping (custody)
    assert row["operations"]["events"]["mean_results"] == 2
    assert row["operations"]["history"]["mean_results"] >= 4
    assert row["operations"]["item"]["mean_results"] == 1
    assert "p99 < 5 ms" in store_query.render(result)
    # the second run reuses the cached store
    again = store_query.run(_options(), log=logged.append)
    assert again["results"][0]["build"]["reused"]
