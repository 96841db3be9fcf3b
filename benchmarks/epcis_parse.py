"""Workload ``epcis_parse``: read + validate + hash a big DSCSA-style EPCIS document on one core.

The input is made by :mod:`benchmarks.generate` (EPCIS 1.2 XML with SBDH and master data, and
the same content as EPCIS 2.0 JSON-LD). Each measurement runs in a fresh single-threaded
subprocess (``python -m benchmarks.epcis_parse worker ...``) that streams the file through
the project's readers and reports wall time, CPU time and peak RSS (``ru_maxrss``).

Stages, so that the time can be attributed:

``floor``
    the bare library the reader is built on, producing no model: lxml ``iterparse`` of the
    event elements (XML), ``ijson.items`` over ``eventList`` (JSON-LD);
``parse``
    the streaming reader (:func:`medtrace.epcis.xml_reader.iter_xml_events`,
    :func:`medtrace.epcis.jsonld_reader.iter_jsonld_events`) building model events;
``parse+hash``
    plus the CBV 2.0 event hash (:func:`medtrace.epcis.hashing.event_hash`);
``parse+validate+hash``
    plus :func:`medtrace.epcis.validate.validate_event` (skipped while it does not exist).

Throughput is reported per wall-clock second and per CPU second (the machine is shared, CPU
time is the steadier figure). Every EPC in ``epcList``/``childEPCs``/``parentID`` (and the
input/output lists) counts as one EPC reference. Peak RSS is measured at three file sizes to
show that streaming keeps memory flat.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import importlib
import io
import json
import pstats
import resource
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import ijson  # type: ignore[import-untyped]
from lxml import etree

from benchmarks import (
    RunOptions,
    Verdict,
    data_dir,
    load_average,
    median,
    profile_lines,
    run_worker,
    verdict,
)
from benchmarks.generate import FORMATS, Format, generate_file
from medtrace.epcis.hashing import event_hash
from medtrace.epcis.jsonld_reader import iter_jsonld_events
from medtrace.epcis.xml_reader import iter_xml_events

NAME: Final = "epcis_parse"
DESCRIPTION: Final = "stream-read + validate + hash a DSCSA EPCIS document (XML 1.2, JSON-LD)"

STAGES: Final = ("floor", "parse", "parse+hash", "parse+validate+hash")
FULL_STAGE: Final = "parse+validate+hash"
SIZES_MB: Final[dict[str, tuple[float, ...]]] = {
    "small": (1.0, 2.5, 5.0),
    "full": (10.0, 35.0, 70.0),
}
TARGETS: Final = {"events_per_s": 20_000, "epc_refs_per_s": 400_000, "peak_rss_mb": 300}
_FORMAT_TITLES: Final = {
    "xml12": "EPCIS 1.2 XML (SBDH, master data)",
    "jsonld": "EPCIS 2.0 JSON-LD",
}
_SUFFIX: Final = {"xml12": "xml", "jsonld": "jsonld"}
_EPC_FIELDS: Final = ("epc_list", "child_epcs", "input_epcs", "output_epcs")
_PROFILE_TOP: Final = 15


# --------------------------------------------------------------------------- inputs


def _generator_tag() -> str:
    source = (Path(__file__).parent / "generate.py").read_bytes()
    return hashlib.sha256(source).hexdigest()[:8]


def ensure_input(fmt: Format, size_mb: float, seed: int) -> tuple[Path, dict[str, Any]]:
    """The cached generated document for (format, size, seed) and its generation stats."""
    stem = f"dscsa-{fmt}-{size_mb:g}mb-seed{seed}-{_generator_tag()}"
    path = data_dir() / f"{stem}.{_SUFFIX[fmt]}"
    meta = data_dir() / f"{stem}.stats.json"
    if path.exists() and meta.exists():
        return path, json.loads(meta.read_text())
    tmp = path.with_suffix(".partial")
    stats = generate_file(fmt, str(tmp), size_bytes=int(size_mb * 1_000_000), seed=seed)
    tmp.replace(path)
    info = {
        "bytes": stats.bytes,
        "events": stats.events,
        "epc_refs": stats.epc_refs,
        "by_type": stats.by_type,
    }
    meta.write_text(json.dumps(info))
    return path, info


# --------------------------------------------------------------------------- the worker process


def _epc_refs(event: object) -> int:
    n = 1 if getattr(event, "parent_id", None) else 0
    for name in _EPC_FIELDS:
        n += len(getattr(event, name, ()))
    return n


def _floor_xml(path: Path) -> Iterator[int]:
    tags = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent")
    for _action, el in etree.iterparse(
        str(path), events=("end",), tag=tags, resolve_entities=False, no_network=True
    ):
        refs = 0
        for child in el:
            if child.tag in ("epcList", "childEPCs"):
                refs += len(child)
            elif child.tag == "parentID":
                refs += 1
        yield refs
        el.clear()
        parent = el.getparent()
        if parent is not None:
            while el.getprevious() is not None:
                del parent[0]


def _floor_jsonld(path: Path) -> Iterator[int]:
    with path.open("rb") as fh:
        for item in ijson.items(fh, "epcisBody.eventList.item", use_float=False):
            yield (
                len(item.get("epcList", ()))
                + len(item.get("childEPCs", ()))
                + (1 if "parentID" in item else 0)
            )


def _model_events(fmt: str, path: Path) -> Iterator[Any]:
    if fmt == "xml12":
        for _index, event in iter_xml_events(path).events:
            yield event
    else:
        with path.open("rb") as fh:
            yield from iter_jsonld_events(fh)


def load_validator() -> Callable[..., Any] | None:
    """``medtrace.epcis.validate.validate_event`` once it exists, else None."""
    try:
        module = importlib.import_module("medtrace.epcis.validate")
    except ModuleNotFoundError:
        return None
    validate: Callable[..., Any] | None = getattr(module, "validate_event", None)
    return validate


def _is_error(problem: object) -> bool:
    severity = getattr(problem, "severity", "error")
    return str(severity).lower() == "error"


def _consume(fmt: str, stage: str, path: Path) -> dict[str, int]:
    """Run one stage over the file; return counts (events, EPC refs, validation errors)."""
    events = refs = errors = 0
    if stage == "floor":
        for n in _floor_xml(path) if fmt == "xml12" else _floor_jsonld(path):
            events += 1
            refs += n
        return {"events": events, "epc_refs": refs, "validation_errors": 0}
    validate = load_validator() if stage == FULL_STAGE else None
    if stage == FULL_STAGE and validate is None:
        raise RuntimeError("medtrace.epcis.validate.validate_event does not exist yet")
    do_hash = stage != "parse"
    syntax, version = ("xml", "1.2") if fmt == "xml12" else ("jsonld", "2.0")
    for event in _model_events(fmt, path):
        if validate is not None:
            problems = validate(event, index=events, syntax=syntax, schema_version=version)
            errors += sum(1 for p in problems if _is_error(p))
        events += 1
        refs += _epc_refs(event)
        if do_hash:
            event_hash(event)
    return {"events": events, "epc_refs": refs, "validation_errors": errors}


def _profile_rows(profiler: cProfile.Profile, top: int) -> dict[str, Any]:
    stats = pstats.Stats(profiler, stream=io.StringIO())
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in raw.values()) or 1.0
    rows: list[dict[str, Any]] = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in raw.items():
        short = filename
        for marker in ("/src/", "/site-packages/", "/benchmarks/", "/lib/python"):
            if marker in filename:
                short = filename.split(marker, 1)[1]
                break
        rows.append(
            {
                "function": f"{short}:{line}({func})",
                "calls": ncalls,
                "own_s": round(tottime, 3),
                "cumulative_s": round(cumtime, 3),
                "own_share": round(tottime / total, 3),
            }
        )
    by_own = sorted(rows, key=lambda r: r["own_s"], reverse=True)[:top]
    # Cumulative time of medtrace's own functions: which entry point the time is spent under.
    ours = [r for r in rows if r["function"].startswith("medtrace/")]
    by_cumulative = sorted(ours, key=lambda r: r["cumulative_s"], reverse=True)[:top]
    return {"total_s": round(total, 3), "by_own": by_own, "by_cumulative": by_cumulative}


def worker(argv: list[str]) -> None:
    """Child process: measure one stage over one file; print one JSON line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.epcis_parse worker")
    parser.add_argument("--format", choices=FORMATS, required=True)
    parser.add_argument("--stage", choices=STAGES, required=True)
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    # The readers and the hash are imported at module level, the validator here: the clock
    # measures reading, not interpreter start-up and imports.
    if args.stage == FULL_STAGE:
        load_validator()
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    profiler = cProfile.Profile() if args.profile else None
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    counts = _consume(args.format, args.stage, args.file)
    if profiler is not None:
        profiler.disable()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out: dict[str, Any] = {
        **counts,
        "wall_s": wall,
        "cpu_s": cpu,
        "peak_rss_kb": after.ru_maxrss,
        "baseline_rss_kb": baseline_kb,
    }
    if profiler is not None:
        out["profile"] = _profile_rows(profiler, _PROFILE_TOP)
    sys.stdout.write(json.dumps(out) + "\n")


