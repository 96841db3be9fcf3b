"""The GS1 Application Identifier table (GS1 General Specifications §3.2, §7.8).

Every AI maps to an :class:`AiSpec`: its titles, whether an FNC1 separator must follow it when it
is not last (§7.8.5, "pre-defined length" AIs need none), its data field as an ordered tuple of
:class:`Component` (character set, length, optional flag, content linters) and its role in GS1
Digital Link URI Syntax 1.4 (§4: primary key with its ordered key-qualifier sequences, §4.3: data
attribute permitted in the query string).

The component notation is the one of the GS1 Barcode Syntax Dictionary: ``N`` digits, ``X`` CSET
82, ``Y`` CSET 39, ``Z`` CSET 64 (§7.11); ``N6`` exactly 6, ``X..20`` 1 to 20, ``[N3]`` optional;
``,csum`` etc. name content checks. Components consume prefixes of the value in order; optional
components may be left out once the value is used up; only the last may have variable length.

Where the data comes from:

* Titles, the FNC1 flag and the plain data format of every AI come from ``biip``'s bundled table
  (541 AIs, ranges expanded), which agrees with the GS1 Barcode Syntax Dictionary on which AIs exist
  and on the FNC1 flag.
* Content linters (check digits, dates, times, ...) are not in ``biip``'s table; they are added
  here in :data:`_COMPONENT_OVERRIDES`, written in the dictionary notation from the GS1 General
  Specifications.
* Where ``biip`` and the dictionary disagree, this table follows the dictionary (the authoritative
  GS1 source). Differences found (checked by ``tests/gs1/test_ai_table_conformance.py``):

  - 4330-4333 (temperatures): ``biip`` gives 6 digits plus an optional ``-`` as a non-CSET
    ``[-]`` token; the dictionary has ``N6 [X1],hyphen`` (max. length 7).
  - 8043 (PSIM): ``biip`` ``N18+[N1..N2]`` (up to 21); the dictionary ``N18 [N..2]`` (up to 20).
  - 423/425 (countries): ``biip`` ``N3+N..12`` accepts 4 or 5 digits; the dictionary requires
    whole 3-digit codes ``N3 [N3] [N3] [N3] [N3]``.
  - 8008 (production time): ``biip`` ``N8[+N..4]`` accepts 9 or 11 digits; the dictionary
    ``N6 N2 [N2] [N2]`` does not.
  - 8001, 4309, 7040: same lengths and sets, split into the dictionary's components.
  - 8010 (CPID): ``biip``'s pattern requires at least 5 characters; the dictionary ``Y..30`` 1.
  - Data titles of 3560-3565, 3600-3605, 3620-3625, 3630-3635, 4322, 4324, 4325, 4330-4333 and
    7230-7239 (``biip`` numbers the certification references from 0, the dictionary from 1).

Linters implemented: ``csum`` (mod-10, §7.9.1), ``yymmdd`` and ``yymmd0`` (§7.12, ``DD=00`` only
for the latter: AIs 11, 12, 13, 15, 16, 17, 4324, 4325), ``yyyymmdd``, ``hh``, ``mi``, ``ss``,
``hhmi``, ``zero``, ``nonzero``, ``yesno``, ``hyphen``, ``winding``, ``pieceoftotal``,
``nozeroprefix``, ``hasnondigit``, ``iso5218``, ``mediatype``, ``importeridx``, ``latitude``,
``longitude``, ``iban`` (ISO 13616 mod 97), ``pcenc`` (valid ``%hh`` escapes) and
``posinseqslash``. Not implemented, so not recorded either (they need code lists or algorithms
outside pharma use): ``gcppos1``/``gcppos2``, ``csumalpha`` (GMN, MUDI), ``iso3166``,
``iso3166999``, ``iso3166alpha2``, ``iso4217``, ``packagetype``, ``couponcode``,
``couponposoffer``. A broken check digit raises :class:`CheckDigitError`, a broken date or time
:class:`DateError`, any other content rule the base :class:`Gs1Error`. The dictionary's
``req=``/``ex=`` AI associations are not checked here: they apply over all carriers of an item,
not one message. Should a future ``biip`` ship a format this module cannot translate, the import
fails loudly (add the AI to :data:`_COMPONENT_OVERRIDES`).

>>> lookup("17").format
'N6,yymmd0'
>>> validate("01", "00312345678905")
Traceback (most recent call last):
...
medtrace.gs1.errors.CheckDigitError: AI (01) 00312345678905: check digit 5 is wrong, expected 6
>>> match_prefix("2100123").ai
'21'
"""

