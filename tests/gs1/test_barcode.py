"""GS1 DataMatrix / GS1 QR rendering, drawing and reading (medtrace.gs1.barcode)."""

from __future__ import annotations

import io
import string
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from PIL import Image

from medtrace.gs1 import barcode
from medtrace.gs1.barcode import (
    DecodedSymbol,
    Symbol,
    Symbology,
    read_image,
    render_datamatrix,
    render_gs1_qr,
    render_qr_digital_link,
    save,
    to_png,
    to_svg,
)
from medtrace.gs1.charset import CSET82
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.element_string import Gs1Message, format_raw
from medtrace.gs1.errors import (
    BarcodeError,
    CharacterSetError,
    CheckDigitError,
    DateError,
    Gs1Error,
    LengthError,
    UnknownAiError,
)

SVG_NS = "{http://www.w3.org/2000/svg}"
Transform = Callable[[Image.Image], Image.Image]
GTIN = "00300021433802"

ROUND_TRIP_CASES = [
    # GTIN-14, leading-zero serial, lot and an expiry with day 00 (end of month)
    Gs1Message.of(("01", GTIN), ("21", "0012"), ("10", "A1B2"), ("17", "260500")),
    # CSET 82 punctuation in the serial, none of it a separator
    Gs1Message.of(("01", GTIN), ("21", "%&/!'()*+,-.:;<=>?_A"), ("10", "L1")),
    # a double quote, < and & (XML-special characters) in serial and lot
    Gs1Message.of(("01", GTIN), ("21", 'S"<&>'), ("10", "'\"")),
    # longest serial and lot (20 characters each), both variable length, so two GS
    Gs1Message.of(("01", GTIN), ("21", "0" * 10 + "Zz9" * 3 + "_"), ("10", "X" * 20)),
    # pre-defined-length AI after a variable-length one needs the GS too
    Gs1Message.of(("21", "0001"), ("01", GTIN), ("17", "271231")),
    # a single element, no separator at all
    Gs1Message.of(("01", "09506000134352")),
]


def _read_one(data: bytes) -> DecodedSymbol:
    decoded = read_image(data)
    assert len(decoded) == 1, decoded
    return decoded[0]


