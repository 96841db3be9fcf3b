"""Every EventQuery parameter family executed in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import pytest
import sqlalchemy as sa

from medtrace.epcis.model import Vocabulary, VocabularyAttribute, VocabularyElement
from medtrace.epcis.query import parse_query
from medtrace.store import migrations
from medtrace.store.capture import capture
from medtrace.store.engine import create_store_engine
from medtrace.store.masterdata import put_vocabularies
from medtrace.store.query_sql import QueryTooLargeError, digital_link_prefixes, run_query

EX = "https://ns.example.com/epcis/"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ex": EX}]
ITEM_A = "urn:epc:id:sgtin:0614141.107346.2017"
ITEM_B = "urn:epc:id:sgtin:0614141.107346.2018"
CASE = "urn:epc:id:sscc:0614141.1234567890"
PLANT = "urn:epc:id:sgln:0614141.00777.0"
DOCK = "urn:epc:id:sgln:0614141.00777.1"
DC = "urn:epc:id:sgln:0614141.00888.0"


def uid(n: int) -> str:
    """The eventID of test event ``n``."""
    return f"urn:uuid:00000000-0000-4000-8000-{n:012d}"


def ev(n: int, kind: str, hour: int, **fields: Any) -> dict[str, Any]:
    """A JSON-LD event with eventID ``uid(n)`` at 2024-01-01 ``hour``:00Z."""
    return {
        "type": kind,
        "eventID": uid(n),
        "eventTime": f"2024-01-01T{hour:02d}:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        **fields,
    }


EVENTS = [
    ev(
        1,
        "ObjectEvent",
        10,
        action="ADD",
        epcList=[ITEM_A, ITEM_B],
        bizStep="commissioning",
        disposition="active",
        readPoint={"id": DOCK},
        bizLocation={"id": PLANT},
        ilmd={"ex:lot": "L1", "ex:bestBefore": "2026-01-01T00:00:00Z", "ex:count": 5},
    ),
    ev(
        2,
        "AggregationEvent",
        11,
        action="ADD",
        parentID=CASE,
        childEPCs=[ITEM_A, ITEM_B],
        bizStep="packing",
        bizLocation={"id": PLANT},
        **{"ex:box": {"ex:seal": "S-9"}},
    ),
    ev(
        3,
        "ObjectEvent",
        12,
        action="OBSERVE",
        epcList=[CASE],
        bizStep="shipping",
        disposition="in_transit",
        readPoint={"id": DC},
        bizTransactionList=[
            {"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:0614141073467:PO-1"}
        ],
        sourceList=[{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00777"}],
        destinationList=[{"type": "owning_party", "destination": "urn:epc:id:pgln:0614141.00888"}],
        **{"ex:count": 10, "ex:note": "fragile"},
    ),
    ev(
        4,
        "TransformationEvent",
        13,
        inputEPCList=[ITEM_A],
        outputEPCList=["urn:epc:id:sgtin:0614141.107347.9"],
        inputQuantityList=[
            {"epcClass": "urn:epc:class:lgtin:0614141.107346.L1", "quantity": 2, "uom": "KGM"}
        ],
        outputQuantityList=[{"epcClass": "urn:epc:idpat:sgtin:0614141.107347.*", "quantity": 1}],
        transformationID="urn:uuid:9a1b2c3d-0000-4000-8000-000000000001",
        **{"ex:count": 3},
    ),
    ev(
        5,
        "ObjectEvent",
        14,
        action="OBSERVE",
        epcList=["urn:epc:id:sgtin:0614142.300000.77"],
        quantityList=[
            {"epcClass": "urn:epc:class:lgtin:0614141.107346.L1", "quantity": 3, "uom": "EA"}
        ],
        sensorElementList=[
            {
                "sensorMetadata": {
                    "time": "2024-01-01T14:00:00Z",
                    "deviceID": "urn:epc:id:giai:4000001.111",
                    "bizRules": "https://example.com/rules/cold",
                },
                "sensorReport": [
                    {"type": "Temperature", "value": 26.5, "uom": "CEL"},
                    {
                        "type": "Humidity",
                        "value": 40,
                        "uom": "A93",
                        "stringValue": "dry",
                        "booleanValue": True,
                        "hexBinaryValue": "0a1b",
                        "uriValue": "https://example.com/x",
                        "minValue": 35,
                        "maxValue": 45,
                    },
                ],
            }
        ],
    ),
    ev(
        6,
        "ObjectEvent",
        15,
        action="DELETE",
        epcList=[ITEM_B],
        bizStep="decommissioning",
        errorDeclaration={
            "declarationTime": "2024-02-01T00:00:00Z",
            "reason": "incorrect_data",
            "correctiveEventIDs": [uid(99)],
        },
        persistentDisposition={"set": ["completeness_inferred"]},
    ),
    ev(
        7,
        "AssociationEvent",
        16,
        action="ADD",
        parentID="urn:epc:id:grai:0614141.12345.400",
        childEPCs=["urn:epc:id:giai:0614141.5551"],
    ),
]

MASTER_DATA = Vocabulary(
    type="urn:epcglobal:epcis:vtype:BusinessLocation",
    elements=(
        VocabularyElement(
            id=PLANT,
            attributes=(VocabularyAttribute(id="urn:epcglobal:cbv:mda#name", value="Plant"),),
            children=(DOCK,),
        ),
        VocabularyElement(
            id=DOCK,
            attributes=(VocabularyAttribute(id="urn:epcglobal:cbv:mda#dock", value="1"),),
        ),
    ),
)


def document(events: list[dict[str, Any]]) -> bytes:
    """An EPCIS 2.0 JSON-LD document."""
    return orjson.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {"eventList": events},
        }
    )


BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def fresh_store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """A migrated, empty store on ``request.param`` (for module-scoped read-only fixtures)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.sqlite'}"
        engine = create_store_engine(url)
        migrations.upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    server: str = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex}"
    admin = create_store_engine(server)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    parts = urlsplit(server)
    query = f"{parts.query}&search_path={schema}" if parts.query else f"search_path={schema}"
    engine = create_store_engine(urlunsplit(parts._replace(query=query)))
    try:
        migrations.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[sa.Engine]:
    """A store with EVENTS and the location master data, shared by the read-only cases."""
    with fresh_store(request, tmp_path_factory) as engine:
        result = capture(engine, document(EVENTS))
        assert result.captured == len(EVENTS), result.rejected
        with engine.begin() as conn:
            put_vocabularies(conn, [MASTER_DATA])
        yield engine