from __future__ import annotations

import calendar
import datetime
import json
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Final, Literal

from medtrace.gs1.charset import check_charset
from medtrace.gs1.checkdigit import mod10
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.errors import (
    CharacterSetError,
    CheckDigitError,
    DateError,
    Gs1Error,
    LengthError,
    UnknownAiError,
)

CharsetCode = Literal["N", "X", "Y", "Z"]
"""Component character set: ``N`` digits, ``X`` CSET 82, ``Y`` CSET 39, ``Z`` CSET 64."""

_CHECK_CHARSET: Final[dict[str, Literal["N", "82", "39", "64"]]] = {
    "N": "N",
    "X": "82",
    "Y": "39",
    "Z": "64",
}


@dataclass(frozen=True, slots=True)
class Component:
    """One component of an AI's data field (GS1 Barcode Syntax Dictionary "Specification")."""

    charset: CharsetCode
    min_length: int
    max_length: int
    optional: bool = False
    linters: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.min_length <= self.max_length:
            raise ValueError(f"bad component length {self.min_length}..{self.max_length}")
        unknown = [name for name in self.linters if name not in _LINTERS]
        if unknown:
            raise ValueError(f"unknown component linters {unknown}")

    @property
    def fixed(self) -> bool:
        """Whether the component has one length only."""
        return self.min_length == self.max_length

    def __str__(self) -> str:
        size = str(self.max_length) if self.fixed else f"..{self.max_length}"
        text = f"{self.charset}{size}"
        if self.optional:
            text = f"[{text}]"
        return ",".join((text, *self.linters))


@dataclass(frozen=True, slots=True)
class AiSpec:
    """What an Application Identifier means and what its data field looks like.

    ``dl_qualifiers`` lists, for a GS1 Digital Link primary key, the alternative ordered sequences
    of key qualifiers (``(("22", "10", "21"), ("235",))`` for AI 01); it is empty for a primary key
    without qualifiers and for AIs that are not primary keys.
    """

    ai: str
    title: str
    data_title: str
    components: tuple[Component, ...]
    fnc1_required: bool
    dl_primary_key: bool = False
    dl_qualifiers: tuple[tuple[str, ...], ...] = ()
    dl_data_attribute: bool = False
    #: The shortest and longest valid value (computed once: every element string asks).
    min_length: int = field(init=False, repr=False, compare=False)
    max_length: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (2 <= len(self.ai) <= 4 and self.ai.isascii() and self.ai.isdigit()):
            raise ValueError(f"an AI has 2 to 4 digits, got {self.ai!r}")
        if not self.components:
            raise ValueError(f"AI ({self.ai}) needs at least one component")
        if self.dl_qualifiers and not self.dl_primary_key:
            raise ValueError(f"AI ({self.ai}) has key qualifiers but is no primary key")
        shortest = sum(c.min_length for c in self.components if not c.optional)
        object.__setattr__(self, "min_length", shortest)
        object.__setattr__(self, "max_length", sum(c.max_length for c in self.components))

    @property
    def fixed_length(self) -> int | None:
        """The one valid length, or ``None`` when the length varies."""
        return self.max_length if self.min_length == self.max_length else None

    @property
    def numeric(self) -> bool:
        """Whether every component is digits only."""
        return all(c.charset == "N" for c in self.components)

    @property
    def format(self) -> str:
        """The data field in the dictionary notation, e.g. ``"N13,csum [X..17]"``."""
        return " ".join(str(c) for c in self.components)


# --- Content linters (GS1 Barcode Syntax Tests) -------------------------------------------------

Linter = Callable[[str], str | None]
"""A content check: returns ``None`` when the component is fine, else the broken rule."""


def _lint_csum(part: str) -> str | None:
    expected = mod10(part[:-1])
    if part[-1] != expected:
        return f"check digit {part[-1]} is wrong, expected {expected}"
    return None


