"""``medtrace demo``: a simulated supply chain, captured and served, with working examples.

Generates a world (:func:`medtrace.sim.generate`) into ``DIR/world``, captures it into
``DIR/medtrace.sqlite``, creates an organization per trading partner plus a regulator, records
the manufacturer's recall of the ground truth's recalled lot, prints API keys and ``curl``
examples (DSCSA verification, trace, lot query, recall), then runs ``medtrace serve`` on that
store until Ctrl-C. A second run with the same ``--seed`` and ``--scale`` reuses the store and
issues new keys; ``--fresh`` rebuilds everything (the steps are in :mod:`medtrace.demo`).

Exit codes: 0 done (or server stopped), 1 an operational failure, 2 invalid input.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shlex
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from medtrace import demo
from medtrace.cli import serve as serve_cli
from medtrace.errors import MedtraceError
from medtrace.sim import generate, parse_scale
from medtrace.store.repository import Repository

__all__ = ["demo_command", "register"]

EXIT_FAILURE = 1
EXIT_INVALID = 2

out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _bar(*extra: TextColumn) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        *extra,
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _generate(out_dir: Path, packs: int, seed: int) -> None:
    with _bar() as progress:
        task = progress.add_task(f"simulating {packs:,} packs", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        generate(out_dir, scale=packs, seed=seed, progress=advance)


def _capture(repo: Repository, world: Path, total: int) -> demo.CaptureTally:
    with _bar(TextColumn("{task.fields[rate]}")) as progress:
        task = progress.add_task("capturing", total=total, rate="")
        started = time.perf_counter()

        def advance(read: int) -> None:
            elapsed = time.perf_counter() - started
            rate = f"{read / elapsed:,.0f} events/s" if elapsed > 0 else ""
            progress.update(task, completed=read, rate=rate)

        return demo.capture_world(repo, world, progress=advance)


def _build(paths: demo.DemoPaths, packs: int, seed: int, fresh: bool) -> dict[str, Any]:
    """Generate (or reuse) the world, capture it into a new store, organizations, recall."""
    demo.clear_store(paths)
    started = time.perf_counter()
    reused = demo.prepare_world(
        paths,
        packs=packs,
        seed=seed,
        fresh=fresh,
        generate=lambda target: _generate(target, packs, seed),
    )
    generation = time.perf_counter() - started
    what = "reused" if reused else f"generated in {generation:.1f} s"
    out.print(f"world: {paths.world} ({packs:,} packs, seed {seed}), {what}")
    truth = demo.load_json(paths.world / "ground_truth.json")
    members = demo.parties(demo.load_json(paths.world / "masterdata.json"))
    with Repository.open(paths.db) as repo:
        tally = _capture(repo, paths.world, int(truth["totals"]["events"]))
        out.print(
            f"store: {paths.db}: {tally.events:,} events from {tally.documents:,} documents "
            f"captured in {tally.seconds:.1f} s ({tally.events_per_second:,.0f} events/s), "
            f"{tally.duplicates:,} duplicates, {len(tally.rejected)} documents rejected"
        )
        for name, problems, why in tally.rejected:
            reason = f"ground truth: {why}" if why else "not explained by the ground truth"
            out.print(f"  rejected {name}: {problems} problems ({reason})")
        orgs = demo.create_organizations(repo.engine, members)
        maker = next(p for p in members if p.sgln == demo.recall_manufacturer(truth))
        demo.record_recall(repo, truth, orgs[maker.key])
    fields: dict[str, Any] = {
        "seed": seed,
        "packs": packs,
        "world_reused": reused,
        "generation_seconds": round(generation, 2),
        "capture_seconds": round(tally.seconds, 2),
        "events": tally.events,
        "documents": tally.documents,
        "rejected_documents": [list(r) for r in tally.rejected],
    }
    demo.write_marker(paths, **fields)
    return fields


def _print_guide(
    paths: demo.DemoPaths,
    samples: demo.Samples,
    keys: dict[str, str],
    url: str,
) -> None:
    pharmacy = samples.pharmacy
    pharmacy_key, regulator_key = keys[pharmacy.org_name], keys[demo.REGULATOR]
    genuine, fake, recalled = samples.genuine, samples.counterfeit, samples.recalled
    out.print()
    out.print("API keys (shown once; the store keeps only their hashes):")
    out.print(f"  pharmacy   {pharmacy.org_name}, GLN {pharmacy.gln}: {pharmacy_key}")
    out.print(f"  regulator  {demo.REGULATOR} (sees every event): {regulator_key}")
    out.print()
    out.print("The packs:")
    for label, pack in (("genuine", genuine), ("counterfeit", fake), ("recalled", recalled)):
        out.print(
            f"  {label:<12}GTIN {pack.gtin} serial {pack.serial} lot {pack.lot} "
            f"expiry {pack.expiry} — {pack.status} ({pack.urn})"
        )
    base = url.rstrip("/")
    out.print()
    out.print(f"Try it (server: {url}, API docs: {url}docs):")
    examples = demo.http_examples(samples, pharmacy_key=pharmacy_key, regulator_key=regulator_key)
    for number, example in enumerate(examples, start=1):
        out.print(f"# {number}. {example.title} → {example.expect}")
        out.print(example.curl(base, example.key))
    out.print("# The chain of custody in the terminal (its containers' events included):")
    db = shlex.quote(str(paths.db))
    out.print(f"medtrace trace {shlex.quote(genuine.urn)} --db {db}")
    out.print(f"medtrace item {shlex.quote(genuine.urn)} --db {db}")
    out.print()


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def demo_command(
    directory: Annotated[
        Path, typer.Option("--dir", help="Directory of the demo's world and store.")
    ] = Path("medtrace-demo"),
    scale: Annotated[
        str, typer.Option("--scale", help="small (50,000 packs), medium, large or a number.")
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Simulator seed: same seed, same world.")] = 1,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server when ready.")
    ] = True,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Rebuild the world and the store even if they match.")
    ] = False,
) -> None:
    """Simulate a supply chain, capture it, and serve it with ready-to-run examples."""
    try:
        packs = parse_scale(scale)
    except ValueError as error:
        err.print(f"invalid: {error}")
        raise typer.Exit(EXIT_INVALID) from error
    paths = demo.DemoPaths(directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        marker = None if fresh else demo.read_marker(paths, packs=packs, seed=seed)
        if marker is None:
            _build(paths, packs, seed, fresh)
        else:
            out.print(
                f"reusing {paths.db}: {marker['events']:,} events of {packs:,} packs, seed "
                f"{seed} (built earlier: generation {marker['generation_seconds']} s, capture "
                f"{marker['capture_seconds']} s); --fresh rebuilds it"
            )
        truth = demo.load_json(paths.world / "ground_truth.json")
        masterdata = demo.load_json(paths.world / "masterdata.json")
        members = demo.parties(masterdata)
        with Repository.open(paths.db) as repo:
            orgs = demo.create_organizations(repo.engine, members)
            samples = demo.pick_samples(
                repo.engine, masterdata, truth, dt.datetime.now(dt.UTC).date()
            )
            chosen = {samples.pharmacy.org_name: orgs[samples.pharmacy.key]}
            keys = demo.issue_keys(repo.engine, chosen | {demo.REGULATOR: orgs[demo.REGULATOR]})
        out.print(
            f"organizations: {len(members)} trading partners (GLNs, company prefixes) "
            "and a regulator"
        )
    except (MedtraceError, SQLAlchemyError, OSError) as error:
        err.print(f"error: {error}")
        raise typer.Exit(EXIT_FAILURE) from error
    _print_guide(paths, samples, keys, _url(host, port))
    if not serve:
        out.print(f"Start the server with: medtrace serve --db {shlex.quote(str(paths.db))}")
        return
    out.print("Starting the server (Ctrl-C stops it).")
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C before uvicorn took over SIGINT
        serve_cli.serve(db=str(paths.db), host=host, port=port, workers=1)
    out.print("Server stopped.")


def register(app: typer.Typer) -> None:
    """Add ``medtrace demo`` to the root command."""
    app.command("demo")(demo_command)
