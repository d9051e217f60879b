"""A yes/no JSON Schema check compiled to closures: the fast path in front of jsonschema.

Validating a 10,000-object configuration with jsonschema walks ~60,000 (instance, schema) pairs
through its generic dispatch, about half of `validate`'s time. Almost every document is valid,
and a valid document needs no wording: this module compiles a schema once into nested Python
closures that answer only "valid or not", in a few percent of that time. When the answer is
"not valid", callers run jsonschema for the located, worded errors, so messages never depend on
this module.

Generic and schema-driven (nothing here knows nsxplan's configuration), draft 2020-12 semantics
for the keywords below. A schema using any other assertion keyword is not compiled
(`compile_schema` returns None) and callers use jsonschema alone: an unknown keyword can never
make this module say "valid" where jsonschema would not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

# Keywords that assert nothing (jsonschema, without a format checker, treats `format` as an
# annotation too).
_ANNOTATIONS = frozenset({
    "$schema", "$id", "$defs", "$comment", "title", "description", "default", "examples",
    "format", "deprecated", "readOnly", "writeOnly",
})
_SUPPORTED = frozenset({
    "type", "properties", "additionalProperties", "patternProperties", "propertyNames",
    "required", "enum", "const", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "minItems", "maxItems", "minProperties", "maxProperties", "uniqueItems", "items", "anyOf",
    "oneOf", "allOf", "not", "if", "then", "else", "$ref",
})


class Unsupported(Exception):
    """The schema uses something this compiler does not implement exactly."""


def compile_schema(schema: Mapping[str, Any] | bool) -> Check | None:
    """A function telling whether an instance is valid, or None if the schema is out of scope."""
    defs = schema.get("$defs", {}) if isinstance(schema, Mapping) else {}
    try:
        return _Compiler(defs).compile(schema)
    except Unsupported:
        return None


def _is_type(value: Any, name: str) -> bool:
    # JSON Schema's types over JSON-like Python values: a bool is not a number, 1.0 is an integer.
    if name == "string":
        return isinstance(value, str)
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if isinstance(value, bool):
        return False
    if name == "integer":
        return isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if name == "number":
        return isinstance(value, (int, float))
    raise Unsupported(f"type {name}")


def _key(value: Any) -> Any:
    """A hashable form in which two values are equal exactly when JSON Schema says they are
    (true is not 1; 1 is 1.0; mappings compare without order)."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("num", value)
    if isinstance(value, str):
        return ("str", value)
    if value is None:
        return ("null",)
    if isinstance(value, list):
        return ("list", tuple(_key(v) for v in value))
    if isinstance(value, dict):
        return ("dict", frozenset((k, _key(v)) for k, v in value.items()))
    return ("other", id(value))