def _lint_range(name: str, low: int, high: int) -> Linter:
    def lint(part: str) -> str | None:
        if not low <= int(part) <= high:
            width = len(part)
            return f"{name} {part} is not valid, expected {low:0{width}d} to {high:0{width}d}"
        return None

    return lint


def _lint_date(*, day_zero: bool) -> Linter:
    def lint(part: str) -> str | None:
        if not day_zero and part[4:] == "00":
            return "day 00 is not allowed for this AI, expected 01 to 31"
        Gs1Date.parse(part)
        return None

    return lint


def _lint_yyyymmdd(part: str) -> str | None:
    year, month, day = int(part[:4]), int(part[4:6]), int(part[6:])
    if not 1 <= month <= 12:
        return f"month {part[4:6]} is not valid, expected 01 to 12"
    if year == 0:
        return "year 0000 is not valid"
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        return f"day {part[6:]} is not valid in {year:04d}-{month:02d}, expected 01 to {last:02d}"
    datetime.date(year, month, day)
    return None


def _lint_hhmi(part: str) -> str | None:
    return _lint_range("hour", 0, 23)(part[:2]) or _lint_range("minute", 0, 59)(part[2:])


def _lint_one_of(allowed: str, what: str) -> Linter:
    choices = frozenset(allowed)

    def lint(part: str) -> str | None:
        if part not in choices:
            return f"{what} {part!r} is not valid, expected one of {' '.join(allowed)}"
        return None

    return lint


def _lint_nonzero(part: str) -> str | None:
    return f"{part} must not be zero" if int(part) == 0 else None


def _lint_pieceoftotal(part: str) -> str | None:
    half = len(part) // 2
    piece, total = int(part[:half]), int(part[half:])
    if piece == 0 or total == 0 or piece > total:
        return (
            f"piece {part[:half]} of total {part[half:]} is not valid, expected 1 <= piece <= total"
        )
    return None


def _lint_nozeroprefix(part: str) -> str | None:
    if len(part) > 1 and part[0] == "0":
        return "a leading zero is not allowed"
    return None


def _lint_hasnondigit(part: str) -> str | None:
    return "must hold at least one non-digit character" if part.isdigit() else None


def _lint_mediatype(part: str) -> str | None:
    if not (1 <= int(part) <= 10 or 80 <= int(part) <= 99):
        return f"media type {part} is not valid, expected 01 to 10 or 80 to 99"
    return None


def _lint_iban(part: str) -> str | None:
    alphabet = string.digits + string.ascii_uppercase
    if len(part) < 5 or any(c not in alphabet for c in part):
        return "IBAN must be 5 or more upper-case letters and digits"
    if not part[:2].isalpha() or not part[2:4].isdigit():
        return "IBAN must start with a country code and two check digits"
    rearranged = part[4:] + part[:4]
    if int("".join(str(alphabet.index(c)) for c in rearranged)) % 97 != 1:
        return "IBAN check digits are wrong (ISO 13616 mod 97)"
    return None


_PCENC = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _lint_pcenc(part: str) -> str | None:
    return "'%' must start a percent escape %hh" if _PCENC.search(part) else None


def _lint_posinseqslash(part: str) -> str | None:
    position, slash, total = part[0], part[1:-1], part[-1]
    if slash != "/" or not (position.isdigit() and total.isdigit()):
        return "expected <position>/<total>"
    if not 1 <= int(position) <= int(total):
        return f"position {position} of {total} is not valid, expected 1 <= position <= total"
    return None


_LINTERS: Final[Mapping[str, Linter]] = {
    "csum": _lint_csum,
    "yymmdd": _lint_date(day_zero=False),
    "yymmd0": _lint_date(day_zero=True),
    "yyyymmdd": _lint_yyyymmdd,
    "hh": _lint_range("hour", 0, 23),
    "mi": _lint_range("minute", 0, 59),
    "ss": _lint_range("second", 0, 59),
    "hhmi": _lint_hhmi,
    "zero": _lint_one_of("0", "digit"),
    "nonzero": _lint_nonzero,
    "yesno": _lint_one_of("01", "flag"),
    "hyphen": _lint_one_of("-", "character"),
    "winding": _lint_one_of("019", "winding direction"),
    "iso5218": _lint_one_of("0129", "sex code"),
    "importeridx": _lint_one_of(
        "-" + string.digits + string.ascii_uppercase + "_" + string.ascii_lowercase,
        "importer index",
    ),
    "pieceoftotal": _lint_pieceoftotal,
    "nozeroprefix": _lint_nozeroprefix,
    "hasnondigit": _lint_hasnondigit,
    "mediatype": _lint_mediatype,
    "latitude": _lint_range("latitude", 0, 1_800_000_000),
    "longitude": _lint_range("longitude", 0, 3_600_000_000),
    "iban": _lint_iban,
    "pcenc": _lint_pcenc,
    "posinseqslash": _lint_posinseqslash,
}


