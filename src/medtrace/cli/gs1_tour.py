"""``medtrace gs1 tour``: a guided walk through the GS1 toolkit on one pharmacy scan.

It uses only public functions of :mod:`medtrace.gs1`, so it doubles as an executable example:
read a raw DataMatrix scan, explain it, convert it to every identifier form, print a DSCSA label,
read the label back, and show how bad data is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from medtrace.gs1 import barcode, label
from medtrace.gs1.convert import to_digital_link, to_element_string, to_rfid, to_urn
from medtrace.gs1.element_string import GS
from medtrace.gs1.element_string import parse as parse_element_string
from medtrace.gs1.errors import Gs1Error
from medtrace.gs1.ndc import Ndc
from medtrace.gs1.prefix import ndc_company_prefix

#: A raw scan as a 2D scanner sends it: symbology identifier ]d2, GS after variable-length fields.
SCAN = f"]d20100312345678906210012{GS}10A1B2{GS}17260500"
#: The NDC printed on the pack (its hyphenation is printed, it cannot be derived from the GTIN).
PACK_NDC = "12345-678-90"

console = Console(highlight=False, soft_wrap=True)


def _step(number: int, title: str) -> None:
    console.print()
    console.print(f"[bold cyan]{number}. {title}[/]")


def tour(
    out_dir: Annotated[Path, typer.Option("--out", help="Where to write the label files.")] = Path(
        "medtrace-tour"
    ),
) -> None:
    """Walk through reading, converting, printing and checking a DSCSA product identifier."""
    console.print(
        Panel.fit(
            "medtrace GS1 tour: one pharmacy scan, every form it takes, and the checks on it",
            style="bold",
        )
    )

    _step(1, "A pharmacy scanner reads the pack's GS1 DataMatrix and sends:")
    console.print(f"   {SCAN.replace(GS, '<GS>')}   (<GS> is the invisible FNC1 separator)")
    message = parse_element_string(SCAN)
    table = Table(show_header=True, header_style="bold")
    for column in ("AI", "meaning", "value"):
        table.add_column(column)
    for element in message.elements:
        table.add_row(f"({element.ai})", element.spec.data_title, element.value)
    console.print(table)

    pi = message.product_identifier()
    today = datetime.now(tz=UTC).date()
    _step(2, "The DSCSA product identifier it carries")
    console.print(f"   GTIN {pi.gtin}, serial {pi.serial!r}, lot {pi.lot!r}")
    console.print(
        f"   expiry {pi.expiry.yymmdd}: day 00 means the end of the month, so usable through "
        f"{pi.expiry.date.isoformat()} "
        f"({'EXPIRED' if pi.expiry.is_expired(today) else 'not expired'} on {today.isoformat()})"
    )
    readings = ", ".join(str(ndc) for ndc in Ndc.from_gtin(pi.gtin))
    console.print(
        f"   the GTIN embeds NDC digits {Ndc.parse(PACK_NDC).digits}; without the pack's "
        f"hyphenation they read as any of: {readings}"
    )
    console.print("   serial '0012' keeps its leading zeros: '0012' and '12' are different packs")

    _step(3, "The same pack in every identifier form trading partners use")
    company_prefix = ndc_company_prefix(Ndc.parse(PACK_NDC))
    forms = Table(show_header=False)
    forms.add_column("form", style="cyan")
    forms.add_column("value", overflow="fold")
    forms.add_row("HRI (printed under barcodes)", to_element_string(message, form="hri"))
    forms.add_row("GS1 Digital Link (DSCSA VRS)", to_digital_link(message))
    forms.add_row(
        f"EPC URN (EPCIS; company prefix {company_prefix})",
        to_urn(message, gcp_length=len(company_prefix)),
    )
    forms.add_row(
        "RFID SGTIN-198 (hex)",
        to_rfid(message, scheme="sgtin-198", gcp_length=len(company_prefix)),
    )
    console.print(forms)
    console.print(
        "   SGTIN-96 cannot carry serial '0012' (it stores a number and would read back '12')."
    )

    _step(4, "Print a DSCSA label and read it back")
    out_dir.mkdir(parents=True, exist_ok=True)
    drawing = label.render_label(
        pi, product_name="Examplamab 10 mg tablets", ndc=Ndc.parse(PACK_NDC)
    )
    png, svg = out_dir / "label.png", out_dir / "label.svg"
    drawing.save(png)
    drawing.save(svg)
    console.print(f"   wrote {png} and {svg}")
    decoded = barcode.read_image(png)
    same = any(
        symbol.message is not None and symbol.message.as_dict() == message.as_dict()
        for symbol in decoded
    )
    for symbol in decoded:
        console.print(
            f"   read back: {symbol.symbology_identifier}{symbol.content.replace(GS, '<GS>')}"
        )
    console.print(f"   same data as the scan (AI order aside): {'yes' if same else 'NO'}")

    _step(5, "Bad data is refused with the reason, never guessed")
    for bad in (
        "(01)00312345678905(21)0012",
        "(01)00312345678906(21)00 12",
        "(01)00312345678906(17)261301",
    ):
        try:
            parse_element_string(bad)
        except Gs1Error as error:
            console.print(f"   {bad}\n     [red]→ {error}[/]")

    console.print()
    console.print(
        "Next: [bold]medtrace gs1 parse TEXT[/], [bold]medtrace gs1 convert TEXT --to urn "
        "--gcp-length 7[/], [bold]medtrace gs1 --help[/]"
    )
    if not same:
        raise typer.Exit(1)
