"""GS1 identifiers, element strings, Digital Link, EPC URNs, RFID, barcodes: pure and strict.

Everything a pack, case or location identifier can be written as, read and written exactly:

>>> from medtrace.gs1 import parse_element_string, to_digital_link, to_urn
>>> message = parse_element_string("]d20100312345678906210012\\x1d10A1B2\\x1d17260500")
>>> pi = message.product_identifier()
>>> pi.serial, pi.lot, pi.expiry.date.isoformat()
('0012', 'A1B2', '2026-05-31')
>>> to_digital_link(message)
'https://id.gs1.org/01/00312345678906/10/A1B2/21/0012?17=260500'
>>> to_urn(message.sgtin(), gcp_length=7)
'urn:epc:id:sgtin:0312345.067890.0012'

Identifiers are frozen value objects, valid once built; every error is a :class:`Gs1Error`
whose message names the AI, the value, the rule broken and what was expected. Barcode rendering
and reading live in :mod:`medtrace.gs1.barcode` and :mod:`medtrace.gs1.label` (they import
Pillow and zxing-cpp, so they are not imported here).
"""

from medtrace.gs1.convert import (
    ParsedIdentifier,
    parse_any,
    to_digital_link,
    to_element_string,
    to_message,
    to_rfid,
    to_urn,
)
from medtrace.gs1.dates import Gs1Date
from medtrace.gs1.digital_link import DigitalLink
from medtrace.gs1.element_string import ElementString, Gs1Message, format_hri, format_raw
from medtrace.gs1.element_string import parse as parse_element_string
from medtrace.gs1.epc import EpcPattern, EpcUri, parse_epc_urn
from medtrace.gs1.errors import (
    AmbiguousError,
    BarcodeError,
    CharacterSetError,
    CheckDigitError,
    CompanyPrefixError,
    DateError,
    Gs1Error,
    Gs1SyntaxError,
    LengthError,
    UnknownAiError,
)
from medtrace.gs1.gtin import Gtin
from medtrace.gs1.keys import Gln, Sgln, Sscc
from medtrace.gs1.ndc import Ndc
from medtrace.gs1.prefix import PrefixRegistry, register_company_prefix
from medtrace.gs1.product import Lgtin, ProductIdentifier, Sgtin
from medtrace.gs1.rfid import RfidTag

__all__ = [
    "AmbiguousError",
    "BarcodeError",
    "CharacterSetError",
    "CheckDigitError",
    "CompanyPrefixError",
    "DateError",
    "DigitalLink",
    "ElementString",
    "EpcPattern",
    "EpcUri",
    "Gln",
    "Gs1Date",
    "Gs1Error",
    "Gs1Message",
    "Gs1SyntaxError",
    "Gtin",
    "LengthError",
    "Lgtin",
    "Ndc",
    "ParsedIdentifier",
    "PrefixRegistry",
    "ProductIdentifier",
    "RfidTag",
    "Sgln",
    "Sgtin",
    "Sscc",
    "UnknownAiError",
    "format_hri",
    "format_raw",
    "parse_any",
    "parse_element_string",
    "parse_epc_urn",
    "register_company_prefix",
    "to_digital_link",
    "to_element_string",
    "to_message",
    "to_rfid",
    "to_urn",
]
