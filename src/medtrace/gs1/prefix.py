"""The GS1 Company Prefix length that an EPC URN needs (GS1 EPC Tag Data Standard 2.1 §6, §7).

A GS1 key (GTIN, SSCC, GLN) does not say where its GS1 Company Prefix ends: the prefix is 6 to
12 digits long and only the GS1 Member Organisation that licensed it knows its length. An EPC
URN such as ``urn:epc:id:sgtin:0312345.067890.1`` writes that boundary down, so turning a key
into a URN needs the length from somewhere. In medtrace it comes, in this order, from

1. an explicit argument (the caller knows, e.g. ``--gcp-length 7`` on the command line);
2. a :class:`PrefixRegistry` of known company prefixes, filled from master data ("our GCP is
   0312345"); the longest registered prefix that starts the key wins;
3. nowhere: a :class:`~medtrace.gs1.errors.CompanyPrefixError` that says how to supply it.

It is never guessed. A handful of GS1 prefix-range facts fix the answer outright and are applied
before the three steps above (:func:`fixed_gtin_gcp_length`):

* **GTIN-8** (GS1 General Specifications §1.4.2: a GTIN-13 form starting ``00000`` is a GTIN-8
  padded with zeros). EPC TDS ("GTIN-8 and RCN-8", §7.1.2 in TDS 1.13) builds the SGTIN company
  prefix from five zeros and the three-digit GS1-8 Prefix, so the length is always 8 and nothing
  else is accepted.
* **RCN-8** (GS1 General Specifications §2.1.11): GTIN-8-shaped numbers whose GS1-8 Prefix starts
  with ``0`` or ``2`` are restricted circulation numbers, not GTINs, and have no EPC.
* **Restricted circulation numbers** (GS1 General Specifications §1.4.2, Fig. 1.4.2-1): GS1
  Prefixes ``02`` and ``04`` (in the GTIN-13 form: U.P.C. number systems 2 and 4, variable-measure
  and in-store items) and ``20`` to ``29`` are not licensed to companies, so such numbers carry no
  GS1 Company Prefix and have no SGTIN (the SGTIN of EPC TDS §6.3.1 serialises GTINs only).

The U.S. ranges are deliberately *not* in that list: GS1 US licenses company prefixes of 6 to 10
digits (``0`` + U.P.C. Company Prefix) under the same GS1 Prefixes, so the length cannot be read
off the digits. For NDC-based GTINs GS1 US commonly licensed ``03`` + the FDA labeler code as the
GS1 Company Prefix; :func:`ndc_company_prefix` offers that reading as an explicit, opt-in helper
(register its result), never as a default.

>>> registry = PrefixRegistry()
>>> registry.register("0312345")
>>> registry.resolve(Gtin.parse("00312345678906"))
7
>>> PrefixRegistry().resolve(Gtin.parse("00312345678906"))
Traceback (most recent call last):
...
medtrace.gs1.errors.CompanyPrefixError: AI (01) 00312345678906: cannot split GTIN \
00312345678906 into an EPC URN: GS1 Company Prefix length unknown; pass gcp_length \
(--gcp-length) or register the company prefix
"""

from __future__ import annotations

import threading
from typing import Final

from medtrace.gs1.charset import check_charset, is_digits
from medtrace.gs1.errors import CompanyPrefixError
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import MAX_GCP_LENGTH, MIN_GCP_LENGTH, Gln, Sgln, Sscc, check_gcp_length
from medtrace.gs1.ndc import Ndc

GcpKey = Gtin | Sscc | Gln | Sgln
"""The GS1 keys that hold a GS1 Company Prefix an EPC URN has to split off."""

GTIN8_GCP_LENGTH: Final = 8
"""EPC TDS "GTIN-8 and RCN-8": five zeros + the three-digit GS1-8 Prefix of a GTIN-8."""

_GTIN8_PADDING: Final = "00000"
"""The GTIN-13 form of a GTIN-8 starts with five zeros (GS1 General Specifications §1.4.2)."""

_RCN8_PREFIXES: Final = ("0", "2")
"""GS1-8 Prefixes of restricted circulation numbers RCN-8 (GS1 General Specifications §2.1.11)."""

_RCN_PREFIXES: Final = frozenset({"02", "04", *(f"2{digit}" for digit in "0123456789")})
"""GS1 Prefixes of restricted circulation numbers (GS1 General Specifications Fig. 1.4.2-1)."""