# --- Building the table -------------------------------------------------------------------------

_COMPONENT = re.compile(r"(\[)?([NXYZ])(\.\.)?(\d+)(\])?((?:,[a-z0-9]+)*)")


def parse_format(spec: str) -> tuple[Component, ...]:
    """Parse a data-field specification in the dictionary notation (``"N6,yymmd0 N4,hhmi"``).

    >>> [str(c) for c in parse_format("N13,csum [X..17]")]
    ['N13,csum', '[X..17]']
    """
    components = []
    for token in spec.split():
        match = _COMPONENT.fullmatch(token)
        if match is None or bool(match.group(1)) != bool(match.group(5)):
            raise ValueError(f"bad component {token!r} in {spec!r}")
        size = int(match.group(4))
        linters = tuple(name for name in match.group(6).split(",") if name)
        charset: CharsetCode = match.group(2)  # type: ignore[assignment]
        components.append(
            Component(charset, 1 if match.group(3) else size, size, bool(match.group(1)), linters)
        )
    return tuple(components)


def _biip_format(fmt: str) -> str:
    """Translate ``biip``'s simple formats (``"N3+N13"``, ``"N2+X..20"``) to the notation above."""
    parts = fmt.split("+")[1:]
    if not parts or not all(re.fullmatch(r"[NXYZ](\.\.)?\d+", part) for part in parts):
        raise ValueError(f"biip format {fmt!r} needs an entry in _COMPONENT_OVERRIDES")
    return " ".join(parts)


def _expand(ais: str) -> list[str]:
    first, _, last = ais.partition("-")
    if not last:
        return [first]
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


_COMPONENT_OVERRIDES: Final[dict[str, str]] = {
    "00": "N18,csum",
    "01": "N14,csum",
    "02": "N14,csum",
    "03": "N14,csum",
    "11": "N6,yymmd0",
    "12": "N6,yymmd0",
    "13": "N6,yymmd0",
    "15": "N6,yymmd0",
    "16": "N6,yymmd0",
    "17": "N6,yymmd0",
    "253": "N13,csum [X..17]",
    "255": "N13,csum [N..12]",
    "402": "N17,csum",
    "410-417": "N13,csum",
    "421": "N3 X..9",
    "423": "N3 [N3] [N3] [N3] [N3]",
    "425": "N3 [N3] [N3] [N3] [N3]",
    "4300-4301": "X..35,pcenc",
    "4302-4306": "X..70,pcenc",
    "4309": "N10,latitude N10,longitude",
    "4310-4311": "X..35,pcenc",
    "4312-4316": "X..70,pcenc",
    "4320": "X..35,pcenc",
    "4321-4323": "N1,yesno",
    "4324-4325": "N6,yymmd0 N4,hhmi",
    "4326": "N6,yymmdd",
    "4330-4333": "N6 [X1],hyphen",
    "7003": "N6,yymmdd N4,hhmi",
    "7006": "N6,yymmdd",
    "7007": "N6,yymmdd [N6],yymmdd",
    "7011": "N6,yymmdd [N4],hhmi",
    "7040": "N1 X1 X1 X1,importeridx",
    "7241": "N2,mediatype",
    "7250": "N8,yyyymmdd",
    "7251": "N8,yyyymmdd N4,hhmi",
    "7252": "N1,iso5218",
    "7253-7254": "X..40,pcenc",
    "7256": "X..90,pcenc",
    "7257": "X..70,pcenc",
    "7258": "X3,posinseqslash",
    "7259": "X..40,pcenc",
    "8001": "N4,nonzero N5,nonzero N3,nonzero N1,winding N1",
    "8003": "N1,zero N13,csum [X..16]",
    "8006": "N14,csum N4,pieceoftotal",
    "8007": "X..34,iban",
    "8008": "N6,yymmdd N2,hh [N2],mi [N2],ss",
    "8011": "N..12,nozeroprefix",
    "8014": "X..25,hasnondigit",
    "8017-8018": "N18,csum",
    "8026": "N14,csum N4,pieceoftotal",
    "8043": "N18 [N..2]",
}
"""AI (or range) → data field where ``biip``'s format lacks linters or disagrees with GS1."""

