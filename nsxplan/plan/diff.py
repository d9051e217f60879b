"""Field-level diff of two canonical bodies (deepdiff behind one small function)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from nsxplan.plan.model import FieldDiff
from nsxplan.plan.normalize import canonical, project


def field_diff(before: Mapping[str, Any], after: Mapping[str, Any],
               whole: Collection[str] = ("tags",)) -> tuple[FieldDiff, ...]:
    """Changed fields between two dicts, dotted names (`next_hops[0].ip_address`), sorted.

    Lists of scalars (tags, advertisement types, zone paths) are reported as one field, whole
    value before and after: `route_advertisement_types[2]` added says less than the two lists.
    So are the fields in `whole` (set-like lists of objects, such as tags).
    A key that is None, [] or "" on one side and missing on the other is not a change.
    """
    if before == after:
        return ()
    b = _drop_none(before)
    a = _drop_none(after)
    found: dict[str, FieldDiff] = {}
    for key in sorted(set(b) | set(a)):
        vb, va = b.get(key), a.get(key)
        if vb == va:
            continue
        if vb is None or va is None or type(vb) is not type(va) or key in whole:
            found[key] = FieldDiff(key, vb, va)
            continue
        # deepdiff reports nested changes with a path; rooted at the field so that a field
        # appearing or vanishing is one change, not one per nested key.
        from deepdiff import DeepDiff  # imported on the first nested change: ~90 ms

        for items in DeepDiff(vb, va, view="tree").values():
            for item in items:
                keys = _truncate_scalar_lists(b, a, [key, *item.path(output_format="list")])
                name = _dotted(keys)
                found.setdefault(name, FieldDiff(name, _get(b, keys), _get(a, keys)))
    return tuple(found[k] for k in sorted(found))


def object_diff(resource_type: str, live: Mapping[str, Any] | None,
                desired: Mapping[str, Any]) -> tuple[FieldDiff, ...]:
    """What an update would change: desired body vs the live object seen through its keys."""
    after = canonical(resource_type, desired)
    before = canonical(resource_type, project(live or {}, desired.keys()))
    return field_diff(before, after)


def _drop_none(d: Mapping[str, Any]) -> dict[str, Any]:
    # An empty list or string and an absent field mean the same to NSX (no tags, no
    # conditional zones, no description): a manager that omits them must not show a diff
    # after every apply.
    return {k: v for k, v in d.items() if v is not None and v != [] and v != ""}


def _truncate_scalar_lists(b: Any, a: Any, keys: list[Any]) -> list[Any]:
    for i, key in enumerate(keys):
        if isinstance(key, int):
            container_b = _get(b, keys[:i])
            container_a = _get(a, keys[:i])
            if not (_is_dict_list(container_b) and _is_dict_list(container_a)):
                return keys[:i]
    return keys


def _is_dict_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def _get(root: Any, keys: list[Any]) -> Any:
    cur = root
    for k in keys:
        try:
            cur = cur[k]
        except (KeyError, IndexError, TypeError):
            return None
    return cur


def _dotted(keys: list[Any]) -> str:
    out = ""
    for k in keys:
        out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else str(k))
    return out