def _png_to_image(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as image:
        return image.convert("L")


def _image_bytes(image: Image.Image, fmt: str = "PNG", **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize("message", ROUND_TRIP_CASES)
def test_datamatrix_round_trip(message: Gs1Message) -> None:
    symbol = render_datamatrix(message)
    decoded = _read_one(to_png(symbol, module_px=4))
    assert decoded.symbology is Symbology.DATAMATRIX
    assert decoded.symbology_identifier == "]d2"
    assert decoded.content == format_raw(message, symbology=None)
    assert decoded.transmitted == format_raw(message) == symbol.transmitted
    assert decoded.message == message
    assert decoded.problem is None


@pytest.mark.parametrize("message", ROUND_TRIP_CASES[:3])
def test_gs1_qr_round_trip(message: Gs1Message) -> None:
    symbol = render_gs1_qr(message)
    decoded = _read_one(to_png(symbol, module_px=4))
    assert (decoded.symbology, decoded.symbology_identifier) == (Symbology.QR_CODE, "]Q3")
    assert decoded.transmitted == format_raw(message, symbology="]Q3")
    assert decoded.message == message


@pytest.mark.parametrize(
    ("text", "expected_fnc1_content"),
    [
        # HRI input: encoded in raw form, GS after the variable-length lot
        ("(01)00312345678906(10)A1B2(17)260500", "010031234567890610A1B2\x1d17260500"),
        # raw input with the ]d2 identifier and GS separators
        ("]d20100312345678906210012\x1d10A1", "0100312345678906210012\x1d10A1"),
        # raw input with the <GS> stand-in people paste
        ("0100312345678906210012<GS>10A1", "0100312345678906210012\x1d10A1"),
    ],
)
def test_render_accepts_text_forms(text: str, expected_fnc1_content: str) -> None:
    symbol = render_datamatrix(text)
    assert symbol.content == expected_fnc1_content
    assert _read_one(to_png(symbol, module_px=3)).content == expected_fnc1_content


_CSET82_TEXT = st.text(alphabet=sorted(CSET82), min_size=1, max_size=20)


@st.composite
def _product_messages(draw: st.DrawFn) -> Gs1Message:
    body = draw(st.text(alphabet=string.digits, min_size=13, max_size=13))
    zeros = draw(st.integers(min_value=0, max_value=5))
    serial = ("0" * zeros + draw(_CSET82_TEXT))[:20]
    lot = draw(_CSET82_TEXT)
    year = draw(st.integers(min_value=0, max_value=99))
    month = draw(st.integers(min_value=1, max_value=12))
    day = draw(st.integers(min_value=0, max_value=28))
    return Gs1Message.of(
        ("01", body + mod10(body)),
        ("17", f"{year:02d}{month:02d}{day:02d}"),
        ("10", lot),
        ("21", serial),
    )


@settings(max_examples=40, deadline=None)
@given(message=_product_messages())
def test_product_identifier_round_trip_property(message: Gs1Message) -> None:
    decoded = _read_one(to_png(render_datamatrix(message), module_px=3))
    assert decoded.message == message
    assert decoded.message.product_identifier() == message.product_identifier()


def _rotate(angle: float) -> Transform:
    def transform(image: Image.Image) -> Image.Image:
        return image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)

    return transform


def _scale(factor: float) -> Transform:
    def transform(image: Image.Image) -> Image.Image:
        size = (round(image.width * factor), round(image.height * factor))
        return image.resize(size, Image.Resampling.BILINEAR)

    return transform


def _noise(sigma: float) -> Transform:
    def transform(image: Image.Image) -> Image.Image:
        rng = np.random.default_rng(7)
        pixels = np.asarray(image, dtype=np.float64)
        noisy = pixels + rng.normal(0.0, sigma, pixels.shape)
        return Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))

    return transform