_TITLE_OVERRIDES: Final[dict[str, str]] = {
    "3560-3565": "NET WEIGHT (tr oz)",
    "3600-3605": "NET VOLUME (qt (US))",
    "3620-3625": "VOLUME (qt (US)), log",
    "3630-3635": "VOLUME (gal (US)), log",
    "4322": "AUTH TO LEAVE",
    "4324": "NOT BEF DEL DT",
    "4325": "NOT AFT DEL DT",
    "4330": "MAX TEMP F.",
    "4331": "MAX TEMP C.",
    "4332": "MIN TEMP F.",
    "4333": "MIN TEMP C.",
    **{f"723{n}": f"CERT # {n + 1}" for n in range(10)},
}
"""AI (or range) → data title, where the dictionary's title differs from ``biip``'s."""

DL_PRIMARY_KEYS: Final[Mapping[str, tuple[tuple[str, ...], ...]]] = {
    "00": (),
    "01": (("22", "10", "21"), ("235",)),
    "253": (),
    "255": (),
    "401": (),
    "402": (),
    "414": (("254",), ("7040",)),
    "415": (("8020",),),
    "417": (("7040",),),
    "8003": (),
    "8004": (("7040",),),
    "8006": (("22", "10", "21"),),
    "8010": (("8011",),),
    "8013": (),
    "8017": (("8019",),),
    "8018": (("8019",),),
}
"""GS1 Digital Link primary keys → alternative ordered key-qualifier sequences (DL 1.4 §4.2)."""

_NOT_DL_DATA_ATTRIBUTES: Final = frozenset(
    {"03", "21", "22", "235", "254", "7040", "7041", "8011", "8014", "8019", "8020"}
    | {"8040", "8041", "8042", "8043", "8200"}
)
"""AIs not permitted in a Digital Link query string (key qualifiers and a few others)."""


def _overrides(table: Mapping[str, str]) -> dict[str, str]:
    return {ai: value for ais, value in table.items() for ai in _expand(ais)}


def _load() -> dict[str, AiSpec]:
    source = resources.files("biip") / "gs1_application_identifiers"
    rows = json.loads((source / "_application_identifiers.json").read_text(encoding="utf-8"))
    components = _overrides(_COMPONENT_OVERRIDES)
    titles = _overrides(_TITLE_OVERRIDES)
    table: dict[str, AiSpec] = {}
    for row in rows:
        ai = str(row["ai"])
        spec_text = components.get(ai) or _biip_format(str(row["format"]))
        table[ai] = AiSpec(
            ai=ai,
            title=str(row["description"]),
            data_title=titles.get(ai, str(row["data_title"])),
            components=parse_format(spec_text),
            fnc1_required=bool(row["separator_required"]),
            dl_primary_key=ai in DL_PRIMARY_KEYS,
            dl_qualifiers=DL_PRIMARY_KEYS.get(ai, ()),
            dl_data_attribute=ai not in _NOT_DL_DATA_ATTRIBUTES,
        )
    return table


AI_TABLE: Final[Mapping[str, AiSpec]] = _load()
"""Every known AI → its :class:`AiSpec`."""

DL_QUALIFIERS: Final[frozenset[str]] = frozenset(
    ai for sequences in DL_PRIMARY_KEYS.values() for seq in sequences for ai in seq
)
"""AIs that act as a GS1 Digital Link key qualifier of some primary key."""


# --- Public functions ---------------------------------------------------------------------------


