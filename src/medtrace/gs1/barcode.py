"""GS1 DataMatrix and GS1 QR Code symbols: encode, draw (PNG, SVG) and read back from images.

Standards followed:

* **GS1 DataMatrix** (GS1 General Specifications §5.6; ISO/IEC 16022 ECC 200): FNC1 in the first
  position announces GS1 data, FNC1 separates a variable-length value from the next element string
  (§7.8.5) and a scanner transmits it as GS (``\\x1d``) after the symbology identifier ``]d2``
  (ISO/IEC 15424). Only square symbols are produced: the rectangular extension DMRE (ISO/IEC 21471)
  is not part of GS1 DataMatrix for healthcare and many pharmacy scanners refuse it.
* **GS1 QR Code** (GS1 General Specifications §5.7; ISO/IEC 18004): element strings with FNC1 in
  the first position (``]Q3``), or a plain QR Code (``]Q1``) holding a GS1 Digital Link URI
  (GS1 Digital Link URI Syntax 1.4).
* **Quiet zone**: at least 1 module on every side of a DataMatrix (ISO/IEC 16022 §5.2.8), at least
  4 modules around a QR Code (ISO/IEC 18004 §6.3.8). Smaller quiet zones are refused.

Content is validated by :mod:`medtrace.gs1.element_string` or :mod:`medtrace.gs1.digital_link`
before anything is encoded: the zxing-cpp writer underneath accepts wrong check digits.

>>> symbol = render_datamatrix("(01)00312345678906(21)0012(10)A1B2(17)260500")
>>> symbol.transmitted
']d20100312345678906210012\\x1d10A1B2\\x1d17260500'
>>> symbol.size, symbol.quiet_zone
((22, 22), 1)
>>> to_svg(symbol, module_px=4).count("<rect")  # background + one per run of dark modules
135
"""

from __future__ import annotations

import enum
import html
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import zxingcpp
from numpy.typing import NDArray
from PIL import Image, UnidentifiedImageError

from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.element_string import Gs1Message, format_hri, format_raw, parse
from medtrace.gs1.errors import BarcodeError, Gs1Error

Matrix = tuple[tuple[bool, ...], ...]
"""Rows of modules, top to bottom; ``True`` is a dark module."""


class Symbology(enum.StrEnum):
    """The two 2D symbologies GS1 uses for item-level identification (§5.6, §5.7)."""

    DATAMATRIX = "DataMatrix"
    QR_CODE = "QRCode"


_QUIET_ZONE: Final[dict[Symbology, int]] = {Symbology.DATAMATRIX: 1, Symbology.QR_CODE: 4}
_ZXING_FORMAT: Final[dict[Symbology, zxingcpp.BarcodeFormat]] = {
    Symbology.DATAMATRIX: zxingcpp.BarcodeFormat.DataMatrix,
    Symbology.QR_CODE: zxingcpp.BarcodeFormat.QRCode,
}
_QR_EC_LEVELS: Final = ("L", "M", "Q", "H")
_MID_GREY: Final = 128
_SVG_SUFFIX: Final = ".svg"
_PNG_SUFFIX: Final = ".png"


@dataclass(frozen=True, slots=True)
class Symbol:
    """An encoded 2D symbol: its module matrix and what a scanner transmits when reading it.

    ``content`` is the data after the symbology identifier: raw element strings with GS
    separators for ``]d2``/``]Q3``, the URI for a Digital Link QR Code (``]Q1``). ``message`` is
    the validated GS1 message of element-string symbols, ``None`` for a Digital Link.
    """

    symbology: Symbology
    symbology_identifier: str
    content: str
    modules: Matrix
    message: Gs1Message | None = None

    def __post_init__(self) -> None:
        widths = {len(row) for row in self.modules}
        if not self.modules or len(widths) != 1 or 0 in widths:
            raise BarcodeError(
                f"module matrix of {len(self.modules)} rows with widths {sorted(widths)} "
                "is not a non-empty rectangle"
            )

    @property
    def size(self) -> tuple[int, int]:
        """``(columns, rows)`` in modules, without the quiet zone."""
        return len(self.modules[0]), len(self.modules)

    @property
    def quiet_zone(self) -> int:
        """The minimum quiet zone in modules (DataMatrix 1, QR Code 4)."""
        return _QUIET_ZONE[self.symbology]

    @property
    def transmitted(self) -> str:
        """What a scanner sends: symbology identifier followed by the content."""
        return self.symbology_identifier + self.content


