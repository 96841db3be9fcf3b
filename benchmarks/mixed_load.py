"""Workload ``mixed_load``: capture and verification at the same time, over HTTP.

A distributor's server receives its suppliers' EPCIS files while pharmacies verify returned
packs. This workload offers both at once to ``medtrace serve`` (``--workers`` = cores):

* **capture**: a client thread POSTs generated DSCSA documents (:mod:`benchmarks.generate`,
  ``DOC_MB`` each, every one new) to ``POST /capture`` on a schedule that offers
  ``CAPTURE_EVENTS_PER_S`` events per second for ``DURATION`` seconds, without waiting for the
  jobs; afterwards it waits until every job has finished;
* **verification**: ``wrk`` on a constant-rate schedule of ``VERIFY_PER_S`` requests per
  second (``CONNECTIONS`` connections; :data:`benchmarks.http_load._PACE`: the rate offered does
  not fall when the answers slow down under capture) sends DSCSA VRS requests for random packs
  of the repository during the same window.

``--backend`` picks SQLite or PostgreSQL (by default both run, SQLite first); the repository is
the read repository of :func:`benchmarks.http_load.read_location`.

Reported: the verification rate achieved and its latency percentiles, alone (a baseline of the
same schedule before the capture starts) and under capture, with the requests sent late because
every connection was busy (their wait is not in wrk's percentiles); the capture rate offered,
the events finished within the window, and the sustained rate (all events over the time until
the last job finished). Median of ``--runs`` windows, each with fresh documents.
"""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from benchmarks import (
    RunOptions,
    Verdict,
    backend_verdicts,
    data_dir,
    load_average,
    median,
    now_utc,
    verdict,
    verdict_table,
)
from benchmarks.epcis_parse import ensure_input
from benchmarks.http_load import (
    PACED_CONNECTIONS,
    admin_key,
    paced,
    post_capture,
    prepare_store,
    read_location,
    run_wrk,
    sample_packs,
    server,
    vrs_paths,
    wait_job,
    wrk_script,
    wrk_version,
)
from benchmarks.store_capture import header_lines, postgres_version

NAME: Final = "mixed_load"
DESCRIPTION: Final = (
    "POST /capture at 2,000 events/s while wrk sends 500 DSCSA verifications/s (verify p99)"
)
CAPTURE_EVENTS_PER_S: Final = 2000.0
VERIFY_PER_S: Final = 500.0
CONNECTIONS: Final = PACED_CONNECTIONS
DURATION: Final = {"small": 20, "full": 60}
DOC_MB: Final = 1.0
TARGET_P99_MS: Final = 100.0
_SEED_BASE: Final = 5000


class _Offer(threading.Thread):
    """POSTs documents on schedule; records when each was sent and its job location."""

    def __init__(
        self, url: str, token: str, docs: list[tuple[Path, dict[str, Any]]], seconds: float
    ) -> None:
        super().__init__(name="capture-offer", daemon=True)
        self.url, self.token, self.docs, self.seconds = url, token, docs, seconds
        self.sent: list[tuple[float, str, int]] = []
        self.error: BaseException | None = None
        self.started_at = 0.0

    def run(self) -> None:
        try:
            self.started_at = due = time.monotonic()
            for path, expected in self.docs:
                if due - self.started_at >= self.seconds:
                    break
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                location = post_capture(self.url, path, self.token)
                events = int(expected["events"])
                self.sent.append((time.monotonic(), location, events))
                due += events / CAPTURE_EVENTS_PER_S
        except BaseException as error:  # noqa: BLE001 - reported by the runner
            self.error = error


def _job_finished(url: str, location: str, token: str) -> bool:
    return bool(wait_job(url, location, token, once=True).get("running") is False)


