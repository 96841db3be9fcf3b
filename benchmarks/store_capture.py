"""Workload ``store_capture``: capture a DSCSA-style EPCIS 1.2 document end to end.

End to end means :meth:`medtrace.store.repository.Repository.capture` on a file: streaming
parse, validation, CBV 2.0 event hash, the ``epc`` key upsert, the event and index rows
(multi-row ``INSERT`` on SQLite, ``COPY`` on PostgreSQL), the item-state projection and the
header master data, in one transaction. The input is :mod:`benchmarks.generate`'s EPCIS 1.2
XML (SBDH, master data), sized to ~1M EPC references at full scale (~81 MB).

Each run is a fresh single-threaded subprocess (``python -m benchmarks.store_capture worker``)
with a fresh, empty, migrated store (a new SQLite file, or a new PostgreSQL schema): the
clock starts after the imports and the migrations. The worker then captures the same
document a second time (idempotence: every event is a duplicate, no row may be added) and
reports the rows of every table after each capture, wall and CPU time, and peak RSS
(``ru_maxrss``) after the first capture.

With profiling on, one more run captures the small document under cProfile and splits the
capture into its stages by cumulative time (read + validate, hash, index rows, SQL writes,
projection, master data) so that the next engineer sees where to cut.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import shlex
import sqlite3
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from benchmarks import (
    REFERENCE_LOOP,
    RESULTS_DIR,
    RunOptions,
    Verdict,
    data_dir,
    load_average,
    median,
    now_utc,
    profile_lines,
    run_worker,
    verdict,
    verdict_table,
)
from benchmarks.epcis_parse import ensure_input
from medtrace.store import schema
from medtrace.store.repository import Repository

NAME: Final = "store_capture"
DESCRIPTION: Final = (
    "Repository.capture of a DSCSA EPCIS 1.2 document (~1M EPC refs) on SQLite/PostgreSQL, "
    "then the same document again"
)

BACKENDS: Final = ("sqlite", "postgres")
#: Document size per scale, MB (the generator writes ~12.4k EPC references per MB).
SIZES_MB: Final[dict[str, float]] = {"small": 8.1, "full": 81.0}
PROFILE_MB: Final = 5.0
TARGETS: Final = {
    "sqlite_epc_refs_per_s": 200_000,
    "postgres_epc_refs_per_s": 120_000,
    "peak_rss_mb": 300,
}
#: Where PostgreSQL runs (a schema per run is created in it and dropped afterwards).
PG_URL: Final = os.environ.get("MEDTRACE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
_TABLES: Final = ("event", "event_epc", "epc", "item_state", "event_biz_transaction", "event_field")
_PROFILE_TOP: Final = 15

#: Capture stages: (label, file suffix, function name); cumulative times from cProfile.
STAGES: Final = (
    ("read + validate (reader, validate)", "medtrace/epcis/validate.py", "iter_validated"),
    ("event hash", "medtrace/epcis/hashing.py", "event_hash"),
    ("duplicate check (SELECT by id/hash)", "medtrace/store/capture.py", "_stored"),
    ("index rows (codec.index_event)", "medtrace/store/codec.py", "index_event"),
    ("epc key upsert + SELECT", ".py", "_epc_ids"),
    ("event/index INSERT (executemany/COPY)", "medtrace/store/capture.py", "_bulk"),
    ("item-state projection", "medtrace/store/projection.py", "apply"),
    ("header master data", "medtrace/store/masterdata.py", "put_vocabularies"),
)


# --------------------------------------------------------------------------- stores


def new_schema_name() -> str:
    """A fresh PostgreSQL schema name for one run."""
    return f"bench_{uuid.uuid4().hex[:12]}"


def pg_location(schema_name: str) -> str:
    """The store URL for a PostgreSQL schema (``search_path``)."""
    return f"{PG_URL}?search_path={schema_name}"


def pg_create_schema(schema_name: str) -> None:
    """Create an empty schema (the worker migrates it)."""
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema_name}"'))
    finally:
        engine.dispose()


def pg_drop_schema(schema_name: str) -> None:
    """Drop a benchmark schema and everything in it."""
    engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema_name}" CASCADE'))
    finally:
        engine.dispose()


def table_rows(repo: Repository) -> dict[str, int]:
    """Row counts of the main tables."""
    with repo.engine.connect() as conn:
        return {
            name: int(
                conn.execute(
                    sa.select(sa.func.count()).select_from(schema.metadata.tables[name])
                ).scalar_one()
            )
            for name in _TABLES
        }


def db_size_mb(repo: Repository, location: str) -> float:
    """The size of the store on disk (SQLite file + WAL, or the PostgreSQL schema's relations)."""
    if repo.engine.dialect.name == "sqlite":
        total = 0
        for suffix in ("", "-wal"):
            path = Path(location + suffix)
            if path.exists():
                total += path.stat().st_size
        return round(total / 1e6, 1)
    with repo.engine.connect() as conn:
        size = conn.execute(
            sa.text(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'm')"
            )
        ).scalar_one()
    return round(int(size) / 1e6, 1)


