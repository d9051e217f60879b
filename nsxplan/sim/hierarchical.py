"""The Hierarchical API (reference §7): the ``Child*`` wrapper tree, read (GET) and written (PATCH).

The same wrapper format is the snapshot format (snapshot.py), so its parsing lives here once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from nsxplan.sim.apierror import (
    BAD_HIERARCHY,
    SYSTEM_MANAGED,
    TOO_MANY_INTENTS,
    bad_request,
    not_found,
)
from nsxplan.sim.kinds import CHILD_TYPES, INFRA, Kind, Target
from nsxplan.sim.store import Node, Obj, Store
from nsxplan.sim.writes import Transaction

MAX_INTENTS = 5000  # per call on a Local Manager (BRC method_PatchInfra)


def hierarchy_error(message: str) -> Exception:
    return bad_request(f"Invalid Dto type hierarchy: {message}", BAD_HIERARCHY)


# ---- reading ------------------------------------------------------------------------------------


def type_predicate(filter_: str | None, type_filter: str | None) -> Callable[[str], bool] | None:
    """Which resource types a GET /infra returns; None when the caller asked for no children.

    ``filter`` is documented as a java regex over ``Type-<name>`` alternatives
    (``Type-Tier0|LocaleServices``): each alternative is matched whole against the type name.
    ``type_filter`` is a semicolon list of exact names. Both given: a type must pass both.
    """
    checks: list[Callable[[str], bool]] = []
    if filter_:
        alternatives = [alt.strip().removeprefix("Type-") for alt in filter_.split("|")]
        try:
            pattern = re.compile("|".join(f"(?:{alt})" for alt in alternatives if alt))
        except re.error as exc:
            raise bad_request(f"Invalid filter {filter_!r}: {exc}") from None
        checks.append(lambda rt: pattern.fullmatch(rt) is not None)
    if type_filter:
        names = {t.strip() for t in type_filter.split(";") if t.strip()}
        checks.append(lambda rt: rt in names)
    if not checks:
        return None
    return lambda rt: all(check(rt) for check in checks)


# One encoder for all: json.dumps with options builds a new encoder per call, which shows
# when encoding 20,000 objects one by one.
_dumps = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode


def cached_text(node: Node) -> str:
    """The node's object as JSON, cached on the node until its next write.

    Serializing 20,000 objects dominates a full-tree GET; stored objects are immutable, so each
    is encoded once and later reads only join strings.
    """
    if node.text is None:
        node.text = _dumps(node.obj)
    return node.text


def _with_children(obj_text: str, kids: list[str], sep: str) -> str:
    if not kids:
        return obj_text
    return f'{obj_text[:-1]},"children":[{sep.join(kids)}]}}'


def tree_text(
    store: Store,
    base_path: str,
    include: Callable[[str], bool] | None,
    sep: str = ",",
    viewer: str | None = None,
) -> str:
    """``GET /infra`` as JSON text: the Infra object, with the subtree under ``base_path``.

    Objects whose type is not selected but that lie on the way to selected ones appear as
    ``ChildResourceReference`` (documented choice: the reply stays loadable as a PATCH body).
    Each object is visited once: O(n) for the full tree. ``sep`` joins sibling wrappers (",\n"
    gives snapshot files one object per line). ``viewer``: the caller, who sees the objects it
    created NOT_PROTECTED (``_protection`` is relative to the caller, reference §9); snapshots
    pass none and keep the stored value.
    """
    nodes = store.nodes

    def object_text(node: Node) -> str:
        obj = node.obj
        if viewer is not None and obj.get("_create_user") == viewer and obj.get(
            "_protection", "NOT_PROTECTED"
        ) != "NOT_PROTECTED":
            return _dumps({**obj, "_protection": "NOT_PROTECTED"})
        return cached_text(node)

    root = object_text(nodes["/infra"])
    if include is None and base_path == "/infra":
        return root
    pred = include or (lambda rt: True)

    def reference(node: Node, kids: list[str]) -> str:
        head = _dumps({"resource_type": "ChildResourceReference", "id": node.obj["id"],
                       "target_type": node.kind.resource_type})  # fmt: skip
        return _with_children(head, kids, sep)

    def emit(path: str) -> str | None:
        node = nodes[path]
        kids = [w for w in (emit(c) for c in node.children) if w is not None]
        rt = node.kind.resource_type
        # A polymorphic object (an IP pool subnet) is selected by its base or its own type.
        if pred(rt) or (node.kind.variants is not None and pred(node.obj["resource_type"])):
            body = _with_children(object_text(node), kids, sep)
            return (f'{{"resource_type":"{node.kind.child_wrapper}","{rt}":{body},'
                    '"marked_for_delete":false,"mark_for_override":false}')  # fmt: skip
        return reference(node, kids) if kids else None

    if base_path == "/infra":
        top = [w for w in (emit(c) for c in nodes["/infra"].children) if w is not None]
    else:
        if base_path not in nodes:
            raise not_found(base_path)
        item = emit(base_path)
        path = nodes[base_path].obj["parent_path"]
        while item is not None and path != "/infra":
            node = nodes[path]
            item = reference(node, [item])
            path = node.obj["parent_path"]
        top = [item] if item is not None else []
    return f'{root[:-1]},"children":[{sep.join(top)}]}}'


# ---- writing ------------------------------------------------------------------------------------


@dataclass
class Step:
    """One intent in an H-API body, in pre-order (parents before their children)."""

    target: Target
    obj: Obj | None  # None for a ChildResourceReference
    delete: bool = False
    walk: bool = False  # walk into an existing node without updating it (references, NAT sections)


def steps(body: Obj) -> Iterator[Step]:
    """Validate the nesting of an ``Infra`` body and yield its intents, parents first."""
    if not isinstance(body, dict) or body.get("resource_type", "Infra") != "Infra":
        raise hierarchy_error("the root must be an Infra object")
    yield from _walk(body.get("children", []), INFRA, "/infra")


def _walk(children: Any, parent: Kind, parent_path: str) -> Iterator[Step]:
    if children is None:
        return
    if not isinstance(children, list):
        raise hierarchy_error(f"children of {parent_path} must be a list")
    allowed = CHILD_TYPES.get(parent.key, {})
    for item in children:
        if not isinstance(item, dict) or not isinstance(item.get("resource_type"), str):
            raise hierarchy_error(f"a child of {parent_path} has no resource_type")
        wrapper_type = item["resource_type"]
        if wrapper_type == "ChildResourceReference":
            kind = allowed.get(item.get("target_type", ""))
            obj_id = item.get("id") or (kind.singleton_id if kind else None)
            if kind is None or not isinstance(obj_id, str):
                raise hierarchy_error(
                    f"ChildResourceReference target_type={item.get('target_type')!r} "
                    f"id={item.get('id')!r} cannot be a child of {parent.resource_type}"
                )
            target = Target(kind, parent_path, obj_id)
            yield Step(target, None, walk=True)
            yield from _walk(item.get("children", []), kind, target.path)
            continue
        kind = allowed.get(wrapper_type.removeprefix("Child"))
        obj = item.get(kind.resource_type) if kind else None
        if kind is None or not wrapper_type.startswith("Child"):
            raise hierarchy_error(f"{wrapper_type} cannot be a child of {parent.resource_type}")
        given_type = obj.get("resource_type", kind.resource_type) if isinstance(obj, dict) else None
        if not isinstance(obj, dict) or not (
            given_type == kind.resource_type or kind.accepts(str(given_type))
        ):
            raise hierarchy_error(f"{wrapper_type} must carry a {kind.resource_type} object")
        obj_id = obj.get("id") or kind.singleton_id
        if not isinstance(obj_id, str) or (kind.singleton_id and obj_id != kind.singleton_id):
            raise bad_request(
                f"{kind.resource_type} under {parent_path} needs an id"
                + (f" equal to {kind.singleton_id!r}" if kind.singleton_id else "")
            )
        target = Target(kind, parent_path, obj_id)
        delete = bool(item.get("marked_for_delete") or obj.get("marked_for_delete"))
        if kind.fixed_ids is not None:
            if obj_id not in kind.fixed_ids:
                raise bad_request(
                    f"NAT section {obj_id!r} does not exist: sections are "
                    f"{sorted(kind.fixed_ids)}.",
                    SYSTEM_MANAGED,
                )
            if delete:
                raise bad_request(
                    f"The NAT section path=[{target.path}] cannot be deleted.", SYSTEM_MANAGED
                )
            yield Step(target, obj, walk=True)
        else:
            yield Step(target, obj, delete)
            if delete:
                continue  # the subtree goes with it
        yield from _walk(obj.get("children", []), kind, target.path)


def patch_tree(txn: Transaction, body: Obj) -> None:
    """``PATCH /infra``: apply every intent of ``body`` in ``txn`` (which commits or undoes)."""
    all_steps = list(steps(body))
    if len(all_steps) > MAX_INTENTS:
        raise bad_request(
            f"Too many intents in one call: {len(all_steps)} > {MAX_INTENTS}.", TOO_MANY_INTENTS
        )
    for step in all_steps:
        if step.walk:
            txn.walk_into(step.target)
        elif step.delete:
            txn.delete(step.target.path, cascade=True)
        else:
            assert step.obj is not None
            obj = {k: v for k, v in step.obj.items() if k != "children"}
            txn.upsert(step.target, obj, replace=False)
