"""``medtrace sim``: generate a simulated US pharmaceutical supply chain (EPCIS documents).

Exit codes: 0 done, 2 invalid input (a bad ``--scale``), 1 an operational failure such as an
unwritable output directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from medtrace.sim import SCALES, SimSummary, generate, parse_scale

app = typer.Typer(
    help="Simulate a US pharmaceutical supply chain and write its EPCIS documents.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INVALID = 2
EXIT_FAILURE = 1


def _summary_table(summary: SimSummary) -> Table:
    table = Table(title=f"medtrace sim — seed {summary.seed}, {summary.weeks} weeks")
    table.add_column("what")
    table.add_column("count", justify="right")
    rows = (
        ("documents", summary.documents),
        ("  EPCIS 1.2 XML (manufacturer → wholesaler)", summary.xml_documents),
        ("  EPCIS 2.0 JSON-LD", summary.jsonld_documents),
        ("events", summary.events),
        ("EPC references", summary.epc_references),
        ("packs commissioned", summary.packs),
        ("cases", summary.cases),
        ("pallets", summary.pallets),
        ("lots", summary.lots),
        ("dispensing scans", summary.dispensed),
        ("incidents", summary.incident_total),
    )
    for name, value in rows:
        table.add_row(name, f"{value:,}")
    for kind, count in summary.incidents.items():
        table.add_row(f"  {kind}", f"{count:,}")
    return table


@app.command("generate")
def generate_command(
    out_dir: Annotated[
        Path, typer.Option("--out", "-o", help="Directory to write the documents to.")
    ],
    scale: Annotated[
        str,
        typer.Option(
            "--scale",
            help=f"small ({SCALES['small']:,} packs), medium ({SCALES['medium']:,}), "
            f"large ({SCALES['large']:,}) or a number of packs.",
        ),
    ] = "small",
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same bytes.")] = 1,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Generate documents, masterdata.json and ground_truth.json into the output directory."""
    try:
        packs = parse_scale(scale)
    except ValueError as error:
        err.print(f"[bold red]invalid:[/] {error}")
        raise typer.Exit(EXIT_INVALID) from error
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task(f"simulating {packs:,} packs", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            summary = generate(out_dir, scale=packs, seed=seed, progress=advance)
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write to {out_dir}: {error}")
        raise typer.Exit(EXIT_FAILURE) from error
    if as_json:
        payload = {
            "out_dir": str(summary.out_dir),
            "seed": summary.seed,
            "weeks": summary.weeks,
            "documents": summary.documents,
            "xml_documents": summary.xml_documents,
            "jsonld_documents": summary.jsonld_documents,
            "events": summary.events,
            "epc_references": summary.epc_references,
            "packs": summary.packs,
            "incidents": summary.incidents,
        }
        out.print(json.dumps(payload, indent=2), markup=False)
        return
    out.print(_summary_table(summary))
    out.print(f"written to {summary.out_dir}", markup=False)


def register(parent: typer.Typer) -> None:
    """Add the ``sim`` group to the root application."""
    parent.add_typer(app, name="sim")
