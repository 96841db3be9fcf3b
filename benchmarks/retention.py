"""Workload ``retention`` (on demand): grow a PostgreSQL store to 100M EPC rows, keep it fast.

A distributor keeps years of events (DSCSA: six years of transaction history). This workload
grows one PostgreSQL store by capturing generated DSCSA documents of ~1M EPC references each
(:mod:`benchmarks.generate`, a new seed per document, each in a fresh process with
``Repository.capture``) until ``event_epc`` holds the target number of rows, and reports:

* the capture rate of every document and the **sustained** rate (all rows over all capture
  time), against the target of ≥ 150k rows/s;
* the point reads of :mod:`benchmarks.store_query` (events for one serial, chain of custody,
  item state) at a **checkpoint** and at the end, against the target that the final p99 is at
  most twice the checkpoint's.

``--scale full``: 100M rows, checkpoint at 10M (about 100 documents: hours at the capture
rates of ``docs/benchmarks.md``, and tens of GB of disk). ``--scale small``: 3M rows, checkpoint
at 1M (a few minutes; checks the workload, not the target). ``MEDTRACE_BENCH_RETENTION_ROWS``
and ``MEDTRACE_BENCH_RETENTION_CHECKPOINT`` override the two numbers. The schema is dropped at
the end unless ``MEDTRACE_BENCH_KEEP=1``.

It is **not** part of a plain ``python -m benchmarks run``: ask for it with ``--only retention``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Final

from benchmarks import (
    RunOptions,
    Verdict,
    load_average,
    now_utc,
    run_worker,
    verdict,
    verdict_table,
)
from benchmarks.epcis_parse import ensure_input
from benchmarks.store_capture import (
    header_lines,
    new_schema_name,
    pg_create_schema,
    pg_drop_schema,
    pg_location,
    postgres_version,
)
from benchmarks.store_query import DOCUMENT_MB, OPERATIONS, measure_reads
from medtrace.store.repository import Repository

NAME: Final = "retention"
DESCRIPTION: Final = (
    "grow a PostgreSQL store to 100M event_epc rows: sustained "
    "capture rate and point-read p99 at 10M vs 100M"
)
ON_DEMAND: Final = True
TARGET_ROWS_PER_S: Final = 150_000.0
TARGET_RATIO: Final = 2.0
SIZES: Final = {"small": (3_000_000, 1_000_000), "full": (100_000_000, 10_000_000)}
_SEED_BASE: Final = 10_000


def _sizes(scale: str) -> tuple[int, int]:
    rows, checkpoint = SIZES[scale]
    rows = int(os.environ.get("MEDTRACE_BENCH_RETENTION_ROWS", rows))
    checkpoint = int(os.environ.get("MEDTRACE_BENCH_RETENTION_CHECKPOINT", checkpoint))
    if not 0 < checkpoint < rows:
        raise ValueError(f"checkpoint {checkpoint:,} must be between 0 and the target {rows:,}")
    return rows, checkpoint


def _grow(
    location: str, until: int, seed: int, rows: int, log: Callable[[str], None]
) -> tuple[list[dict[str, Any]], int, int]:
    """Capture documents until ``event_epc`` holds ``until`` rows; (captures, rows, next seed)."""
    captures: list[dict[str, Any]] = []
    while rows < until:
        path, expected = ensure_input("xml12", DOCUMENT_MB, seed)
        sample = run_worker(
            "benchmarks.store_query",
            ["build-worker", "--db", location, "--file", str(path)],
            timeout=7200,
        )
        if sample["captured"] != expected["events"] or sample["rejected"]:
            raise RuntimeError(f"captured {sample['captured']} of {expected['events']} events")
        added = int(sample["event_epc_rows"]) - rows
        rows = int(sample["event_epc_rows"])
        entry = {
            "seed": seed,
            "rows_added": added,
            "rows_after": rows,
            "wall_s": round(sample["wall_s"], 2),
            "rows_per_s": round(added / sample["wall_s"]),
            "load_average": load_average(),
        }
        captures.append(entry)
        log(
            f"  +{added:,} rows in {entry['wall_s']:.0f} s ({entry['rows_per_s']:,}/s), "
            f"{rows:,} rows, load {entry['load_average'][:1]}"
        )
        seed += 1
    return captures, rows, seed


def run(options: RunOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Grow, measure at the checkpoint, grow on, measure again; the JSON-ready figures."""
    if options.backend not in (None, "postgres"):
        raise RuntimeError("retention runs on PostgreSQL (the store for a large distributor)")
    target, checkpoint = _sizes(options.scale)
    schema_name = new_schema_name()
    pg_create_schema(schema_name)
    location = pg_location(schema_name)
    keep = os.environ.get("MEDTRACE_BENCH_KEEP") == "1"
    try:
        with Repository.open(location, create=True):
            pass
        seed = _SEED_BASE + options.seed
        log(f"growing schema {schema_name} to {checkpoint:,} rows")
        first, rows, seed = _grow(location, checkpoint, seed, 0, log)
        at_checkpoint = measure_reads(location, options.runs, options.seed, log)
        log(f"growing on to {target:,} rows")
        rest, rows, seed = _grow(location, target, seed, rows, log)
        at_end = measure_reads(location, options.runs, options.seed, log)
    finally:
        if not keep:
            pg_drop_schema(schema_name)
    captures = first + rest
    total_rows = sum(c["rows_added"] for c in captures)
    total_s = sum(c["wall_s"] for c in captures)
    return {
        "scale": options.scale,
        "runs": options.runs,
        "seed": options.seed,
        "date": now_utc(),
        "postgres_version": postgres_version(),
        "target_rows": target,
        "checkpoint_rows": checkpoint,
        "rows": rows,
        "schema": schema_name if keep else None,
        "captures": captures,
        "sustained_rows_per_s": round(total_rows / total_s),
        "slowest_rows_per_s": min(c["rows_per_s"] for c in captures),
        "at_checkpoint": at_checkpoint,
        "at_end": at_end,
    }