def ids(engine: sa.Engine, params: str, **kwargs: Any) -> list[int]:
    """The test numbers of the events ``params`` selects, in result order."""
    query = parse_query(params, extensions={"ex": EX})
    with engine.connect() as conn:
        page = run_query(conn, query, **kwargs)
    return [int((e.event_id or "")[-12:]) for e in page.events]


CASES = [
    # no filter: everything in capture order
    ("", [1, 2, 3, 4, 5, 6, 7]),
    # event types are ORed
    ("eventType=AggregationEvent|AssociationEvent", [2, 7]),
    # eventTime range is half-open [GE, LT)
    ("GE_eventTime=2024-01-01T11:00:00Z&LT_eventTime=2024-01-01T13:00:00Z", [2, 3]),
    # a time zone offset is honoured
    ("GE_eventTime=2024-01-01T16:00:00%2B01:00", [6, 7]),
    # an unsatisfiable range selects nothing
    ("GE_eventTime=2024-01-02T00:00:00Z&LT_eventTime=2024-01-01T00:00:00Z", []),
    # recordTime: every event was captured after 2020
    ("GE_recordTime=2020-01-01T00:00:00Z", [1, 2, 3, 4, 5, 6, 7]),
    # recordTime upper bound before the capture
    ("LT_recordTime=2020-01-01T00:00:00Z", []),
    # actions
    ("EQ_action=DELETE|OBSERVE", [3, 5, 6]),
    # bizStep as bare word
    ("EQ_bizStep=shipping", [3]),
    # bizStep as URN, ORed
    ("EQ_bizStep=urn:epcglobal:cbv:bizstep:packing|commissioning", [1, 2]),
    # disposition
    ("EQ_disposition=in_transit", [3]),
    # persistent disposition set
    ("EQ_persistentDisposition_set=completeness_inferred", [6]),
    # persistent disposition unset: none in the data
    ("EQ_persistentDisposition_unset=completeness_inferred", []),
    # readPoint EQ, URN form
    (f"EQ_readPoint={DOCK}", [1]),
    # readPoint EQ in Digital Link form finds the URN-captured event
    ("EQ_readPoint=https://id.gs1.org/414/0614141007776/254/1", [1]),
    # readPoint WD: the dock is a child of the plant
    (f"WD_readPoint={PLANT}", [1]),
    # bizLocation EQ
    (f"EQ_bizLocation={PLANT}", [1, 2]),
    # bizLocation WD of the dock: no event is at the dock as bizLocation
    (f"WD_bizLocation={DOCK}", []),
    # EQ_ and WD_ of the same field are ORed
    (f"EQ_readPoint={DC}&WD_readPoint={PLANT}", [1, 3]),
    # transformationID
    ("EQ_transformationID=urn:uuid:9a1b2c3d-0000-4000-8000-000000000001", [4]),
    # MATCH_epc exact URN matches epcList and childEPCs
    (f"MATCH_epc={ITEM_A}", [1, 2]),
    # MATCH_epc in Digital Link form
    ("MATCH_epc=https://id.gs1.org/01/10614141073464/21/2018", [1, 2, 6]),
    # MATCH_epc idpat by GTIN
    ("MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*", [1, 2, 6]),
    # MATCH_epc idpat by company prefix only
    ("MATCH_epc=urn:epc:idpat:sgtin:0614141.*.*", [1, 2, 6]),
    # MATCH_epc idpat of another company
    ("MATCH_epc=urn:epc:idpat:sgtin:0614142.*.*", [5]),
    # MATCH_epc does not look at parentID
    (f"MATCH_epc={CASE}", [3]),
    # MATCH_parentID
    (f"MATCH_parentID={CASE}", [2]),
    # MATCH_parentID with an sscc pattern
    ("MATCH_parentID=urn:epc:idpat:sscc:0614141.*", [2]),
    # MATCH_parentID with a grai pattern
    ("MATCH_parentID=urn:epc:idpat:grai:0614141.12345.*", [7]),
    # MATCH_inputEPC
    (f"MATCH_inputEPC={ITEM_A}", [4]),
    # MATCH_outputEPC by pattern
    ("MATCH_outputEPC=urn:epc:idpat:sgtin:0614141.107347.*", [4]),
    # MATCH_anyEPC covers epcList, parent, children, inputs
    (f"MATCH_anyEPC={ITEM_A}|{CASE}", [1, 2, 3, 4]),
    # MATCH_epcClass exact LGTIN (quantityList)
    ("MATCH_epcClass=urn:epc:class:lgtin:0614141.107346.L1", [5]),
    # MATCH_inputEPCClass: the pattern matches the LGTIN class
    ("MATCH_inputEPCClass=urn:epc:idpat:sgtin:0614141.107346.*", [4]),
    # MATCH_outputEPCClass: the exact pattern value as class
    ("MATCH_outputEPCClass=urn:epc:idpat:sgtin:0614141.107347.*", [4]),
    # MATCH_anyEPCClass over quantity, input and output classes
    ("MATCH_anyEPCClass=urn:epc:idpat:sgtin:0614141.*.*", [4, 5]),
    # eventID
    (f"EQ_eventID={uid(3)}|{uid(7)}", [3, 7]),
    # errorDeclaration exists
    ("EXISTS_errorDeclaration", [6]),
    # errorDeclaration time range
    ("GE_errorDeclarationTime=2024-01-15T00:00:00Z", [6]),
    # errorDeclaration time before it: nothing
    ("LT_errorDeclarationTime=2024-01-15T00:00:00Z", []),
    # errorReason
    ("EQ_errorReason=incorrect_data", [6]),
    # correctiveEventID
    (f"EQ_correctiveEventID={uid(99)}", [6]),
    # bizTransaction by type
    ("EQ_bizTransaction_po=urn:epcglobal:cbv:bt:0614141073467:PO-1", [3]),
    # bizTransaction with another type does not match
    ("EQ_bizTransaction_desadv=urn:epcglobal:cbv:bt:0614141073467:PO-1", []),
    # source owning party (URN value, stored canonical)
    ("EQ_source_owning_party=urn:epc:id:pgln:0614141.00777", [3]),
    # destination owning party in Digital Link form
    ("EQ_destination_owning_party=https://id.gs1.org/417/0614141008889", [3]),
    # destination of the wrong type
    ("EQ_destination_location=urn:epc:id:pgln:0614141.00888", []),
    # ILMD EQ on text
    ("EQ_ILMD_ex:lot=L1|L2", [1]),
    # ILMD numeric GE
    ("GE_ILMD_ex:count=5", [1]),
    # ILMD numeric LT excludes the bound
    ("LT_ILMD_ex:count=5", []),
    # ILMD time comparison
    ("LT_ILMD_ex:bestBefore=2027-01-01T00:00:00Z", [1]),
    # ILMD EXISTS
    ("EXISTS_ILMD_ex:bestBefore", [1]),
    # event extension EQ compares numbers by value
    ("EQ_ex:count=10.0", [3]),
    # event extension GT (ILMD fields are not event fields)
    ("GT_ex:count=2", [3, 4]),
    # event extension EXISTS
    ("EXISTS_ex:note", [3]),
    # top-level filter does not see nested elements
    ("EQ_ex:seal=S-9", []),
    # INNER filter sees nested elements
    ("EQ_INNER_ex:seal=S-9", [2]),
    # EXISTS_INNER
    ("EXISTS_INNER_ex:seal", [2]),
    # sensor element list exists
    ("EXISTS_sensorElementList", [5]),
    # measurement type
    ("EQ_type=Temperature", [5]),
    # sensor value with unit
    ("GE_value_CEL=26&LT_value_CEL=27", [5]),
    # sensor value with another unit does not match
    ("GE_value_FAH=0", []),
    # sensor minValue / maxValue
    ("GE_minValue_A93=35&LE_maxValue_A93=45", [5]),
    # EQ_value lists values
    ("EQ_value_A93=39|40", [5]),
    # deviceID from sensorMetadata
    ("EQ_deviceID=urn:epc:id:giai:4000001.111", [5]),
    # bizRules
    ("EQ_bizRules=https://example.com/rules/cold", [5]),
    # string, boolean, hex and URI values
    (
        "EQ_stringValue=dry&EQ_booleanValue=true&EQ_hexBinaryValue=0A1B&EQ_uriValue=https://example.com/x",
        [5],
    ),
    # sensor time
    ("GE_time=2024-01-01T14:00:00Z&LT_time=2024-01-01T14:00:01Z", [5]),
    # quantity of a class-level quantity element with unit
    ("GE_quantity_KGM=2", [4]),
    # quantity without unit
    ("EQ_quantity=1|3", [4, 5]),
    # HASATTR on bizLocation master data
    ("HASATTR_bizLocation=urn:epcglobal:cbv:mda#name", [1, 2]),
    # EQATTR on readPoint master data
    ("EQATTR_readPoint_urn:epcglobal:cbv:mda#dock=1", [1]),
    # EQATTR with a non-matching value
    ("EQATTR_bizLocation_urn:epcglobal:cbv:mda#name=Warehouse", []),
    # HASATTR on a field without master data
    ("HASATTR_bizStep=urn:epcglobal:cbv:mda#name", []),
    # parameters are ANDed
    (f"MATCH_epc={ITEM_A}&EQ_bizStep=packing", [2]),
    # orderBy eventTime defaults to DESC
    ("orderBy=eventTime&eventType=ObjectEvent", [6, 5, 3, 1]),
    # orderBy eventTime ASC
    ("orderBy=eventTime&orderDirection=ASC&EQ_action=ADD", [1, 2, 7]),
    # eventCountLimit takes the first N in order (extremal query)
    ("orderBy=eventTime&eventCountLimit=1", [7]),
    # orderBy recordTime (one capture: ties broken by seq)
    ("orderBy=recordTime&orderDirection=ASC&eventCountLimit=2", [1, 2]),
    # orderBy an extension field: numbers ascending
    ("orderBy=ex:count&orderDirection=ASC&EXISTS_ex:count", [4, 3]),
    # maxEventCount not exceeded
    ("maxEventCount=3&eventType=AggregationEvent", [2]),
]