def _check_prefix(prefix: str) -> None:
    if not is_digits(prefix):
        check_charset(prefix, "N", what="GS1 Company Prefix")
        raise CompanyPrefixError(
            "GS1 Company Prefix is empty, expected 6 to 12 digits", value=prefix
        )
    if not MIN_GCP_LENGTH <= len(prefix) <= MAX_GCP_LENGTH:
        raise CompanyPrefixError(
            f"GS1 Company Prefix {prefix} has {len(prefix)} digits, "
            f"expected {MIN_GCP_LENGTH} to {MAX_GCP_LENGTH}",
            value=prefix,
        )


def _describe(key: GcpKey) -> tuple[str, str, str]:
    """Return ``(name, ai, digits where the GS1 Company Prefix starts)`` for ``key``."""
    if isinstance(key, Gtin):
        return "GTIN", key.AI, key.value[1:]
    if isinstance(key, Sscc):
        return "SSCC", key.AI, key.value[1:]
    gln = key.gln if isinstance(key, Sgln) else key
    return "GLN", gln.AI, gln.value


def _key_value(key: GcpKey) -> str:
    return key.gln.value if isinstance(key, Sgln) else key.value


def fixed_gtin_gcp_length(gtin: Gtin) -> int | None:
    """The GS1 Company Prefix length fixed by GS1 prefix-range facts, or ``None`` if not fixed.

    Raises :class:`~medtrace.gs1.errors.CompanyPrefixError` for restricted circulation numbers,
    which have no GS1 Company Prefix and hence no EPC (see the module docstring for the sources).

    >>> fixed_gtin_gcp_length(Gtin.parse("95012346"))
    8
    >>> fixed_gtin_gcp_length(Gtin.parse("00312345678906")) is None
    True
    >>> fixed_gtin_gcp_length(Gtin.parse("2001234567893"))
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.CompanyPrefixError: AI (01) 02001234567893: GTIN is a restricted \
circulation number (GS1 Prefix 20), not a GTIN under a GS1 Company Prefix, so it has no EPC
    """
    gtin13 = gtin.value[1:]
    if gtin13.startswith(_GTIN8_PADDING):
        gs1_8_prefix = gtin13[len(_GTIN8_PADDING) :]
        if gs1_8_prefix.startswith(_RCN8_PREFIXES):
            raise CompanyPrefixError(
                f"GTIN is a restricted circulation number RCN-8 (GS1-8 Prefix "
                f"{gs1_8_prefix[0]}), not a GTIN-8 under a GS1-8 Prefix, so it has no EPC",
                ai=gtin.AI,
                value=gtin.value,
            )
        return GTIN8_GCP_LENGTH
    if gtin13[:2] in _RCN_PREFIXES:
        raise CompanyPrefixError(
            f"GTIN is a restricted circulation number (GS1 Prefix {gtin13[:2]}), "
            "not a GTIN under a GS1 Company Prefix, so it has no EPC",
            ai=gtin.AI,
            value=gtin.value,
        )
    return None


