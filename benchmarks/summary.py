"""The targets at a glance: every workload's verdicts in one table of ``docs/benchmarks.md``.

Built from the full-scale results files (``benchmarks/results/<name>.json``) with each
workload's ``verdicts(result)``, so that it says what the tables of the sections below say,
as of their last runs. ``python -m benchmarks run`` regenerates it whenever it regenerates a
section; ``python -m benchmarks summary`` regenerates it alone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final

from benchmarks import RESULTS_DIR, WORKLOADS, Verdict, load_workload

__all__ = ["NAME", "render", "verdict_rows"]

NAME: Final = "summary"


def _dates(result: dict[str, Any]) -> dict[str, str]:
    """When each scope (backend) of ``result`` was measured: runs for one backend carry the
    other backend's figures over with their own date."""
    backends = result.get("backends")
    if isinstance(backends, dict):
        return {name: str(figures.get("date", "")) for name, figures in backends.items()}
    rows = result.get("results")
    if isinstance(rows, list):
        return {
            str(row["backend"]): str(row.get("date", ""))
            for row in rows
            if isinstance(row, dict) and "backend" in row
        }
    return {}


def _when(date: str) -> str:
    """``2026-11-23T05:56:44Z`` → ``2026-11-23 05:56``."""
    return date[:16].replace("T", " ") if date else "?"


def verdict_rows(results: Path = RESULTS_DIR) -> list[tuple[str, str, Verdict | None]]:
    """``(workload, measured at, verdict)`` for every target of every workload with a
    full-scale results file; ``(workload, "", None)`` for a workload without one."""
    found: list[tuple[str, str, Verdict | None]] = []
    for name in WORKLOADS:
        path = results / f"{name}.json"
        if not path.exists():
            found.append((name, "", None))
            continue
        result = json.loads(path.read_text())
        dates = _dates(result)
        found += [
            (name, _when(dates.get(row.scope) or str(result.get("date", ""))), row)
            for row in load_workload(name).verdicts(result)
        ]
    return found


def render(results: Path = RESULTS_DIR) -> str:
    """The Markdown table (and a count of the targets met)."""
    rows = verdict_rows(results)
    measured = [row for _, _, row in rows if row is not None]
    met = sum(1 for row in measured if row.verdict == "met")
    lines = [
        (
            f"**{met} of {len(measured)} targets met** as last measured (UTC dates; the "
            "machine, command and analysis of each figure are in its section below)."
        ),
        "",
        "| workload | on | target | measured | verdict | measured at |",
        "|---|---|---|---:|---|---|",
    ]
    for name, when, row in rows:
        if row is None:
            lines.append(f"| {name} | | | not measured at full scale | | |")
            continue
        lines.append(
            f"| {name} | {row.scope} | {row.target} | {row.measured} | {row.verdict} | {when} |"
        )
    return "\n".join(lines)
