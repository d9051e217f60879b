"""The compiled yes/no schema check agrees with jsonschema, so skipping jsonschema on documents
it calls valid can never hide a problem."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsxplan.schemas import load_schema
from nsxplan.schemas.fastcheck import compile_schema

SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def fragment_schema() -> dict[str, Any]:
    schema = dict(load_schema("nsxplan.schema.json"))
    schema.pop("required", None)
    return schema


def agree(schema: Any, value: Any) -> None:
    fast = compile_schema(schema)
    assert fast is not None
    slow = not any(True for _ in jsonschema.Draft202012Validator(schema).iter_errors(value))
    assert fast(value) is slow, value


KEYS = ["version", "owner", "target", "manager", "tier0s", "tier1s", "dns_zones", "dependencies",
        "id", "existing", "adopt", "ha_mode", "tier0", "static_routes", "network", "next_hops",
        "ip", "admin_distance", "nat_rules", "action", "source", "destination", "translated",
        "sequence", "tags", "scope", "tag", "dns_forwarder", "listener_ip", "default_zone",
        "conditional_zones", "domains", "upstream_servers", "dns_servers", "address", "clients",
        "edge_cluster", "route_advertisement", "enabled", "x-note", "$schema"]
WORDS = ["1", "vcf-t0", "SNAT", "DNAT", "REFLEXIVE", "ACTIVE_STANDBY", "10.0.0.1", "10.0.0.0/24",
         "/infra/tier-0s/x", "nsxplan/owner", "sim", "corp.example.com", "", "Bad Id", "TIER1_NAT"]
SCALARS = (st.none() | st.booleans() | st.integers(-5, 70000) | st.floats(allow_nan=False)
           | st.sampled_from(WORDS))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(KEYS), inner, max_size=5), max_leaves=30)


def gateway() -> st.SearchStrategy[dict[str, Any]]:
    rule = st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "a b"])},
                                 optional={"action": st.sampled_from(WORDS[1:5]),
                                           "sequence": st.integers(-1, 2**31),
                                           "translated": st.sampled_from(WORDS)})
    route = st.fixed_dictionaries({"id": st.sampled_from(["r", "s"])},
                                  optional={"network": st.sampled_from(WORDS),
                                            "next_hops": st.lists(st.fixed_dictionaries(
                                                {"ip": st.sampled_from(WORDS)},
                                                optional={"admin_distance": SCALARS}),
                                                max_size=2)})
    return st.fixed_dictionaries(
        {"id": st.sampled_from(["vcf-t0", "t1", "x y", ""])},
        optional={"existing": SCALARS, "ha_mode": st.sampled_from(WORDS),
                  "nat_rules": st.lists(rule, max_size=3),
                  "static_routes": st.lists(route, max_size=3) | SCALARS,
                  "route_advertisement": st.lists(st.sampled_from(WORDS), max_size=3),
                  "tags": st.dictionaries(st.sampled_from(WORDS), SCALARS, max_size=2),
                  "unknown": SCALARS})


NEARLY_VALID = st.fixed_dictionaries(
    {"version": st.sampled_from([1, 2, True, 1.0, "1"]), "owner": st.sampled_from(WORDS)},
    optional={"tier0s": st.lists(gateway(), max_size=2), "tier1s": st.lists(gateway(), max_size=2),
              "target": st.fixed_dictionaries({}, optional={"manager": st.sampled_from(WORDS),
                                                            "verify_tls": SCALARS})})


@SETTINGS
@given(NEARLY_VALID)
def test_agrees_on_nearly_valid_configurations(value: dict[str, Any]) -> None:
    agree(fragment_schema(), value)


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
def test_agrees_on_language_shaped_structures(value: dict[str, Any]) -> None:
    agree(fragment_schema(), value)


@pytest.mark.parametrize("schema, value, valid", [
    ({"enum": [1, "a"]}, True, False),            # true is not 1 in JSON Schema
    ({"const": False}, 0, False),
    ({"type": "integer"}, 1.0, True),             # 1.0 is an integer
    ({"type": "integer"}, True, False),
    ({"type": "number", "minimum": 0}, True, False),
    ({"uniqueItems": True}, [1, True], True),
    ({"uniqueItems": True}, [1, 1.0], False),
    ({"uniqueItems": True}, [{"a": [1]}, {"a": [1]}], False),
    ({"oneOf": [{"type": "string"}, {"pattern": "^a"}]}, "abc", False),
    ({"not": {"type": "null"}}, None, False),
    ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}}, "a", False),
    ({"if": {"type": "string"}, "then": {"minLength": 2}, "else": {"type": "integer"}}, 3, True),
    ({"if": {"properties": {"action": {"const": "no-op"}}}, "else": {"required": ["after"]}},
     {"action": "create"}, False),
    ({"propertyNames": {"pattern": "^x"}}, {"y": 1}, False),
    ({"patternProperties": {"^x-": {"type": "string"}}, "additionalProperties": False},
     {"x-a": "s"}, True),
    # three and four keywords on one value: each one can say no
    ({"type": "string", "minLength": 2, "maxLength": 3}, "abcd", False),
    ({"type": "string", "minLength": 2, "maxLength": 3}, "abc", True),
    ({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"}, "bc", False),
    ({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"}, 7, False),
    ({"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a"}, "ab", True),
    ({"type": "object", "required": ["a", "b"], "maxProperties": 2}, {"a": 1}, False),
    ({"type": "object", "required": ["a", "b"], "maxProperties": 2}, {"a": 1, "b": 2}, True),
    ({"type": "array", "minItems": 1, "items": {"type": "integer"}}, [1, "x"], False),
    ({"type": "array", "minItems": 1, "items": {"type": "integer"}}, [], False),
    ({"type": "array", "minItems": 1, "items": {"type": "integer"}}, [1, 2], True),
])
def test_keyword_semantics(schema: dict[str, Any], value: Any, valid: bool) -> None:
    fast = compile_schema(schema)
    assert fast is not None and fast(value) is valid
    agree(schema, value)


def test_unknown_keywords_are_left_to_jsonschema() -> None:
    assert compile_schema({"contains": {"type": "string"}}) is None
    assert compile_schema({"$ref": "https://example.com/other.json"}) is None


def test_recursive_reference() -> None:
    schema = {"$defs": {"tree": {"type": "object", "properties": {
        "kids": {"type": "array", "items": {"$ref": "#/$defs/tree"}}}}}, "$ref": "#/$defs/tree"}
    agree(schema, {"kids": [{"kids": []}, {"kids": [{"kids": 1}]}]})
    agree(schema, {"kids": [{"kids": []}]})


def test_the_shipped_schemas_compile() -> None:
    # Falling back to jsonschema is safe but slow: the shipped schemas must stay in scope.
    assert compile_schema(fragment_schema()) is not None
    assert compile_schema(load_schema("plan.schema.json")) is not None