# --------------------------------------------------------------------------- profile


def _short(filename: str) -> str:
    for marker in ("/src/", "/site-packages/", "/benchmarks/", "/lib/python"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def profile_rows(profiler: cProfile.Profile, top: int = _PROFILE_TOP) -> dict[str, Any]:
    """Top functions by own and by cumulative time, and the capture stages' shares."""
    stats = pstats.Stats(profiler, stream=io.StringIO())
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) or 1.0
    rows: list[dict[str, Any]] = []
    stage_s: dict[str, float] = {}
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        short = _short(filename)
        rows.append(
            {
                "function": f"{short}:{line}({func})",
                "calls": ncalls,
                "own_s": round(tottime, 3),
                "cumulative_s": round(cumtime, 3),
                "own_share": round(tottime / total, 3),
            }
        )
        for label, suffix, name in STAGES:
            if short.endswith(suffix) and func == name:
                # the largest of same-named functions in the file (``projection.apply`` and
                # ``_Fold.apply`` share a name; the outer one has the larger cumulative time)
                stage_s[label] = max(stage_s.get(label, 0.0), cumtime)
    by_own = sorted(rows, key=lambda r: r["own_s"], reverse=True)[:top]
    ours = [r for r in rows if r["function"].startswith("medtrace/")]
    by_cumulative = sorted(ours, key=lambda r: r["cumulative_s"], reverse=True)[:top]
    driver = sum(
        r["own_s"]
        for r in rows
        if "sqlite3.Cursor" in r["function"]
        or "psycopg" in r["function"]
        or "sqlite3.Connection" in r["function"]
    )
    return {
        "total_s": round(total, 3),
        "by_own": by_own,
        "by_cumulative": by_cumulative,
        "stages": [
            {"stage": label, "cumulative_s": round(stage_s.get(label, 0.0), 3)}
            for label, _suffix, _name in STAGES
        ],
        "driver_own_s": round(driver, 3),
    }


# --------------------------------------------------------------------------- the worker process


