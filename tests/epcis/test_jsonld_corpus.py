"""Every JSON-LD example of the conformance corpus reads, and JSON-LD → model → JSON-LD → model
is the identity (EPCIS 2.0 §10). The files are read in place from the ``conformance_dir``."""

from __future__ import annotations

from pathlib import Path

import pytest

from medtrace.epcis.jsonld_reader import iter_jsonld_events, read_jsonld_message
from medtrace.epcis.jsonld_writer import write_jsonld, write_jsonld_event
from medtrace.epcis.model import EPCISDocument
from tests.conftest import conformance_path

pytestmark = pytest.mark.conformance


def _corpus_files() -> list[str]:
    root = conformance_path()
    if not root.is_dir():
        return []
    files = [
        *root.glob("gs1-epcis/JSON/**/*.jsonld"),
        *root.glob("event-hash/examples/*.jsonld"),
        *(
            path
            for path in root.glob("openepcis/test-resources/2.0/**/JSON/**/*.json")
            if "Invalid" not in path.parts and "Queries" not in path.parts
        ),
    ]
    return sorted(str(path.relative_to(root)) for path in files)


FILES = _corpus_files()


def test_corpus_counts(conformance_dir: Path) -> None:
    # 47 GS1 examples + 22 event-hash examples + 52 OpenEPCIS capture/query documents and events
    assert len(FILES) == 47 + 22 + 52


@pytest.mark.parametrize("name", FILES)
def test_reads_and_round_trips(conformance_dir: Path, name: str) -> None:
    # one corpus file: read, write, read again: same model
    message = read_jsonld_message((conformance_dir / name).read_bytes())
    if isinstance(message, EPCISDocument):
        assert read_jsonld_message(write_jsonld(message)) == message
    else:
        assert read_jsonld_message(write_jsonld_event(message)) == message


@pytest.mark.parametrize(
    "name",
    [
        # context after the body
        "gs1-epcis/JSON/Example-TransactionEvents-2020_07_03y.jsonld",
        # query document
        "gs1-epcis/JSON/EPCISQueryDocument.jsonld",
        # event-level @context objects
        "openepcis/test-resources/2.0/EPCIS/JSON/Capture/Documents/Namespaces_at_different_level.json",
    ],
)
def test_streaming_matches_whole_read(conformance_dir: Path, name: str) -> None:
    path = conformance_dir / name
    whole = read_jsonld_message(path.read_bytes())
    assert isinstance(whole, EPCISDocument)
    with path.open("rb") as stream:
        assert tuple(iter_jsonld_events(stream)) == whole.events
