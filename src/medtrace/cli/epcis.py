"""``medtrace epcis``: validate, convert and hash EPCIS documents (XML 1.2/2.0, JSON-LD).

Exit codes: 0 valid / done, 2 invalid input (every problem printed with event index, location and
value), 1 an operational failure such as an unreadable or unwritable file.
"""

from __future__ import annotations

import enum
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import msgspec
import orjson
import typer
from rich.console import Console

from medtrace.epcis.documents import iter_events, read_document, write_document
from medtrace.epcis.errors import EpcisError
from medtrace.epcis.hashing import event_hash, prehash
from medtrace.epcis.validate_source import validate_file
from medtrace.gs1.errors import Gs1Error

app = typer.Typer(
    help="EPCIS documents: validate, convert (XML 1.2/2.0, JSON-LD), compute event hashes.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INVALID = 2
EXIT_FAILURE = 1


class Target(enum.StrEnum):
    """Output syntaxes of ``medtrace epcis convert``."""

    XML12 = "xml12"
    XML20 = "xml20"
    JSONLD = "jsonld"


class EpcForm(enum.StrEnum):
    """How identifiers are written in JSON-LD output."""

    AS_GIVEN = "as_given"
    URN = "urn"
    DIGITAL_LINK = "digital_link"


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]{'invalid' if code == EXIT_INVALID else 'error'}:[/] {message}")
    raise typer.Exit(code)


def _readable(path: Path) -> None:
    if not path.is_file():
        _fail(f"cannot read {path}: no such file", EXIT_FAILURE)


Files = Annotated[list[Path], typer.Argument(help="EPCIS documents (XML 1.2/2.0 or JSON-LD).")]


@app.command()
def validate(
    files: Files,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON.")] = False,
    strict: Annotated[
        bool, typer.Option(help="Treat XML element-order deviations from the XSD as errors.")
    ] = False,
    warnings: Annotated[bool, typer.Option(help="Also print warnings.")] = True,
) -> None:
    """Validate documents: structure, CBV vocabularies, identifiers; exit 2 when any is invalid."""
    reports = []
    for path in files:
        _readable(path)
        reports.append((path, validate_file(path, strict=strict)))
    if as_json:
        payload = [
            {
                "file": str(path),
                "syntax": report.syntax,
                "events": report.events_checked,
                "valid": report.ok,
                "problems": [msgspec.to_builtins(problem) for problem in report.problems],
            }
            for path, report in reports
        ]
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
    else:
        for path, report in reports:
            verdict = "[green]valid[/]" if report.ok else "[bold red]invalid[/]"
            out.print(f"{path}: {verdict} ({report.events_checked} events, {report.syntax})")
            for problem in report.problems:
                if problem.severity == "warning" and not warnings:
                    continue
                colour = "red" if problem.severity == "error" else "yellow"
                event = "" if problem.event_index is None else f"event {problem.event_index}, "
                value = "" if problem.value is None else f" (value {problem.value!r})"
                out.print(
                    f"  [{colour}]{problem.severity}[/] {event}{problem.location}: "
                    f"{problem.message}{value} [{problem.rule}]",
                    markup=True,
                )
    if not all(report.ok for _, report in reports):
        raise typer.Exit(EXIT_INVALID)


@app.command()
def convert(
    file: Annotated[Path, typer.Argument(help="An EPCIS document (XML 1.2/2.0 or JSON-LD).")],
    to: Annotated[Target, typer.Option("--to", help="Output syntax.")],
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of stdout.")
    ] = None,
    epc_format: Annotated[
        EpcForm, typer.Option(help="Identifier form in JSON-LD output.")
    ] = EpcForm.AS_GIVEN,
) -> None:
    """Convert a document between EPCIS 1.2 XML, EPCIS 2.0 XML and EPCIS 2.0 JSON-LD."""
    _readable(file)
    try:
        document = read_document(file)
        data = write_document(document, to.value, epc_format=epc_format.value)
    except (EpcisError, Gs1Error) as error:
        _fail(f"{file}: {error}", EXIT_INVALID)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror}", EXIT_FAILURE)
    err.print(f"wrote {output} ({len(document.events)} events, {to.value})")


@app.command("hash")
def hash_(
    file: Annotated[Path, typer.Argument(help="An EPCIS document (XML 1.2/2.0 or JSON-LD).")],
    show_prehash: Annotated[
        bool, typer.Option("--prehash", help="Print the canonical pre-hash strings instead.")
    ] = False,
) -> None:
    """Print the CBV 2.0 event hash of every event, one line each, in document order."""
    _readable(file)
    try:
        for event in iter_events(file):
            typer.echo(prehash(event) if show_prehash else event_hash(event))
    except (EpcisError, Gs1Error) as error:
        _fail(f"{file}: {error}", EXIT_INVALID)


def register(parent: typer.Typer) -> None:
    """Add the ``epcis`` group to the root application."""
    parent.add_typer(app, name="epcis")
