"""Tests of the EPCIS 2.0 query language parser (EPCIS 2.0 §8.2.7.1, REST binding §12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medtrace.epcis.errors import QueryParameterError
from medtrace.epcis.query import (
    Action,
    AttrEquals,
    EventQuery,
    ExtensionFilter,
    ExtensionScope,
    FieldMatch,
    FieldName,
    FilterOp,
    HasAttr,
    NamedQuery,
    OrderDirection,
    PatternKind,
    QuantityFilter,
    SensorComponent,
    SensorFilter,
    parse_pattern,
    parse_query,
    parse_query_body,
    parse_rest_query,
)
from medtrace.epcis.vocab import BIZ_STEPS, DISPOSITIONS

EX = "https://ns.example.com/epcis/"
EXT = {"ex": EX}
T0 = datetime(2022, 6, 30, 5, 15, 47, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        # standard event type names
        ({"eventType": "ObjectEvent|AssociationEvent"}, "event_types",
         ("ObjectEvent", "AssociationEvent")),
        # an extension event type is a URI
        ({"eventType": "https://ex.com/MyEvent"}, "event_types", ("https://ex.com/MyEvent",)),
        # offsets are converted to UTC
        ({"GE_eventTime": "2022-06-30T00:15:47.000-05:00"}, "ge_event_time", T0),
        # Z and extra fraction digits (truncated to microseconds)
        ({"LT_recordTime": "2022-06-30T05:15:47.1234567Z"}, "lt_record_time",
         T0.replace(microsecond=123456)),
        # actions
        ({"EQ_action": "ADD|DELETE"}, "actions", (Action.ADD, Action.DELETE)),
        # bare CBV word to URN
        ({"EQ_bizStep": "shipping"}, "biz_steps", ("urn:epcglobal:cbv:bizstep:shipping",)),
        # web URI and URN forms to URN; user URIs kept
        ({"EQ_bizStep": "https://ref.gs1.org/cbv/BizStep-receiving|urn:ex:step"}, "biz_steps",
         ("urn:epcglobal:cbv:bizstep:receiving", "urn:ex:step")),
        # a CURIE with a declared prefix is expanded
        ({"EQ_disposition": "ex:quarantined"}, "dispositions", (EX + "quarantined",)),
        # persistent disposition set/unset
        ({"EQ_persistentDisposition_set": "cbv:Disp-recalled"}, "persistent_disposition_set",
         ("urn:epcglobal:cbv:disp:recalled",)),
        ({"EQ_persistentDisposition_unset": "urn:epcglobal:cbv:disp:active"},
         "persistent_disposition_unset", ("urn:epcglobal:cbv:disp:active",)),
        # read point, with descendants
        ({"WD_readPoint": "urn:epc:id:sgln:0012345.11111.400"}, "read_points_with_descendants",
         ("urn:epc:id:sgln:0012345.11111.400",)),
        # business location
        ({"EQ_bizLocation": "https://id.gs1.org/414/4012345000009"}, "biz_locations",
         ("https://id.gs1.org/414/4012345000009",)),
        # event ids are URIs (ni: hashes)
        ({"EQ_eventID": "ni:///sha-256;df7b?ver=CBV2.0"}, "event_ids",
         ("ni:///sha-256;df7b?ver=CBV2.0",)),
        # EXISTS with the schema's null value
        ({"EXISTS_errorDeclaration": ""}, "exists_error_declaration", True),
        # EXISTS false is the same as absent
        ({"EXISTS_errorDeclaration": "false"}, "exists_error_declaration", False),
        # the schema's spelling of GE_errorDeclarationTime
        ({"GE_errorDeclaration_Time": "2022-06-30T05:15:47Z"}, "ge_error_declaration_time", T0),
        # error reasons
        ({"EQ_errorReason": "incorrect_data"}, "error_reasons",
         ("urn:epcglobal:cbv:er:incorrect_data",)),
        # order by an extension field (CURIE)
        ({"orderBy": "ex:temp"}, "order_by", FieldName(EX, "temp")),
        # order direction
        ({"orderDirection": "ASC"}, "order_direction", OrderDirection.ASC),
        # maxEventCount zero is allowed
        ({"maxEventCount": "0"}, "max_event_count", 0),
        # sensor time window
        ({"GE_startTime": "2022-06-30T05:15:47Z"}, "ge_start_time", T0),
        # measurement types: bare word and gs1: CURIE to the gs1 voc URI
        ({"EQ_type": "Temperature|gs1:Mass"}, "measurement_types",
         ("https://gs1.org/voc/Temperature", "https://gs1.org/voc/Mass")),
        # sensor URIs
        ({"EQ_deviceID": "urn:epc:id:giai:4000001.111"}, "device_ids",
         ("urn:epc:id:giai:4000001.111",)),
        # string values are kept verbatim
        ({"EQ_stringValue": "a b|c"}, "string_values", ("a b", "c")),
        # booleans
        ({"EQ_booleanValue": "false"}, "boolean_value", False),
        # hexBinary is upper-cased
        ({"EQ_hexBinaryValue": "0aff"}, "hex_binary_values", ("0AFF",)),
        # EXISTS_sensorElementList
        ({"EXISTS_sensorElementList": "true"}, "exists_sensor_element_list", True),
    ],
)  # fmt: skip
def test_fixed_parameters(params: dict[str, str], field: str, expected: object) -> None:
    assert getattr(parse_query(params, extensions=EXT), field) == expected


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        # bizTransaction type as a CBV word
        ({"EQ_bizTransaction_po": "urn:epcglobal:cbv:bt:0614141000005:PO1"}, "biz_transactions",
         (FieldMatch(type="urn:epcglobal:cbv:btt:po",
                     values=("urn:epcglobal:cbv:bt:0614141000005:PO1",)),)),
        # 1.2-style URN type, several values
        ({"EQ_bizTransaction_urn:epcglobal:cbv:btt:desadv": "urn:ex:a|urn:ex:b"},
         "biz_transactions",
         (FieldMatch(type="urn:epcglobal:cbv:btt:desadv", values=("urn:ex:a", "urn:ex:b")),)),
        # a non-CBV word is kept (schema pattern [a-z][a-zA-Z0-9_]+)
        ({"EQ_source_carrier_party": "urn:ex:x"}, "sources",
         (FieldMatch(type="carrier_party", values=("urn:ex:x",)),)),
        # destination types
        ({"EQ_destination_owning_party": "urn:epc:id:pgln:0614141.00000"}, "destinations",
         (FieldMatch(type="urn:epcglobal:cbv:sdt:owning_party",
                     values=("urn:epc:id:pgln:0614141.00000",)),)),
        # EQ on a top-level extension field, CURIE
        ({"EQ_ex:lot": "L1|L2"}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "lot"), op=FilterOp.EQ, values=("L1", "L2")),)),
        # namespace#name form with a number bound
        ({f"GT_{EX}#temp": "8.5"}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "temp"), op=FilterOp.GT, bound=Decimal("8.5")),)),
        # Clark form with a time bound, INNER
        ({f"LE_INNER_{{{EX}}}at": "2022-06-30T05:15:47Z"}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "at"), op=FilterOp.LE, bound=T0, inner=True),)),
        # ILMD with the default cbvmda prefix (DSCSA lot)
        ({"EQ_ILMD_cbvmda:lotNumber": "LOT1"}, "extension_filters",
         (ExtensionFilter(field=FieldName("urn:epcglobal:cbv:mda", "lotNumber"),
                          op=FilterOp.EQ, values=("LOT1",), scope=ExtensionScope.ILMD),)),
        # EXISTS_INNER_ILMD
        ({"EXISTS_INNER_ILMD_ex:x": ""}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "x"), op=FilterOp.EXISTS, inner=True,
                          scope=ExtensionScope.ILMD),)),
        # error declaration extension
        ({"GE_ERROR_DECLARATION_ex:n": "3"}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "n"), op=FilterOp.GE, bound=Decimal(3),
                          scope=ExtensionScope.ERROR_DECLARATION),)),
        # sensor report extension, INNER
        ({"LT_INNER_SENSORREPORT_ex:n": "1"}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "n"), op=FilterOp.LT, bound=Decimal(1),
                          inner=True, scope=ExtensionScope.SENSOR_REPORT),)),
        # readPoint extension
        ({"EQ_INNER_readPoint_ex:dock": "7"}, "extension_filters",
         (ExtensionFilter(field=FieldName(EX, "dock"), op=FilterOp.EQ, values=("7",),
                          inner=True, scope=ExtensionScope.READ_POINT),)),
        # sensor value with a unit
        ({"GE_minValue_CEL": "2"}, "sensor_filters",
         (SensorFilter(component=SensorComponent.MIN_VALUE, op=FilterOp.GE, uom="CEL",
                       values=(Decimal(2),)),)),
        # EQ_value lists several numbers
        ({"EQ_value_KGM": "1|2.5"}, "sensor_filters",
         (SensorFilter(component=SensorComponent.VALUE, op=FilterOp.EQ, uom="KGM",
                       values=(Decimal(1), Decimal("2.5"))),)),
        # percRank has no unit
        ({"LT_percRank": "0.95"}, "sensor_filters",
         (SensorFilter(component=SensorComponent.PERC_RANK, op=FilterOp.LT, uom=None,
                       values=(Decimal("0.95"),)),)),
        # quantity without a unit (EPCIS 2.0 repurposed)
        ({"EQ_quantity": "1|2"}, "quantity_filters",
         (QuantityFilter(op=FilterOp.EQ, uom=None, values=(Decimal(1), Decimal(2))),)),
        # quantity with a unit
        ({"LE_quantity_KGM": "10"}, "quantity_filters",
         (QuantityFilter(op=FilterOp.LE, uom="KGM", values=(Decimal(10),)),)),
        # master data: has attribute
        ({"HASATTR_bizLocation": "urn:epcglobal:cbv:mda#sst"}, "has_attributes",
         (HasAttr(field="bizLocation", attributes=("urn:epcglobal:cbv:mda#sst",)),)),
        # master data: attribute equals (standard and schema spellings)
        ({"EQATTR_readPoint_sst": "201|202"}, "attribute_equals",
         (AttrEquals(field="readPoint", attribute="sst", values=("201", "202")),)),
        ({"EQ_ATTR_bizLocation_urn:epcglobal:cbv:mda#site": "x"}, "attribute_equals",
         (AttrEquals(field="bizLocation", attribute="urn:epcglobal:cbv:mda#site",
                     values=("x",)),)),
    ],
)  # fmt: skip
def test_families(params: dict[str, str], field: str, expected: object) -> None:
    assert getattr(parse_query(params, extensions=EXT), field) == expected


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        # unknown fixed name (EQ_userID is not in EPCIS 2.0)
        ({"EQ_userID": "x"}, "EQ_userID"),
        # bad operator prefix
        ({"NE_eventTime": "2022-06-30T05:15:47Z"}, "NE_eventTime"),
        # time without a zone
        ({"GE_eventTime": "2022-06-30T05:15:47"}, "GE_eventTime"),
        # date only
        ({"LT_eventTime": "2022-06-30"}, "LT_eventTime"),
        # impossible date
        ({"GE_recordTime": "2022-02-30T00:00:00Z"}, "GE_recordTime"),
        # offset out of range
        ({"GE_recordTime": "2022-02-01T00:00:00+15:00"}, "GE_recordTime"),
        # negative limit
        ({"maxEventCount": "-1"}, "maxEventCount"),
        # non-integer limit
        ({"maxEventCount": "1.0"}, "maxEventCount"),
        # both limits
        ({"maxEventCount": "1", "eventCountLimit": "1", "orderBy": "eventTime"},
         "eventCountLimit"),
        # eventCountLimit without orderBy
        ({"eventCountLimit": "1"}, "eventCountLimit"),
        # bad order direction
        ({"orderDirection": "asc"}, "orderDirection"),
        # orderBy must be eventTime, recordTime or a qualified field
        ({"orderBy": "bizStep"}, "orderBy"),
        # unknown CBV word
        ({"EQ_bizStep": "teleporting"}, "EQ_bizStep"),
        # unknown value in the CBV namespace
        ({"EQ_disposition": "urn:epcglobal:cbv:disp:lost"}, "EQ_disposition"),
        # empty list item
        ({"EQ_bizStep": "shipping|"}, "EQ_bizStep"),
        # bad action
        ({"EQ_action": "UPDATE"}, "EQ_action"),
        # bad event type
        ({"eventType": "QuantityEvent"}, "eventType"),
        # undeclared CURIE prefix in a field name
        ({"EQ_nope:lot": "x"}, "EQ_nope:lot"),
        # unqualified extension field
        ({"EQ_lot": "x"}, "EQ_lot"),
        # bound is neither number nor time
        ({"GT_ex:temp": "warm"}, "GT_ex:temp"),
        # only EQ for readPoint extensions
        ({"GT_readPoint_ex:x": "1"}, "GT_readPoint_ex:x"),
        # EXISTS_INNER_ not defined for sensor fields
        ({"EXISTS_INNER_SENSORELEMENT_ex:x": ""}, "EXISTS_INNER_SENSORELEMENT_ex:x"),
        # a sensor value needs its unit
        ({"GT_value": "1"}, "GT_value"),
        # EQ_ only for value
        ({"EQ_minValue_CEL": "1"}, "EQ_minValue_CEL"),
        # percRank takes no unit
        ({"GT_percRank_CEL": "1"}, "GT_percRank_CEL"),
        # not a number
        ({"GT_quantity": "ten"}, "GT_quantity"),
        # NaN is not a number here
        ({"GT_quantity": "NaN"}, "GT_quantity"),
        # malformed EPC pattern (star before a fixed component)
        ({"MATCH_epc": "urn:epc:idpat:sgtin:0614141.*.2018"}, "MATCH_epc"),
        # wrong number of components
        ({"MATCH_epc": "urn:epc:idpat:sgtin:0614141.*"}, "MATCH_epc"),
        # not a URI
        ({"MATCH_anyEPC": "0614141.107346.2018"}, "MATCH_anyEPC"),
        # hexBinary with an odd number of digits
        ({"EQ_hexBinaryValue": "ABC"}, "EQ_hexBinaryValue"),
        # boolean
        ({"EQ_booleanValue": "yes"}, "EQ_booleanValue"),
        # pagination is not part of the query
        ({"perPage": "10"}, "perPage"),
        # repeated parameter (two occurrences)
        ({"EQ_bizStep": ["shipping", "receiving"]}, "EQ_bizStep"),
        # the same field under two spellings
        ({"GE_errorDeclaration_Time": "2022-06-30T05:15:47Z",
          "GE_errorDeclarationTime": "2022-06-30T05:15:47Z"}, "GE_errorDeclarationTime"),
        # the same extension filter under two spellings
        ({"EQ_ex:lot": "a", f"EQ_{EX}#lot": "b"}, f"EQ_{EX}#lot"),
        # the same bizTransaction type twice
        ({"EQ_bizTransaction_po": "urn:ex:a", "EQ_bizTransaction_urn:epcglobal:cbv:btt:po":
          "urn:ex:b"}, "EQ_bizTransaction_urn:epcglobal:cbv:btt:po"),
        # bizTransaction values must be URIs
        ({"EQ_bizTransaction_po": "PO 1"}, "EQ_bizTransaction_po"),
    ],
)  # fmt: skip
def test_errors_name_the_parameter(params: dict[str, object], parameter: str) -> None:
    with pytest.raises(QueryParameterError) as info:
        parse_query(params, extensions=EXT)  # type: ignore[arg-type]
    assert info.value.parameter == parameter
    assert f"query parameter {parameter}" in str(info.value)


@pytest.mark.parametrize(
    ("pattern", "candidate", "kind", "matches"),
    [
        # trailing star matches any serial
        ("urn:epc:idpat:sgtin:0614141.107346.*", "urn:epc:id:sgtin:0614141.107346.2018",
         PatternKind.EPC_PATTERN, True),
        # other item reference
        ("urn:epc:idpat:sgtin:0614141.107346.*", "urn:epc:id:sgtin:0614141.107347.2018",
         PatternKind.EPC_PATTERN, False),
        # component boundary: 061414 is not a prefix of 0614141
        ("urn:epc:idpat:sgtin:061414.*.*", "urn:epc:id:sgtin:0614141.107346.2018",
         PatternKind.EPC_PATTERN, False),
        # all stars match every SGTIN but no SSCC
        ("urn:epc:idpat:sgtin:*.*.*", "urn:epc:id:sscc:0614141.1234567890",
         PatternKind.EPC_PATTERN, False),
        # class level: LGTIN of the same product
        ("urn:epc:idpat:sgtin:0614141.107346.*", "urn:epc:class:lgtin:0614141.107346.L1",
         PatternKind.EPC_PATTERN, True),
        # class level: a narrower pattern value
        ("urn:epc:idpat:sgtin:0614141.*.*", "urn:epc:idpat:sgtin:0614141.107346.*",
         PatternKind.EPC_PATTERN, True),
        # no star: the one EPC only, not a longer serial
        ("urn:epc:idpat:sgtin:0614141.107346.20", "urn:epc:id:sgtin:0614141.107346.2018",
         PatternKind.EPC_PATTERN, False),
        # a serial may contain '.'
        ("urn:epc:idpat:sgtin:0614141.107346.a.b", "urn:epc:id:sgtin:0614141.107346.a.b",
         PatternKind.EPC_PATTERN, True),
        # plain EPC URN: equality
        ("urn:epc:id:sgtin:0614141.107346.2018", "urn:epc:id:sgtin:0614141.107346.2018",
         PatternKind.EXACT, True),
        # Digital Link: equality, flagged for the store
        ("https://id.gs1.org/01/09506000134352/21/abc", "https://id.gs1.org/01/09506000134352",
         PatternKind.DIGITAL_LINK, False),
    ],
)  # fmt: skip
def test_epc_patterns(pattern: str, candidate: str, kind: PatternKind, matches: bool) -> None:
    parsed = parse_pattern(pattern)
    assert (parsed.kind, parsed.matches(candidate)) == (kind, matches)


@pytest.mark.parametrize(
    ("query_string", "per_page", "token", "biz_steps"),
    [
        # pagination split off the query
        ("EQ_bizStep=shipping&perPage=5&nextPageToken=abc", 5, "abc",
         ("urn:epcglobal:cbv:bizstep:shipping",)),
        # no pagination
        ("", None, None, ()),
    ],
)  # fmt: skip
def test_rest_query(
    query_string: str, per_page: int | None, token: str | None, biz_steps: tuple[str, ...]
) -> None:
    rest = parse_rest_query(query_string)
    assert (rest.per_page, rest.next_page_token, rest.query.biz_steps) == (
        per_page,
        token,
        biz_steps,
    )


@pytest.mark.parametrize(
    ("query_string", "parameter"),
    [
        # perPage must be positive
        ("perPage=0", "perPage"),
        # repeated token
        ("nextPageToken=a&nextPageToken=b", "nextPageToken"),
        # query errors still surface
        ("EQ_bizStep=nope", "EQ_bizStep"),
    ],
)
def test_rest_query_errors(query_string: str, parameter: str) -> None:
    with pytest.raises(QueryParameterError) as info:
        parse_rest_query(query_string)
    assert info.value.parameter == parameter


def test_query_body_uses_json_types_and_context() -> None:
    body = {
        "@context": [{"ex": EX}, "https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "eventType": ["ObjectEvent"],
        "GE_quantity": 2.5,
        "EQ_booleanValue": True,
        "EXISTS_ILMD_ex:lot": None,
        "EQ_value_CEL": [1, 2],
    }
    query = parse_query_body(body)
    assert query.event_types == ("ObjectEvent",)
    assert query.quantity_filters == (
        QuantityFilter(op=FilterOp.GE, uom=None, values=(Decimal("2.5"),)),
    )
    assert query.boolean_value is True
    assert query.extension_filters[0].field == FieldName(EX, "lot")
    assert query.sensor_filters[0].values == (Decimal(1), Decimal(2))


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        # a value containing the list separator
        ({"EQ_stringValue": ["a|b"]}, "EQ_stringValue"),
        # an empty array
        ({"EQ_bizStep": []}, "EQ_bizStep"),
        # an object where a value is expected
        ({"EQ_bizStep": {"a": 1}}, "EQ_bizStep"),
    ],
)
def test_query_body_errors(body: dict[str, object], parameter: str) -> None:
    with pytest.raises(QueryParameterError) as info:
        parse_query_body(body)
    assert info.value.parameter == parameter


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        # the openapi example
        ("UniqueQueryName", True),
        # URL-safe punctuation
        ("recall-2024.lot_7~a", True),
        # blank
        ("my query", False),
        # path separator
        ("a/b", False),
        # empty
        ("", False),
        # leading punctuation
        ("-x", False),
        # too long
        ("a" * 129, False),
    ],
)
def test_named_query_names(name: str, valid: bool) -> None:
    created = datetime(2024, 1, 1, tzinfo=UTC)
    if valid:
        assert NamedQuery(name=name, query=EventQuery(), created=created).name == name
    else:
        with pytest.raises(QueryParameterError, match="queryName"):
            NamedQuery(name=name, query=EventQuery(), created=created)


def test_named_query_from_definition() -> None:
    definition = {
        "name": "myQuery",
        "query": {"eventType": ["ObjectEvent"], "EQ_bizStep": ["shipping", "receiving"]},
    }
    created = datetime(2024, 1, 1, tzinfo=UTC)
    named = NamedQuery.from_definition(definition, created=created)
    assert named.query == parse_query("eventType=ObjectEvent&EQ_bizStep=shipping|receiving")
    with pytest.raises(ValueError, match="timezone-aware"):
        NamedQuery(name="q", query=EventQuery(), created=datetime(2024, 1, 1))


def test_to_params_writes_canonical_forms() -> None:
    query = parse_query(
        {
            "EQ_ILMD_ex:lot": "L1",
            "EQ_bizTransaction_urn:epcglobal:cbv:btt:po": "urn:ex:po1",
            "GE_eventTime": "2022-06-30T00:15:47-05:00",
            "EXISTS_errorDeclaration": "",
        },
        extensions=EXT,
    )
    assert query.to_params() == [
        ("GE_eventTime", "2022-06-30T05:15:47Z"),
        ("EXISTS_errorDeclaration", "true"),
        ("EQ_bizTransaction_po", "urn:ex:po1"),
        (f"EQ_ILMD_{EX}#lot", "L1"),
    ]
    # the pairs survive URL encoding and decoding
    assert parse_query(urlencode(query.to_params())) == query


# ---- Hypothesis: parse(to_params(q)) == q ---------------------------------------------------

_ZONES = st.sampled_from([UTC, timezone(timedelta(hours=-5)), timezone(timedelta(hours=5.5))])
_TIMES = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=_ZONES
).map(lambda t: t.isoformat())
_NUMBERS = st.decimals(allow_nan=False, allow_infinity=False).map(str)
_URIS = st.from_regex(r"urn:ex:[a-z0-9.]{1,8}", fullmatch=True)
_WORDS = st.text(
    alphabet=st.characters(blacklist_characters="|", blacklist_categories=("Cs",)), min_size=1
)
_VOCAB = st.one_of(
    st.sampled_from(BIZ_STEPS), st.sampled_from(BIZ_STEPS).map("urn:epcglobal:cbv:bizstep:".__add__)
)
_FIELDS = st.builds(
    lambda ns, local: f"{ns}#{local}" if ns else f"ex:{local}",
    st.sampled_from(["", EX, "urn:epcglobal:cbv:mda", "http://a.example/x#"]),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.-]{0,6}", fullmatch=True),
)
_SCOPES = st.sampled_from(["", "ILMD_", "ERROR_DECLARATION_", "INNER_", "INNER_ILMD_"])


def _joined(items: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(items, min_size=1, max_size=3).map("|".join)


_PARAM = st.one_of(
    st.tuples(st.sampled_from(["GE_eventTime", "LT_recordTime", "GE_time"]), _TIMES),
    st.tuples(st.just("EQ_bizStep"), _joined(_VOCAB)),
    st.tuples(st.just("EQ_disposition"), _joined(st.sampled_from(DISPOSITIONS))),
    st.tuples(st.sampled_from(["EQ_readPoint", "EQ_eventID", "EQ_bizRules"]), _joined(_URIS)),
    st.tuples(st.just("EQ_stringValue"), _joined(_WORDS)),
    st.tuples(
        st.sampled_from(["MATCH_epc", "MATCH_anyEPCClass"]),
        _joined(
            st.sampled_from(
                [
                    "urn:epc:idpat:sgtin:0614141.*.*",
                    "urn:epc:id:sscc:0614141.1234567890",
                    "https://id.gs1.org/01/09506000134352/21/abc",
                ]
            )
        ),
    ),
    st.tuples(st.sampled_from(["maxEventCount"]), st.integers(0, 10**6).map(str)),
    st.tuples(st.sampled_from(["orderBy"]), st.one_of(st.just("eventTime"), _FIELDS)),
    st.tuples(st.sampled_from(["orderDirection"]), st.sampled_from(["ASC", "DESC"])),
    st.tuples(st.sampled_from(["GT_quantity", "LE_percRank", "GE_meanValue_CEL"]), _NUMBERS),
    st.tuples(st.sampled_from(["EQ_quantity_KGM", "EQ_value_CEL"]), _joined(_NUMBERS)),
    st.tuples(st.sampled_from(["EQ_bizTransaction_po", "EQ_source_location"]), _joined(_URIS)),
    st.tuples(st.builds("EQ_{}{}".format, _SCOPES, _FIELDS), _joined(_WORDS)),
    st.tuples(st.builds("GE_{}{}".format, _SCOPES, _FIELDS), st.one_of(_NUMBERS, _TIMES)),
    st.tuples(st.builds("EXISTS_{}{}".format, _SCOPES, _FIELDS), st.just("")),
    st.tuples(st.sampled_from(["HASATTR_bizLocation", "EQATTR_readPoint_sst"]), _joined(_WORDS)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_PARAM, max_size=8, unique_by=lambda pair: pair[0]))
def test_round_trip(pairs: list[tuple[str, str]]) -> None:
    try:
        query = parse_query(pairs, extensions=EXT)
    except QueryParameterError as exc:
        # only spelling collisions (ex:x and EX#x) may be refused
        assert "twice" in str(exc)
        return
    assert parse_query(query.to_params(), extensions=EXT) == query
