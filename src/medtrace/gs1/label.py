"""DSCSA product labels: a GS1 DataMatrix with the human-readable product identifier beside it.

The US Drug Supply Chain Security Act (FD&C Act §582) requires the product identifier on each
package in a 2D data matrix barcode *and* in human-readable form. The GS1 US DSCSA guideline and
the FDA guidance "Product Identifiers under the DSCSA" print it as data titles followed by values
(GS1 General Specifications §4.15, "non-HRI text" with data titles)::

    NDC 0002-1433-80
    SN 0012
    LOT A1B2
    EXP 2026-05-31

Decisions:

* **NDC or GTIN.** The GTIN of a US drug embeds the 10 NDC digits but not the NDC's segmentation
  (4-4-2, 5-3-2 or 5-4-1, see :mod:`medtrace.gs1.ndc`), and a wrong hyphenation names another
  product. So the label prints ``NDC ...`` only when the caller passes the NDC (``ndc=``, checked
  against the GTIN); otherwise it prints ``GTIN`` and the 14 digits, which are never ambiguous.
* **Expiry** is printed as an ISO 8601 date, ``YYYY-MM-DD``. An expiry encoded with day ``00``
  (GS1 General Specifications §7.12: day not given, the product may be used through the end of
  the month) is printed ``YYYY-MM``: the human-readable text must say what the symbol encodes, and
  the symbol names no day. Printing the resolved last day would show a date that a scan of the same
  pack does not return.
* **Geometry.** The symbol sits ``2`` modules from the top-left edge (its 1-module quiet zone plus
  margin); the text column starts to its right, beyond a gap of at least the quiet zone; an
  optional title line (the product name) runs above both. PNG and SVG share one
  :class:`LabelLayout`. The PNG uses Pillow's built-in scalable font (no font files are fetched);
  the SVG names that font first and falls back to common sans-serif fonts.

>>> import datetime
>>> from medtrace.gs1.dates import Gs1Date
>>> from medtrace.gs1.gtin import Gtin
>>> from medtrace.gs1.ndc import Ndc
>>> pi = ProductIdentifier(Gtin.parse("00300021433802"), "0012", "A1B2",
...                        Gs1Date.parse("260500", today=datetime.date(2025, 1, 1)))
>>> render_label(pi, ndc=Ndc.parse("0002-1433-80")).lines
('NDC 0002-1433-80', 'SN 0012', 'LOT A1B2', 'EXP 2026-05')
>>> render_label(pi).lines[0]
'GTIN 00300021433802'
"""

from __future__ import annotations

import html
import io
import math
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

from PIL import Image, ImageDraw, ImageFont

from medtrace.gs1.barcode import Symbol, render_datamatrix, svg_modules, to_image
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.element_string import Gs1Message
from medtrace.gs1.errors import BarcodeError, Gs1Error
from medtrace.gs1.ndc import Ndc
from medtrace.gs1.product import ProductIdentifier

_MARGIN_MODULES: Final = 2
_LINE_SPACING: Final = 1.25
_FONT_PER_MODULE: Final = 2.4
_MIN_FONT_PX: Final = 8
_SVG_FONT_FAMILY: Final = "Aileron, Helvetica, Arial, sans-serif"


def product_message(pi: ProductIdentifier) -> Gs1Message:
    """The GS1 message of a DSCSA product identifier: AIs (01), (17), (10), (21) in that order.

    Pre-defined-length AIs come first so that only the lot needs a GS separator (§7.8.5).
    """
    return Gs1Message.of(
        ("01", pi.gtin.value), ("17", pi.expiry.yymmdd), ("10", pi.lot), ("21", pi.serial)
    )


def expiry_text(expiry: Gs1Date) -> str:
    """The printed expiry: ``YYYY-MM-DD``, or ``YYYY-MM`` when the day is not given (DD=00).

    >>> import datetime
    >>> expiry_text(Gs1Date.from_date(datetime.date(2026, 5, 31)))
    '2026-05-31'
    >>> expiry_text(Gs1Date.from_date(datetime.date(2026, 5, 1), day_unspecified=True))
    '2026-05'
    """
    if expiry.day_unspecified:
        return f"{expiry.date.year:04d}-{expiry.date.month:02d}"
    return expiry.date.isoformat()


def _identifier_line(pi: ProductIdentifier, ndc: Ndc | None) -> str:
    if ndc is None:
        return f"GTIN {pi.gtin.value}"
    (embedded,) = Ndc.from_gtin(pi.gtin, format=ndc.format)
    if embedded != ndc:
        raise Gs1Error(
            f"NDC {ndc} does not match the GTIN, which embeds NDC {embedded}",
            ai="01",
            value=pi.gtin.value,
        )
    return f"NDC {ndc}"


def _check_title(title: str | None) -> str | None:
    if title is not None and (not title.strip() or not title.isprintable()):
        raise BarcodeError(f"product name {title!r} is not one line of printable text")
    return title


@dataclass(frozen=True, slots=True)
class TextLine:
    """One line of label text: left end of its baseline at ``(x, baseline)`` px."""

    x: int
    baseline: int
    text: str


@dataclass(frozen=True, slots=True)
class LabelLayout:
    """Where everything goes on the label, in pixels, shared by the PNG and the SVG."""

    width: int
    height: int
    symbol_x: int
    symbol_y: int
    font_px: int
    texts: tuple[TextLine, ...]