def _rusage() -> tuple[float, int]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def worker(argv: list[str]) -> None:
    """Child process: capture the file twice into a fresh store; print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_capture worker")
    parser.add_argument("--db", required=True, help="store location (fresh)")
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-recapture", dest="recapture", action="store_false")
    args = parser.parse_args(argv)
    repo = Repository.open(args.db, create=True)
    try:
        cpu0, baseline_kb = _rusage()
        profiler = cProfile.Profile() if args.profile else None
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        first = repo.capture(args.file)
        if profiler is not None:
            profiler.disable()
        wall = time.perf_counter() - start
        cpu1, peak_kb = _rusage()
        rows_first = table_rows(repo)
        out: dict[str, Any] = {
            "captured": first.captured,
            "duplicates": first.duplicates,
            "rejected": len(first.rejected),
            "wall_s": wall,
            "cpu_s": cpu1 - cpu0,
            "peak_rss_kb": peak_kb,
            "baseline_rss_kb": baseline_kb,
            "rows": rows_first,
            "db_mb": db_size_mb(repo, args.db),
        }
        if profiler is not None:
            out["profile"] = profile_rows(profiler)
        if args.recapture:
            start = time.perf_counter()
            again = repo.capture(args.file)
            re_wall = time.perf_counter() - start
            cpu2, peak2_kb = _rusage()
            rows_again = table_rows(repo)
            out["recapture"] = {
                "captured": again.captured,
                "duplicates": again.duplicates,
                "rejected": len(again.rejected),
                "wall_s": re_wall,
                "cpu_s": cpu2 - cpu1,
                "peak_rss_kb": peak2_kb,
                "new_rows": {name: rows_again[name] - rows_first[name] for name in _TABLES},
            }
    finally:
        repo.close()
    sys.stdout.write(json.dumps(out) + "\n")


# --------------------------------------------------------------------------- the runner process


def _one_run(backend: str, path: Path, *, profile: bool, recapture: bool = True) -> dict[str, Any]:
    """One fresh store, one worker; the store is removed afterwards."""
    extra = ["--profile"] if profile else []
    if not recapture:
        extra.append("--no-recapture")
    if backend == "sqlite":
        db = data_dir() / f"capture-{uuid.uuid4().hex[:8]}.sqlite"
        try:
            return run_worker(
                "benchmarks.store_capture",
                ["worker", "--db", str(db), "--file", str(path), *extra],
                timeout=3600,
            )
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
    name = new_schema_name()
    pg_create_schema(name)
    try:
        return run_worker(
            "benchmarks.store_capture",
            ["worker", "--db", pg_location(name), "--file", str(path), *extra],
            timeout=3600,
        )
    finally:
        pg_drop_schema(name)


def measure(
    backend: str,
    path: Path,
    expected: dict[str, Any],
    runs: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    """``runs`` fresh-process captures (+ re-captures) of ``path``; medians."""
    samples = []
    for i in range(runs):
        load = load_average()
        s = run_worker_checked(backend, path, expected)
        s["load_average"] = load
        samples.append(s)
        re = s["recapture"]
        log(
            f"  {backend:8} run {i + 1}/{runs}: capture {s['wall_s']:.1f} s wall "
            f"{s['cpu_s']:.1f} s CPU, {expected['epc_refs'] / s['wall_s']:,.0f} EPC refs/s, "
            f"{s['peak_rss_kb'] / 1024:.0f} MB peak; re-capture {re['wall_s']:.1f} s, "
            f"{sum(re['new_rows'].values())} new rows; load {load[:1]}"
        )
    wall = median([s["wall_s"] for s in samples])
    cpu = median([s["cpu_s"] for s in samples])
    re_wall = median([s["recapture"]["wall_s"] for s in samples])
    re_cpu = median([s["recapture"]["cpu_s"] for s in samples])
    events, refs = expected["events"], expected["epc_refs"]
    return {
        "backend": backend,
        "size_mb": round(expected["bytes"] / 1e6, 2),
        "events": events,
        "epc_refs": refs,
        "runs": runs,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "epc_refs_per_s": round(refs / wall),
        "epc_refs_per_cpu_s": round(refs / cpu),
        "events_per_s": round(events / wall),
        "peak_rss_mb": round(median([s["peak_rss_kb"] for s in samples]) / 1024, 1),
        "baseline_rss_mb": round(median([s["baseline_rss_kb"] for s in samples]) / 1024, 1),
        "rows": samples[0]["rows"],
        "db_mb": samples[0]["db_mb"],
        "recapture": {
            "wall_s": round(re_wall, 3),
            "cpu_s": round(re_cpu, 3),
            "ratio_to_first": round(re_wall / wall, 3),
            "epc_refs_per_s": round(refs / re_wall),
            "duplicates": samples[0]["recapture"]["duplicates"],
            "captured": max(s["recapture"]["captured"] for s in samples),
            "new_rows": max(sum(s["recapture"]["new_rows"].values()) for s in samples),
            "peak_rss_mb": round(
                median([s["recapture"]["peak_rss_kb"] for s in samples]) / 1024, 1
            ),
        },
        "samples_wall_s": [round(s["wall_s"], 3) for s in samples],
        "samples_recapture_wall_s": [round(s["recapture"]["wall_s"], 3) for s in samples],
        "samples_load_average": [s["load_average"] for s in samples],
    }


def run_worker_checked(backend: str, path: Path, expected: dict[str, Any]) -> dict[str, Any]:
    """One run; refuse figures from a capture that did not store the whole document."""
    s = _one_run(backend, path, profile=False)
    if s["captured"] != expected["events"] or s["rejected"]:
        raise RuntimeError(
            f"{backend}: captured {s['captured']} events ({s['rejected']} rejected), "
            f"the generator wrote {expected['events']}"
        )
    if s["rows"]["event_epc"] != expected["epc_refs"]:
        raise RuntimeError(
            f"{backend}: {s['rows']['event_epc']} event_epc rows for {expected['epc_refs']} refs"
        )
    re = s["recapture"]
    if re["captured"] or re["duplicates"] != expected["events"]:
        raise RuntimeError(f"{backend}: re-capture stored {re['captured']} events")
    return s


def postgres_version() -> str | None:
    """The server version of :data:`PG_URL`, or ``None`` when it cannot be reached."""
    try:
        engine = sa.create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
        try:
            with engine.connect() as conn:
                return str(conn.execute(sa.text("SHOW server_version")).scalar_one()).split()[0]
        finally:
            engine.dispose()
    except sa.exc.SQLAlchemyError:
        return None


def invoked_command() -> str:
    """The ``python -m benchmarks …`` command line of this process."""
    return "python -m benchmarks " + shlex.join(sys.argv[1:])


def per_backend_lines(rows: list[dict[str, Any]]) -> list[str]:
    """When the rows come from separate ``--backend`` runs: each one's date, command, load."""
    if len({r.get("date") for r in rows}) <= 1:
        return []
    lines = ["Rows measured by separate runs:", ""]
    lines += [
        f"* {r['backend']}: {r.get('date', '?')}, `{r.get('command', '?')}`, load average "
        f"(1 min) at the start of each run: "
        f"{', '.join(str(x[0]) for x in r.get('samples_load_average', []) if x)}"
        for r in rows
    ]
    lines.append("")
    return lines


