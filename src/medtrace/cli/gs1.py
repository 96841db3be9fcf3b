"""``medtrace gs1``: read, convert and print GS1 identifiers and barcodes.

Thin by design (docs/architecture.md): every command parses its arguments, calls
:mod:`medtrace.gs1`, and prints. Exit codes: 0 valid / done, 2 invalid input (every problem is
printed, naming the AI, the value and the rule broken), 1 an operational failure such as a file
that cannot be written.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, NoReturn

import orjson
import typer
from rich.console import Console
from rich.table import Table

from medtrace.gs1 import barcode, label
from medtrace.gs1.convert import (
    ParsedIdentifier,
    parse_any,
    to_digital_link,
    to_element_string,
    to_message,
    to_rfid,
    to_urn,
)
from medtrace.gs1.element_string import GS
from medtrace.gs1.errors import Gs1Error
from medtrace.gs1.ndc import Ndc

app = typer.Typer(
    help="GS1 identifiers: parse any form, convert between forms, print and read DataMatrix.",
    no_args_is_help=True,
)

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

EXIT_INVALID = 2
EXIT_FAILURE = 1


class Target(enum.StrEnum):
    """Output forms of ``medtrace gs1 convert``."""

    HRI = "hri"
    RAW = "raw"
    DL = "dl"
    URN = "urn"
    RFID = "rfid"


class Separator(enum.StrEnum):
    """How ``convert --to raw`` writes the GS (FNC1) separator."""

    CHAR = "char"
    ESCAPED = "escaped"
    ANGLE = "angle"


_SEPARATORS = {Separator.CHAR: GS, Separator.ESCAPED: "\\x1d", Separator.ANGLE: "<GS>"}

GcpLength = Annotated[
    int | None,
    typer.Option(
        "--gcp-length",
        min=6,
        max=12,
        help="Length of the GS1 Company Prefix, needed to write EPC URNs and RFID tags.",
    ),
]


def _invalid(error: Gs1Error, *, as_json: bool = False, text: str | None = None) -> NoReturn:
    """Report ``error`` as the one problem with the input and exit 2."""
    if as_json:
        payload = {"input": text, "valid": False, "problems": [str(error)]}
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
    else:
        err.print(f"[bold red]invalid:[/] {error}", markup=True)
    raise typer.Exit(EXIT_INVALID)


def _parse(text: str, gcp_length: int | None, *, as_json: bool = False) -> ParsedIdentifier:
    try:
        return parse_any(text, gcp_length=gcp_length)
    except Gs1Error as error:
        _invalid(error, as_json=as_json, text=text)


@app.command()
def parse(
    text: Annotated[
        str,
        typer.Argument(
            help="An element string (HRI or raw scan, with ]d2/]Q3/]C1/]e0 and GS, <GS> or "
            "\\x1d separators), a GS1 Digital Link URI, an EPC URN, an EPC tag URI, or RFID hex."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    gcp_length: GcpLength = None,
) -> None:
    """Recognise TEXT, print every interpretation and every problem; exit 2 when invalid."""
    parsed = _parse(text, gcp_length, as_json=as_json)
    if as_json:
        payload = {
            "input": text,
            "valid": True,
            "form": str(parsed.form),
            "elements": [
                {"ai": element.ai, "title": element.spec.data_title, "value": element.value}
                for element in (parsed.message.elements if parsed.message else ())
            ],
            "interpretations": [
                {"label": label_, "value": value} for label_, value in parsed.interpretations
            ],
            "problems": list(parsed.problems),
        }
        typer.echo(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title=f"[bold]{parsed.form}[/]", show_header=False, title_justify="left")
    table.add_column("what", style="cyan", no_wrap=True)
    table.add_column("value", overflow="fold")
    for label_, value in parsed.interpretations:
        if label_ != "form":
            table.add_row(label_, value)
    out.print(table)
    for problem in parsed.problems:
        out.print(f"[yellow]note:[/] {problem}")


@app.command()
def convert(
    text: Annotated[str, typer.Argument(help="Any form `medtrace gs1 parse` accepts.")],
    to: Annotated[Target, typer.Option("--to", help="The form to write.")],
    gcp_length: GcpLength = None,
    scheme: Annotated[
        str | None,
        typer.Option(help="RFID scheme for --to rfid: sgtin-96, sgtin-198 or sscc-96."),
    ] = None,
    filter_value: Annotated[
        int | None, typer.Option("--filter", min=0, max=7, help="RFID filter value (0-7).")
    ] = None,
    separator: Annotated[
        Separator,
        typer.Option(help="GS separator for --to raw: the character, \\x1d escaped, or <GS>."),
    ] = Separator.CHAR,
    symbology: Annotated[
        str, typer.Option(help="Symbology identifier prefix for --to raw ('' for none).")
    ] = "]d2",
) -> None:
    """Convert TEXT to one form: hri, raw (scanner data), dl (Digital Link), urn, rfid (hex)."""
    parsed = _parse(text, gcp_length)
    try:
        if to is Target.HRI:
            result = to_element_string(parsed, form="hri")
        elif to is Target.RAW:
            result = to_element_string(
                parsed,
                form="raw",
                symbology=symbology or None,
                separator=_SEPARATORS[separator],
            )
        elif to is Target.DL:
            result = to_digital_link(parsed)
        elif to is Target.URN:
            result = to_urn(parsed, gcp_length=gcp_length)
        else:
            result = to_rfid(parsed, scheme=scheme, filter_value=filter_value)
    except Gs1Error as error:
        _invalid(error)
    typer.echo(result)


@app.command()
def datamatrix(
    text: Annotated[str, typer.Argument(help="GS1 data in any form `medtrace gs1 parse` accepts.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="FILE.png or FILE.svg")],
    with_label: Annotated[
        bool,
        typer.Option("--label", help="Print a DSCSA label (needs GTIN, serial, lot and expiry)."),
    ] = False,
    qr: Annotated[
        bool, typer.Option("--qr", help="A GS1 QR Code with the canonical Digital Link instead.")
    ] = False,
    product_name: Annotated[
        str | None, typer.Option(help="Title line of the label (--label).")
    ] = None,
    ndc: Annotated[
        str | None,
        typer.Option(
            help="Hyphenated NDC to print instead of the GTIN (--label), e.g. 0002-1433-80."
        ),
    ] = None,
    module_px: Annotated[int, typer.Option(min=1, max=100, help="Pixels per module.")] = 10,
) -> None:
    """Render a GS1 DataMatrix (or, with --qr, a Digital Link QR Code) to PNG or SVG."""
    parsed = _parse(text, None)
    try:
        message = to_message(parsed)
        if with_label:
            if qr:
                raise typer.BadParameter("--label and --qr cannot be combined")
            drawing: barcode.Symbol | label.Label = label.render_label(
                message.product_identifier(),
                product_name=product_name,
                ndc=Ndc.parse(ndc) if ndc else None,
                module_px=module_px,
            )
        elif qr:
            drawing = barcode.render_qr_digital_link(to_digital_link(message))
        else:
            drawing = barcode.render_datamatrix(message)
        if isinstance(drawing, label.Label):
            drawing.save(output)
        else:
            barcode.save(drawing, output, module_px=module_px)
    except Gs1Error as error:
        _invalid(error)
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot write {output}: {error.strerror}")
        raise typer.Exit(EXIT_FAILURE) from error
    out.print(f"wrote {output}")


@app.command()
def read(
    image: Annotated[Path, typer.Argument(help="A PNG or JPEG image with GS1 barcodes.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Read every GS1 DataMatrix / QR Code in IMAGE; exit 2 when none holds valid GS1 data."""
    try:
        symbols = barcode.read_image(image)
    except Gs1Error as error:
        _invalid(error, as_json=as_json, text=str(image))
    except OSError as error:
        err.print(f"[bold red]error:[/] cannot read {image}: {error.strerror}")
        raise typer.Exit(EXIT_FAILURE) from error
    rows = [
        {
            "symbology": str(symbol.symbology),
            "symbology_identifier": symbol.symbology_identifier,
            "content": symbol.content.replace(GS, "<GS>"),
            "hri": to_element_string(symbol.message) if symbol.message else None,
            "digital_link": symbol.digital_link.canonical() if symbol.digital_link else None,
            "problem": str(symbol.problem) if symbol.problem else None,
        }
        for symbol in symbols
    ]
    if as_json:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    else:
        for row in rows:
            out.print(f"[bold]{row['symbology']}[/] {row['symbology_identifier']}{row['content']}")
            for key in ("hri", "digital_link", "problem"):
                if row[key]:
                    out.print(f"  {key}: {row[key]}")
    if not any(symbol.message for symbol in symbols):
        raise typer.Exit(EXIT_INVALID)


def register(parent: typer.Typer) -> None:
    """Add the ``gs1`` group (and its ``tour``) to the root application."""
    from medtrace.cli.gs1_tour import tour  # noqa: PLC0415 - keeps import of the tour lazy

    app.command()(tour)
    parent.add_typer(app, name="gs1")