def _encode(content: str, symbology: Symbology, options: dict[str, object]) -> zxingcpp.Barcode:
    try:
        return zxingcpp.create_barcode(content, _ZXING_FORMAT[symbology], **options)
    except ValueError as error:
        raise BarcodeError(f"{symbology} writer refused {content!r}: {error}") from error


def _module_matrix(barcode: zxingcpp.Barcode) -> Matrix:
    image = zxingcpp.write_barcode_to_image(barcode, scale=1, add_quiet_zones=False)
    pixels: NDArray[np.uint8] = np.asarray(image, dtype=np.uint8)
    dark = pixels < _MID_GREY
    return tuple(tuple(bool(module) for module in row) for row in dark)


def _as_message(message: Gs1Message | str) -> Gs1Message:
    return parse(message) if isinstance(message, str) else message


def _render_gs1(message: Gs1Message, symbology: Symbology, options: dict[str, object]) -> Symbol:
    # Bracketed AIs ("[01]...") are the writer's GS1 input syntax; CSET 82, 39 and 64 hold no
    # square brackets, so no value can be mistaken for an AI (unlike the "(01)" HRI form).
    bracketed = "".join(f"[{element.ai}]{element.value}" for element in message.elements)
    barcode = _encode(bracketed, symbology, {"gs1": True, **options})
    encoded = bytes(barcode.bytes).decode("ascii")
    content = format_raw(message, symbology=None)
    if parse(encoded).elements != message.elements:
        raise BarcodeError(
            f"{symbology} writer encoded {encoded!r}, expected the element strings of {content!r}"
        )
    return Symbol(
        symbology,
        str(barcode.symbology_identifier),
        content,
        _module_matrix(barcode),
        message,
    )


def render_datamatrix(message: Gs1Message | str) -> Symbol:
    """Encode a GS1 message as a square GS1 DataMatrix (§5.6, ISO/IEC 16022 ECC 200).

    A string is parsed first (HRI or raw form), so invalid data raises
    :class:`~medtrace.gs1.errors.Gs1Error` before anything is drawn; a :class:`Gs1Message` is
    valid once built. Elements are encoded in the message's order.

    >>> render_datamatrix("(01)00312345678905(21)1")
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.CheckDigitError: AI (01) 00312345678905: check digit 5 is wrong, expected 6
    """
    return _render_gs1(_as_message(message), Symbology.DATAMATRIX, {"forceSquare": True})


def _check_ec_level(ec_level: str) -> str:
    if ec_level not in _QR_EC_LEVELS:
        raise BarcodeError(
            f"QR Code error correction level {ec_level!r} is not known, "
            f"expected one of {', '.join(_QR_EC_LEVELS)} (ISO/IEC 18004 §6.5.1)"
        )
    return ec_level


def render_gs1_qr(message: Gs1Message | str, *, ec_level: str = "M") -> Symbol:
    """Encode a GS1 message as a GS1 QR Code with FNC1 in first position (§5.7, ``]Q3``).

    ``ec_level`` is the ISO/IEC 18004 error correction level ``L``, ``M``, ``Q`` or ``H``.

    >>> render_gs1_qr("(01)00312345678906(21)0012").symbology_identifier
    ']Q3'
    """
    options: dict[str, object] = {"ecLevel": _check_ec_level(ec_level)}
    return _render_gs1(_as_message(message), Symbology.QR_CODE, options)


def render_qr_digital_link(uri: str | DigitalLink, *, ec_level: str = "M") -> Symbol:
    """Encode a GS1 Digital Link as a plain QR Code (``]Q1``) of its canonical URI.

    The URI is parsed by :class:`~medtrace.gs1.digital_link.DigitalLink` first (invalid keys or
    check digits raise :class:`~medtrace.gs1.errors.Gs1Error`); the symbol carries
    :meth:`DigitalLink.canonical` (GS1 Digital Link URI Syntax 1.4 §6), so equal links give equal
    symbols.
    """
    link = DigitalLink.parse(uri) if isinstance(uri, str) else uri
    canonical = link.canonical()
    barcode = _encode(canonical, Symbology.QR_CODE, {"ecLevel": _check_ec_level(ec_level)})
    return Symbol(
        Symbology.QR_CODE, str(barcode.symbology_identifier), canonical, _module_matrix(barcode)
    )


