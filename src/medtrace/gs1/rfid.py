"""EPC binary encodings for RFID tags: SGTIN-96, SGTIN-198 and SSCC-96 (GS1 EPC TDS 2.1 §12, §14).

An RFID tag's EPC memory bank holds a binary encoding of an EPC: an 8-bit header naming the
scheme, a 3-bit filter value, a 3-bit partition value giving the GS1 Company Prefix length, the
company prefix and item (or serial) reference as integers, then the serial. Its text twin is the
EPC Tag URI ``urn:epc:tag:{scheme}:{filter}.{fields}`` (TDS §12).

* **SGTIN-96** (TDS §14.5.1, header ``0x30``): the serial is a 38-bit *integer*. Only serials that
  are digit strings without leading zeros and below 2^38 = 274877906944 survive the round trip;
  ``"0012"`` would come back as ``"12"``, a different serial, so it is refused (use SGTIN-198).
* **SGTIN-198** (TDS §14.5.1.2, header ``0x36``): the serial is up to 20 characters of set 82, 7
  bits each (140 bits), so every valid AI (21) serial fits.
* **SSCC-96** (TDS §14.5.2, header ``0x31``): 24 reserved zero bits follow the serial reference.

Filter values (TDS §10.1, Tables 10-1 and 10-2) are 0 to 7: for SGTIN 0 all others, 1 point-of-sale
item, 2 full case for transport, 4 inner pack, 6 unit load, 7 component; for SSCC 2 full case, 6
unit load. Hex text is written in upper case; a 198-bit encoding is padded with zero bits to a
whole number of 16-bit words (52 hex digits), as tags store it.

The bit-level work is delegated to ``epcpy``'s partition-table and string codecs; every result is
checked by re-encoding (a decoded tag must encode back to the same bits), and ``epcpy`` failures
become :class:`~medtrace.gs1.errors.Gs1Error` subclasses.

>>> tag = RfidTag.from_hex("3074257BF7194E4000001A85")
>>> tag.tag_uri, str(tag.epc)
('urn:epc:tag:sgtin-96:3.0614141.812345.6789', 'urn:epc:id:sgtin:0614141.812345.6789')
>>> encode(SgtinUrn("0614141", "812345", "6789"), scheme="sgtin-96", filter_value=3).hex
'3074257BF7194E4000001A85'
"""

from __future__ import annotations

import enum
import string
from dataclasses import dataclass
from typing import Final

from epcpy.epc_schemes import sgtin as epcpy_sgtin
from epcpy.epc_schemes import sscc as epcpy_sscc
from epcpy.utils.common import (
    ConvertException,
    binary_to_int,
    decode_partition_table,
    decode_string,
    encode_partition_table,
    encode_string,
    str_to_binary,
)

from medtrace.gs1.epc import SgtinUrn, SsccUrn, escape_component, unescape_component
from medtrace.gs1.errors import Gs1Error, Gs1SyntaxError, LengthError
from medtrace.gs1.keys import Sscc
from medtrace.gs1.prefix import PrefixRegistry
from medtrace.gs1.product import Sgtin


class RfidScheme(enum.StrEnum):
    """The EPC binary coding schemes medtrace writes and reads (TDS §14)."""

    SGTIN_96 = "sgtin-96"
    SGTIN_198 = "sgtin-198"
    SSCC_96 = "sscc-96"


HEADERS: Final[dict[RfidScheme, int]] = {
    RfidScheme.SGTIN_96: 0x30,
    RfidScheme.SGTIN_198: 0x36,
    RfidScheme.SSCC_96: 0x31,
}
"""EPC header values (TDS §14.2, Table 14-1)."""

BITS: Final[dict[RfidScheme, int]] = {
    RfidScheme.SGTIN_96: 96,
    RfidScheme.SGTIN_198: 198,
    RfidScheme.SSCC_96: 96,
}
"""Encoding lengths in bits (TDS §14.5)."""

SGTIN96_MAX_SERIAL: Final = 2**38
"""SGTIN-96 serials are integers below 2^38 (TDS §14.5.1, Table 14-3)."""

