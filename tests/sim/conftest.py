"""A tiny simulation, generated once per test session, and its documents read back."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

from medtrace.epcis.documents import read_document
from medtrace.epcis.model import EPCISDocument
from medtrace.sim import SimSummary, generate

TINY = 300
SEED = 7


@dataclass(frozen=True)
class Run:
    """One generated output directory with its documents and JSON files parsed."""

    root: Path
    summary: SimSummary
    documents: dict[str, EPCISDocument]  # path relative to root/epcis -> document
    truth: dict[str, Any]
    masterdata: dict[str, Any]

    def incidents(self, kind: str) -> list[dict[str, Any]]:
        return [entry for entry in self.truth["incidents"] if entry["type"] == kind]


def load(root: Path, summary: SimSummary) -> Run:
    epcis = root / "epcis"
    documents = {
        path.relative_to(epcis).as_posix(): read_document(path)
        for path in sorted(epcis.rglob("*"))
        if path.is_file()
    }
    return Run(
        root=root,
        summary=summary,
        documents=documents,
        truth=orjson.loads((root / "ground_truth.json").read_bytes()),
        masterdata=orjson.loads((root / "masterdata.json").read_bytes()),
    )


@pytest.fixture(scope="session")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Run:
    """300 packs with seed 7."""
    root = tmp_path_factory.mktemp("sim-tiny")
    return load(root, generate(root, scale=TINY, seed=SEED))
