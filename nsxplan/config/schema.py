"""JSON Schema errors -> located Problems: each violation pointed at the offending YAML node,
with a message written for people and the field's description as the hint."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from nsxplan.config.loader import MDict, child_source, key_source, type_name
from nsxplan.errors import Problem, Source
from nsxplan.schemas import load_schema
from nsxplan.schemas.fastcheck import Check, compile_schema

if TYPE_CHECKING:    # jsonschema is imported only when a file has problems to word
    import jsonschema
    from jsonschema.exceptions import ValidationError

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")


@functools.cache
def _fragment_validator() -> jsonschema.Draft202012Validator:
    """The configuration schema for one file of a directory: `version`/`owner` may live in
    another file, so the top-level `required` is checked on the merged documents instead."""
    import jsonschema

    full = load_schema("nsxplan.schema.json")
    # $refs inlined: resolving them per list item is a third of the validation time of a
    # large file. The configuration schema has no recursive $ref, so inlining terminates.
    schema = _inline_refs(full, full.get("$defs", {}))
    schema.pop("required", None)
    return jsonschema.Draft202012Validator(schema)


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"].startswith("#/$defs/"):
            target = _inline_refs(defs[node["$ref"].split("/")[-1]], defs)
            return {**target, **{k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}}
        return {k: _inline_refs(v, defs) for k, v in node.items() if k != "$defs"}
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@functools.cache
def _fragment_check() -> Check | None:
    """The same schema as a yes/no check compiled to closures (schemas/fastcheck.py): about a
    tenth of jsonschema's time on a large valid file. None: jsonschema alone."""
    schema = dict(load_schema("nsxplan.schema.json"))
    schema.pop("required", None)
    return compile_schema(schema)


def schema_problems(document: MDict, default: Source) -> list[Problem]:
    """Every schema violation in one file's document, each located at the offending node."""
    fast = _fragment_check()
    if fast is not None and fast(document):
        return []       # valid: jsonschema would find nothing, and there is nothing to word
    problems: list[Problem] = []
    for error in _fragment_validator().iter_errors(document):
        problems.extend(_describe(error, document, default))
    return problems


def _node_at(root: Any, path: Iterable[Any]) -> tuple[Any, Any, Any]:
    """(parent, key, value) at a jsonschema path; parent is None at the root."""
    parent, key, value = None, None, root
    for step in path:
        parent, key = value, step
        try:
            value = value[step]
        except (KeyError, IndexError, TypeError):
            break
    return parent, key, value


def dotted(root: Any, path: Iterable[Any]) -> str:
    """`tier0s.vcf-t0.nat_rules.tkg-egress.action`: list items named by their id if they have one
    (the plan's address style), else by index."""
    parts: list[str] = []
    node = root
    for step in path:
        child = node[step] if _indexable(node, step) else None
        if isinstance(step, int):
            item_id = child.get("id") if isinstance(child, dict) else None
            named = isinstance(item_id, str) and _ID.fullmatch(item_id)
            parts.append(str(item_id) if named else f"[{step}]")
        else:
            parts.append(str(step))
        node = child
    return ".".join(parts).replace(".[", "[") or "top level"


def _indexable(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node)


def _describe(error: ValidationError, root: MDict, default: Source) -> list[Problem]:
    path = list(error.absolute_path)
    parent, key, value = _node_at(root, path)
    where = child_source(parent, key, default) if parent is not None else root.source
    name = dotted(root, path)
    validator = error.validator
    schema: Any = error.schema
    if validator == "additionalProperties" and isinstance(value, dict):
        # Imported here: only a file with an unknown key needs suggestions.
        import difflib

        allowed = sorted(schema.get("properties", {}))
        extra = [k for k in value if k not in schema.get("properties", {})]
        result = []
        for k in extra:
            close = difflib.get_close_matches(k, allowed, n=1)
            hint = f"did you mean `{close[0]}`?" if close else (
                "allowed keys: " + ", ".join(allowed) if allowed else None)
            result.append(Problem(f"{name}: unknown key `{k}`", key_source(value, k, where),
                                  hint=hint))
        return result
    if validator == "required":
        quoted = error.message.split("'")
        missing = quoted[1] if len(quoted) > 2 else str(error.validator_value)
        return [Problem(f"{name}: missing required key `{missing}`", where,
                        hint=_field_description(schema, missing))]
    if validator in ("anyOf", "oneOf") and error.context:
        return _describe_alternatives(error, root, default, name, where, value)
    message, hint = _message(validator, error.validator_value, value, schema)
    return [Problem(f"{name}: {message}", where, hint=hint)]


