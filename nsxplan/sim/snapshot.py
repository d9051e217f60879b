"""Snapshots: the simulator's state in the Hierarchical API format (what ``GET /infra`` returns).

Loading is lenient about content (a snapshot of production must load even where it holds values
the simulator would refuse in a write) but strict about structure (nesting, ids). Server fields a
hand-written snapshot lacks are filled in; those present (``_protection``, ``_create_user``,
``_revision``...) are kept.
"""

from __future__ import annotations

import gc
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nsxplan.sim import routing
from nsxplan.sim.apierror import ApiError
from nsxplan.sim.hierarchical import cached_text, steps, tree_text
from nsxplan.sim.kinds import INFRA, KINDS, NAT_SECTIONS, Kind, child_path
from nsxplan.sim.store import Obj, Store
from nsxplan.sim.writes import SERVER_FIELDS, now_ms, server_fields, with_defaults

_FORCED = ("resource_type", "id", "path", "parent_path", "relative_path")


class SnapshotError(ValueError):
    """A snapshot that cannot be loaded; the message names the offending object."""


def _stored(kind: Kind, path: str, parent_path: str, obj_id: str, given: Obj, stamp: int) -> Obj:
    # NAT sections are made by the system with their gateway; anything else by an administrator.
    default_user = "system" if kind.fixed_ids is not None else "admin"
    obj = server_fields(
        kind, path, parent_path, obj_id, given.get("_create_user", default_user), stamp
    )
    obj["_last_modified_user"] = given.get("_last_modified_user", obj["_create_user"])
    for key, value in given.items():
        if key != "children" and key not in _FORCED and value is not None:
            obj[key] = value
    if "unique_id" in given and "realization_id" not in given:
        obj["realization_id"] = given["unique_id"]
    obj["marked_for_delete"] = False
    if kind.variants is not None and given.get("resource_type") in kind.variants:
        obj["resource_type"] = given["resource_type"]
    # A password in a hand-written snapshot is never served back (NSX never returns one).
    routing.take_password(obj)
    return with_defaults(kind, obj)


def infra_object(given: Obj | None = None, stamp: int | None = None) -> Obj:
    stamp = now_ms() if stamp is None else stamp
    obj = server_fields(INFRA, "/infra", "", "infra", "system", stamp)
    del obj["parent_path"]
    for key, value in (given or {}).items():
        if key != "children" and key not in _FORCED and key in SERVER_FIELDS:
            obj[key] = value
    obj.setdefault("display_name", "infra")
    return obj


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many containers (none of them cyclic garbage): its
    repeated full passes over a growing heap cost a third of loading a large snapshot."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load(state: dict[str, Any] | None) -> Store:
    """Build a store from an H-API snapshot (None = empty infra). Raises SnapshotError."""
    with gc_paused():
        return _load(state)


def _load(state: dict[str, Any] | None) -> Store:
    stamp = now_ms()
    state = state or {"resource_type": "Infra", "children": []}
    store = Store(infra_object(state, stamp))
    try:
        for step in steps(state):
            target = step.target
            if step.delete:
                continue
            if target.parent_path not in store.nodes:
                raise SnapshotError(f"{target.path}: its parent {target.parent_path} is missing")
            if step.obj is None:
                if target.path not in store.nodes:
                    raise SnapshotError(f"{target.path}: referenced but not defined")
                continue
            obj = _stored(
                target.kind, target.path, target.parent_path, target.obj_id or "", step.obj, stamp
            )
            store.put(target.path, target.parent_path, target.kind, obj)
    except ApiError as exc:
        raise SnapshotError(exc.message) from None
    _add_nat_sections(store, stamp)
    # Encode every object now, while the GC is paused, so that the first full read of a large
    # state is as fast as the next ones (hierarchical.cached_text caches until the next write).
    for node in store.nodes.values():
        cached_text(node)
    return store


def _add_nat_sections(store: Store, stamp: int) -> None:
    gateways = [(p, n.kind) for p, n in store.nodes.items() if n.kind.key in ("Tier0", "Tier1")]
    for gw_path, gw_kind in gateways:
        kind = KINDS[f"{gw_kind.key}/PolicyNat"]
        for section in sorted(NAT_SECTIONS):
            path = child_path(gw_path, kind, section)
            if path not in store.nodes:
                obj = _stored(kind, path, gw_path, section, {}, stamp)
                obj["nat_type"] = section
                store.put(path, gw_path, kind, obj)


def dump_text(store: Store) -> str:
    """The whole tree as snapshot text, one object wrapper per line (diffable, fast to write)."""
    return tree_text(store, "/infra", lambda rt: True, sep=",\n")


def read_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as fh, gc_paused():
            data = json.load(fh)
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise SnapshotError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: a snapshot is a JSON object with resource_type Infra")
    return data


def write_file(path: str | os.PathLike[str], text: str) -> None:
    """Write atomically: a crash leaves either the old file or the new one, never half of one."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