def _quiet(symbol: Symbol, quiet_zone: int | None) -> int:
    if quiet_zone is None:
        return symbol.quiet_zone
    if quiet_zone < symbol.quiet_zone:
        raise BarcodeError(
            f"quiet zone of {quiet_zone} modules is too small for {symbol.symbology}, "
            f"expected at least {symbol.quiet_zone}"
        )
    return quiet_zone


def _check_module_px(module_px: int) -> None:
    if module_px < 1:
        raise BarcodeError(f"module size {module_px} px is not positive, expected at least 1")


def to_image(symbol: Symbol, *, module_px: int = 10, quiet_zone: int | None = None) -> Image.Image:
    """A 1-bit Pillow image of the symbol: ``module_px`` pixels per module, light quiet zone."""
    _check_module_px(module_px)
    margin = _quiet(symbol, quiet_zone)
    dark = np.pad(np.array(symbol.modules, dtype=bool), margin, constant_values=False)
    light = ~np.repeat(np.repeat(dark, module_px, axis=0), module_px, axis=1)
    return Image.fromarray(light)


def to_png(symbol: Symbol, *, module_px: int = 10, quiet_zone: int | None = None) -> bytes:
    """The symbol as PNG bytes (1-bit greyscale; the same symbol always gives the same bytes)."""
    buffer = io.BytesIO()
    to_image(symbol, module_px=module_px, quiet_zone=quiet_zone).save(buffer, format="PNG")
    return buffer.getvalue()


def module_runs(symbol: Symbol) -> Iterator[tuple[int, int, int]]:
    """Horizontal runs of dark modules as ``(row, column, length)``, row by row, left to right.

    >>> symbol = render_datamatrix("(01)00312345678906")
    >>> next(module_runs(symbol))
    (0, 0, 1)
    """
    for row_index, row in enumerate(symbol.modules):
        column = 0
        width = len(row)
        while column < width:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < width and row[column]:
                column += 1
            yield row_index, start, column - start


def svg_modules(symbol: Symbol, *, x: int, y: int, module_px: int) -> str:
    """SVG ``<rect>`` elements, one per dark run, with the symbol's top-left module at (x, y) px.

    Used by :func:`to_svg` and by the product label so both share the same geometry.
    """
    _check_module_px(module_px)
    return "".join(
        f'<rect x="{x + column * module_px}" y="{y + row * module_px}" '
        f'width="{length * module_px}" height="{module_px}"/>'
        for row, column, length in module_runs(symbol)
    )


def _svg_title(symbol: Symbol) -> str:
    text = format_hri(symbol.message) if symbol.message is not None else symbol.content
    return f"GS1 {symbol.symbology} {html.escape(text)}"


def to_svg(symbol: Symbol, *, module_px: int = 10, quiet_zone: int | None = None) -> str:
    """The symbol as an SVG document: a light background, one ``<rect>`` per run of dark modules.

    Coordinates are in pixels (``viewBox`` equals ``width`` x ``height``), the quiet zone included;
    the output is deterministic.
    """
    _check_module_px(module_px)
    margin = _quiet(symbol, quiet_zone)
    columns, rows = symbol.size
    width = (columns + 2 * margin) * module_px
    height = (rows + 2 * margin) * module_px
    origin = margin * module_px
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" shape-rendering="crispEdges">'
        f"<title>{_svg_title(symbol)}</title>"
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>'
        f'<g fill="#000000">{svg_modules(symbol, x=origin, y=origin, module_px=module_px)}</g>'
        "</svg>\n"
    )


