"""Workload ``store_query``: point reads on a big repository (events, custody, item state).

The repository is built by capturing :mod:`benchmarks.generate` documents of ~1M EPC
references each (seeds ``seed``, ``seed + 1``, …) with
:meth:`medtrace.store.repository.Repository.capture`, so it has what real captures leave:
``event``, ``event_epc`` (one row per EPC reference), ``epc`` keys, the item-state projection,
master data. ``--scale small`` captures 1 document (~1M ``event_epc`` rows), ``--scale full``
10 (~10M rows). The build is a step of the workload and its capture times are reported; a
SQLite store is cached under ``$MEDTRACE_BENCH_DATA`` (``store-query-<scale>-…sqlite``) and
reused by later runs (delete it to rebuild). A PostgreSQL store is built in a fresh schema
and dropped at the end.

Each measurement run is a fresh subprocess (``python -m benchmarks.store_query worker``) that
opens the store, draws random item serials (SGTINs, from random ``epc`` keys; seeded), warms
up on other serials, then times each call in process with ``perf_counter_ns``:

``events``
    ``Repository.query(EventQuery(match_epc=(<the SGTIN URN>,)))`` (``MATCH_epc``: the
    item's commissioning and packing events), all pages;
``history``
    ``Repository.history(<SGTIN URN>)``: the chain of custody through case and pallet;
``item``
    ``Repository.item(<SGTIN URN>)``: the item-state row.

Reported: p50/p90/p99/max per operation, the median of the runs' percentiles. The store is
hot in the OS page cache (it was just built or read; the machine has ample RAM), so these
are warm-cache figures, as for a server that has been running.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import sqlalchemy as sa

from benchmarks import (
    RunOptions,
    Verdict,
    data_dir,
    load_average,
    median,
    now_utc,
    run_worker,
    verdict,
)
from benchmarks.epcis_parse import _generator_tag, ensure_input
from benchmarks.store_capture import (
    BACKENDS,
    db_size_mb,
    header_lines,
    new_schema_name,
    pg_create_schema,
    pg_drop_schema,
    pg_location,
    postgres_version,
    previous,
    table_rows,
)
from medtrace.epcis.query_model import EventQuery
from medtrace.epcis.query_patterns import parse_pattern
from medtrace.store import schema
from medtrace.store.repository import Repository

NAME: Final = "store_query"
DESCRIPTION: Final = (
    "MATCH_epc events, chain of custody and item state for random serials on a repository "
    "of ~1M (small) / ~10M (full) event_epc rows"
)
#: Documents of ~1M EPC references captured to build the repository, per scale.
DOCUMENTS: Final[dict[str, int]] = {"small": 1, "full": 10}
DOCUMENT_MB: Final = 81.0
SAMPLES: Final = 2000
WARMUP: Final = 200
OPERATIONS: Final = ("events", "history", "item")
TARGETS_MS: Final = {"events": 5.0, "history": 10.0, "item": 1.0}
_TITLES: Final = {
    "events": "events for one serial (`Repository.query`, MATCH_epc)",
    "history": "chain of custody (`Repository.history`)",
    "item": "item state (`Repository.item`)",
}


# --------------------------------------------------------------------------- the build


def _sgtin_urn(gtin: str, serial: str) -> str:
    """The SGTIN pure-identity URN of a generated item (7-digit company prefix, see generate)."""
    return f"urn:epc:id:sgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.{serial}"


def build(location: str, scale: str, seed: int, log: Callable[[str], None]) -> list[dict[str, Any]]:
    """Capture the scale's documents into the (empty) store at ``location``; their figures."""
    captures: list[dict[str, Any]] = []
    for i in range(DOCUMENTS[scale]):
        path, expected = ensure_input("xml12", DOCUMENT_MB, seed + i)
        sample = run_worker(
            "benchmarks.store_query",
            ["build-worker", "--db", location, "--file", str(path)],
            timeout=7200,
        )
        if sample["captured"] != expected["events"] or sample["rejected"]:
            raise RuntimeError(
                f"build: captured {sample['captured']} of {expected['events']} events "
                f"({sample['rejected']} rejected) from {path}"
            )
        entry = {
            "document": i + 1,
            "seed": seed + i,
            "events": expected["events"],
            "epc_refs": expected["epc_refs"],
            "wall_s": round(sample["wall_s"], 2),
            "cpu_s": round(sample["cpu_s"], 2),
            "epc_refs_per_s": round(expected["epc_refs"] / sample["wall_s"]),
            "peak_rss_mb": round(sample["peak_rss_kb"] / 1024, 1),
            "event_epc_rows_after": sample["event_epc_rows"],
            "load_average": load_average(),
        }
        captures.append(entry)
        log(
            f"  build {i + 1}/{DOCUMENTS[scale]}: {entry['wall_s']:.0f} s, "
            f"{entry['epc_refs_per_s']:,} EPC refs/s, {entry['event_epc_rows_after']:,} "
            f"event_epc rows, {entry['peak_rss_mb']:.0f} MB peak, load {entry['load_average'][:1]}"
        )
    return captures


