"""``python -m benchmarks``: generate inputs and run the registered workloads.

    python -m benchmarks generate --format xml12|jsonld --size-mb 70 -o FILE [--seed 1]
    python -m benchmarks run [--only NAME] [--scale small|full] [--runs N] [--no-profile]
                             [--backend sqlite|postgres]
    python -m benchmarks list
    python -m benchmarks summary

``run`` prints each workload's table, writes ``benchmarks/results/<name>.json`` (figures,
machine, command, date) and regenerates the workload's section of ``docs/benchmarks.md``
between ``<!-- BEGIN name -->`` and ``<!-- END name -->``, then the targets-at-a-glance table
(:mod:`benchmarks.summary`; ``summary`` regenerates that table alone).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import (
    DOCS_FILE,
    RESULTS_DIR,
    WORKLOADS,
    RunOptions,
    load_average,
    load_workload,
    machine_info,
    now_utc,
    summary,
)
from benchmarks.generate import FORMATS, generate_file


def _log(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def update_docs(name: str, section: str, docs: Path = DOCS_FILE) -> bool:
    """Replace the text between the workload's markers; append the section if they are absent."""
    begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
    block = f"{begin}\n{section.rstrip()}\n{end}"
    text = docs.read_text() if docs.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        new = pattern.sub(lambda _m: block, text, count=1)
    else:
        new = text.rstrip() + f"\n\n## {name}\n\n{block}\n"
    if new == text:
        return False
    docs.write_text(new)
    return True


def _cmd_generate(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    stats = generate_file(
        args.format, args.output, size_bytes=int(args.size_mb * 1_000_000), seed=args.seed
    )
    elapsed = time.perf_counter() - start
    _log(
        f"wrote {args.output}: {stats.bytes:,} bytes, {stats.events:,} events "
        f"({', '.join(f'{k} {v:,}' for k, v in sorted(stats.by_type.items()))}), "
        f"{stats.epc_refs:,} EPC references, {stats.shipments:,} shipments, "
        f"{stats.pallets:,} pallets in {elapsed:.1f} s"
    )
    return 0


def carry_backends(result: dict[str, Any], previous: Path, backend: str | None) -> list[str]:
    """With ``--backend``, keep the other backends' figures of the previous results file.

    A workload that measures per backend (``result["backends"]``) run for one backend would
    otherwise drop the other's figures from the results and the docs. Carried figures keep
    their own ``date``; the command line of their run is kept beside this one's. Returns the
    backends carried over.
    """
    found = result.get("backends")
    if backend is None or not isinstance(found, dict) or not previous.exists():
        return []
    try:
        old = json.loads(previous.read_text())
    except (OSError, json.JSONDecodeError):
        return []
    if old.get("scale") != result.get("scale") or not isinstance(old.get("backends"), dict):
        return []
    carried = [name for name in old["backends"] if name not in found]
    commands = [str(result.get("command", ""))]
    for name in carried:
        found[name] = old["backends"][name]
        for part in str(old.get("command", "")).split("; "):
            if f"--backend {name}" in part and part not in commands:
                commands.insert(0, part)
        if name == "postgres" and old.get("postgres_version"):
            result["postgres_version"] = old["postgres_version"]
    result["command"] = "; ".join(command for command in commands if command)
    return carried


def _cmd_run(args: argparse.Namespace, argv: list[str]) -> int:
    names = (
        [args.only]
        if args.only
        else [name for name in WORKLOADS if not getattr(load_workload(name), "ON_DEMAND", False)]
    )
    options = RunOptions(
        scale=args.scale,
        runs=args.runs,
        seed=args.seed,
        profile=args.profile,
        backend=args.backend,
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    command = "python -m benchmarks " + shlex.join(argv)
    for name in names:
        workload = load_workload(name)
        machine = machine_info()
        date = now_utc()
        _log(f"== {name}: {workload.DESCRIPTION} (scale {args.scale}, {args.runs} runs)")
        figures: dict[str, Any] = workload.run(options, log=_log)
        result = {
            **figures,
            "date": date,
            "command": command,
            "machine": machine,
            "load_average_at_end": load_average(),
        }
        suffix = "" if args.scale == "full" else f".{args.scale}"
        out = RESULTS_DIR / f"{name}{suffix}.json"
        carry_backends(result, out, args.backend)
        out.write_text(json.dumps(result, indent=2) + "\n")
        section = workload.render(result)
        sys.stdout.write(section + "\n")
        _log(f"wrote {out}")
        if args.scale == "full" or args.docs:
            changed = update_docs(name, section)
            _log(f"{'updated' if changed else 'unchanged'} {DOCS_FILE}")
    if args.scale == "full" or args.docs:
        _cmd_summary()
    return 0


def _cmd_summary() -> int:
    """Regenerate the targets-at-a-glance table from the full-scale results files."""
    changed = update_docs(summary.NAME, summary.render())
    _log(f"summary {'updated' if changed else 'unchanged'} in {DOCS_FILE}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)

    gen = sub.add_parser("generate", help="write a DSCSA-style EPCIS document")
    gen.add_argument("--format", choices=FORMATS, default="xml12")
    gen.add_argument("--size-mb", type=float, required=True, help="target size in MB (10^6 bytes)")
    gen.add_argument("-o", "--output", required=True, help="file to write")
    gen.add_argument("--seed", type=int, default=1)

    run = sub.add_parser("run", help="run workloads, write results JSON and docs tables")
    run.add_argument("--only", choices=sorted(WORKLOADS), help="run one workload")
    run.add_argument("--scale", choices=("small", "full"), default="small")
    run.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    run.add_argument("--seed", type=int, default=1)
    run.add_argument("--no-profile", dest="profile", action="store_false")
    run.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        help="store workloads: measure one backend only (default: each one they support)",
    )
    run.add_argument(
        "--docs", action="store_true", help="update docs/benchmarks.md at small scale too"
    )

    sub.add_parser("list", help="list workloads")
    sub.add_parser("summary", help="regenerate the targets-at-a-glance table of docs/benchmarks.md")

    args = parser.parse_args(argv)
    if args.command == "generate":
        return _cmd_generate(args)
    if args.command == "run":
        return _cmd_run(args, argv)
    if args.command == "summary":
        return _cmd_summary()
    for name in WORKLOADS:
        workload = load_workload(name)
        when = " (on demand)" if getattr(workload, "ON_DEMAND", False) else ""
        sys.stdout.write(f"{name}{when}: {workload.DESCRIPTION}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