def _describe_alternatives(error: ValidationError, root: MDict, default: Source, name: str,
                           where: Source, value: Any) -> list[Problem]:
    # When no alternative even has the right type, say which types are accepted; otherwise the
    # alternative that got furthest explains the problem best.
    context = error.context or []
    if all(e.validator == "type" and not e.relative_path for e in context):
        wanted = " or ".join(_type_phrase(e.validator_value) for e in context)
        return [Problem(f"{name}: expected {wanted}, got {type_name(value)}", where,
                        hint=_field_description(error.schema, None))]
    from jsonschema.exceptions import best_match

    best = best_match(context)
    if best is None:  # pragma: no cover - context is non-empty here
        return [Problem(f"{name}: invalid value", where)]
    return _describe(best, root, default)


def _type_phrase(value: Any) -> str:
    names = {"object": "a mapping", "array": "a list", "string": "a string",
             "integer": "an integer", "boolean": "true or false", "number": "a number",
             "null": "null"}
    if isinstance(value, list):
        return " or ".join(names.get(v, str(v)) for v in value)
    return names.get(value, str(value))


def _field_description(schema: Any, field: str | None) -> str | None:
    if not isinstance(schema, dict):
        return None
    if field is not None:
        prop = schema.get("properties", {}).get(field, {})
        text = prop.get("description") if isinstance(prop, dict) else None
        return f"`{field}`: {text}" if text else None
    text = schema.get("description")
    return text if isinstance(text, str) else None


_BOUNDS = {
    "minItems": "needs {word} {n} item(s), has {size}",
    "maxItems": "needs {word} {n} item(s), has {size}",
    "minProperties": "needs {word} {n} entries, has {size}",
    "maxProperties": "needs {word} {n} entries, has {size}",
    "minLength": "must have {word} {n} character(s)",
    "maxLength": "must have {word} {n} character(s)",
    "minimum": "{shown} must be {word} {n}",
    "maximum": "{shown} must be {word} {n}",
}


def _message(validator: Any, expected: Any, value: Any, schema: Any) -> tuple[str, str | None]:
    hint = _field_description(schema, None)
    shown = json.dumps(value) if isinstance(value, (str, int, float, bool)) or value is None \
        else type_name(value)
    if len(shown) > 60:  # a 10 kB string would drown the message
        shown = shown[:45] + f"...\" ({len(value) if isinstance(value, str) else len(shown)} chars)"
    if validator == "type":
        return f"expected {_type_phrase(expected)}, got {type_name(value)}", hint
    if validator == "enum":
        return f"{shown} is not one of {', '.join(map(str, expected))}", hint
    if validator == "const":
        return f"must be {json.dumps(expected)}, got {shown}", hint
    if validator == "pattern":
        wanted = schema.get("x-message") if isinstance(schema, dict) else None
        if wanted:
            return f"{shown} is not {wanted}", hint
        return f"{shown} does not match the pattern {expected}", hint
    bound = _BOUNDS.get(validator)
    if bound is not None:
        word = "at least" if validator.startswith("min") else "at most"
        size = len(value) if isinstance(value, (list, dict, str)) else 0
        return bound.format(word=word, n=expected, shown=shown, size=size), hint
    if validator == "uniqueItems":
        return "items must be unique", hint
    return f"invalid value ({validator})", hint


__all__ = ["dotted", "schema_problems"]
