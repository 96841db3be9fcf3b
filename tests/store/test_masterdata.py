"""Master data: from the DSCSA header, from master-data documents, merged on update."""

from __future__ import annotations

from pathlib import Path

import pytest

from medtrace.epcis.model import Vocabulary, VocabularyAttribute, VocabularyElement
from medtrace.store.repository import Repository

EPC_CLASS = "urn:epcglobal:epcis:vtype:EPCClass"
NDC = "urn:epcglobal:cbv:mda#additionalTradeItemIdentification"
DSCSA = "dscsa/gs1us-guideline-example/GS1_US_Pharma_Example_2_2_1_1.xml"


@pytest.mark.conformance
@pytest.mark.parametrize(
    "spelling",
    [
        # the idpat URN of the document's header
        "urn:epc:idpat:sgtin:030001.0012345.*",
        # the same GTIN as a Digital Link
        "https://id.gs1.org/01/00300010123455",
        # a Digital Link on another domain
        "https://example.com/gtin/00300010123455",
    ],
)
def test_dscsa_header_master_data_is_stored(
    repo: Repository, conformance_dir: Path, spelling: str
) -> None:
    result = repo.capture(conformance_dir / DSCSA)
    assert result.captured == 8 and result.ok
    element = repo.master_data_get(EPC_CLASS, spelling)
    assert element is not None
    attributes = {a.id: a.value for a in element.attributes}
    assert attributes["urn:epcglobal:cbv:mda#regulatedProductName"] == "Epcistra"
    assert attributes[NDC] == "0001-0123-45"


def element(ident: str, **attributes: str) -> VocabularyElement:
    return VocabularyElement(
        id=ident,
        attributes=tuple(VocabularyAttribute(id=k, value=v) for k, v in attributes.items()),
    )


def test_update_merges_attributes_and_children(repo: Repository) -> None:
    vtype = "urn:epcglobal:epcis:vtype:BusinessLocation"
    site = "urn:epc:id:sgln:0614141.00777.0"
    repo.master_data_put(
        Vocabulary(
            type=vtype,
            elements=(
                VocabularyElement(
                    id=site,
                    attributes=(
                        VocabularyAttribute(id="name", value="Old"),
                        VocabularyAttribute(id="city", value="Lyon"),
                    ),
                    children=("urn:epc:id:sgln:0614141.00777.1",),
                ),
            ),
        )
    )
    written = repo.master_data_put(
        [
            Vocabulary(
                type=vtype,
                elements=(
                    VocabularyElement(
                        id="https://id.gs1.org/414/0614141007776",
                        attributes=(VocabularyAttribute(id="name", value="New"),),
                        children=("urn:epc:id:sgln:0614141.00777.2",),
                    ),
                ),
            )
        ]
    )
    stored = repo.master_data_get(vtype, site)
    assert written == 1 and stored is not None
    assert {a.id: a.value for a in stored.attributes} == {"city": "Lyon", "name": "New"}
    assert stored.children == (
        "urn:epc:id:sgln:0614141.00777.1",
        "urn:epc:id:sgln:0614141.00777.2",
    )


@pytest.mark.conformance
def test_master_data_document_is_captured(repo: Repository, conformance_dir: Path) -> None:
    path = conformance_dir / "gs1-epcis/XML/CBV/CBV-11.4-2020-06-16a.xml"
    result = repo.capture(path)
    assert (result.captured, result.rejected) == (0, ())
    from medtrace.epcis.xml_reader import read_xml

    vocabularies = read_xml(path).vocabularies
    first = vocabularies[0].elements[0]
    assert repo.master_data_get(vocabularies[0].type, first.id) is not None


def test_unknown_element(repo: Repository) -> None:
    assert repo.master_data_get(EPC_CLASS, "urn:epc:class:lgtin:0614141.107346.L1") is None