def previous(name: str, scale: str) -> dict[str, Any]:
    """The last results file of this workload and scale (empty if none)."""
    path = RESULTS_DIR / f"{name}{'' if scale == 'full' else '.' + scale}.json"
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return loaded


def run(options: RunOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Capture (and re-capture) the document on each backend; profile the small document.

    With ``--backend`` only that backend is measured; the other backend's figures are kept
    from the previous results file of the same scale (each entry carries its own date).
    """
    backends = (options.backend,) if options.backend else BACKENDS
    size = SIZES_MB[options.scale]
    log(f"generating xml12 {size:g} MB (seed {options.seed}) if not cached")
    path, expected = ensure_input("xml12", size, options.seed)
    results = []
    for backend in backends:
        date = now_utc()
        entry = measure(backend, path, expected, options.runs, log)
        results.append({**entry, "date": date, "command": invoked_command()})
    profiles: dict[str, Any] = {}
    if options.profile:
        profile_mb = min(PROFILE_MB, size)
        profile_path, profile_expected = ensure_input("xml12", profile_mb, options.seed)
        for backend in backends:
            log(f"  profiling {backend} capture at {profile_mb:g} MB")
            s = _one_run(backend, profile_path, profile=True, recapture=False)
            profiles[backend] = {
                "size_mb": round(profile_expected["bytes"] / 1e6, 2),
                "events": profile_expected["events"],
                "epc_refs": profile_expected["epc_refs"],
                "wall_s": round(s["wall_s"], 3),
                **s["profile"],
            }
    if options.backend:
        old = previous(NAME, options.scale)
        kept = [r for r in old.get("results", []) if r["backend"] not in backends]
        results = sorted(kept + results, key=lambda r: BACKENDS.index(r["backend"]))
        profiles = {
            **{k: v for k, v in old.get("profiles", {}).items() if k not in backends},
            **profiles,
        }
        profiles = {k: profiles[k] for k in BACKENDS if k in profiles}
    return {
        "workload": NAME,
        "description": DESCRIPTION,
        "scale": options.scale,
        "seed": options.seed,
        "runs": options.runs,
        "targets": TARGETS,
        "postgres_version": postgres_version(),
        "results": results,
        "profiles": profiles,
    }


# --------------------------------------------------------------------------- Markdown


def _k(value: float) -> str:
    return f"{value / 1000:,.1f}k" if value >= 1000 else f"{value:,.0f}"


def verdicts(result: dict[str, Any]) -> list[Verdict]:
    """The issue's targets per backend: EPC refs/s, peak RSS, no new row on re-capture."""
    targets = result["targets"]
    found: list[Verdict] = []
    for r in result["results"]:
        backend = r["backend"]
        goal = targets[f"{backend}_epc_refs_per_s"]
        rss = targets["peak_rss_mb"]
        new = r["recapture"]["new_rows"]
        found += [
            Verdict(
                backend,
                f"≥ {_k(goal)} EPC refs/s",
                _k(r["epc_refs_per_s"]),
                verdict(r["epc_refs_per_s"], goal),
            ),
            Verdict(
                backend,
                f"peak RSS < {rss} MB",
                f"{r['peak_rss_mb']:.0f} MB",
                verdict(r["peak_rss_mb"], rss, lower_is_better=True),
            ),
            Verdict(backend, "re-capture: 0 new rows", str(new), "met" if new == 0 else "missed"),
        ]
    return found


def _reference(machine: dict[str, Any]) -> str:
    """The host's speed (:func:`benchmarks.reference_loop_s`), when the result has it."""
    loop = machine.get("reference_loop_s")
    if loop is None:
        return ""
    return f" Reference loop ({REFERENCE_LOOP:,} Python iterations): {loop:.2f} s of CPU."


def header_lines(result: dict[str, Any], note: str) -> list[str]:
    """Date, machine, load and command."""
    commands = "; ".join(f"`{part}`" for part in str(result.get("command", "?")).split("; "))
    machine = result.get("machine", {})
    packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items() if v)
    return [
        (
            f"Measured {result.get('date', '?')} on {machine.get('cpu', '?')} "
            f"({machine.get('cores', '?')} cores, shared: load average "
            f"{'/'.join(str(x) for x in machine.get('load_average_at_start', []))} at start, "
            f"{'/'.join(str(x) for x in result.get('load_average_at_end', []))} at end), "
            f"Python {machine.get('python', '?')}, {packages}, SQLite {sqlite3.sqlite_version}, "
            f"PostgreSQL {result.get('postgres_version') or '?'}." + _reference(machine)
        ),
        "",
        f"Command: {commands} — scale `{result['scale']}`, {note}",
        "",
    ]