@dataclass(frozen=True)
class Label:
    """A DSCSA product label: the GS1 DataMatrix and the printed lines (see the module docstring).

    Build it with :func:`render_label`.
    """

    product_identifier: ProductIdentifier
    symbol: Symbol
    lines: tuple[str, ...]
    title: str | None
    module_px: int
    font_px: int

    def _font(self) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        return ImageFont.load_default(size=self.font_px)

    @cached_property
    def layout(self) -> LabelLayout:
        """The label geometry (computed once)."""
        font = self._font()
        ascent = self.font_px
        line_height = math.ceil(self.font_px * _LINE_SPACING)
        margin = _MARGIN_MODULES * self.module_px
        texts: list[TextLine] = []
        top = margin
        width = 0
        if self.title is not None:
            texts.append(TextLine(margin, top + ascent, self.title))
            width = margin + math.ceil(font.getlength(self.title))
            top += line_height + self.module_px
        columns, rows = self.symbol.size
        text_x = margin + columns * self.module_px + max(margin, self.font_px // 2)
        for index, line in enumerate(self.lines):
            texts.append(TextLine(text_x, top + ascent + index * line_height, line))
            width = max(width, text_x + math.ceil(font.getlength(line)))
        block = max(rows * self.module_px, len(self.lines) * line_height)
        return LabelLayout(
            width=width + margin,
            height=top + block + margin,
            symbol_x=margin,
            symbol_y=top,
            font_px=self.font_px,
            texts=tuple(texts),
        )

    def to_image(self) -> Image.Image:
        """The label as a greyscale Pillow image."""
        layout = self.layout
        canvas = Image.new("L", (layout.width, layout.height), 255)
        quiet = self.symbol.quiet_zone * self.module_px
        canvas.paste(
            to_image(self.symbol, module_px=self.module_px),
            (layout.symbol_x - quiet, layout.symbol_y - quiet),
        )
        draw = ImageDraw.Draw(canvas)
        font = self._font()
        for text in layout.texts:
            draw.text((text.x, text.baseline), text.text, fill=0, font=font, anchor="ls")
        return canvas

    def to_png(self) -> bytes:
        """The label as PNG bytes."""
        buffer = io.BytesIO()
        self.to_image().save(buffer, format="PNG")
        return buffer.getvalue()

    def to_svg(self) -> str:
        """The label as an SVG document with the same geometry as :meth:`to_png`."""
        layout = self.layout
        modules = svg_modules(
            self.symbol, x=layout.symbol_x, y=layout.symbol_y, module_px=self.module_px
        )
        texts = "".join(
            f'<text x="{text.x}" y="{text.baseline}">{html.escape(text.text)}</text>'
            for text in layout.texts
        )
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{layout.width}" '
            f'height="{layout.height}" viewBox="0 0 {layout.width} {layout.height}">'
            f'<rect width="{layout.width}" height="{layout.height}" fill="#ffffff"/>'
            f'<g fill="#000000" shape-rendering="crispEdges">{modules}</g>'
            f'<g fill="#000000" font-family="{_SVG_FONT_FAMILY}" font-size="{layout.font_px}">'
            f"{texts}</g></svg>\n"
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the label as PNG (``.png``) or SVG (``.svg``), chosen by the suffix."""
        target = Path(path)
        suffix = target.suffix.lower()
        if suffix == ".png":
            target.write_bytes(self.to_png())
        elif suffix == ".svg":
            target.write_text(self.to_svg(), encoding="utf-8")
        else:
            raise BarcodeError(
                f"cannot write {str(target)!r}: suffix {suffix!r} is not known, "
                "expected .png or .svg"
            )


def render_label(
    pi: ProductIdentifier,
    *,
    product_name: str | None = None,
    ndc: Ndc | None = None,
    module_px: int = 10,
    font_px: int | None = None,
) -> Label:
    """Lay out the DSCSA label of ``pi``: GS1 DataMatrix, then NDC/GTIN, SN, LOT and EXP lines.

    ``ndc`` must be the NDC the GTIN embeds: its 10 digits are checked against the GTIN, its
    segmentation is taken from the caller (it cannot be derived from the GTIN, see the module
    docstring); without it the GTIN is printed. ``font_px`` defaults to 2.4 modules
    (at least 8 px).
    """
    if module_px < 1:
        raise BarcodeError(f"module size {module_px} px is not positive, expected at least 1")
    if font_px is not None and font_px < _MIN_FONT_PX:
        raise BarcodeError(f"font size {font_px} px is too small, expected at least {_MIN_FONT_PX}")
    size = (
        font_px if font_px is not None else max(_MIN_FONT_PX, round(_FONT_PER_MODULE * module_px))
    )
    lines = (
        _identifier_line(pi, ndc),
        f"SN {pi.serial}",
        f"LOT {pi.lot}",
        f"EXP {expiry_text(pi.expiry)}",
    )
    return Label(
        pi,
        render_datamatrix(product_message(pi)),
        lines,
        _check_title(product_name),
        module_px,
        size,
    )


__all__ = [
    "Label",
    "LabelLayout",
    "TextLine",
    "expiry_text",
    "product_message",
    "render_label",
]