class _Compiler:
    def __init__(self, defs: Mapping[str, Any]) -> None:
        self.defs = defs
        self.refs: dict[str, Check | None] = {}

    def compile(self, schema: Mapping[str, Any] | bool) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, Mapping):
            raise Unsupported("schema is not an object")
        unknown = [k for k in schema if k not in _SUPPORTED and k not in _ANNOTATIONS
                   and not k.startswith("x-")]
        if unknown:
            raise Unsupported(", ".join(unknown))
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self.ref(schema["$ref"]))
        if "type" in schema:
            checks.append(_type_check(schema["type"]))
        if "enum" in schema:
            checks.append(_enum_check(schema["enum"]))
        if "const" in schema:
            checks.append(_enum_check([schema["const"]]))
        checks.extend(_string_checks(schema))
        checks.extend(_number_checks(schema))
        checks.extend(self.array_checks(schema))
        checks.extend(self.object_checks(schema))
        if "anyOf" in schema:
            options = [self.compile(s) for s in schema["anyOf"]]
            checks.append(lambda v: any(o(v) for o in options))
        if "oneOf" in schema:
            alternatives = [self.compile(s) for s in schema["oneOf"]]
            checks.append(lambda v: sum(1 for o in alternatives if o(v)) == 1)
        if "allOf" in schema:
            checks.extend(self.compile(s) for s in schema["allOf"])
        if "if" in schema:
            condition = self.compile(schema["if"])
            then = self.compile(schema.get("then", True))
            otherwise = self.compile(schema.get("else", True))
            checks.append(lambda v: then(v) if condition(v) else otherwise(v))
        if "not" in schema:
            negated = self.compile(schema["not"])
            checks.append(lambda v: not negated(v))
        return _all(checks)

    def ref(self, ref: str) -> Check:
        if not isinstance(ref, str) or not ref.startswith("#/$defs/") or ref.count("/") != 2:
            raise Unsupported(f"$ref {ref}")
        name = ref.rsplit("/", 1)[1]
        if name not in self.defs:
            raise Unsupported(f"$ref {ref}")
        if name not in self.refs:
            self.refs[name] = None          # being compiled: a recursive use resolves late
            self.refs[name] = self.compile(self.defs[name])
        check = self.refs[name]
        if check is None:
            refs = self.refs
            return lambda v: refs[name](v)  # type: ignore[misc]
        return check

    def array_checks(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        low, high = schema.get("minItems"), schema.get("maxItems")
        if low is not None:
            out.append(lambda v: not isinstance(v, list) or len(v) >= low)
        if high is not None:
            out.append(lambda v: not isinstance(v, list) or len(v) <= high)
        if schema.get("uniqueItems") is True:
            out.append(lambda v: not isinstance(v, list) or len({_key(x) for x in v}) == len(v))
        if "items" in schema:
            if not isinstance(schema["items"], (Mapping, bool)):
                raise Unsupported("items as a list")
            item = self.compile(schema["items"])
            out.append(lambda v: not isinstance(v, list) or all(map(item, v)))
        return out

    def object_checks(self, schema: Mapping[str, Any]) -> list[Check]:
        out: list[Check] = []
        required = tuple(schema.get("required", ()))
        if required:
            out.append(lambda v: not isinstance(v, dict) or all(map(v.__contains__, required)))
        low, high = schema.get("minProperties"), schema.get("maxProperties")
        if low is not None:
            out.append(lambda v: not isinstance(v, dict) or len(v) >= low)
        if high is not None:
            out.append(lambda v: not isinstance(v, dict) or len(v) <= high)
        if "propertyNames" in schema:
            names = self.compile(schema["propertyNames"])
            out.append(lambda v: not isinstance(v, dict) or all(names(k) for k in v))
        props = {k: self.compile(s) for k, s in schema.get("properties", {}).items()}
        patterns = [(p, self.compile(s))
                    for p, s in schema.get("patternProperties", {}).items()]
        extra = schema.get("additionalProperties", True)
        other = self.compile(extra) if extra is not True else None
        if props or patterns or other is not None:
            out.append(_members(props, patterns, other))
        return out


def _members(props: dict[str, Check], patterns: list[tuple[str, Check]],
             other: Check | None) -> Check:
    def check(v: Any) -> bool:
        if not isinstance(v, dict):
            return True
        for key, value in v.items():
            known = props.get(key)
            matched = False
            if known is not None:
                if not known(value):
                    return False
                matched = True
            for pattern, sub in patterns:
                if re.search(pattern, key):
                    matched = True
                    if not sub(value):
                        return False
            if not matched and other is not None and not other(value):
                return False
        return True
    return check


def _type_check(wanted: Any) -> Check:
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    for name in names:
        _is_type(None, name)       # raises Unsupported for an unknown type name
    if names == ["string"]:
        return lambda v: isinstance(v, str)
    if names == ["object"]:
        return lambda v: isinstance(v, dict)
    if names == ["array"]:
        return lambda v: isinstance(v, list)
    return lambda v: any(_is_type(v, n) for n in names)


def _enum_check(values: Any) -> Check:
    if not isinstance(values, list):
        raise Unsupported("enum is not a list")
    if all(isinstance(x, str) for x in values):
        allowed = frozenset(values)
        return lambda v: isinstance(v, str) and v in allowed
    keys = {_key(x) for x in values}
    return lambda v: _key(v) in keys


def _string_checks(schema: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = []
    if "pattern" in schema:
        # Compiled on first use (re's own cache): a schema has dozens of patterns, most for
        # fields a given document does not use, and compiling them all costs more than
        # checking a large file.
        pattern = schema["pattern"]
        out.append(lambda v: not isinstance(v, str) or re.search(pattern, v) is not None)
    low, high = schema.get("minLength"), schema.get("maxLength")
    if low is not None:
        out.append(lambda v: not isinstance(v, str) or len(v) >= low)
    if high is not None:
        out.append(lambda v: not isinstance(v, str) or len(v) <= high)
    return out


def _number_checks(schema: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = []
    low, high = schema.get("minimum"), schema.get("maximum")

    def number(v: Any) -> bool:
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if low is not None:
        out.append(lambda v: not number(v) or v >= low)
    if high is not None:
        out.append(lambda v: not number(v) or v <= high)
    return out


def _all(checks: list[Check]) -> Check:
    # Unrolled for the usual counts: a generator per check of every value of a large file
    # costs more than the checks themselves.
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    if len(checks) == 3:
        first, second, third = checks
        return lambda v: first(v) and second(v) and third(v)

    def every(v: Any) -> bool:
        for check in checks:
            if not check(v):
                return False
        return True
    return every


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False
