"""The targets-at-a-glance table of docs/benchmarks.md and the workloads' verdicts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from benchmarks.__main__ import update_docs

from benchmarks import RESULTS_DIR, WORKLOADS, Verdict, load_workload, summary, verdict


def test_verdict_wording() -> None:
    assert verdict(3000, 3000) == "met"
    assert verdict(9.4, 20, lower_is_better=True) == "met"
    assert verdict(1304, 2000) == "missed by 35% (1.5x short)"
    assert verdict(28.4, 20, lower_is_better=True) == "missed: 1.4x the limit"
    # a near miss keeps two decimals instead of reading "1.0x"
    assert verdict(2.08, 2.0, lower_is_better=True) == "missed: 1.04x the limit"
    assert verdict(1940, 2000) == "missed by 3% (1.03x short)"


@pytest.mark.parametrize("name", list(WORKLOADS))
def test_each_workloads_verdicts_are_those_its_section_shows(name: str) -> None:
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        pytest.skip(f"no full-scale results of {name} in the repository")
    result = json.loads(path.read_text())
    workload = load_workload(name)
    rows = workload.verdicts(result)
    section = workload.render(result)
    assert rows
    for row in rows:
        assert row.verdict == "met" or row.verdict.startswith("missed"), row
        figure = row.measured.split()[0]  # store_query's table gives the unit in its header
        assert figure in section and row.verdict in section, row


def _mixed(sustained: float, p99: float) -> dict[str, Any]:
    return {
        "date": "2026-01-02T03:04:05Z",
        "backends": {
            "postgres": {
                "date": "2026-01-02T03:04:05Z",
                "verify": {"rps": 500.0, "p99_ms": p99},
                "capture": {"sustained_events_per_s": sustained},
            },
            "sqlite": {
                "date": "2026-01-01T00:00:00Z",  # carried over from an earlier run
                "verify": {"rps": 400.0, "p99_ms": 20.0},
                "capture": {"sustained_events_per_s": 2100.0},
            },
        },
    }


def test_summary_gathers_every_verdict_with_its_own_date(tmp_path: Path) -> None:
    (tmp_path / "mixed_load.json").write_text(json.dumps(_mixed(1500.0, 40.0)))
    text = summary.render(tmp_path)
    # postgres: capture missed, rate and p99 met; sqlite: capture met, rate (400 < 475) missed
    assert text.startswith("**4 of 6 targets met**")
    assert (
        "| mixed_load | postgres | capture 2,000 events/s | 1,500 sustained "
        "| missed by 25% (1.3x short) | 2026-01-02 03:04 |"
    ) in text
    sqlite_p99 = "| mixed_load | sqlite | verify p99 < 100 ms | 20.0 ms | met | 2026-01-01 00:00 |"
    assert sqlite_p99 in text
    for name in WORKLOADS:
        if name != "mixed_load":
            assert f"| {name} | | | not measured at full scale | | |" in text


def test_verdict_rows_name_the_workload_and_scope(tmp_path: Path) -> None:
    (tmp_path / "mixed_load.json").write_text(json.dumps(_mixed(2500.0, 150.0)))
    rows = [(name, row) for name, _when, row in summary.verdict_rows(tmp_path) if row]
    assert [(name, row.scope, row.verdict) for name, row in rows] == [
        ("mixed_load", "postgres", "met"),
        ("mixed_load", "postgres", "met"),
        ("mixed_load", "postgres", "missed: 1.5x the limit"),
        ("mixed_load", "sqlite", "met"),
        ("mixed_load", "sqlite", "missed by 16% (1.2x short)"),
        ("mixed_load", "sqlite", "met"),
    ]
    assert all(isinstance(row, Verdict) for _, row in rows)


def test_summary_replaces_its_block_of_the_page(tmp_path: Path) -> None:
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\n<!-- BEGIN summary -->\nold\n<!-- END summary -->\n\n## x\n")
    (tmp_path / "mixed_load.json").write_text(json.dumps(_mixed(2500.0, 10.0)))
    assert update_docs(summary.NAME, summary.render(tmp_path), docs)
    text = docs.read_text()
    assert "old" not in text and "**5 of 6 targets met**" in text and text.endswith("## x\n")
    assert not update_docs(summary.NAME, summary.render(tmp_path), docs)  # unchanged