class PrefixRegistry:
    """A thread-safe in-memory set of known GS1 Company Prefixes (6 to 12 digits each).

    Master data fills it (:meth:`register`); :meth:`length_for` and :meth:`resolve` read it.

    >>> registry = PrefixRegistry(["0614141", "061414"])
    >>> registry.length_for("0614141123456"), registry.length_for("0614149999999")
    (7, 6)
    >>> registry.length_for("9999999999999") is None
    True
    """

    def __init__(self, prefixes: tuple[str, ...] | list[str] = ()) -> None:
        self._lock = threading.Lock()
        self._prefixes: set[str] = set()
        for prefix in prefixes:
            self.register(prefix)

    def register(self, prefix: str) -> None:
        """Record ``prefix`` (6 to 12 digits) as a GS1 Company Prefix; registering twice is fine."""
        _check_prefix(prefix)
        with self._lock:
            self._prefixes.add(prefix)

    def unregister(self, prefix: str) -> None:
        """Forget ``prefix``; unknown prefixes are ignored."""
        with self._lock:
            self._prefixes.discard(prefix)

    def clear(self) -> None:
        """Forget every registered prefix."""
        with self._lock:
            self._prefixes.clear()

    def prefixes(self) -> tuple[str, ...]:
        """The registered prefixes, sorted."""
        with self._lock:
            return tuple(sorted(self._prefixes))

    def __contains__(self, prefix: object) -> bool:
        with self._lock:
            return prefix in self._prefixes

    def __len__(self) -> int:
        with self._lock:
            return len(self._prefixes)

    def length_for(self, key_digits: str) -> int | None:
        """Length of the longest registered prefix that starts ``key_digits``, else ``None``.

        ``key_digits`` are the digits where the GS1 Company Prefix begins: a GTIN-14 or SSCC
        without its first (indicator or extension) digit, or a GLN as it is.
        """
        with self._lock:
            for length in range(MAX_GCP_LENGTH, MIN_GCP_LENGTH - 1, -1):
                if key_digits[:length] in self._prefixes and len(key_digits) > length:
                    return length
        return None

    def resolve(self, key: GcpKey, explicit: int | None = None) -> int:
        """The GS1 Company Prefix length of ``key`` for its EPC URN, or :class:`CompanyPrefixError`.

        Fixed GS1 prefix-range facts come first (:func:`fixed_gtin_gcp_length`; an ``explicit``
        length that contradicts them is an error), then ``explicit``, then the registry.
        """
        name, ai, digits = _describe(key)
        value = _key_value(key)
        fixed = fixed_gtin_gcp_length(key) if isinstance(key, Gtin) else None
        if fixed is not None:
            if explicit is not None and explicit != fixed:
                raise CompanyPrefixError(
                    f"GS1 Company Prefix length {explicit} does not fit a GTIN-8, "
                    f"expected {fixed} (five zeros and the GS1-8 Prefix, EPC TDS 'GTIN-8 and "
                    "RCN-8')",
                    ai=ai,
                    value=value,
                )
            return fixed
        return self.resolve_digits(digits, explicit, name=name, ai=ai, value=value)

    def resolve_digits(
        self, key_digits: str, explicit: int | None, *, name: str, ai: str, value: str
    ) -> int:
        """:meth:`resolve` for any GS1 key given as the digits where its company prefix begins.

        ``name``, ``ai`` and ``value`` (the whole key) only word the error. No prefix-range facts
        are applied; use it for keys without a class here (GRAI, GIAI, GSRN, GDTI).

        >>> PrefixRegistry(["0614141"]).resolve_digits(
        ...     "061414112345", None, name="GRAI", ai="8003", value="00614141123452")
        7
        """
        if explicit is not None:
            check_gcp_length(explicit, ai=ai, value=value)
            return explicit
        found = self.length_for(key_digits)
        if found is None:
            raise CompanyPrefixError(
                f"cannot split {name} {value} into an EPC URN: GS1 Company Prefix length "
                "unknown; pass gcp_length (--gcp-length) or register the company prefix",
                ai=ai,
                value=value,
            )
        return found


DEFAULT_REGISTRY: Final = PrefixRegistry()
"""The process-wide registry that master data fills; empty until something registers."""


def register_company_prefix(prefix: str) -> None:
    """Register ``prefix`` in :data:`DEFAULT_REGISTRY`."""
    DEFAULT_REGISTRY.register(prefix)


def resolve_gcp_length(
    key: GcpKey, explicit: int | None = None, *, registry: PrefixRegistry | None = None
) -> int:
    """:meth:`PrefixRegistry.resolve` on ``registry`` (default :data:`DEFAULT_REGISTRY`)."""
    return (DEFAULT_REGISTRY if registry is None else registry).resolve(key, explicit)


def ndc_company_prefix(ndc: Ndc | str) -> str:
    """The GS1 Company Prefix ``"03" + labeler code`` that GS1 US licensed to many NDC labelers.

    Opt-in only: many pharmaceutical companies hold exactly this prefix (7 digits for a 4-digit
    labeler code, 8 for a 5-digit one), but a labeler may hold a different GS1 Company Prefix, so
    medtrace never assumes it. Register the result when master data confirms it. ``ndc`` is an
    :class:`~medtrace.gs1.ndc.Ndc` or a hyphenated NDC text (the hyphens fix the labeler code).

    >>> ndc_company_prefix("0002-1433-80"), ndc_company_prefix("50242-040-62")
    ('030002', '0350242')
    """
    parsed = ndc if isinstance(ndc, Ndc) else Ndc.parse(ndc)
    return "03" + parsed.labeler


__all__ = [
    "DEFAULT_REGISTRY",
    "GTIN8_GCP_LENGTH",
    "GcpKey",
    "PrefixRegistry",
    "fixed_gtin_gcp_length",
    "ndc_company_prefix",
    "register_company_prefix",
    "resolve_gcp_length",
]