@pytest.mark.parametrize(("params", "expected"), CASES)
def test_query_parameters(store: sa.Engine, params: str, expected: list[int]) -> None:
    assert ids(store, params) == expected


def test_max_event_count_exceeded(store: sa.Engine) -> None:
    # four ObjectEvents match, only three allowed
    with pytest.raises(QueryTooLargeError) as raised:
        ids(store, "eventType=ObjectEvent&maxEventCount=3")
    assert raised.value.exception_type == "QueryTooLargeException"


def test_events_carry_id_and_record_time(store: sa.Engine) -> None:
    # decoded bodies have the stored eventID and the server recordTime
    with store.connect() as conn:
        (event,) = run_query(conn, parse_query(f"EQ_eventID={uid(2)}")).events
    assert event.event_id == uid(2)
    assert event.record_time is not None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # GTIN fixed: the key and everything below it
        ("urn:epc:idpat:sgtin:0614141.107346.*", ("https://id.gs1.org/01/10614141073464/",)),
        # SGLN fixed location: the GLN and its extensions
        ("urn:epc:idpat:sgln:0614141.00777.*", ("https://id.gs1.org/414/0614141007776/",)),
        # GIAI by company prefix
        ("urn:epc:idpat:giai:0614141.*", ("https://id.gs1.org/8004/0614141",)),
        # all SSCCs
        ("urn:epc:idpat:sscc:*.*", ("https://id.gs1.org/00/",)),
        # a scheme without a GS1 key
        ("urn:epc:idpat:gid:95100000.*.*", ()),
    ],
)
def test_digital_link_prefixes(pattern: str, expected: tuple[str, ...]) -> None:
    assert digital_link_prefixes(pattern) == expected