MAX_FILTER_VALUE: Final = 7
_HEADER_BITS: Final = 8
_FILTER_BITS: Final = 3
_PARTITIONED_BITS: Final = 47
"""Partition value + GS1 Company Prefix + item (or serial) reference, SGTIN (TDS Table 14-2)."""
_SSCC_PARTITIONED_BITS: Final = 61
_SGTIN_SERIAL_BITS: Final = {RfidScheme.SGTIN_96: 38, RfidScheme.SGTIN_198: 140}
_SSCC_RESERVED_BITS: Final = 24
_WORD_BITS: Final = 16
_HEX_DIGITS: Final = frozenset(string.hexdigits)


def sgtin96_serial_problem(serial: str) -> str | None:
    """Why ``serial`` cannot go into SGTIN-96's 38-bit integer (TDS §14.5.1), or ``None``.

    >>> sgtin96_serial_problem("0012"), sgtin96_serial_problem("12") is None
    ("it has a leading zero, so it would be read back as '12', a different serial", True)
    """
    if not (serial.isascii() and serial.isdigit()):
        return "it is not all digits"
    if len(serial) > 1 and serial.startswith("0"):
        read_back = str(int(serial))
        return (
            f"it has a leading zero, so it would be read back as {read_back!r}, a different serial"
        )
    if int(serial) >= SGTIN96_MAX_SERIAL:
        return f"it is not below 2^38 = {SGTIN96_MAX_SERIAL}"
    return None


def check_sgtin96_serial(serial: str) -> None:
    """Raise :class:`Gs1Error` unless ``serial`` survives SGTIN-96's 38-bit integer (TDS §14.5.1).

    >>> check_sgtin96_serial("0012")
    Traceback (most recent call last):
    ...
    medtrace.gs1.errors.Gs1Error: AI (21) 0012: serial cannot be encoded in SGTIN-96, which \
stores the serial as a 38-bit integer (EPC TDS §14.5.1): it has a leading zero, so it would be \
read back as '12', a different serial; expected digits without leading zeros below \
274877906944, or use SGTIN-198
    """
    problem = sgtin96_serial_problem(serial)
    if problem is not None:
        raise Gs1Error(
            "serial cannot be encoded in SGTIN-96, which stores the serial as a 38-bit integer "
            f"(EPC TDS §14.5.1): {problem}; expected digits without leading zeros below "
            f"{SGTIN96_MAX_SERIAL}, or use SGTIN-198",
            ai="21",
            value=serial,
        )


def _check_filter(filter_value: int) -> None:
    if not 0 <= filter_value <= MAX_FILTER_VALUE:
        raise Gs1Error(
            f"RFID filter value {filter_value} is out of range, expected 0 to "
            f"{MAX_FILTER_VALUE} (EPC TDS §10.1)",
            value=str(filter_value),
        )


