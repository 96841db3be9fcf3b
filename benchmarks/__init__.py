"""medtrace benchmarks: workloads, their registry and the shared measuring tools.

A *workload* is a module with ``NAME``, ``DESCRIPTION``, ``run(options) -> dict`` (the
figures, JSON-ready), ``render(result) -> str`` (the Markdown table for
``docs/benchmarks.md``) and ``verdicts(result) -> list[Verdict]`` (its targets, measured; the
page's summary table gathers them, :mod:`benchmarks.summary`); one with ``ON_DEMAND = True``
(hours of work) runs only when asked for with ``--only``. :data:`WORKLOADS` lists them by
name; ``python -m benchmarks run`` runs them, writes ``benchmarks/results/<name>.json`` and
regenerates the part of ``docs/benchmarks.md`` between ``<!-- BEGIN name -->`` and
``<!-- END name -->``.

Benchmarks measure and print; they never assert speed (tests assert behaviour). Every figure is
the median of several runs, each in a fresh subprocess so that peak RSS belongs to one run.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Final, Literal, NamedTuple

__all__ = [
    "BENCH_DIR",
    "DOCS_FILE",
    "REFERENCE_LOOP",
    "RESULTS_DIR",
    "WORKLOADS",
    "RunOptions",
    "Scale",
    "Verdict",
    "backend_verdicts",
    "data_dir",
    "load_workload",
    "machine_info",
    "median",
    "profile_lines",
    "reference_loop_s",
    "run_worker",
    "verdict",
    "verdict_table",
]

Scale = Literal["small", "full"]

BENCH_DIR: Final = Path(__file__).resolve().parent
RESULTS_DIR: Final = BENCH_DIR / "results"
DOCS_FILE: Final = BENCH_DIR.parent / "docs" / "benchmarks.md"

#: Workload name -> module (imported on demand, so one broken workload does not stop others).
WORKLOADS: Final[dict[str, str]] = {
    "epcis_parse": "benchmarks.epcis_parse",
    "store_capture": "benchmarks.store_capture",
    "store_query": "benchmarks.store_query",
    "http_load": "benchmarks.http_load",
    "mixed_load": "benchmarks.mixed_load",
    "retention": "benchmarks.retention",
}

_PACKAGES: Final = ("medtrace", "lxml", "orjson", "msgspec", "ijson")


@dataclass(frozen=True, slots=True)
class RunOptions:
    """What the runner asks of a workload."""

    scale: Scale = "small"
    runs: int = 5
    seed: int = 1
    profile: bool = True
    #: ``sqlite`` or ``postgres`` for the store workloads (``None``: every backend they know).
    backend: str | None = None


def load_workload(name: str) -> ModuleType:
    """The workload module registered as ``name``."""
    if name not in WORKLOADS:
        raise KeyError(f"unknown workload {name!r}; known: {', '.join(sorted(WORKLOADS))}")
    return importlib.import_module(WORKLOADS[name])


def data_dir() -> Path:
    """Where generated inputs are cached (``MEDTRACE_BENCH_DATA`` or a temp folder)."""
    path = Path(
        os.environ.get("MEDTRACE_BENCH_DATA") or Path(tempfile.gettempdir()) / "medtrace-bench"
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


class Verdict(NamedTuple):
    """One target of an issue as a workload measured it."""

    #: what the figure is of: a backend (``sqlite``, ``postgres``), an input format, or ""
    scope: str
    #: the target in words, e.g. ``≥ 120.0k EPC refs/s``
    target: str
    #: the figure, with its unit
    measured: str
    #: ``met`` or how far off (:func:`verdict`)
    verdict: str


def verdict(value: float, target: float, *, lower_is_better: bool = False) -> str:
    """``met`` or how far off: ``missed by 28% (1.4x short)``, ``missed: 1.4x the limit``."""
    ok = value <= target if lower_is_better else value >= target
    if ok:
        return "met"
    if lower_is_better:
        return f"missed: {_times(value / target)} the limit"
    return f"missed by {100 * (1 - value / target):.0f}% ({_times(target / value)} short)"


def _times(ratio: float) -> str:
    """``1.4x``; two decimals below 1.1 (a near miss is not "1.0x")."""
    return f"{ratio:.2f}x" if ratio < 1.1 else f"{ratio:.1f}x"


def backend_verdicts(
    result: dict[str, Any], of_backend: Callable[[str, dict[str, Any]], list[Verdict]]
) -> list[Verdict]:
    """The verdicts of a result measured per backend (``result["backends"]``), backend by
    backend: ``of_backend(backend, its figures)``."""
    return [
        row
        for backend, figures in result["backends"].items()
        for row in of_backend(backend, figures)
    ]


def verdict_table(rows: Sequence[Verdict], *, head: str = "target") -> list[str]:
    """``rows`` as a Markdown table ``| target | measured | verdict |`` (the scope, when set,
    leads the target's words)."""
    lines = [f"| {head} | measured | verdict |", "|---|---:|---|"]
    for row in rows:
        target = f"{row.scope} {row.target}" if row.scope else row.target
        lines.append(f"| {target} | {row.measured} | {row.verdict} |")
    return lines


def median(values: Sequence[float]) -> float:
    """The median (the figure reported for repeated runs)."""
    return float(statistics.median(values))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def load_average() -> list[float]:
    """The 1/5/15-minute load averages (other work on the machine makes figures noisy)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


#: Iterations of :func:`reference_loop_s`'s loop.
REFERENCE_LOOP: Final = 5_000_000


def reference_loop_s(repeat: int = 3) -> float:
    """Seconds of one core for a fixed pure-Python loop (best of ``repeat``): how fast this
    host runs Python right now.

    "AMD EPYC, 2 cores" says little on a shared VM: the same code measured 2.5x slower on one
    session's host than on the previous one's, all of it CPU work. Recorded with every result,
    this figure tells a slower host from slower code (lower is faster)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        total = 0
        for i in range(REFERENCE_LOOP):
            total += i & 7
        best = min(best, time.process_time() - start)
    return round(best, 3)


def machine_info() -> dict[str, Any]:
    """The machine and software the figures were measured on."""
    return {
        "cpu": _cpu_model(),
        "reference_loop_s": reference_loop_s(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": {name: _version(name) for name in _PACKAGES},
        "load_average_at_start": load_average(),
    }


def profile_lines(
    profile: dict[str, Any],
    *,
    total: float,
    own: tuple[str, int],
    cumulative: tuple[str, int],
    share: str = "share",
) -> list[str]:
    """The two Markdown profile tables (top functions by own time, then by cumulative time).

    ``own`` / ``cumulative`` are each table's header for the function column and its row count;
    shares are of ``total`` seconds (the own table uses the profile's own share).
    """
    (own_header, own_rows), (cumulative_header, cumulative_rows) = own, cumulative
    lines = [
        f"| {own_header} | calls | own s | {share} |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| `{row['function']}` | {row['calls']:,} | {row['own_s']:.2f} "
        f"| {100 * row['own_share']:.0f}% |"
        for row in profile["by_own"][:own_rows]
    ]
    lines += [
        "",
        f"| {cumulative_header} | calls | cumulative s | {share} |",
        "|---|---:|---:|---:|",
    ]
    lines += [
        f"| `{row['function']}` | {row['calls']:,} | {row['cumulative_s']:.2f} "
        f"| {100 * row['cumulative_s'] / (total or 1):.0f}% |"
        for row in profile["by_cumulative"][:cumulative_rows]
    ]
    return lines


def now_utc() -> str:
    """The current time, ISO 8601 UTC, to the second."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def run_worker(module: str, args: Sequence[str], *, timeout: float = 900.0) -> dict[str, Any]:
    """Run ``python -m module args...`` in a fresh interpreter; return the JSON it prints last.

    A fresh process per measurement makes ``ru_maxrss`` (peak RSS) that run's own.
    """
    cmd = [sys.executable, "-m", module, *args]
    env = dict(os.environ)
    env["PYTHONHASHSEED"] = "0"
    proc = subprocess.run(  # noqa: PLW1510 - checked below with the worker's stderr
        cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=BENCH_DIR.parent
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"worker {' '.join(cmd)} failed with exit code {proc.returncode}:\n{proc.stderr}"
        )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"worker {' '.join(cmd)} printed no JSON:\n{proc.stdout}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result
