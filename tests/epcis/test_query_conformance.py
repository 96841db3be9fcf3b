"""The parser accepts every parameter of the REST binding's ``query-schema.json``.

For each property and each ``patternProperties`` pattern of the schema, a name and a value that
the schema allows are generated from the schema itself (read in place) and parsed both as a
query string and as a JSON query body.

The schema writes its extension patterns with doubled escapes (``\\\\:`` and ``\\\\w`` in the
JSON text, i.e. the regexes ``\\:`` and ``\\w`` with a literal backslash); the intended regexes
are ``:`` and ``\\w`` (as in ``EQ_ex:lot``), and the samples are generated from those.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from medtrace.epcis.errors import QueryParameterError
from medtrace.epcis.query import parse_query, parse_query_body

pytestmark = pytest.mark.conformance

EXTENSIONS = {"a": "https://ns.example.com/a/"}
#: Values the schema types too loosely ("type: string"): EPCIS 2.0 §8.2.7.1 restricts orderBy
#: to eventTime, recordTime or a qualified extension field name, and hexBinaryValue is
#: xsd:hexBinary (EPCIS 2.0 §7.3.8).
VALUE_OVERRIDES: dict[str, object] = {"orderBy": "eventTime", "EQ_hexBinaryValue": ["0A1B"]}
#: Companions a parameter needs (EPCIS 2.0 §8.2.7.1: eventCountLimit requires orderBy).
COMPANIONS: dict[str, dict[str, object]] = {"eventCountLimit": {"orderBy": "eventTime"}}
#: Samples for the "format" keywords of the schema.
FORMAT_SAMPLES = {
    "uri": "urn:epc:id:sgtin:0614141.107346.2018",
    "date-time": "2024-01-02T03:04:05Z",
}


def _load_schema(conformance_dir: Path) -> dict[str, Any]:
    path = conformance_dir / "gs1-epcis" / "REST-Bindings" / "query-schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _sample(node: dict[str, Any], definitions: dict[str, Any]) -> object:
    """A JSON value that ``node`` accepts (first alternative, first enum value)."""
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1].replace("%40", "@")
        return _sample(definitions[name], definitions)
    for combinator in ("oneOf", "anyOf"):
        if combinator in node:
            alternatives = node[combinator]
            enums = [alt for alt in alternatives if "enum" in alt]
            return _sample(enums[0] if enums else alternatives[0], definitions)
    if "enum" in node:
        return node["enum"][0]
    kind = node.get("type")
    if kind == "array":
        return [_sample(node["items"], definitions)]
    if kind == "integer":
        return None if node.get("nullable") else 1
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        return FORMAT_SAMPLES.get(node.get("format", ""), "abc")
    raise AssertionError(f"no sample for schema node {node}")


_TOKEN = re.compile(r"\[(?P<cls>[^\]]+)\](?P<q>[*+]|\{\d+,\d+\})?|\\w(?P<wq>[*+])?|(?P<lit>.)")


def _name_for(pattern: str) -> str:
    """A parameter name matched by a schema pattern (minimal repetitions, first class char)."""
    intended = pattern.replace("\\\\:", ":").replace("\\\\w", "\\w").strip("^$")
    name = []
    for token in _TOKEN.finditer(intended):
        if token["lit"] is not None:
            name.append(token["lit"])
            continue
        quantifier = token["q"] or token["wq"] or ""
        count = 0 if quantifier == "*" else 1
        if quantifier.startswith("{"):
            count = int(quantifier[1:].split(",")[0])
        name.append((token["cls"] or "a")[0] * count)
    sample = "".join(name)
    assert re.fullmatch(intended, sample), (pattern, sample)
    return sample


def _as_query_string_value(value: object) -> str:
    if isinstance(value, list):
        return "|".join(_as_query_string_value(item) for item in value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _cases(conformance_dir: Path) -> list[tuple[str, dict[str, object]]]:
    schema = _load_schema(conformance_dir)
    definitions = schema["definitions"]
    query = definitions["EPCIS-Query"]
    cases: list[tuple[str, dict[str, object]]] = []
    for name, node in query["properties"].items():
        if name == "@context":
            continue
        value = VALUE_OVERRIDES.get(name, _sample(node, definitions))
        cases.append((name, {**COMPANIONS.get(name, {}), name: value}))
    for pattern, node in query["patternProperties"].items():
        name = _name_for(pattern)
        cases.append((pattern, {name: _sample(node, definitions)}))
    return cases


def test_schema_is_covered_completely(conformance_dir: Path) -> None:
    cases = _cases(conformance_dir)
    query = _load_schema(conformance_dir)["definitions"]["EPCIS-Query"]
    # every property but @context and every pattern yields one case
    assert len(cases) == len(query["properties"]) - 1 + len(query["patternProperties"])
    assert len(cases) > 150


def test_every_schema_parameter_is_accepted(conformance_dir: Path) -> None:
    failures = []
    for label, body in _cases(conformance_dir):
        pairs = [(name, _as_query_string_value(value)) for name, value in body.items()]
        for form in ("query string", "JSON body"):
            try:
                if form == "JSON body":
                    query = parse_query_body(body, extensions=EXTENSIONS)
                else:
                    query = parse_query(pairs, extensions=EXTENSIONS)
            except QueryParameterError as exc:
                failures.append(f"{label} ({form}) {body}: {exc}")
                continue
            # the parameter was recognised: it shows up again in the canonical parameters
            if not query.to_params():
                failures.append(f"{label} ({form}) {body}: parsed to an empty query")
    assert failures == []


def test_context_prefixes_of_a_body_are_used() -> None:
    body: dict[str, object] = {"@context": [{"b": "urn:example:b:"}], "EQ_ILMD_b:lot": ["L1"]}
    query = parse_query_body(body)
    assert str(query.extension_filters[0].field) == "urn:example:b:#lot"