@dataclass(frozen=True, slots=True)
class RfidTag:
    """An EPC as encoded on an RFID tag: scheme, filter value and the pure identity.

    Valid once built: the scheme fits the identity (SGTIN or SSCC), the filter value is 0 to 7,
    and an SGTIN-96 serial is a number that survives the 38-bit integer.

    >>> RfidTag(RfidScheme.SSCC_96, 3, SsccUrn("0614141", "1234567890")).hex
    '3174257BF4499602D2000000'
    """

    scheme: RfidScheme
    filter_value: int
    epc: SgtinUrn | SsccUrn

    def __post_init__(self) -> None:
        _check_filter(self.filter_value)
        expected = SsccUrn if self.scheme is RfidScheme.SSCC_96 else SgtinUrn
        if not isinstance(self.epc, expected):
            raise Gs1Error(
                f"{self.scheme} encodes {expected.SCHEME.upper()} EPCs, got {self.epc}",
                value=str(self.epc),
            )
        if self.scheme is RfidScheme.SGTIN_96 and isinstance(self.epc, SgtinUrn):
            check_sgtin96_serial(self.epc.serial)

    @property
    def tag_uri(self) -> str:
        """The EPC Tag URI ``urn:epc:tag:{scheme}:{filter}.{fields}`` (TDS §12.3)."""
        pure = str(self.epc)
        return f"urn:epc:tag:{self.scheme}:{self.filter_value}.{pure.split(':', 4)[4]}"

    @property
    def binary(self) -> str:
        """The encoding as a string of ``0``/``1``, exactly :data:`BITS` long (TDS §14.5)."""
        header = f"{HEADERS[self.scheme]:08b}" + f"{self.filter_value:03b}"
        try:
            if isinstance(self.epc, SsccUrn):
                body = encode_partition_table(
                    [self.epc.company_prefix, self.epc.serial_reference],
                    epcpy_sscc.PARTITION_TABLE_L,
                )
                return str(header + body + "0" * _SSCC_RESERVED_BITS)
            body = encode_partition_table(
                [self.epc.company_prefix, self.epc.item_reference], epcpy_sgtin.PARTITION_TABLE_L
            )
            serial_bits = _SGTIN_SERIAL_BITS[self.scheme]
            if self.scheme is RfidScheme.SGTIN_96:
                serial = str_to_binary(self.epc.serial, serial_bits)
            else:
                serial = encode_string(escape_component(self.epc.serial), serial_bits)
            return str(header + body + serial)
        except ConvertException as error:
            raise Gs1Error(
                f"cannot encode {self.epc} as {self.scheme}: {error.message}",
                value=str(self.epc),
            ) from error

    @property
    def hex(self) -> str:
        """Upper-case hex, padded with zero bits to whole 16-bit words (SGTIN-198: 52 digits)."""
        bits = self.binary
        padded = bits + "0" * (-len(bits) % _WORD_BITS)
        return f"{int(padded, 2):0{len(padded) // 4}X}"

    def to_key(self) -> Sgtin | Sscc:
        """The :class:`~medtrace.gs1.product.Sgtin` or :class:`~medtrace.gs1.keys.Sscc`."""
        return self.epc.to_key()

    @classmethod
    def from_hex(cls, text: str) -> RfidTag:
        """Decode an SGTIN-96, SGTIN-198 or SSCC-96 tag from hex (either case).

        >>> RfidTag.from_hex("3674257BF6B7A659B2C2BF100000000000000000000000000000").tag_uri
        'urn:epc:tag:sgtin-198:3.0614141.712345.32a%2Fb'
        """
        if not text or any(char not in _HEX_DIGITS for char in text):
            raise Gs1SyntaxError(
                f"RFID hex {text!r} is not a hex string, expected the digits 0-9 and A-F",
                value=text,
            )
        scheme = _scheme_of_header(int(text[:2], 16), text)
        bits_needed = BITS[scheme]
        padded_bits = bits_needed + (-bits_needed % _WORD_BITS)
        if not -(-bits_needed // 4) <= len(text) <= padded_bits // 4:
            raise LengthError(
                f"RFID hex of {scheme} has {len(text)} hex digits, expected "
                f"{-(-bits_needed // 4)} to {padded_bits // 4} ({bits_needed} bits)",
                value=text,
            )
        bits = f"{int(text, 16):0{len(text) * 4}b}"
        return cls.from_binary(bits[:bits_needed], source=text, padding=bits[bits_needed:])

    @classmethod
    def from_binary(cls, bits: str, *, source: str | None = None, padding: str = "") -> RfidTag:
        """Decode from a ``0``/``1`` string of exactly the scheme's length (TDS §14.5)."""
        shown = bits if source is None else source
        if set(bits) - {"0", "1"} or len(bits) < _HEADER_BITS:
            raise Gs1SyntaxError(f"RFID binary {shown!r} is not a bit string", value=shown)
        scheme = _scheme_of_header(int(bits[:_HEADER_BITS], 2), shown)
        if len(bits) != BITS[scheme]:
            raise LengthError(
                f"RFID binary of {scheme} has {len(bits)} bits, expected {BITS[scheme]}",
                value=shown,
            )
        if "1" in padding:
            raise Gs1SyntaxError(
                f"RFID hex {shown} has non-zero padding bits after the {BITS[scheme]}-bit "
                f"{scheme} encoding",
                value=shown,
            )
        filter_value = int(bits[_HEADER_BITS : _HEADER_BITS + _FILTER_BITS], 2)
        start = _HEADER_BITS + _FILTER_BITS
        try:
            if scheme is RfidScheme.SSCC_96:
                fields = decode_partition_table(
                    bits[start : start + _SSCC_PARTITIONED_BITS], epcpy_sscc.PARTITION_TABLE_P
                )
                epc: SgtinUrn | SsccUrn = SsccUrn(*str(fields).split("."))
            else:
                fields = decode_partition_table(
                    bits[start : start + _PARTITIONED_BITS], epcpy_sgtin.PARTITION_TABLE_P
                )
                serial_bits = bits[start + _PARTITIONED_BITS :]
                if scheme is RfidScheme.SGTIN_96:
                    serial = str(binary_to_int(serial_bits))
                else:
                    serial = unescape_component(
                        str(decode_string(serial_bits)), what=f"serial of {shown}"
                    )
                company_prefix, item_reference = str(fields).split(".")
                epc = SgtinUrn(company_prefix, item_reference, serial)
        except ConvertException as error:
            raise Gs1SyntaxError(
                f"RFID {scheme} encoding {shown} is malformed: {error.message}", value=shown
            ) from error
        tag = cls(scheme, filter_value, epc)
        if tag.binary != bits:
            raise Gs1SyntaxError(
                f"RFID {scheme} encoding {shown} is not canonical: it decodes to {tag.tag_uri}, "
                "which encodes to different bits (non-zero reserved or padding bits, or a "
                "character after the serial's terminating zero)",
                value=shown,
            )
        return tag

    @classmethod
    def from_tag_uri(cls, text: str) -> RfidTag:
        """Parse an EPC Tag URI ``urn:epc:tag:{scheme}:{filter}.{fields}`` (TDS §12.3).

        >>> str(RfidTag.from_tag_uri("urn:epc:tag:sscc-96:3.0614141.1234567890").to_key())
        '106141412345678908'
        """
        head = "urn:epc:tag:"
        scheme_text, _, rest = text[len(head) :].partition(":")
        if not text.startswith(head) or scheme_text not in set(RfidScheme):
            raise Gs1SyntaxError(
                f"{text!r} is not a supported EPC Tag URI, expected {head!r} and one of "
                f"{', '.join(RfidScheme)}",
                value=text,
            )
        scheme = RfidScheme(scheme_text)
        filter_text, _, fields = rest.partition(".")
        if len(filter_text) != 1 or filter_text not in "01234567":
            raise Gs1SyntaxError(
                f"{text} has filter value {filter_text!r}, expected one digit 0 to 7",
                value=text,
            )
        pure_class = SsccUrn if scheme is RfidScheme.SSCC_96 else SgtinUrn
        epc = pure_class.parse(pure_class.prefix() + fields)
        return cls(scheme, int(filter_text), epc)


def _scheme_of_header(header: int, shown: str) -> RfidScheme:
    for scheme, value in HEADERS.items():
        if value == header:
            return scheme
    known = ", ".join(f"{value:02X} ({scheme})" for scheme, value in HEADERS.items())
    raise Gs1SyntaxError(
        f"RFID encoding {shown!r} has EPC header {header:02X}, expected one of {known} "
        "(EPC TDS §14.2)",
        value=shown,
    )


def encode(
    key: Sgtin | Sscc | SgtinUrn | SsccUrn,
    *,
    scheme: RfidScheme | str | None = None,
    filter_value: int = 0,
    gcp_length: int | None = None,
    registry: PrefixRegistry | None = None,
) -> RfidTag:
    """The RFID tag of ``key``; ``scheme`` defaults to SSCC-96 for SSCCs and SGTIN-198 for SGTINs.

    SGTIN-198 is the default for SGTINs because it holds every valid serial; ask for SGTIN-96
    explicitly when the serials are numbers without leading zeros. The GS1 Company Prefix length
    of a key comes from ``gcp_length`` or ``registry`` (:mod:`medtrace.gs1.prefix`).

    >>> encode(Sscc.parse("106141412345678908"), filter_value=3, gcp_length=7).tag_uri
    'urn:epc:tag:sscc-96:3.0614141.1234567890'
    """
    epc: SgtinUrn | SsccUrn
    if isinstance(key, Sgtin):
        epc = SgtinUrn.from_key(key, gcp_length=gcp_length, registry=registry)
    elif isinstance(key, Sscc):
        epc = SsccUrn.from_key(key, gcp_length=gcp_length, registry=registry)
    else:
        epc = key
    if scheme is None:
        chosen = RfidScheme.SSCC_96 if isinstance(epc, SsccUrn) else RfidScheme.SGTIN_198
    elif scheme in set(RfidScheme):
        chosen = RfidScheme(scheme)
    else:
        raise Gs1Error(
            f"RFID scheme {scheme!r} is not supported, expected one of {', '.join(RfidScheme)}",
            value=str(scheme),
        )
    return RfidTag(chosen, filter_value, epc)


__all__ = [
    "BITS",
    "HEADERS",
    "MAX_FILTER_VALUE",
    "SGTIN96_MAX_SERIAL",
    "RfidScheme",
    "RfidTag",
    "check_sgtin96_serial",
    "encode",
    "sgtin96_serial_problem",
]