def _on_canvas(image: Image.Image) -> Image.Image:
    canvas = Image.new("L", (image.width * 3, image.height * 2), 230)
    canvas.paste(image, (image.width, image.height // 3))
    return canvas


@pytest.mark.parametrize(
    "transforms",
    [
        # quarter turn
        [_rotate(90)],
        # upside down
        [_rotate(180)],
        # small arbitrary skew, as a hand-held scan
        [_rotate(7)],
        # downscaled to under half size (about 4 px per module)
        [_scale(0.45)],
        # upscaled by a non-integer factor
        [_scale(1.7)],
        # Gaussian noise on a skewed symbol placed on a grey background
        [_rotate(7), _on_canvas, _noise(30.0)],
    ],
)
def test_distorted_images_still_read(transforms: list[Transform]) -> None:
    message = ROUND_TRIP_CASES[0]
    image = _png_to_image(to_png(render_datamatrix(message), module_px=10))
    for transform in transforms:
        image = transform(image)
    assert _read_one(_image_bytes(image)).message == message


@pytest.mark.parametrize(
    "quality",
    [
        # ordinary photo compression
        75,
        # heavy compression with visible artefacts
        30,
    ],
)
def test_jpeg_input_reads(quality: int) -> None:
    message = ROUND_TRIP_CASES[1]
    image = _png_to_image(to_png(render_datamatrix(message), module_px=6)).convert("RGB")
    decoded = _read_one(_image_bytes(image, "JPEG", quality=quality))
    assert decoded.transmitted == format_raw(message)


def test_transparent_background_counts_as_white() -> None:
    message = ROUND_TRIP_CASES[0]
    grey = _png_to_image(to_png(render_datamatrix(message), module_px=5))
    rgba = Image.new("RGBA", grey.size, (0, 0, 0, 0))
    rgba.putalpha(Image.eval(grey, lambda value: 255 - value))
    assert _read_one(_image_bytes(rgba)).message == message


def test_read_from_path_and_several_symbols(tmp_path: Path) -> None:
    first, second = ROUND_TRIP_CASES[0], ROUND_TRIP_CASES[3]
    left = _png_to_image(to_png(render_datamatrix(first), module_px=5))
    right = _png_to_image(to_png(render_gs1_qr(second), module_px=5))
    canvas = Image.new("L", (left.width + right.width + 40, max(left.height, right.height)), 255)
    canvas.paste(left, (0, 0))
    canvas.paste(right, (left.width + 40, 0))
    path = tmp_path / "two.png"
    canvas.save(path)
    decoded = read_image(path)
    assert {symbol.transmitted for symbol in decoded} == {
        format_raw(first),
        format_raw(second, symbology="]Q3"),
    }


@pytest.mark.parametrize(
    ("text", "error"),
    [
        # GTIN check digit wrong (6 expected)
        ("(01)00312345678905(21)0012", CheckDigitError),
        # month 13 in the expiry date
        ("(01)00312345678906(17)261301", DateError),
        # space is not in CSET 82
        ("(01)00312345678906(21)AB CD", CharacterSetError),
        # serial of 21 characters
        ("(01)00312345678906(21)" + "1" * 21, LengthError),
        # AI (23) does not exist
        ("(01)00312345678906(23)1", UnknownAiError),
    ],
)
def test_invalid_content_refused_before_rendering(
    text: str, error: type[Gs1Error], monkeypatch: pytest.MonkeyPatch
) -> None:
    def writer_must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the writer was called with invalid data")

    monkeypatch.setattr(zxingcpp, "create_barcode", writer_must_not_run)
    with pytest.raises(error):
        render_datamatrix(text)
    with pytest.raises(error):
        render_gs1_qr(text)


@pytest.mark.parametrize(
    "uri",
    [
        # check digit wrong in the GTIN path segment
        "https://id.gs1.org/01/00312345678905/21/1",
        # no primary key in the path
        "https://example.com/products/123",
    ],
)
def test_invalid_digital_link_refused(uri: str) -> None:
    with pytest.raises(Gs1Error):
        render_qr_digital_link(uri)


def test_digital_link_qr_carries_canonical_uri() -> None:
    uri = "https://brand.example/p/01/312345678906/21/0012?exp=260500&linkType=gs1:pip"
    symbol = render_qr_digital_link(uri)
    canonical = "https://id.gs1.org/01/00312345678906/21/0012?17=260500"
    assert (symbol.symbology_identifier, symbol.content, symbol.message) == ("]Q1", canonical, None)
    decoded = _read_one(to_png(symbol, module_px=4))
    assert decoded.content == canonical
    assert decoded.digital_link is not None
    assert decoded.digital_link.canonical() == canonical
    assert decoded.message == Gs1Message.of(
        ("01", "00312345678906"), ("21", "0012"), ("17", "260500")
    )


def _zxing_png(content: str, fmt: zxingcpp.BarcodeFormat, **options: object) -> bytes:
    created = zxingcpp.create_barcode(content, fmt, **options)
    pixels = np.asarray(zxingcpp.write_barcode_to_image(created, scale=6), dtype=np.uint8)
    return _image_bytes(Image.fromarray(pixels))


@pytest.mark.parametrize(
    ("content", "fmt", "options", "identifier", "error"),
    [
        # GS1 DataMatrix whose GTIN check digit is wrong (the writer does not check)
        (
            "[01]00312345678905[21]1",
            zxingcpp.BarcodeFormat.DataMatrix,
            {"gs1": True},
            "]d2",
            CheckDigitError,
        ),
        # plain (non-GS1) DataMatrix with free text
        ("hello pharmacy", zxingcpp.BarcodeFormat.DataMatrix, {}, "]d1", Gs1Error),
        # plain QR Code with a URL that is no Digital Link
        ("https://example.com/leaflet", zxingcpp.BarcodeFormat.QRCode, {}, "]Q1", Gs1Error),
    ],
)
def test_non_gs1_symbols_are_reported_with_their_problem(
    content: str,
    fmt: zxingcpp.BarcodeFormat,
    options: dict[str, object],
    identifier: str,
    error: type[Gs1Error],
) -> None:
    decoded = _read_one(_zxing_png(content, fmt, **options))
    assert decoded.symbology_identifier == identifier
    assert decoded.message is None
    assert isinstance(decoded.problem, error)


def test_no_symbol_raises_barcode_error(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("RGB", (120, 80), "white").save(path)
    with pytest.raises(BarcodeError, match=r"no GS1 DataMatrix or QR code found in .*blank\.png"):
        read_image(path)
    with pytest.raises(BarcodeError, match=r"\(120x80 px\)"):
        read_image(path.read_bytes())


def test_bytes_that_are_no_image_raise_barcode_error() -> None:
    with pytest.raises(BarcodeError, match="not an image"):
        read_image(b"GIF-ish but not really")


@pytest.mark.parametrize(
    "message",
    [
        # would be an 8x64 DMRE rectangle without the square option
        ROUND_TRIP_CASES[0],
        # long content: a large square symbol
        ROUND_TRIP_CASES[3],
        # short content: the smallest squares
        ROUND_TRIP_CASES[5],
    ],
)
def test_datamatrix_is_always_square(message: Gs1Message) -> None:
    columns, rows = render_datamatrix(message).size
    assert columns == rows


def _svg_grid(svg: str, module_px: int) -> tuple[etree._Element, np.ndarray]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(svg.encode(), parser)
    width, height = int(root.get("width")), int(root.get("height"))
    assert root.get("viewBox") == f"0 0 {width} {height}"
    grid = np.zeros((height // module_px, width // module_px), dtype=bool)
    for rect in root.iter(f"{SVG_NS}g"):
        for cell in rect.iter(f"{SVG_NS}rect"):
            x, y = int(cell.get("x")) // module_px, int(cell.get("y")) // module_px
            length = int(cell.get("width")) // module_px
            assert int(cell.get("height")) == module_px
            assert not grid[y, x : x + length].any(), "runs overlap"
            grid[y, x : x + length] = True
    return root, grid


@pytest.mark.parametrize(
    ("symbol", "module_px"),
    [
        # DataMatrix: 1-module quiet zone
        (render_datamatrix(ROUND_TRIP_CASES[0]), 10),
        # GS1 QR Code: 4-module quiet zone, 1 px modules
        (render_gs1_qr(ROUND_TRIP_CASES[1]), 1),
        # Digital Link QR Code, odd module size
        (render_qr_digital_link("https://id.gs1.org/01/00312345678906/21/7"), 3),
    ],
)
def test_svg_grid_equals_module_matrix(symbol: Symbol, module_px: int) -> None:
    _, grid = _svg_grid(to_svg(symbol, module_px=module_px), module_px)
    quiet = symbol.quiet_zone
    expected = np.pad(np.array(symbol.modules, dtype=bool), quiet, constant_values=False)
    assert grid.shape == expected.shape
    assert (grid == expected).all()


@settings(max_examples=40, deadline=None)
@given(message=_product_messages(), module_px=st.integers(min_value=1, max_value=7))
def test_svg_grid_property(message: Gs1Message, module_px: int) -> None:
    symbol = render_datamatrix(message)
    root, grid = _svg_grid(to_svg(symbol, module_px=module_px), module_px)
    assert root.findtext(f"{SVG_NS}title").startswith("GS1 DataMatrix (01)")
    assert (grid[1:-1, 1:-1] == np.array(symbol.modules)).all()
    assert not grid[0].any() and not grid[-1].any() and not grid[:, 0].any()


@pytest.mark.parametrize(
    ("module_px", "quiet_zone"),
    [
        # default quiet zone, 1 pixel per module
        (1, None),
        # default quiet zone, 10 pixels per module
        (10, None),
        # wider quiet zone than the minimum
        (4, 5),
    ],
)
def test_png_pixels_match_modules(module_px: int, quiet_zone: int | None) -> None:
    symbol = render_datamatrix(ROUND_TRIP_CASES[0])
    image = _png_to_image(to_png(symbol, module_px=module_px, quiet_zone=quiet_zone))
    margin = quiet_zone if quiet_zone is not None else 1
    columns, rows = symbol.size
    assert image.size == ((columns + 2 * margin) * module_px, (rows + 2 * margin) * module_px)
    pixels = np.asarray(image)
    centres = pixels[module_px // 2 :: module_px, module_px // 2 :: module_px]
    expected = np.pad(np.array(symbol.modules, dtype=bool), margin, constant_values=False)
    assert ((centres == 0) == expected).all()


def test_outputs_are_deterministic() -> None:
    first = render_datamatrix(ROUND_TRIP_CASES[2])
    second = render_datamatrix(format_raw(ROUND_TRIP_CASES[2]))
    assert first == second
    assert to_png(first) == to_png(second)
    assert to_svg(first) == to_svg(second)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        # DataMatrix needs at least 1 module of quiet zone
        (lambda s: to_png(s, quiet_zone=0), "quiet zone of 0 modules"),
        # module size must be positive
        (lambda s: to_svg(s, module_px=0), "module size 0 px"),
        # QR error correction level must be L, M, Q or H
        (lambda _: render_gs1_qr("(01)00312345678906", ec_level="X"), "level 'X'"),
    ],
)
def test_bad_drawing_options(call: Callable[[Symbol], object], match: str) -> None:
    symbol = render_datamatrix(ROUND_TRIP_CASES[0])
    with pytest.raises(BarcodeError, match=match):
        call(symbol)


def test_qr_quiet_zone_minimum_is_four_modules() -> None:
    symbol = render_gs1_qr(ROUND_TRIP_CASES[0])
    with pytest.raises(BarcodeError, match="expected at least 4"):
        to_svg(symbol, quiet_zone=3)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        # PNG by suffix
        ("code.png", "png"),
        # suffix case does not matter
        ("CODE.PNG", "png"),
        # SVG by suffix
        ("code.svg", "svg"),
    ],
)
def test_save_by_suffix(tmp_path: Path, name: str, kind: str) -> None:
    symbol = render_datamatrix(ROUND_TRIP_CASES[0])
    path = tmp_path / name
    save(symbol, path, module_px=4)
    if kind == "png":
        assert path.read_bytes() == to_png(symbol, module_px=4)
        assert read_image(path)[0].message == ROUND_TRIP_CASES[0]
    else:
        assert path.read_text(encoding="utf-8") == to_svg(symbol, module_px=4)


def test_save_unknown_suffix(tmp_path: Path) -> None:
    symbol = render_datamatrix(ROUND_TRIP_CASES[0])
    with pytest.raises(BarcodeError, match=r"suffix '\.gif' is not known"):
        save(symbol, tmp_path / "code.gif")
    assert not (tmp_path / "code.gif").exists()


def test_symbol_rejects_ragged_matrix() -> None:
    with pytest.raises(BarcodeError, match="not a non-empty rectangle"):
        Symbol(Symbology.DATAMATRIX, "]d2", "01", ((True, False), (True,)))


def test_module_runs_cover_exactly_the_dark_modules() -> None:
    symbol = render_datamatrix(ROUND_TRIP_CASES[3])
    dark = {
        (row, column)
        for row, values in enumerate(symbol.modules)
        for column, value in enumerate(values)
        if value
    }
    covered = {
        (row, column + offset)
        for row, column, length in barcode.module_runs(symbol)
        for offset in range(length)
    }
    assert covered == dark