# --------------------------------------------------------------------------- the runner process


def _measure(
    *,
    fmt: Format,
    stage: str,
    path: Path,
    runs: int,
    expected: dict[str, Any],
    log: Callable[[str], None],
) -> dict[str, Any]:
    samples = []
    for i in range(runs):
        sample = run_worker(
            "benchmarks.epcis_parse",
            ["worker", "--format", fmt, "--stage", stage, "--file", str(path)],
        )
        if sample["events"] != expected["events"] or sample["epc_refs"] != expected["epc_refs"]:
            raise RuntimeError(
                f"{fmt}/{stage}: read {sample['events']} events / {sample['epc_refs']} EPC refs, "
                f"the generator wrote {expected['events']} / {expected['epc_refs']}"
            )
        samples.append(sample)
        log(
            f"  {fmt:6} {stage:20} {expected['bytes'] / 1e6:6.1f} MB run {i + 1}/{runs}: "
            f"{sample['wall_s']:.2f} s wall, {sample['cpu_s']:.2f} s CPU, "
            f"{sample['peak_rss_kb'] / 1024:.0f} MB peak RSS, load {load_average()[:1]}"
        )
    wall = median([s["wall_s"] for s in samples])
    cpu = median([s["cpu_s"] for s in samples])
    events, refs = expected["events"], expected["epc_refs"]
    return {
        "format": fmt,
        "stage": stage,
        "size_mb": round(expected["bytes"] / 1e6, 2),
        "events": events,
        "epc_refs": refs,
        "runs": runs,
        "wall_s": round(wall, 3),
        "cpu_s": round(cpu, 3),
        "events_per_s": round(events / wall),
        "epc_refs_per_s": round(refs / wall),
        "events_per_cpu_s": round(events / cpu),
        "epc_refs_per_cpu_s": round(refs / cpu),
        "mb_per_s": round(expected["bytes"] / 1e6 / wall, 1),
        "peak_rss_mb": round(median([s["peak_rss_kb"] for s in samples]) / 1024, 1),
        "baseline_rss_mb": round(median([s["baseline_rss_kb"] for s in samples]) / 1024, 1),
        "validation_errors": max(s["validation_errors"] for s in samples),
        "samples_wall_s": [round(s["wall_s"], 3) for s in samples],
    }