def render(result: dict[str, Any]) -> str:
    """The Markdown section of ``docs/benchmarks.md``."""
    lines = header_lines(
        result,
        f"PostgreSQL, grown to {result['rows']:,} `event_epc` rows (target "
        f"{result['target_rows']:,}, checkpoint {result['checkpoint_rows']:,}), "
        f"{len(result['captures'])} documents of ~1M EPC references, reads: median of "
        f"{result['runs']} runs.",
    )
    sustained = result["sustained_rows_per_s"]
    lines += [
        (
            f"Capture: sustained {sustained:,} rows/s (slowest document "
            f"{result['slowest_rows_per_s']:,} rows/s)."
        ),
        "",
        "| operation | p99 ms at checkpoint | p99 ms at end | ratio |",
        "|---|---:|---:|---:|",
    ]
    for op, (before, after, ratio) in _ratios(result).items():
        lines.append(f"| {op} | {before:.2f} | {after:.2f} | {ratio:.2f} |")
    rows = [row._replace(scope="") for row in verdicts(result)]  # PostgreSQL only
    lines += ["", *verdict_table(rows, head="target (issue)")]
    return "\n".join(lines)


def _ratios(result: dict[str, Any]) -> dict[str, tuple[float, float, float]]:
    """Per read operation: p99 at the checkpoint, p99 at the end, their ratio."""
    found = {}
    for op in OPERATIONS:
        before = result["at_checkpoint"]["operations"][op]["p99_ms"]
        after = result["at_end"]["operations"][op]["p99_ms"]
        found[op] = (before, after, after / before if before else 0.0)
    return found


def verdicts(result: dict[str, Any]) -> list[Verdict]:
    """The issue's targets: the sustained capture rate, the p99 growth of the worst read."""
    sustained = result["sustained_rows_per_s"]
    worst = max(ratio for _, _, ratio in _ratios(result).values())
    return [
        Verdict(
            "postgres",
            "sustained ≥ 150k rows/s",
            f"{sustained:,}",
            verdict(sustained, TARGET_ROWS_PER_S),
        ),
        Verdict(
            "postgres",
            "query p99 at the end ≤ 2x the checkpoint's",
            f"{worst:.2f}x (worst operation)",
            verdict(worst, TARGET_RATIO, lower_is_better=True),
        ),
    ]
