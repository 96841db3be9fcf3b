"""Unit tests of the CBV 2.0 §8.9 event hash: canonical value forms and the pre-hash layout."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medtrace.epcis.hashing import (
    document_ignore_fields,
    event_hash,
    event_hashes,
    extension_key,
    prehash,
)
from medtrace.epcis.hashing_canon import (
    canonical_number,
    canonical_number_text,
    canonical_time,
    canonical_value,
    epc_uri_to_digital_link,
)
from medtrace.epcis.model import (
    AggregationEvent,
    AssociationEvent,
    BizTransaction,
    EPCISDocument,
    ErrorDeclaration,
    ExtAttribute,
    Extension,
    Location,
    ObjectEvent,
    PersistentDisposition,
    QuantityElement,
    SensorElement,
    SensorMetadata,
    SensorReport,
    SourceDest,
    TransactionEvent,
    TransformationEvent,
)

CET = timezone(timedelta(hours=1))
T0 = datetime(2020, 3, 4, 11, 0, 30, tzinfo=CET)
EX = "https://ns.example.com/epcis/"
HEAD = "eventType=ObjectEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"


def _object(**fields: Any) -> ObjectEvent:
    base: dict[str, Any] = {
        "event_time": T0,
        "event_time_zone_offset": "+01:00",
        "action": "OBSERVE",
    }
    base.update(fields)
    return ObjectEvent(**base)


# --------------------------------------------------------------------------- value forms


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # SGTIN: indicator digit moves in front, check digit appended
        ("urn:epc:id:sgtin:0614141.812345.6789", "https://id.gs1.org/01/80614141123458/21/6789"),
        # SGTIN with a 12-digit company prefix and an indicator-only item reference
        (
            "urn:epc:id:sgtin:415056789012.0.987654",
            "https://id.gs1.org/01/04150567890128/21/987654",
        ),
        # URN escapes are decoded, then the Digital Link escapes applied
        (
            "urn:epc:id:sgtin:4012345.011111.a%2Fb!",
            "https://id.gs1.org/01/04012345111118/21/a%2Fb%21",
        ),
        # SSCC: extension digit moves in front
        ("urn:epc:id:sscc:4012345.3111111111", "https://id.gs1.org/00/340123451111111111"),
        # SGLN with extension 0 means no extension
        ("urn:epc:id:sgln:4012345.00005.0", "https://id.gs1.org/414/4012345000054"),
        # SGLN with an extension keeps AI 254
        ("urn:epc:id:sgln:4012345.00011.987", "https://id.gs1.org/414/4012345000115/254/987"),
        # PGLN is a party GLN (AI 417)
        ("urn:epc:id:pgln:4000001.00000", "https://id.gs1.org/417/4000001000005"),
        # GRAI: leading zero, check digit, then serial
        ("urn:epc:id:grai:4012345.00022.334455", "https://id.gs1.org/8003/04012345000221334455"),
        # GIAI: prefix and asset reference concatenated
        ("urn:epc:id:giai:4012345.ABC345", "https://id.gs1.org/8004/4012345ABC345"),
        # GSRN and GSRN-P: 18 digits with check digit
        ("urn:epc:id:gsrn:4012345.0000006765", "https://id.gs1.org/8018/401234500000067657"),
        # GSRN-P uses AI 8017
        ("urn:epc:id:gsrnp:4012345.0000000007", "https://id.gs1.org/8017/401234500000000074"),
        # GDTI with an empty document type and 12-digit prefix
        ("urn:epc:id:gdti:987659999999..9", "https://id.gs1.org/253/98765999999929"),
        # SGCN: coupon with check digit and serial
        ("urn:epc:id:sgcn:4012345.99999.44", "https://id.gs1.org/255/401234599999044"),
        # CPI: part and serial as AI 8010 + 8011
        ("urn:epc:id:cpi:4012345.ABC.123", "https://id.gs1.org/8010/4012345ABC/8011/123"),
        # GINC with an escaped slash
        ("urn:epc:id:ginc:0614141.xyz47%2F11", "https://id.gs1.org/401/0614141xyz47%2F11"),
        # GSIN: 17 digits with check digit
        ("urn:epc:id:gsin:4012345.222333444", "https://id.gs1.org/402/40123452223334442"),
        # ITIP: GTIN + piece + total, serial as AI 21
        (
            "urn:epc:id:itip:4012345.011111.01.02.987",
            "https://id.gs1.org/8006/040123451111180102/21/987",
        ),
        # UPUI: GTIN + third-party controlled serial (AI 235); apostrophe stays literal
        ("urn:epc:id:upui:1234567.098765.a'*", "https://id.gs1.org/01/01234567987651/235/a'%2A"),
        # LGTIN class: GTIN + lot
        (
            "urn:epc:class:lgtin:4012345.012345.Lot987",
            "https://id.gs1.org/01/04012345123456/10/Lot987",
        ),
        # SGTIN pattern: the GTIN alone
        ("urn:epc:idpat:sgtin:4012345.066666.*", "https://id.gs1.org/01/04012345666663"),
        # ITIP pattern keeps piece and total
        ("urn:epc:idpat:itip:4012345.012345.01.02.*", "https://id.gs1.org/8006/040123451234560102"),
        # a pattern with more than the last field wild has no Digital Link form
        ("urn:epc:idpat:sgtin:4012345.*.*", "urn:epc:idpat:sgtin:4012345.*.*"),
        # GID is not a GS1 key: kept
        ("urn:epc:id:gid:95100000.12345.400", "urn:epc:id:gid:95100000.12345.400"),
        # a malformed SGTIN (13 + 1 digits) is kept as given
        ("urn:epc:id:sgtin:4012345.0111119.1", "urn:epc:id:sgtin:4012345.0111119.1"),
        # custom Digital Link domain replaced by id.gs1.org
        ("https://id.gs1.de/414/4012345000115", "https://id.gs1.org/414/4012345000115"),
        # query string stripped and the convenience alpha replaced, GTIN-13 padded
        (
            "https://ex.com/gtin/9780345418913/ser/7?abc=1",
            "https://id.gs1.org/01/09780345418913/21/7",
        ),
        # a custom path prefix before the key is dropped
        ("https://ex.com/dl/x/00/340123451111111111", "https://id.gs1.org/00/340123451111111111"),
        # only the finest level: serial beats lot, CPV dropped
        (
            "https://id.gs1.org/01/04012345111118/22/A/10/L1/21/9",
            "https://id.gs1.org/01/04012345111118/21/9",
        ),
        # lot kept when there is no serial
        (
            "https://id.gs1.org/01/04012345111118/10/L%2F1",
            "https://id.gs1.org/01/04012345111118/10/L%2F1",
        ),
        # an ordinary web URL with a "01" segment is not a Digital Link
        ("https://example.com/2020/01/15", "https://example.com/2020/01/15"),
        # a URL that is no GS1 key at all is kept
        ("http://transaction.acme.com/po/12345678", "http://transaction.acme.com/po/12345678"),
        # CBV URN business step to web URI
        ("urn:epcglobal:cbv:bizstep:receiving", "https://ref.gs1.org/cbv/BizStep-receiving"),
        # CBV URN business transaction type
        ("urn:epcglobal:cbv:btt:po", "https://ref.gs1.org/cbv/BTT-po"),
        # CBV URN source/destination type
        ("urn:epcglobal:cbv:sdt:owning_party", "https://ref.gs1.org/cbv/SDT-owning_party"),
        # CBV URN error reason
        ("urn:epcglobal:cbv:er:incorrect_data", "https://ref.gs1.org/cbv/ER-incorrect_data"),
        # a CBV business transaction identifier (bt) is not a vocabulary value
        ("urn:epcglobal:cbv:bt:5200001000008:4711", "urn:epcglobal:cbv:bt:5200001000008:4711"),
        # standard CURIE gs1: expanded
        ("gs1:Temperature", "https://gs1.org/voc/Temperature"),
        # standard CURIE cbv: expanded
        ("cbv:Comp-latitude", "https://ref.gs1.org/cbv/Comp-latitude"),
        # a user CURIE is left alone
        ("example:someSensorProperty", "example:someSensorProperty"),
        # geo URIs are not CURIEs
        ("geo:47.506694,11.104301", "geo:47.506694,11.104301"),
        # surrounding whitespace is trimmed
        ("  plain text  ", "plain text"),
    ],
)
def test_canonical_value(value: str, expected: str) -> None:
    assert canonical_value(value) == expected


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        # a pure identity
        ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"),
        # not an EPC URN at all
        ("urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8", None),
        # unknown EPC kind
        ("urn:epc:tag:sgtin-96:3.0614141.812345.6789", None),
    ],
)
def test_epc_uri_to_digital_link(uri: str, expected: str | None) -> None:
    assert epc_uri_to_digital_link(uri) == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        # offset converted to UTC, milliseconds zero-filled
        (
            datetime(2019, 10, 21, 14, 58, 56, tzinfo=timezone(timedelta(hours=2))),
            "2019-10-21T12:58:56.000Z",
        ),
        # fourth fraction digit 5 rounds up
        (datetime(2023, 2, 2, 11, 4, 3, 141500, UTC), "2023-02-02T11:04:03.142Z"),
        # fourth fraction digit 4 rounds down
        (datetime(2023, 2, 2, 11, 4, 3, 141499, UTC), "2023-02-02T11:04:03.141Z"),
        # rounding carries into the next day
        (datetime(2019, 12, 31, 23, 59, 59, 999500, UTC), "2020-01-01T00:00:00.000Z"),
        # negative offset crosses the date line backwards
        (
            datetime(2005, 4, 4, 20, 33, 31, 116000, timezone(timedelta(hours=-6))),
            "2005-04-05T02:33:31.116Z",
        ),
    ],
)
def test_canonical_time(moment: datetime, expected: str) -> None:
    assert canonical_time(moment) == expected


def test_canonical_time_rejects_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        canonical_time(datetime(2020, 1, 1))


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        # trailing zeros dropped
        (Decimal("452.0"), "452"),
        # exponent written out
        (Decimal("6E+2"), "600"),
        # small fraction kept exact
        (Decimal("0.180000000000"), "0.18"),
        # float goes through its shortest repr
        (0.1, "0.1"),
        # int unchanged
        (26, "26"),
        # negative zero is zero
        (Decimal("-0.00"), "0"),
        # negative value keeps its sign
        (Decimal("-12.50"), "-12.5"),
    ],
)
def test_canonical_number(number: Decimal | float, expected: str) -> None:
    assert canonical_number(number) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # numeric text canonicalised
        ("12.10000", "12.1"),
        # not a number: kept
        ("12 kg", "12 kg"),
        # NaN is not a finite number: kept
        ("NaN", "NaN"),
    ],
)
def test_canonical_number_text(text: str, expected: str) -> None:
    assert canonical_number_text(text) == expected


# --------------------------------------------------------------------------- pre-hash layout


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # EPCs sorted, CBV values as web URIs, readPoint id as Digital Link
        (
            _object(
                epc_list=(
                    "urn:epc:id:sscc:4012345.0000000222",
                    "urn:epc:id:sscc:4012345.0000000111",
                ),
                biz_step="urn:epcglobal:cbv:bizstep:departing",
                read_point=Location(id="urn:epc:id:sgln:4012345.00011.987"),
            ),
            HEAD + "epcListepc=https://id.gs1.org/00/040123450000001112"
            "epc=https://id.gs1.org/00/040123450000002225action=OBSERVE"
            "bizStep=https://ref.gs1.org/cbv/BizStep-departing"
            "readPointid=https://id.gs1.org/414/4012345000115/254/987",
        ),
        # type before value; destinationList before sourceList (as in the published vectors)
        (
            _object(
                biz_transactions=(
                    BizTransaction(
                        value="urn:epcglobal:cbv:bt:1:2", type="urn:epcglobal:cbv:btt:po"
                    ),
                    BizTransaction(
                        value="urn:epcglobal:cbv:bt:1:1", type="urn:epcglobal:cbv:btt:desadv"
                    ),
                ),
                sources=(
                    SourceDest(
                        type="urn:epcglobal:cbv:sdt:owning_party",
                        value="urn:epc:id:pgln:4012345.00000",
                    ),
                ),
                destinations=(
                    SourceDest(
                        type="urn:epcglobal:cbv:sdt:owning_party",
                        value="urn:epc:id:pgln:0614141.00000",
                    ),
                ),
            ),
            HEAD + "action=OBSERVEbizTransactionList"
            "type=https://ref.gs1.org/cbv/BTT-desadvbizTransaction=urn:epcglobal:cbv:bt:1:1"
            "type=https://ref.gs1.org/cbv/BTT-pobizTransaction=urn:epcglobal:cbv:bt:1:2"
            "destinationListtype=https://ref.gs1.org/cbv/SDT-owning_party"
            "destination=https://id.gs1.org/417/0614141000005"
            "sourceListtype=https://ref.gs1.org/cbv/SDT-owning_party"
            "source=https://id.gs1.org/417/4012345000009",
        ),
        # a business transaction without type has no type pair
        (
            _object(biz_transactions=(BizTransaction(value="http://acme.com/po/1"),)),
            HEAD + "action=OBSERVEbizTransactionListbizTransaction=http://acme.com/po/1",
        ),
        # quantity elements sorted as strings, quantity without trailing zeros, uom optional
        (
            _object(
                quantity_list=(
                    QuantityElement(
                        epc_class="urn:epc:class:lgtin:4054739.099902.P2",
                        quantity=Decimal("12.0"),
                        uom="KGM",
                    ),
                    QuantityElement(
                        epc_class="urn:epc:class:lgtin:4054739.012345.lot2", quantity=Decimal(17)
                    ),
                ),
            ),
            HEAD
            + "quantityListquantityElementepcClass=https://id.gs1.org/01/04054739123451/10/lot2"
            "quantity=17quantityElementepcClass=https://id.gs1.org/01/04054739999025/10/P2"
            "quantity=12uom=KGMaction=OBSERVE",
        ),
        # certificationInfo right after the time zone offset; persistentDisposition set then unset
        (
            _object(
                certification_info=("https://cert.example.org/ABC",),
                persistent_disposition=PersistentDisposition(
                    set=("urn:epcglobal:cbv:disp:recalled",),
                    unset=("urn:epcglobal:cbv:disp:active",),
                ),
            ),
            HEAD + "certificationInfo=https://cert.example.org/ABCaction=OBSERVE"
            "persistentDispositionset=https://ref.gs1.org/cbv/Disp-recalled"
            "unset=https://ref.gs1.org/cbv/Disp-active",
        ),
        # eventID, recordTime and errorDeclaration are not hashed
        (
            _object(
                event_id="urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8",
                record_time=T0 + timedelta(hours=1),
                error_declaration=ErrorDeclaration(
                    declaration_time=T0, reason="urn:epcglobal:cbv:er:incorrect_data"
                ),
            ),
            HEAD + "action=OBSERVE",
        ),
        # nested extensions: children sorted inside their parent, top level sorted
        (
            _object(
                extensions=(
                    Extension(namespace=EX, name="myField2", value="0"),
                    Extension(
                        namespace=EX,
                        name="myField1",
                        children=(
                            Extension(namespace=EX, name="sub", value="3"),
                            Extension(namespace=EX, name="sub", value="1"),
                        ),
                    ),
                ),
            ),
            HEAD + f"action=OBSERVE{{{EX}}}myField1{{{EX}}}sub=1{{{EX}}}sub=3{{{EX}}}myField2=0",
        ),
        # extension attributes hashed like children; xsi:type is not
        (
            _object(
                extensions=(
                    Extension(
                        namespace=EX,
                        name="data",
                        value="x",
                        attributes=(
                            ExtAttribute(namespace=EX, name="line", value="2"),
                            ExtAttribute(
                                namespace="http://www.w3.org/2001/XMLSchema-instance",
                                name="type",
                                value="xsd:string",
                            ),
                        ),
                    ),
                ),
            ),
            HEAD + f"action=OBSERVE{{{EX}}}data=x{{{EX}}}line=2",
        ),
        # JSON numbers/booleans canonical, EPCs converted; code-point order puts `l` before `{`
        (
            _object(
                extensions=(
                    Extension(namespace=EX, name="n", value="2.50", value_type="number"),
                    Extension(namespace=EX, name="b", value="True", value_type="boolean"),
                    Extension(namespace=EX, name="m", value="urn:epc:id:giai:4012345.ABC"),
                    Extension(namespace="", name="local", value="v"),
                ),
            ),
            HEAD
            + f"action=OBSERVElocal=v{{{EX}}}b=true{{{EX}}}m=https://id.gs1.org/8004/4012345ABC"
            f"{{{EX}}}n=2.5",
        ),
        # location extensions follow the id; ILMD sorted after sensor data
        (
            _object(
                read_point=Location(
                    id="urn:epc:id:sgln:4012345.00011.0",
                    extensions=(Extension(namespace=EX, name="f", value="AB-12"),),
                ),
                ilmd=(
                    Extension(namespace="urn:epcglobal:cbv:mda", name="lotNumber", value="L1"),
                    Extension(namespace=EX, name="grading", value="A"),
                ),
            ),
            HEAD + f"action=OBSERVEreadPointid=https://id.gs1.org/414/4012345000115{{{EX}}}f=AB-12"
            f"ilmd{{{EX}}}grading=A{{urn:epcglobal:cbv:mda}}lotNumber=L1",
        ),
    ],
)
def test_prehash_layout(event: ObjectEvent, expected: str) -> None:
    assert prehash(event) == expected


def test_sensor_element_layout() -> None:
    # metadata fields in canonical order then extension attributes; reports sorted as strings
    event = _object(
        sensor_elements=(
            SensorElement(
                metadata=SensorMetadata(
                    time=datetime(2019, 4, 2, 14, 5, tzinfo=CET),
                    device_id="urn:epc:id:giai:4000001.111",
                    biz_rules="https://example.com/253/4012345000054987",
                    extensions=(ExtAttribute(namespace=EX, name="meta", value="m"),),
                ),
                reports=(
                    SensorReport(
                        type="https://gs1.org/voc/Temperature",
                        value=Decimal("26.0"),
                        uom="CEL",
                        s_dev=Decimal("0.10"),
                    ),
                    SensorReport(
                        type="gs1:Angle",
                        component="cbv:Comp-latitude",
                        value=Decimal("42.698334"),
                        boolean_value=True,
                        extensions=(ExtAttribute(namespace=EX, name="cv", value="1"),),
                    ),
                ),
                extensions=(Extension(namespace=EX, name="further", value="x"),),
            ),
        ),
    )
    assert prehash(event) == (
        HEAD + "action=OBSERVEsensorElementListsensorElementsensorMetadata"
        "time=2019-04-02T13:05:00.000ZdeviceID=https://id.gs1.org/8004/4000001111"
        f"bizRules=https://id.gs1.org/253/4012345000054987{{{EX}}}meta=m"
        "sensorReporttype=https://gs1.org/voc/Anglevalue=42.698334"
        f"component=https://ref.gs1.org/cbv/Comp-latitudebooleanValue=true{{{EX}}}cv=1"
        "sensorReporttype=https://gs1.org/voc/Temperaturevalue=26sDev=0.1uom=CEL"
        f"{{{EX}}}further=x"
    )


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        # AggregationEvent: parentID before childEPCs, before childQuantityList
        (
            AggregationEvent(
                event_time=T0,
                event_time_zone_offset="+01:00",
                action="ADD",
                parent_id="urn:epc:id:sscc:4012345.0111111111",
                child_epcs=("urn:epc:id:sgtin:4012345.011111.2",),
                child_quantities=(
                    QuantityElement(epc_class="urn:epc:idpat:sgtin:4012345.011111.*"),
                ),
            ),
            (
                "eventType=AggregationEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
                "parentID=https://id.gs1.org/00/040123451111111110"
                "childEPCsepc=https://id.gs1.org/01/04012345111118/21/2"
                "childQuantityListquantityElementepcClass=https://id.gs1.org/01/04012345111118action=ADD"
            ),
        ),
        # TransactionEvent: epcList before parentID (canonical order, not XML order)
        (
            TransactionEvent(
                event_time=T0,
                event_time_zone_offset="+01:00",
                action="ADD",
                parent_id="urn:epc:id:sscc:4012345.0111111111",
                epc_list=("urn:epc:id:sgtin:4012345.011111.2",),
                biz_step="shipping",
            ),
            (
                "eventType=TransactionEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
                "epcListepc=https://id.gs1.org/01/04012345111118/21/2"
                "parentID=https://id.gs1.org/00/040123451111111110action=ADD"
                "bizStep=https://ref.gs1.org/cbv/BizStep-shipping"
            ),
        ),
        # TransformationEvent: inputs, outputs, then transformationID; ILMD at the end
        (
            TransformationEvent(
                event_time=T0,
                event_time_zone_offset="+01:00",
                input_epcs=("urn:epc:id:sgtin:4012345.011111.1",),
                input_quantities=(
                    QuantityElement(
                        epc_class="urn:epc:class:lgtin:4012345.011111.L", quantity=Decimal(5)
                    ),
                ),
                output_epcs=("urn:epc:id:sgtin:4012345.011111.3",),
                output_quantities=(
                    QuantityElement(
                        epc_class="urn:epc:class:lgtin:4012345.011111.M", quantity=Decimal(1)
                    ),
                ),
                transformation_id="urn:epc:id:gdti:4012345.55555.1234",
                ilmd=(Extension(namespace=EX, name="batch", value="X"),),
            ),
            (
                "eventType=TransformationEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
                "inputEPCListepc=https://id.gs1.org/01/04012345111118/21/1"
                "inputQuantityListquantityElementepcClass=https://id.gs1.org/01/04012345111118/10/Lquantity=5"
                "outputEPCListepc=https://id.gs1.org/01/04012345111118/21/3"
                "outputQuantityListquantityElementepcClass=https://id.gs1.org/01/04012345111118/10/Mquantity=1"
                f"transformationID=https://id.gs1.org/253/40123455555541234ilmd{{{EX}}}batch=X"
            ),
        ),
        # AssociationEvent: like aggregation
        (
            AssociationEvent(
                event_time=T0,
                event_time_zone_offset="+01:00",
                action="ADD",
                parent_id="urn:epc:id:grai:4012345.55555.1",
                child_epcs=("urn:epc:id:giai:4012345.XY",),
                disposition="in_progress",
            ),
            (
                "eventType=AssociationEventeventTime=2020-03-04T10:00:30.000ZeventTimeZoneOffset=+01:00"
                "parentID=https://id.gs1.org/8003/040123455555541childEPCsepc=https://id.gs1.org/8004/4012345XY"
                "action=ADDdisposition=https://ref.gs1.org/cbv/Disp-in_progress"
            ),
        ),
    ],
)
def test_prehash_per_event_type(event: Any, expected: str) -> None:
    assert prehash(event) == expected


def test_event_hash_is_sha256_of_prehash() -> None:
    event = _object(epc_list=("urn:epc:id:sgtin:4012345.011111.9876",))
    digest = hashlib.sha256(prehash(event).encode()).hexdigest()
    assert event_hash(event) == f"ni:///sha-256;{digest}?ver=CBV2.0"
    assert re.fullmatch(r"ni:///sha-256;[0-9a-f]{64}\?ver=CBV2\.0", event_hash(event))


def test_event_hashes_in_document_order() -> None:
    first = _object(epc_list=("urn:epc:id:sgtin:4012345.011111.1",))
    second = _object(epc_list=("urn:epc:id:sgtin:4012345.011111.2",))
    doc = EPCISDocument(schema_version="2.0", creation_date=T0, events=(second, first))
    assert event_hashes(doc) == [event_hash(second), event_hash(first)]


def test_ignore_fields_drops_named_event_extensions_only() -> None:
    kept = Extension(namespace=EX, name="keep", value="1")
    dropped = Extension(namespace=EX, name="hash", value="ni:///x")
    event = _object(extensions=(kept, dropped))
    key = extension_key(EX, "hash")
    assert prehash(event, ignore_fields={key}) == prehash(_object(extensions=(kept,)))
    # without the option every extension is hashed (the standard behaviour)
    assert event_hash(event) != event_hash(_object(extensions=(kept,)))


@pytest.mark.parametrize(
    ("extensions", "namespaces", "expected"),
    [
        # XML: empty child elements name the fields
        (
            (
                Extension(
                    namespace="https://repo.example/",
                    name="ignoreFields",
                    children=(Extension(namespace=EX, name="testField1"),),
                ),
            ),
            (),
            {f"{{{EX}}}testField1"},
        ),
        # JSON-LD: a list of CURIEs resolved with the document's prefixes
        (
            (
                Extension(
                    namespace="https://repo.example/",
                    name="ignoreFields",
                    children=(
                        Extension(
                            namespace="https://repo.example/",
                            name="ignoreFields",
                            value="example:captureID",
                        ),
                        Extension(
                            namespace="https://repo.example/",
                            name="ignoreFields",
                            value="https://repo.example/hash",
                        ),
                    ),
                ),
            ),
            (("example", EX), ("repo", "https://repo.example/")),
            {f"{{{EX}}}captureID", "{https://repo.example/}hash"},
        ),
        # no ignoreFields extension: nothing ignored
        ((Extension(namespace=EX, name="other", value="x"),), (), set()),
    ],
)
def test_document_ignore_fields(
    extensions: tuple[Extension, ...], namespaces: tuple[tuple[str, str], ...], expected: set[str]
) -> None:
    doc = EPCISDocument(
        schema_version="2.0", creation_date=T0, extensions=extensions, namespaces=namespaces
    )
    assert document_ignore_fields(doc) == expected


# --------------------------------------------------------------------------- properties

_SGTINS = st.lists(
    st.integers(min_value=0, max_value=10**9).map(lambda n: f"urn:epc:id:sgtin:4012345.011111.{n}"),
    min_size=1,
    max_size=8,
    unique=True,
)


@given(epcs=_SGTINS, seed=st.randoms())
def test_hash_ignores_list_and_extension_order(epcs: list[str], seed: Any) -> None:
    extensions = [Extension(namespace=EX, name=f"f{i}", value=str(i)) for i in range(4)]
    shuffled_epcs, shuffled_ext = list(epcs), list(extensions)
    seed.shuffle(shuffled_epcs)
    seed.shuffle(shuffled_ext)
    a = _object(epc_list=tuple(epcs), extensions=tuple(extensions))
    b = _object(epc_list=tuple(shuffled_epcs), extensions=tuple(shuffled_ext))
    assert event_hash(a) == event_hash(b)


@given(
    offset_minutes=st.integers(min_value=-14 * 60, max_value=14 * 60),
    micros=st.integers(min_value=0, max_value=999_999),
)
def test_hash_ignores_time_zone_notation(offset_minutes: int, micros: int) -> None:
    moment = datetime(2021, 6, 1, 12, 0, 0, micros, UTC)
    local = moment.astimezone(timezone(timedelta(minutes=offset_minutes)))
    assert event_hash(_object(event_time=moment)) == event_hash(_object(event_time=local))


@given(epc=_SGTINS.map(lambda epcs: epcs[0]), other=_SGTINS.map(lambda epcs: epcs[0]))
def test_hash_changes_with_content(epc: str, other: str) -> None:
    same = epc == other
    assert (event_hash(_object(epc_list=(epc,))) == event_hash(_object(epc_list=(other,)))) is same