def build_worker(argv: list[str]) -> None:
    """Child process: capture one document into the store; print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_query build-worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--file", type=Path, required=True)
    args = parser.parse_args(argv)
    with Repository.open(args.db, create=True) as repo:
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        result = repo.capture(args.file)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        with repo.engine.connect() as conn:
            rows = conn.execute(
                sa.select(sa.func.count()).select_from(schema.event_epc)
            ).scalar_one()
    out = {
        "captured": result.captured,
        "rejected": len(result.rejected),
        "wall_s": wall,
        "cpu_s": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss_kb": after.ru_maxrss,
        "event_epc_rows": int(rows),
    }
    sys.stdout.write(json.dumps(out) + "\n")


def _sqlite_store(scale: str, seed: int) -> Path:
    return data_dir() / f"store-query-{scale}-seed{seed}-{_generator_tag()}.sqlite"


# --------------------------------------------------------------------------- the worker process


def _serials(repo: Repository, count: int, rng: random.Random) -> list[str]:
    """``count`` distinct random item serials (SGTIN URNs) of the store."""
    st = schema.item_state
    with repo.engine.connect() as conn:
        top = int(conn.execute(sa.select(sa.func.max(schema.epc.c.id))).scalar_one())
        found: dict[int, str] = {}
        while len(found) < count:
            ids = sorted({rng.randint(1, top) for _ in range(2 * (count - len(found)))})
            for start in range(0, len(ids), 900):
                for epc_id, gtin, serial in conn.execute(
                    sa.select(st.c.epc_id, st.c.gtin, st.c.serial).where(
                        st.c.epc_id.in_(ids[start : start + 900]), st.c.kind == "sgtin"
                    )
                ):
                    found.setdefault(int(epc_id), _sgtin_urn(gtin, serial))
    urns = list(found.values())
    rng.shuffle(urns)
    return urns[:count]


def _percentiles(ns: list[int]) -> dict[str, float]:
    ordered = sorted(ns)
    n = len(ordered)

    def pick(q: float) -> float:
        return ordered[min(n - 1, max(0, round(q * n) - 1))] / 1e6

    return {
        "p50_ms": round(pick(0.50), 4),
        "p90_ms": round(pick(0.90), 4),
        "p99_ms": round(pick(0.99), 4),
        "max_ms": round(ordered[-1] / 1e6, 4),
        "mean_ms": round(sum(ordered) / n / 1e6, 4),
    }


def worker(argv: list[str]) -> None:
    """Child process: time each operation on random serials; print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.store_query worker")
    parser.add_argument("--db", required=True)
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    out: dict[str, Any] = {}
    with Repository.open(args.db, create=False) as repo:
        urns = _serials(repo, args.samples + args.warmup, rng)
        warm, timed = urns[: args.warmup], urns[args.warmup :]
        calls: dict[str, Callable[[str], int]] = {
            "events": lambda urn: len(
                repo.query(EventQuery(match_epc=(parse_pattern(urn),))).events
            ),
            "history": lambda urn: len(repo.history(urn)),
            "item": lambda urn: 0 if repo.item(urn) is None else 1,
        }
        for op, call in calls.items():
            for urn in warm:
                call(urn)
            times: list[int] = []
            cpu_times: list[int] = []
            sizes: list[int] = []
            for urn in timed:
                cpu = time.thread_time_ns()
                start = time.perf_counter_ns()
                n = call(urn)
                times.append(time.perf_counter_ns() - start)
                cpu_times.append(time.thread_time_ns() - cpu)
                sizes.append(n)
            out[op] = {
                **_percentiles(times),
                **{f"cpu_{k}": v for k, v in _percentiles(cpu_times).items()},
                "samples": len(times),
                "empty": sum(1 for n in sizes if n == 0),
                "mean_results": round(sum(sizes) / len(sizes), 2),
            }
        out["rows"] = table_rows(repo)
        out["peak_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sys.stdout.write(json.dumps(out) + "\n")


# --------------------------------------------------------------------------- the runner process


def measure_reads(
    location: str, runs: int, seed: int, log: Callable[[str], None]
) -> dict[str, Any]:
    """Percentiles of events / history / item on ``location`` (``runs`` worker processes)."""
    samples = []
    for i in range(runs):
        load = load_average()
        s = run_worker(
            "benchmarks.store_query",
            [
                "worker",
                "--db",
                location,
                "--seed",
                str(seed + i),
                "--samples",
                str(SAMPLES),
                "--warmup",
                str(WARMUP),
            ],
            timeout=3600,
        )
        s["load_average"] = load
        for op in OPERATIONS:
            if s[op]["empty"]:
                raise RuntimeError(f"{op}: {s[op]['empty']} serials found nothing")
        samples.append(s)
        log(
            f"  run {i + 1}/{runs}: "
            + ", ".join(
                f"{op} p50 {s[op]['p50_ms']:.2f} / p99 {s[op]['p99_ms']:.2f} ms"
                for op in OPERATIONS
            )
            + f"; load {load[:1]}"
        )
    ops = {
        op: {
            key: round(median([s[op][key] for s in samples]), 4)
            for key in (
                "p50_ms",
                "p90_ms",
                "p99_ms",
                "max_ms",
                "mean_ms",
                "mean_results",
                "cpu_p50_ms",
                "cpu_p99_ms",
            )
        }
        | {"samples": samples[0][op]["samples"], "runs_p99_ms": [s[op]["p99_ms"] for s in samples]}
        for op in OPERATIONS
    }
    return {
        "operations": ops,
        "rows": samples[0]["rows"],
        "peak_rss_mb": round(median([s["peak_rss_kb"] for s in samples]) / 1024, 1),
        "samples_load_average": [s["load_average"] for s in samples],
    }


def run(options: RunOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Build (or reuse) the repository, then measure the point reads; per backend."""
    backends = (options.backend,) if options.backend else ("sqlite",)
    results: list[dict[str, Any]] = []
    for backend in backends:
        date = now_utc()
        entry: dict[str, Any] = {"backend": backend, "date": date}
        if backend == "sqlite":
            path = _sqlite_store(options.scale, options.seed)
            meta = path.with_suffix(".build.json")
            if path.exists() and meta.exists():
                log(f"reusing {path}")
                entry["build"] = json.loads(meta.read_text())
                entry["build"]["reused"] = True
            else:
                for suffix in ("", "-wal", "-shm"):
                    Path(str(path) + suffix).unlink(missing_ok=True)
                log(f"building {path} ({DOCUMENTS[options.scale]} documents)")
                start = time.perf_counter()
                captures = build(str(path), options.scale, options.seed, log)
                entry["build"] = {
                    "date": date,
                    "documents": captures,
                    "wall_s": round(time.perf_counter() - start, 1),
                    "reused": False,
                }
                meta.write_text(json.dumps(entry["build"]))
            with Repository.open(str(path)) as repo:
                entry["db_mb"] = db_size_mb(repo, str(path))
            entry.update(measure_reads(str(path), options.runs, options.seed, log))
        else:
            name = new_schema_name()
            pg_create_schema(name)
            try:
                location = pg_location(name)
                start = time.perf_counter()
                captures = build(location, options.scale, options.seed, log)
                entry["build"] = {
                    "date": date,
                    "documents": captures,
                    "wall_s": round(time.perf_counter() - start, 1),
                    "reused": False,
                }
                with Repository.open(location) as repo:
                    entry["db_mb"] = db_size_mb(repo, location)
                    with repo.engine.begin() as conn:
                        conn.execute(sa.text("ANALYZE"))
                entry.update(measure_reads(location, options.runs, options.seed, log))
            finally:
                pg_drop_schema(name)
        results.append(entry)
    if options.backend:
        old = previous(NAME, options.scale)
        kept = [r for r in old.get("results", []) if r["backend"] not in backends]
        results = sorted(kept + results, key=lambda r: BACKENDS.index(r["backend"]))
    return {
        "workload": NAME,
        "description": DESCRIPTION,
        "scale": options.scale,
        "seed": options.seed,
        "runs": options.runs,
        "samples": SAMPLES,
        "targets_ms": TARGETS_MS,
        "postgres_version": postgres_version(),
        "results": results,
    }


# --------------------------------------------------------------------------- Markdown


def verdicts(result: dict[str, Any]) -> list[Verdict]:
    """The issue's p99 targets per backend and read operation."""
    targets = result["targets_ms"]
    return [
        Verdict(
            r["backend"],
            f"{_TITLES[op]} p99 < {targets[op]:g} ms",
            f"{r['operations'][op]['p99_ms']:.2f} ms",
            verdict(r["operations"][op]["p99_ms"], targets[op], lower_is_better=True),
        )
        for r in result["results"]
        for op in OPERATIONS
    ]


def render(result: dict[str, Any]) -> str:
    """The Markdown section for ``docs/benchmarks.md``."""
    lines = header_lines(
        result,
        (
            f"seed {result['seed']}, {result['samples']:,} random serials per run after a "
            f"warm-up, median of {result['runs']} runs' percentiles, each run in a fresh process; "
            "warm OS page cache."
        ),
    )
    targets = result["targets_ms"]
    for r in result["results"]:
        build = r["build"]
        docs = build["documents"]
        rows = r["rows"]
        lines += [
            (
                f"**{r['backend']}** ({r['date']}): {rows['event_epc']:,} `event_epc` rows, "
                f"{rows['event']:,} events, {rows['epc']:,} identifiers, "
                f"{rows['item_state']:,} item-state rows, {r['db_mb']:,.0f} MB on disk. "
                f"Built by capturing {len(docs)} document(s) of ~1M EPC references in "
                f"{build['wall_s']:,.0f} s"
                + (" (cached store, built earlier)" if build.get("reused") else "")
                + ":"
            ),
            "",
            (
                "| document | EPC refs | capture s | EPC refs/s | event_epc rows after "
                "| peak RSS MB | load (1 min) |"
            ),
            "|---:|---:|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {d['document']} | {d['epc_refs']:,} | {d['wall_s']:.0f} | {d['epc_refs_per_s']:,} "
            f"| {d['event_epc_rows_after']:,} | {d['peak_rss_mb']:.0f} "
            f"| {d['load_average'][0] if d['load_average'] else '?'} |"
            for d in docs
        ]
        lines += [
            "",
            (
                "| operation | p50 ms | p90 ms | p99 ms | max ms | CPU p50 / p99 ms "
                "| results per call | target | verdict |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for op in OPERATIONS:
            o = r["operations"][op]
            lines.append(
                f"| {_TITLES[op]} | {o['p50_ms']:.2f} | {o['p90_ms']:.2f} | {o['p99_ms']:.2f} "
                f"| {o['max_ms']:.1f} "
                f"| {o.get('cpu_p50_ms', 0):.2f} / {o.get('cpu_p99_ms', 0):.2f} "
                f"| {o['mean_results']:g} | p99 < {targets[op]:g} ms "
                f"| {verdict(o['p99_ms'], targets[op], lower_is_better=True)} |"
            )
        lines += [
            "",
            "Latency is wall-clock time per call; CPU is the calling thread's CPU time (it leaves "
            "out time the process waited for a core on the shared machine). p99 of each run (ms): "
            + "; ".join(
                f"{op} {', '.join(f'{x:.2f}' for x in r['operations'][op]['runs_p99_ms'])}"
                for op in OPERATIONS
            )
            + ". Load average (1 min) at the start of each run: "
            + ", ".join(str(x[0]) for x in r["samples_load_average"] if x)
            + f". Peak RSS of a measuring process: {r['peak_rss_mb']:.0f} MB.",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    elif len(sys.argv) > 1 and sys.argv[1] == "build-worker":
        build_worker(sys.argv[2:])
    else:
        sys.stderr.write(
            "usage: python -m benchmarks.store_query worker|build-worker ... "
            "(use python -m benchmarks run)\n"
        )
        sys.exit(2)