def _window(
    url: str,
    token: str,
    script: Path,
    docs: list[tuple[Path, dict[str, Any]]],
    seconds: int,
) -> dict[str, Any]:
    offer = _Offer(url, token, docs, seconds)
    offer.start()
    verify = run_wrk(url, script, connections=CONNECTIONS, seconds=seconds)
    offer.join()
    if offer.error is not None:
        raise RuntimeError(f"capture offer failed: {offer.error}") from offer.error
    window_end = offer.started_at + seconds
    done_in_window = sum(
        events for _t, location, events in offer.sent if _job_finished(url, location, token)
    )
    finished = offer.started_at
    for _t, location, _events in offer.sent:
        job = wait_job(url, location, token)
        if not job.get("success"):
            raise RuntimeError(f"capture job failed: {str(job)[:500]}")
        finished = time.monotonic()
    offered = sum(events for _t, _l, events in offer.sent)
    return {
        "verify": verify,
        "documents": len(offer.sent),
        "events_offered": offered,
        "offered_events_per_s": offered / seconds,
        "events_done_in_window": done_in_window,
        "window_events_per_s": done_in_window / seconds,
        "drain_s": max(0.0, finished - window_end),
        "sustained_events_per_s": offered / (finished - offer.started_at),
    }


def run(options: RunOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Per backend (``--backend``, default both): baseline, then ``--runs`` mixed windows."""
    workers = os.cpu_count() or 1
    seconds = DURATION[options.scale]
    per_doc = ensure_input("xml12", DOC_MB, _SEED_BASE)[1]["events"]
    needed = int(CAPTURE_EVENTS_PER_S * seconds / per_doc) + 2
    log(f"preparing {needed * options.runs} documents of {DOC_MB} MB (~{per_doc} events each)")
    batches = [
        [ensure_input("xml12", DOC_MB, _SEED_BASE + r * needed + i) for i in range(needed)]
        for r in range(options.runs)
    ]
    result: dict[str, Any] = {
        "scale": options.scale,
        "runs": options.runs,
        "seed": options.seed,
        "workers": workers,
        "seconds": seconds,
        "doc_mb": DOC_MB,
        "events_per_doc": per_doc,
        "wrk": wrk_version(),
        "backends": {},
    }
    backends = [options.backend] if options.backend else ["sqlite", "postgres"]
    if "postgres" in backends:
        result["postgres_version"] = postgres_version()
    for backend in backends:
        log(f"-- {backend}")
        with (
            tempfile.TemporaryDirectory(prefix="medtrace-mixed-", dir=data_dir()) as tmp,
            read_location(backend, options, Path(tmp), log) as (location, described),
        ):
            figures = _measure(
                location, batches, Path(tmp), options=options, workers=workers, log=log
            )
        result["backends"][backend] = {"store": described, **figures}
    return result


def _measure(
    location: str,
    batches: list[list[tuple[Path, dict[str, Any]]]],
    work: Path,
    *,
    options: RunOptions,
    workers: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    seconds = DURATION[options.scale]
    keys = prepare_store(location)
    capture_token = admin_key(location)
    packs = sample_packs(location, 20_000, random.Random(options.seed))
    paths = vrs_paths(packs)
    with server(location, workers, work / "server.log") as url:
        token = keys["wholesaler"]
        warm_up = wrk_script(paths, token, work, "warm-up")
        run_wrk(url, warm_up, connections=CONNECTIONS, seconds=3)
        baseline = paced(
            url,
            paths,
            token,
            work,
            name="baseline",
            rate=VERIFY_PER_S,
            seconds=max(5, seconds // 2),
        )
        log(
            f"  verification alone: {baseline['rps']:,.0f} req/s, p99 "
            f"{baseline['p99_ms']:.1f} ms, {baseline['late']} late, load {load_average()[:1]}"
        )
        script = wrk_script(paths, token, work, "vrs", rate=VERIFY_PER_S)
        windows = []
        for i, docs in enumerate(batches):
            load = load_average()
            window = _window(url, capture_token, script, docs, seconds)
            window["load_average"] = load
            windows.append(window)
            v = window["verify"]
            log(
                f"  window {i + 1}/{options.runs}: verify {v['rps']:,.0f} req/s p99 "
                f"{v['p99_us'] / 1000:.1f} ms ({v['errors']} errors, {v['late']} late); capture "
                f"offered {window['offered_events_per_s']:,.0f} events/s, finished in window "
                f"{window['window_events_per_s']:,.0f}/s, sustained "
                f"{window['sustained_events_per_s']:,.0f}/s (drained "
                f"{window['drain_s']:.0f} s after), load {load[:1]}"
            )
    return {
        "date": now_utc(),
        "baseline": baseline,
        "verify": {
            "rps": round(median([w["verify"]["rps"] for w in windows]), 1),
            "p50_ms": round(median([w["verify"]["p50_us"] for w in windows]) / 1000, 2),
            "p90_ms": round(median([w["verify"]["p90_us"] for w in windows]) / 1000, 2),
            "p99_ms": round(median([w["verify"]["p99_us"] for w in windows]) / 1000, 2),
            "max_ms": round(median([w["verify"]["max_us"] for w in windows]) / 1000, 2),
            "errors": sum(w["verify"]["errors"] for w in windows),
            "late": sum(w["verify"]["late"] for w in windows),
            "late_max_ms": round(max(w["verify"]["late_max_us"] for w in windows) / 1000, 2),
        },
        "capture": {
            key: round(median([w[key] for w in windows]), 1)
            for key in (
                "offered_events_per_s",
                "window_events_per_s",
                "sustained_events_per_s",
                "drain_s",
            )
        },
        "windows": windows,
    }


def render(result: dict[str, Any]) -> str:
    """The Markdown section of ``docs/benchmarks.md``."""
    lines = header_lines(
        result,
        f"`medtrace serve --workers {result['workers']}`, {result['wrk']} on the same machine, "
        f"{result['seconds']} s windows, median of {result['runs']}. Capture offered: "
        f"{result['doc_mb']} MB documents of {result['events_per_doc']} events on a schedule of "
        f"{CAPTURE_EVENTS_PER_S:,.0f} events/s; verification on a constant-rate schedule "
        f"of {VERIFY_PER_S:,.0f} requests/s ({CONNECTIONS} connections).",
    )
    for backend, figures in result["backends"].items():
        lines += [f"**{backend}** ({figures['date']}, {figures['store']}):", ""]
        lines += _render_backend(figures)
        lines.append("")
    return "\n".join(lines).rstrip()


def _late(figures: dict[str, Any]) -> str:
    """Requests sent after their slot (results from before the schedule have no such count)."""
    if "late" not in figures:
        return "n/a (fixed delay)"
    return f"{figures['late']} ({figures['late_max_ms']})"


def verdicts(result: dict[str, Any]) -> list[Verdict]:
    """The issue's targets per backend: capture rate, verification rate and p99 meanwhile."""
    return backend_verdicts(result, _backend_verdicts)


def _backend_verdicts(backend: str, result: dict[str, Any]) -> list[Verdict]:
    v, sustained = result["verify"], result["capture"]["sustained_events_per_s"]
    return [
        Verdict(
            backend,
            "capture 2,000 events/s",
            f"{sustained:,.0f} sustained",
            verdict(sustained, CAPTURE_EVENTS_PER_S),
        ),
        Verdict(
            backend,
            "while serving 500 verifications/s (≥ 95% of the paced rate)",
            f"{v['rps']:,.0f}",
            verdict(v["rps"], VERIFY_PER_S * 0.95),
        ),
        Verdict(
            backend,
            "verify p99 < 100 ms",
            f"{v['p99_ms']} ms",
            verdict(v["p99_ms"], TARGET_P99_MS, lower_is_better=True),
        ),
    ]


def _render_backend(result: dict[str, Any]) -> list[str]:
    v, base, cap = result["verify"], result["baseline"], result["capture"]
    return [
        "| | req/s | p50 ms | p90 ms | p99 ms | max ms | errors | sent late (latest, ms) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        (
            f"| verification alone | {base['rps']:,.0f} | {base['p50_ms']} | | "
            f"{base['p99_ms']} | | {base['errors']} | {_late(base)} |"
        ),
        (
            f"| verification during capture | {v['rps']:,.0f} | {v['p50_ms']} | {v['p90_ms']} | "
            f"{v['p99_ms']} | {v['max_ms']} | {v['errors']} | {_late(v)} |"
        ),
        "",
        "| capture | events/s |",
        "|---|---:|",
        f"| offered | {cap['offered_events_per_s']:,.0f} |",
        f"| finished within the window | {cap['window_events_per_s']:,.0f} |",
        (
            f"| sustained (until the last job finished, {cap['drain_s']:.0f} s after the window) | "
            f"{cap['sustained_events_per_s']:,.0f} |"
        ),
        "",
        *verdict_table(_backend_verdicts("", result), head="target (issue)"),
    ]