def test_like_metacharacters_are_literal(engine: sa.Engine) -> None:
    # '%' in a percent-encoded serial must not act as a wildcard
    events = [
        ev(1, "ObjectEvent", 10, action="ADD", epcList=["urn:epc:id:sgtin:0614141.107346.A%2F1"]),
        ev(2, "ObjectEvent", 11, action="ADD", epcList=["urn:epc:id:sgtin:0614141.107346.AB"]),
    ]
    assert capture(engine, document(events)).captured == 2
    assert ids(engine, "MATCH_epc=urn:epc:id:sgtin:0614141.107346.A%252F1") == [1]
    assert ids(engine, "MATCH_epc=urn:epc:idpat:sgtin:0614141.107346.*") == [1, 2]


def test_serial_case_matters(engine: sa.Engine) -> None:
    # serials 'ab' and 'AB' are different items on both backends
    events = [
        ev(1, "ObjectEvent", 10, action="ADD", epcList=["urn:epc:id:sgtin:0614141.107346.ab"]),
        ev(2, "ObjectEvent", 11, action="ADD", epcList=["urn:epc:id:sgtin:0614141.107346.AB"]),
    ]
    assert capture(engine, document(events)).captured == 2
    assert ids(engine, "MATCH_epc=urn:epc:id:sgtin:0614141.107346.AB") == [2]
