"""Refresh: read every live object nsxplan plans against in a constant number of requests.

One Hierarchical API GET of the whole policy tree (limited to the kinds in kinds.LIVE_TYPES) plus
one version GET, whatever the number of gateways, routes, rules or zones. Per-object GETs (the
Terraform provider's pattern) cost one round trip each; NSX Search lags behind writes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from sys import intern
from typing import Any, Protocol

from nsxplan.live.state import LiveState
from nsxplan.nsx.kinds import KINDS, LIVE_TYPES, child_path
from nsxplan.perf import OnThread, paused_gc


class InfraReader(Protocol):
    request_count: int

    def get_infra(self, types: Sequence[str], base_path: str | None = None) -> dict[str, Any]: ...

    def version(self) -> str: ...


def read_live(client: InfraReader, types: Sequence[str] = LIVE_TYPES, *,
              alongside: Callable[[], object] | None = None) -> LiveState:
    """Read the live policy tree in one H-API GET (+ one version GET) and flatten it.
    `alongside`: the caller's own preparation, run on the version's thread after its request,
    while this thread reads the tree (its errors are not reported: the caller redoes what
    failed)."""
    start = client.request_count

    def version_then_alongside() -> str:
        answer = client.version()
        if alongside is not None:
            try:
                alongside()
            except Exception:  # noqa: BLE001, S110 - preparation only, redone by the caller
                pass
        return answer

    # The version's round trip overlaps the tree's instead of following it (the client is
    # thread-safe; the thread is joined before this returns, so nothing runs beside what
    # follows). One thread only: two at once made the allocator keep 30 MB more at 50,000
    # objects (measured), for no time gained.
    version = OnThread(version_then_alongside, "nsxplan-version")
    try:
        # Decoding and flattening a 10,000-object tree allocates dicts that all stay alive.
        with paused_gc():
            tree = client.get_infra(list(types))
            # The decoded tree is ours alone: its objects become the flat ones in place instead
            # of being copied (half the memory of a 50,000-object refresh).
            objects = flatten_infra(tree, in_place=True)
    except BaseException:
        version.join(quiet=True)       # the tree's error is the one to report
        raise
    answer = version.join()
    return LiveState(objects=objects, nsx_version=answer or None,
                     requests=client.request_count - start)


def flatten_infra(tree: Mapping[str, Any], *,
                  in_place: bool = False) -> dict[str, dict[str, Any]]:
    """H-API tree (`Infra` with Child* wrappers) -> {path: object without children}.

    `in_place`: the tree's objects are reused (their `children` removed) rather than copied;
    only for a tree nobody else holds.

    Also accepts a bare list of objects (a flat snapshot) for tests. `path`/`parent_path` are
    filled from the tree position when the manager omits them (older managers and hand-written
    snapshots do); ChildResourceReference nodes are walked through but not recorded.
    """
    out: dict[str, dict[str, Any]] = {}
    root_path = str(tree.get("path") or "/infra")
    _walk(tree.get("children") or [], root_path, out, in_place)
    return out


# Values most objects share (types, parents, users, protection, NAT actions and matching).
_REPEATED = ("resource_type", "parent_path", "_create_user", "_last_modified_user", "_protection",
             "action", "firewall_match")
# Fields that usually hold the same value as another field of the same object (NSX sets the
# relative path to the id, the realization id to the unique id, and a new object's modified
# time to its create time): one object for both when they are equal.
_SAME_AS = (("relative_path", "id"), ("display_name", "id"), ("realization_id", "unique_id"),
            ("_last_modified_time", "_create_time"))


def _walk(children: Sequence[Any], parent_path: str, out: dict[str, dict[str, Any]],
          in_place: bool = False) -> None:
    for wrapper in children:
        if not isinstance(wrapper, Mapping):
            continue
        obj = _unwrap(wrapper)
        if obj is None:
            continue
        rt = str(obj.get("resource_type", ""))
        if rt == "ChildResourceReference" or wrapper.get("resource_type") == \
                "ChildResourceReference":
            # A reference walks into an existing node without describing it.
            ref_path = child_path(parent_path, str(obj.get("target_type", "")), str(obj["id"]))
            _walk(obj.get("children") or [], ref_path, out, in_place)
            continue
        if wrapper.get("marked_for_delete") or obj.get("marked_for_delete"):
            continue
        path = str(obj.get("path") or child_path(parent_path, rt, str(obj.get("id", ""))))
        if in_place and isinstance(obj, dict):
            flat = obj
            kids = flat.pop("children", None)
            for f in _REPEATED:
                # JSON decoding makes a new string for every value: one copy of each
                # (a few bytes per object, 15 MB for 50,000).
                v = flat.get(f)
                if type(v) is str:
                    flat[f] = intern(v)
            _share(flat)
        else:
            flat = {k: v for k, v in obj.items() if k != "children"}
            kids = obj.get("children")
        if "path" not in flat:
            flat["path"] = path
        if "parent_path" not in flat:
            flat["parent_path"] = parent_path
        if "relative_path" not in flat:
            flat["relative_path"] = str(obj.get("id", ""))
        out[path] = flat
        _walk(kids or [], path, out, in_place)


def _share(flat: dict[str, Any]) -> None:
    """One copy of the values an object repeats (equal strings and numbers are
    interchangeable): 20 MB less for a 50,000-object refresh, which the plan holds to the
    end."""
    for f, same in _SAME_AS:
        v = flat.get(f)
        if v is not None and type(v) is type(w := flat.get(same)) and v == w:
            flat[f] = w
    for t in flat.get("tags") or ():
        if type(t) is dict:
            for f in ("scope", "tag"):
                v = t.get(f)
                if type(v) is str:
                    t[f] = intern(v)


def _unwrap(wrapper: Mapping[str, Any]) -> Mapping[str, Any] | None:
    rt = str(wrapper.get("resource_type", ""))
    if rt == "ChildResourceReference":
        return wrapper
    if rt.startswith("Child"):
        inner = wrapper.get(rt[len("Child"):])
        if isinstance(inner, Mapping):
            return inner
        # Some wrappers name the inner key differently (ChildPolicyConfigResource and friends):
        # take the one mapping value that is an object with a resource_type.
        for v in wrapper.values():
            if isinstance(v, Mapping) and "resource_type" in v:
                return v
        return None
    # Not a wrapper: a plain object nested directly (hand-written snapshots).
    return wrapper if "resource_type" in wrapper else None


def live_from_objects(objects: Sequence[Mapping[str, Any]] | Mapping[str, Any],
                      nsx_version: str | None = None) -> LiveState:
    """LiveState from an H-API snapshot or a flat list of objects each carrying `path`."""
    if isinstance(objects, Mapping):
        return LiveState(objects=flatten_infra(objects), nsx_version=nsx_version)
    flat: dict[str, dict[str, Any]] = {}
    for o in objects:
        d = dict(o)
        d.pop("children", None)
        path = str(d["path"])
        k = KINDS.get(str(d.get("resource_type")))
        d.setdefault("parent_path", path.rsplit("/", 1 if k and k.singleton else 2)[0])
        flat[path] = d
    return LiveState(objects=flat, nsx_version=nsx_version)