def save(
    symbol: Symbol,
    path: str | os.PathLike[str],
    *,
    module_px: int = 10,
    quiet_zone: int | None = None,
) -> None:
    """Write the symbol to ``path`` as PNG (``.png``) or SVG (``.svg``), chosen by the suffix."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == _PNG_SUFFIX:
        target.write_bytes(to_png(symbol, module_px=module_px, quiet_zone=quiet_zone))
    elif suffix == _SVG_SUFFIX:
        target.write_text(
            to_svg(symbol, module_px=module_px, quiet_zone=quiet_zone), encoding="utf-8"
        )
    else:
        raise BarcodeError(
            f"cannot write {str(target)!r}: suffix {suffix!r} is not known, expected .png or .svg"
        )


@dataclass(frozen=True, slots=True)
class DecodedSymbol:
    """One symbol read from an image.

    ``content`` is the data as transmitted after the symbology identifier (GS separators intact).
    For GS1 data, ``message`` is the parsed message; for a Digital Link QR Code ``digital_link``
    is set too. When the content is not valid GS1 data, ``message`` is ``None`` and ``problem``
    says why (the symbol is reported, not dropped).
    """

    symbology: Symbology
    symbology_identifier: str
    content: str
    message: Gs1Message | None
    digital_link: DigitalLink | None = None
    problem: Gs1Error | None = None

    @property
    def transmitted(self) -> str:
        """What a scanner sends: symbology identifier followed by the content."""
        return self.symbology_identifier + self.content


def _interpret(symbology: Symbology, identifier: str, content: str) -> DecodedSymbol:
    if identifier in {"]d2", "]Q3"}:
        try:
            message = parse(identifier + content)
        except Gs1Error as error:
            return DecodedSymbol(symbology, identifier, content, None, problem=error)
        return DecodedSymbol(symbology, identifier, content, message)
    if symbology is Symbology.QR_CODE and content.lower().startswith(("https://", "http://")):
        try:
            link = DigitalLink.parse(content)
        except Gs1Error as error:
            return DecodedSymbol(symbology, identifier, content, None, problem=error)
        return DecodedSymbol(symbology, identifier, content, link.to_message(), link)
    problem = Gs1Error(
        f"{symbology} with symbology identifier {identifier!r} holds no GS1 data, expected "
        "]d2 (GS1 DataMatrix), ]Q3 (GS1 QR Code) or a GS1 Digital Link URI",
        value=content,
    )
    return DecodedSymbol(symbology, identifier, content, None, problem=problem)


def _decode(image: Image.Image) -> list[tuple[str, str]]:
    formats = zxingcpp.BarcodeFormats(
        [zxingcpp.BarcodeFormat.DataMatrix, zxingcpp.BarcodeFormat.QRCode]
    )
    for binarizer in (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram):
        found = zxingcpp.read_barcodes(
            image, formats=formats, text_mode=zxingcpp.TextMode.Plain, binarizer=binarizer
        )
        if found:
            return [(str(barcode.symbology_identifier), str(barcode.text)) for barcode in found]
    return []


def _load(source: str | os.PathLike[str] | bytes) -> tuple[Image.Image, str]:
    name = "image bytes" if isinstance(source, bytes) else str(source)
    try:
        with Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as opened:
            if "A" in opened.getbands() or "transparency" in opened.info:
                background = Image.new("RGBA", opened.size, "white")
                image = Image.alpha_composite(background, opened.convert("RGBA")).convert("L")
            else:
                image = opened.convert("L")
    except UnidentifiedImageError as error:
        raise BarcodeError(f"{name} is not an image Pillow can read (PNG, JPEG, ...)") from error
    return image, name


def read_image(source: str | os.PathLike[str] | bytes) -> list[DecodedSymbol]:
    """Read every GS1 DataMatrix and QR Code in an image file or in encoded image bytes.

    Rotated, scaled, slightly noisy and JPEG-compressed images read; transparent pixels count as
    white. Raises :class:`~medtrace.gs1.errors.BarcodeError` when no symbol is found or the data
    is not an image, :class:`FileNotFoundError` for a missing file.
    """
    image, name = _load(source)
    decoded = [
        _interpret(
            Symbology.DATAMATRIX if identifier.startswith("]d") else Symbology.QR_CODE,
            identifier,
            content,
        )
        for identifier, content in _decode(image)
    ]
    if not decoded:
        raise BarcodeError(
            f"no GS1 DataMatrix or QR code found in {name} ({image.width}x{image.height} px)"
        )
    return decoded


__all__ = [
    "DecodedSymbol",
    "Matrix",
    "Symbol",
    "Symbology",
    "module_runs",
    "read_image",
    "render_datamatrix",
    "render_gs1_qr",
    "render_qr_digital_link",
    "save",
    "svg_modules",
    "to_image",
    "to_png",
    "to_svg",
]
