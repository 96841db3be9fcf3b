"""Our AI table against the GS1 Barcode Syntax Dictionary (read in place from the corpus).

The dictionary's line format (from its header comment)::

    AIs  [Flags]  Specification  [Attributes...]  [# Title]

``AIs`` is one AI or a range ``3100-3105``; flag ``*`` = pre-defined length (no FNC1), ``?`` =
permitted as a Digital Link data attribute; the specification is whitespace-separated components
``[``Type length``]``\\ ``,linter...``; attributes such as ``dlpkey=22,10,21|235``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from medtrace.gs1.ai import AI_TABLE, lookup

pytestmark = pytest.mark.conformance

_FLAG_CHARS = "*!?\"$%&'()+,-./:;<=>@[\\]^_`{|}~"
_COMPONENT = re.compile(r"(\[)?([NXYZ])(\.\.)?(\d+)\]?((?:,\w+)*)")
# Linters we implement; the others are documented as not applied in medtrace.gs1.ai.
_IMPLEMENTED_LINTERS = frozenset({
    "csum", "yymmdd", "yymmd0", "yyyymmdd", "hh", "mi", "ss", "hhmi", "zero", "nonzero",
    "yesno", "hyphen", "winding", "pieceoftotal", "nozeroprefix", "hasnondigit", "iso5218",
    "mediatype", "importeridx", "latitude", "longitude", "iban", "pcenc", "posinseqslash",
})  # fmt: skip


@dataclass(frozen=True)
class Entry:
    ai: str
    flags: str
    components: tuple[tuple[str, bool, int, bool, tuple[str, ...]], ...]
    attributes: tuple[str, ...]
    title: str


def _parse_line(line: str) -> list[Entry]:
    body, _, title = line.partition("#")
    tokens = body.split()
    ais, rest = tokens[0], tokens[1:]
    flags = ""
    if rest and all(c in _FLAG_CHARS for c in rest[0]):
        flags, rest = rest[0], rest[1:]
    components = []
    while rest and (match := _COMPONENT.fullmatch(rest[0])):
        linters = tuple(name for name in match.group(5).split(",") if name)
        components.append(
            (
                match.group(2),
                bool(match.group(3)),
                int(match.group(4)),
                bool(match.group(1)),
                linters,
            )
        )
        rest = rest[1:]
    first, _, last = ais.partition("-")
    codes = (
        [first]
        if not last
        else [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]
    )
    return [Entry(ai, flags, tuple(components), tuple(rest), title.strip()) for ai in codes]


@pytest.fixture(scope="module")
def dictionary(conformance_dir: Path) -> dict[str, Entry]:
    path = conformance_dir / "gs1-barcode" / "gs1-syntax-dictionary.txt"
    entries: dict[str, Entry] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            for entry in _parse_line(line):
                entries[entry.ai] = entry
    return entries


def test_dictionary_was_read(dictionary: dict[str, Entry]) -> None:
    # The parser must see the whole table (541 AIs once ranges are expanded), incl. key entries.
    assert len(dictionary) > 500
    assert dictionary["01"].components == (("N", False, 14, False, ("csum", "gcppos2")),)


def test_same_ais(dictionary: dict[str, Entry]) -> None:
    # Every dictionary AI is known to us, and we know none the dictionary lacks.
    assert sorted(set(dictionary) - set(AI_TABLE)) == []
    assert sorted(set(AI_TABLE) - set(dictionary)) == []


def _differences(entry: Entry) -> list[str]:
    spec = lookup(entry.ai)
    found = []
    if spec.fnc1_required != ("*" not in entry.flags):
        found.append(f"FNC1 required: ours {spec.fnc1_required}")
    if spec.dl_data_attribute != ("?" in entry.flags):
        found.append(f"DL data attribute: ours {spec.dl_data_attribute}")
    mine = [(c.charset, not c.fixed, c.max_length, c.optional, c.linters) for c in spec.components]
    theirs = [
        (cs, var, size, opt, tuple(n for n in lint if n in _IMPLEMENTED_LINTERS))
        for cs, var, size, opt, lint in entry.components
    ]
    if mine != theirs:
        found.append(f"components: ours {spec.format!r}, dictionary {entry.components}")
    fixed = (
        None
        if any(var or opt for _, var, _, opt, _ in entry.components)
        else sum(size for _, _, size, _, _ in entry.components)
    )
    if spec.fixed_length != fixed:
        found.append(f"fixed length: ours {spec.fixed_length}, dictionary {fixed}")
    if spec.max_length != sum(size for _, _, size, _, _ in entry.components):
        found.append(f"max length: ours {spec.max_length}")
    if entry.title and spec.data_title != entry.title:
        found.append(f"title: ours {spec.data_title!r}, dictionary {entry.title!r}")
    dlpkeys = [a for a in entry.attributes if a.split("=")[0] == "dlpkey"]
    expected_qualifiers: tuple[tuple[str, ...], ...] = ()
    if dlpkeys and "=" in dlpkeys[0]:
        expected_qualifiers = tuple(
            tuple(seq.split(",")) for seq in dlpkeys[0].split("=", 1)[1].split("|")
        )
    if spec.dl_primary_key != bool(dlpkeys) or spec.dl_qualifiers != expected_qualifiers:
        found.append(
            f"DL key: ours {spec.dl_primary_key} {spec.dl_qualifiers}, dictionary {dlpkeys}"
        )
    return found


def test_every_ai_agrees(dictionary: dict[str, Entry]) -> None:
    # Length, FNC1 flag, character set and content rules of each component, DL role and title.
    problems = {ai: d for ai, entry in dictionary.items() if (d := _differences(entry))}
    assert problems == {}


@pytest.mark.parametrize(
    ("ai", "expected"),
    [
        ("01", "N14,csum"),  # GTIN: check digit
        ("17", "N6,yymmd0"),  # expiry: day 00 allowed
        ("7003", "N6,yymmdd N4,hhmi"),  # expiry date and time: day 00 not allowed
        ("4330", "N6 [X1],hyphen"),  # biip disagrees (no CSET component for the sign)
        ("8043", "N18 [N..2]"),  # biip disagrees (allows 21 digits)
    ],
)
def test_selected_formats(dictionary: dict[str, Entry], ai: str, expected: str) -> None:
    assert lookup(ai).format == expected
    assert ai in dictionary