def render(result: dict[str, Any]) -> str:
    """The Markdown section for ``docs/benchmarks.md``."""
    lines = header_lines(
        result,
        (
            f"seed {result['seed']}, median of {result['runs']} runs, each in a fresh process "
            "with a fresh store; throughput per wall-clock second (per CPU second of the capturing "
            "process in brackets; PostgreSQL's server CPU is not in it)."
        ),
    )
    rows = result["results"]
    lines += per_backend_lines(rows)
    if rows:
        first = rows[0]
        lines += [
            (
                f"**Capture**: EPCIS 1.2 XML, {first['size_mb']:.1f} MB, {first['events']:,} "
                f"events, {first['epc_refs']:,} EPC references "
                f"({first['rows']['epc']:,} identifiers, {first['rows']['item_state']:,} "
                "item-state rows):"
            ),
            "",
            (
                "| backend | EPC refs/s | events/s | wall s | CPU s | peak RSS MB | store MB | "
                "runs (wall s) | load (1 min) |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        lines += [
            f"| {r['backend']} | {_k(r['epc_refs_per_s'])} ({_k(r['epc_refs_per_cpu_s'])}) "
            f"| {_k(r['events_per_s'])} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} "
            f"| {r['peak_rss_mb']:.0f} | {r['db_mb']:,.0f} "
            f"| {', '.join(f'{x:.1f}' for x in r['samples_wall_s'])} "
            f"| {', '.join(str(x[0]) for x in r['samples_load_average'] if x)} |"
            for r in rows
        ]
        lines += [
            "",
            "**Re-capture** of the same document into the same store (every event a duplicate):",
            "",
            (
                "| backend | new rows | duplicates | wall s | vs first capture | EPC refs/s "
                "| peak RSS MB |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['backend']} | {r['recapture']['new_rows']} | {r['recapture']['duplicates']:,} "
            f"| {r['recapture']['wall_s']:.1f} | {100 * r['recapture']['ratio_to_first']:.0f}% "
            f"| {_k(r['recapture']['epc_refs_per_s'])} | {r['recapture']['peak_rss_mb']:.0f} |"
            for r in rows
        ]
        lines += [
            "",
            (
                "Targets (issue: SQLite ≥ 200k EPC refs/s, PostgreSQL ≥ 120k/s, peak RSS < 300 MB; "
                "re-capture adds no row):"
            ),
            "",
            *verdict_table(verdicts(result)),
            "",
        ]
    for backend, profile in result.get("profiles", {}).items():
        total = profile["total_s"] or 1.0
        lines += [
            (
                f"Profile, {backend}, capture of {profile['size_mb']:.1f} MB "
                f"({profile['events']:,} events, {profile['epc_refs']:,} EPC refs; cProfile, "
                f"{profile['total_s']:.1f} s under the profiler, which inflates call-heavy "
                "code). Stages by cumulative time (they nest: hash runs inside capture's "
                "batch writer, the projection's SQL inside the projection):"
            ),
            "",
            "| stage | cumulative s | share of capture |",
            "|---|---:|---:|",
        ]
        lines += [
            f"| {s['stage']} | {s['cumulative_s']:.2f} | {100 * s['cumulative_s'] / total:.0f}% |"
            for s in profile["stages"]
        ]
        lines += [
            (
                "| (database driver, own time: sqlite3/psycopg calls) "
                f"| {profile['driver_own_s']:.2f} | {100 * profile['driver_own_s'] / total:.0f}% |"
            ),
            "",
        ]
        lines += profile_lines(
            profile,
            total=total,
            own=("function (top by own time)", 12),
            cumulative=("medtrace function (top by cumulative time)", 15),
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    else:
        sys.stderr.write(
            "usage: python -m benchmarks.store_capture worker ... (use python -m benchmarks run)\n"
        )
        sys.exit(2)