def lookup(ai: str) -> AiSpec:
    """The specification of ``ai``; :class:`UnknownAiError` when GS1 defines no such AI.

    >>> lookup("21").data_title, lookup("21").max_length, lookup("21").fnc1_required
    ('SERIAL', 20, True)
    """
    spec = AI_TABLE.get(ai)
    if spec is None:
        raise UnknownAiError(
            f"({ai}) is not a GS1 Application Identifier, expected an AI of the GS1 AI table"
        )
    return spec


def match_prefix(data: str) -> AiSpec:
    """The AI ``data`` starts with (AIs are prefix-free, so at most one matches; §3.2).

    >>> match_prefix("0100312345678906").ai, match_prefix("7003260131").ai
    ('01', '7003')
    """
    for size in (2, 3, 4):
        spec = AI_TABLE.get(data[:size])
        if spec is not None:
            return spec
    raise UnknownAiError(
        f"no GS1 Application Identifier starts the data {data[:20]!r}, "
        "expected a 2- to 4-digit AI of the GS1 AI table"
    )


def validate(ai: str, value: str) -> str:
    """Check ``value`` against every component rule of ``ai``; return it unchanged.

    Raises :class:`UnknownAiError`, :class:`LengthError`, :class:`CharacterSetError`,
    :class:`CheckDigitError` or :class:`DateError` (all :class:`Gs1Error`), naming the AI and value.

    >>> validate("17", "260500")
    '260500'
    >>> validate("7006", "260500")
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.DateError: AI (7006) 260500: day 00 is not allowed for this AI, \
expected 01 to 31
    """
    spec = lookup(ai)
    unit = "digits" if spec.numeric else "characters"
    size = len(value)
    if size == 0:
        expected = spec.fixed_length or f"1 to {spec.max_length}"
        raise LengthError(f"value is empty, expected {expected} {unit}", ai=ai)
    if spec.fixed_length is not None and size != spec.fixed_length:
        raise LengthError(
            f"length {size} is wrong, expected {spec.fixed_length} {unit}", ai=ai, value=value
        )
    if size > spec.max_length:
        raise LengthError(
            f"length {size} is too long, expected at most {spec.max_length} {unit}",
            ai=ai,
            value=value,
        )
    position = 0
    for index, component in enumerate(spec.components, start=1):
        remaining = size - position
        if remaining == 0 and component.optional:
            break
        take = min(remaining, component.max_length)
        if take < component.min_length:
            raise LengthError(
                f"length {size} does not fit the format {spec.format}: component {index} "
                f"({component}) needs {component.min_length} {unit}, got {take}",
                ai=ai,
                value=value,
            )
        _check_component(spec, component, index, value, value[position : position + take])
        position += take
    if position < size:
        raise LengthError(
            f"length {size} does not fit the format {spec.format}: "
            f"{size - position} characters left over",
            ai=ai,
            value=value,
        )
    return value


def _check_component(spec: AiSpec, component: Component, index: int, value: str, part: str) -> None:
    what = "value" if len(spec.components) == 1 else f"component {index} ({part})"
    try:
        check_charset(part, _CHECK_CHARSET[component.charset], ai=spec.ai, what=what)
    except CharacterSetError as error:
        raise CharacterSetError(error.reason, ai=spec.ai, value=value) from error
    for name in component.linters:
        try:
            problem = _LINTERS[name](part)
        except DateError as error:
            message = _in_component(error.reason, spec, index)
            raise DateError(message, ai=spec.ai, value=value) from error
        if problem is None:
            continue
        message = _in_component(problem, spec, index)
        if name == "csum":
            raise CheckDigitError(message, ai=spec.ai, value=value)
        if name in {"yymmdd", "yymmd0", "yyyymmdd", "hh", "mi", "ss", "hhmi"}:
            raise DateError(message, ai=spec.ai, value=value)
        raise Gs1Error(message, ai=spec.ai, value=value)


def _in_component(message: str, spec: AiSpec, index: int) -> str:
    if len(spec.components) == 1:
        return message
    return f"component {index} ({spec.components[index - 1]}): {message}"


__all__ = [
    "AI_TABLE",
    "DL_PRIMARY_KEYS",
    "DL_QUALIFIERS",
    "AiSpec",
    "CharsetCode",
    "Component",
    "lookup",
    "match_prefix",
    "parse_format",
    "validate",
]