def _stages() -> tuple[list[str], list[str]]:
    if load_validator() is None:
        return [s for s in STAGES if s != FULL_STAGE], [FULL_STAGE]
    return list(STAGES), []


def run(options: RunOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Measure every stage at the largest size and the full pipeline at every size."""
    sizes = SIZES_MB[options.scale]
    stages, skipped = _stages()
    pipeline = stages[-1]
    results: list[dict[str, Any]] = []
    rss: list[dict[str, Any]] = []
    profiles: dict[str, Any] = {}
    for fmt in FORMATS:
        inputs = {}
        for size in sizes:
            log(f"generating {fmt} {size:g} MB (seed {options.seed}) if not cached")
            inputs[size] = ensure_input(fmt, size, options.seed)
        path, expected = inputs[sizes[-1]]
        by_stage = {
            stage: _measure(
                fmt=fmt, stage=stage, path=path, runs=options.runs, expected=expected, log=log
            )
            for stage in stages
        }
        results.extend(by_stage.values())
        for size in sizes:
            m = by_stage[pipeline] if size == sizes[-1] else None
            if m is None:
                size_path, size_expected = inputs[size]
                m = _measure(
                    fmt=fmt,
                    stage=pipeline,
                    path=size_path,
                    runs=options.runs,
                    expected=size_expected,
                    log=log,
                )
            rss.append(
                {
                    "format": fmt,
                    "stage": pipeline,
                    "size_mb": m["size_mb"],
                    "events": m["events"],
                    "peak_rss_mb": m["peak_rss_mb"],
                    "baseline_rss_mb": m["baseline_rss_mb"],
                }
            )
        if options.profile:
            profile_path, _ = inputs[sizes[0]]
            log(f"  profiling {fmt} {pipeline} at {sizes[0]:g} MB")
            sample = run_worker(
                "benchmarks.epcis_parse",
                [
                    "worker",
                    "--format",
                    fmt,
                    "--stage",
                    pipeline,
                    "--file",
                    str(profile_path),
                    "--profile",
                ],
            )
            profiles[fmt] = {
                "stage": pipeline,
                "size_mb": round(inputs[sizes[0]][1]["bytes"] / 1e6, 2),
                **sample["profile"],
            }
    return {
        "workload": NAME,
        "description": DESCRIPTION,
        "scale": options.scale,
        "seed": options.seed,
        "runs": options.runs,
        "targets": TARGETS,
        "skipped_stages": skipped,
        "results": results,
        "rss_by_size": rss,
        "profiles": profiles,
    }


# --------------------------------------------------------------------------- Markdown


def _k(value: float) -> str:
    return f"{value / 1000:,.1f}k" if value >= 1000 else f"{value:,.0f}"


def verdicts(result: dict[str, Any]) -> list[Verdict]:
    """The issue's targets per format, for the most complete stage at the largest size (the
    last row of each format)."""
    targets = result["targets"]
    finals = {r["format"]: r for r in result["results"]}
    found: list[Verdict] = []
    for fmt in FORMATS:
        r = finals.get(fmt)
        if r is None:
            continue
        events, refs, rss = r["events_per_s"], r["epc_refs_per_s"], r["peak_rss_mb"]
        found += [
            Verdict(
                fmt,
                f"≥ {_k(targets['events_per_s'])} events/s",
                _k(events),
                verdict(events, targets["events_per_s"]),
            ),
            Verdict(
                fmt,
                f"≥ {_k(targets['epc_refs_per_s'])} EPC refs/s",
                _k(refs),
                verdict(refs, targets["epc_refs_per_s"]),
            ),
            Verdict(
                fmt,
                f"peak RSS < {targets['peak_rss_mb']} MB",
                f"{rss:.0f} MB",
                verdict(rss, targets["peak_rss_mb"], lower_is_better=True),
            ),
        ]
    return found


def _render_breakdown(result: dict[str, Any]) -> list[str]:
    """CPU microseconds per event for each step, from the differences between stages."""
    lines = [
        "Where the time goes (CPU µs per event, from the differences between stages):",
        "",
        "| format | parsing library | medtrace reader | event hash | validation | total |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for fmt in FORMATS:
        cpu = {
            r["stage"]: r["cpu_s"] / r["events"] * 1e6
            for r in result["results"]
            if r["format"] == fmt
        }
        if "parse+hash" not in cpu:
            continue
        full = cpu.get(FULL_STAGE)
        cells = [
            cpu["floor"],
            cpu["parse"] - cpu["floor"],
            cpu["parse+hash"] - cpu["parse"],
            (full - cpu["parse+hash"]) if full is not None else None,
            full if full is not None else cpu["parse+hash"],
        ]
        lines.append(
            f"| {fmt} | " + " | ".join("—" if c is None else f"{c:,.0f}" for c in cells) + " |"
        )
    lines.append("")
    return lines


def render(result: dict[str, Any]) -> str:
    """The Markdown section for ``docs/benchmarks.md``."""
    lines: list[str] = []
    machine = result.get("machine", {})
    packages = ", ".join(f"{k} {v}" for k, v in machine.get("packages", {}).items() if v)
    lines += [
        (
            f"Measured {result.get('date', '?')} on {machine.get('cpu', '?')} "
            f"({machine.get('cores', '?')} cores, shared: load average "
            f"{'/'.join(str(x) for x in machine.get('load_average_at_start', []))} at start, "
            f"{'/'.join(str(x) for x in result.get('load_average_at_end', []))} at end), "
            f"Python {machine.get('python', '?')}, {packages}."
        ),
        "",
        (
            f"Command: `{result.get('command', '?')}` — scale `{result['scale']}`, seed "
            f"{result['seed']}, median of {result['runs']} runs, each in a fresh single-threaded "
            "process; throughput per wall-clock second (per CPU second in brackets)."
        ),
        "",
    ]
    if result["skipped_stages"]:
        lines += [
            (
                f"Not measured: {', '.join(result['skipped_stages'])} "
                "(`medtrace.epcis.validate.validate_event` did not exist yet)."
            ),
            "",
        ]
    for fmt in FORMATS:
        rows = [r for r in result["results"] if r["format"] == fmt]
        if not rows:
            continue
        first = rows[0]
        lines += [
            (
                f"**{_FORMAT_TITLES[fmt]}**, {first['size_mb']:.1f} MB, "
                f"{first['events']:,} events, {first['epc_refs']:,} EPC references:"
            ),
            "",
            "| stage | events/s | EPC refs/s | MB/s | wall s | peak RSS MB |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {r['stage']} | {_k(r['events_per_s'])} ({_k(r['events_per_cpu_s'])}) "
            f"| {_k(r['epc_refs_per_s'])} ({_k(r['epc_refs_per_cpu_s'])}) | {r['mb_per_s']:.1f} "
            f"| {r['wall_s']:.2f} | {r['peak_rss_mb']:.0f} |"
            for r in rows
        ]
        lines.append("")
    rss = result["rss_by_size"]
    if rss:
        lines += [
            (
                f"Peak RSS of `{rss[0]['stage']}` as the file grows (in brackets: after the "
                "imports, before reading):"
            ),
            "",
            "| format | file MB | events | peak RSS MB |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {r['format']} | {r['size_mb']:.1f} | {r['events']:,} "
            f"| {r['peak_rss_mb']:.0f} ({r['baseline_rss_mb']:.0f}) |"
            for r in rss
        ]
        lines.append("")
    lines += [
        (
            "Targets (issue: ≥ 20k events/s, ≥ 400k EPC refs/s, peak RSS < 300 MB and flat), "
            "for the most complete stage measured at the largest size:"
        ),
        "",
        "| target | " + " | ".join(FORMATS) + " |",
        "|---|---|---|",
    ]
    by_target: dict[str, list[Verdict]] = {}
    for row in verdicts(result):
        by_target.setdefault(row.target, []).append(row)
    for target, rows in by_target.items():
        lines.append(
            f"| {target} | " + " | ".join(f"{r.measured} — {r.verdict}" for r in rows) + " |"
        )
    if by_target:
        lines.append("")
    lines += _render_breakdown(result)
    for fmt, profile in result.get("profiles", {}).items():
        lines += [
            (
                f"Profile, {fmt}, `{profile['stage']}` at {profile['size_mb']:.1f} MB (cProfile, "
                f"{profile['total_s']:.1f} s under the profiler, which inflates call-heavy "
                "code). Top functions by own time, then medtrace functions by cumulative time:"
            ),
            "",
        ]
        lines += profile_lines(
            profile,
            total=profile["total_s"],
            own=("function", 10),
            cumulative=("function", 12),
            share="share of total",
        )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker":
        worker(sys.argv[2:])
    else:
        sys.stderr.write(
            "usage: python -m benchmarks.epcis_parse worker ... (use python -m benchmarks run)\n"
        )
        sys.exit(2)
