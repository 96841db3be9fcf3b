"""DSCSA product labels (medtrace.gs1.label)."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from medtrace.gs1.barcode import read_image
from medtrace.gs1.charset import CSET82
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.errors import BarcodeError, Gs1Error
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.label import Label, expiry_text, product_message, render_label
from medtrace.gs1.ndc import Ndc
from medtrace.gs1.product import ProductIdentifier

SVG_NS = "{http://www.w3.org/2000/svg}"
TODAY = datetime.date(2025, 1, 1)
NDC = Ndc.parse("0002-1433-80")
REST = ("SN 0012", "LOT A1B2", "EXP 2026-05")


def _pi(
    gtin: str = "00300021433802", serial: str = "0012", lot: str = "A1B2", expiry: str = "260500"
) -> ProductIdentifier:
    return ProductIdentifier(Gtin.parse(gtin), serial, lot, Gs1Date.parse(expiry, today=TODAY))


def _png(label: Label) -> np.ndarray:
    with Image.open(io.BytesIO(label.to_png())) as image:
        return np.asarray(image.convert("L"))


def _svg_root(label: Label) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    return etree.fromstring(label.to_svg().encode(), parser)


@pytest.mark.parametrize(
    ("pi", "ndc", "expected"),
    [
        # NDC given and matching the GTIN; expiry with day 00 prints year and month only
        (_pi(), NDC, ("NDC 0002-1433-80", *REST)),
        # no NDC given: the GTIN is printed, its NDC segmentation being unknown
        (_pi(), None, ("GTIN 00300021433802", *REST)),
        # a case-level GTIN (indicator 1) embeds the same NDC
        (_pi(gtin="10300021433809"), NDC, ("NDC 0002-1433-80", *REST)),
        # a GTIN from outside the US, no NDC
        (_pi(gtin="09506000134352"), None, ("GTIN 09506000134352", *REST)),
        # explicit expiry day prints as a full ISO date; leading zeros of the serial kept
        (
            _pi(serial="000000000000000000A1", expiry="280229"),
            NDC,
            ("NDC 0002-1433-80", "SN 000000000000000000A1", "LOT A1B2", "EXP 2028-02-29"),
        ),
    ],
)
def test_printed_lines(pi: ProductIdentifier, ndc: Ndc | None, expected: tuple[str, ...]) -> None:
    assert render_label(pi, ndc=ndc).lines == expected


@pytest.mark.parametrize(
    ("expiry", "printed"),
    [
        # day 00: the symbol names no day, so neither does the text
        (Gs1Date.parse("260200", today=TODAY), "2026-02"),
        # the last day given explicitly is printed with its day
        (Gs1Date.parse("260228", today=TODAY), "2026-02-28"),
        # first of the month
        (Gs1Date.parse("301101", today=TODAY), "2030-11-01"),
    ],
)
def test_expiry_text(expiry: Gs1Date, printed: str) -> None:
    assert expiry_text(expiry) == printed


@pytest.mark.parametrize(
    ("pi", "ndc", "match"),
    [
        # an NDC with other digits than those embedded in the GTIN
        (_pi(), Ndc.parse("50242-040-62"), "does not match the GTIN"),
        # a GTIN that embeds no NDC at all
        (_pi(gtin="09506000134352"), NDC, "does not embed an NDC"),
    ],
)
def test_ndc_must_match_gtin(pi: ProductIdentifier, ndc: Ndc, match: str) -> None:
    with pytest.raises(Gs1Error, match=match):
        render_label(pi, ndc=ndc)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # title of blanks only
        ({"product_name": "   "}, "not one line"),
        # title with a line break
        ({"product_name": "Drug\n10 mg"}, "not one line"),
        # unreadably small text
        ({"font_px": 4}, "font size 4 px"),
        # zero module size
        ({"module_px": 0}, "module size 0 px"),
    ],
)
def test_bad_label_options(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(BarcodeError, match=match):
        render_label(_pi(), **kwargs)  # type: ignore[arg-type]


def test_product_message_order_and_content() -> None:
    message = product_message(_pi())
    assert [element.ai for element in message.elements] == ["01", "17", "10", "21"]
    assert message.product_identifier() == _pi()


@pytest.mark.parametrize(
    ("pi", "name", "module_px"),
    [
        # plain label, default size
        (_pi(), None, 10),
        # with a product-name title above
        (_pi(), "Humalog 100 units/mL", 10),
        # small modules, 20-character serial and lot with punctuation
        (_pi(serial="0%&/!'()*+,-.:;<=>?_", lot="L" * 20), "X", 4),
    ],
)
def test_label_png_holds_readable_datamatrix(
    pi: ProductIdentifier, name: str | None, module_px: int
) -> None:
    label = render_label(pi, product_name=name, ndc=NDC, module_px=module_px)
    (decoded,) = read_image(label.to_png())
    assert decoded.symbology_identifier == "]d2"
    assert decoded.message is not None
    assert decoded.message.product_identifier() == pi


def test_label_png_geometry() -> None:
    label = render_label(_pi(), product_name="Humalog", ndc=NDC)
    layout = label.layout
    pixels = _png(label)
    assert pixels.shape == (layout.height, layout.width)
    px = label.module_px
    columns, rows = label.symbol.size
    left, top = layout.symbol_x, layout.symbol_y
    # module centres match the matrix
    area = pixels[top : top + rows * px, left : left + columns * px]
    centres = area[px // 2 :: px, px // 2 :: px]
    assert ((centres == 0) == np.array(label.symbol.modules)).all()
    # the 1-module quiet zone around the symbol is white: no text intrudes
    ring = pixels[top - px : top + (rows + 1) * px, left - px : left + (columns + 1) * px].copy()
    ring[px:-px, px:-px] = 255
    assert (ring == 255).all()
    # every text line puts ink just above its baseline
    for text in layout.texts:
        band = pixels[text.baseline - layout.font_px // 2 : text.baseline, text.x :]
        assert (band < 128).any(), text
    # the text column starts right of the symbol's quiet zone
    assert all(t.x >= left + (columns + 1) * px for t in layout.texts[1:])


def test_label_svg_matches_layout() -> None:
    pi = _pi(serial='S<&>"1', lot="L'1")
    label = render_label(pi, product_name="A & B <10 mg>", ndc=NDC)
    layout = label.layout
    root = _svg_root(label)
    assert (root.get("width"), root.get("height")) == (str(layout.width), str(layout.height))
    assert root.get("viewBox") == f"0 0 {layout.width} {layout.height}"
    texts = [(int(t.get("x")), int(t.get("y")), t.text) for t in root.iter(f"{SVG_NS}text")]
    assert texts == [(t.x, t.baseline, t.text) for t in layout.texts]
    assert [t for _, _, t in texts] == ["A & B <10 mg>", *label.lines]
    px = label.module_px
    columns, rows = label.symbol.size
    grid = np.zeros((rows, columns), dtype=bool)
    for rect in root.iter(f"{SVG_NS}rect"):
        if rect.get("x") is None:
            continue  # the background
        x = (int(rect.get("x")) - layout.symbol_x) // px
        y = (int(rect.get("y")) - layout.symbol_y) // px
        grid[y, x : x + int(rect.get("width")) // px] = True
    assert (grid == np.array(label.symbol.modules)).all()


def test_png_and_svg_share_size() -> None:
    label = render_label(_pi(), product_name="Name", module_px=6)
    root = _svg_root(label)
    assert _png(label).shape == (int(root.get("height")), int(root.get("width")))


@pytest.mark.parametrize(
    "name",
    [
        # PNG by suffix
        "label.png",
        # SVG by suffix, upper case
        "LABEL.SVG",
    ],
)
def test_save(tmp_path: Path, name: str) -> None:
    label = render_label(_pi(), ndc=NDC)
    path = tmp_path / name
    label.save(path)
    if path.suffix.lower() == ".png":
        assert path.read_bytes() == label.to_png()
    else:
        assert path.read_text(encoding="utf-8") == label.to_svg()


def test_save_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(BarcodeError, match=r"suffix '\.pdf'"):
        render_label(_pi()).save(tmp_path / "label.pdf")


_CSET82_TEXT = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)


@settings(max_examples=15, deadline=None)
@given(serial=_CSET82_TEXT, lot=_CSET82_TEXT)
def test_label_round_trip_property(serial: str, lot: str) -> None:
    pi = _pi(serial=serial, lot=lot)
    label = render_label(pi, ndc=NDC, module_px=5)
    (decoded,) = read_image(label.to_png())
    assert decoded.message is not None
    assert decoded.message.product_identifier() == pi
    assert [t.text for t in label.layout.texts] == list(label.lines)
    assert _svg_root(label).findtext(f"{SVG_NS}g/{SVG_NS}text") == label.lines[0]
