"""The in-memory policy tree: objects by path, ordered children, a reverse-reference index.

Stored object dicts are never mutated in place (every write stores a new dict): readers may
serialize them outside the lock, and a transaction's undo log only needs to keep references.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from nsxplan.sim.kinds import INFRA, Kind

Obj = dict[str, Any]


class Node:
    __slots__ = ("kind", "obj", "children", "written_at", "realization", "text")

    def __init__(
        self,
        kind: Kind,
        obj: Obj,
        written_at: float | None = None,
        realization: tuple[str, str] | None = None,
    ) -> None:
        self.kind = kind
        self.obj = obj
        self.children: dict[str, None] = {}  # ordered set of child paths
        # When the last write happened (clock value); None = loaded, realized from the start.
        self.written_at = written_at
        # (state, message) from a realization rule matched at write time, else None.
        self.realization = realization
        self.text: str | None = None  # cached JSON of obj (hierarchical.cached_text)

    def copy(self) -> Node:
        node = Node(self.kind, self.obj, self.written_at, self.realization)
        node.children = dict(self.children)
        return node


def ref_values(kind: Kind, obj: Obj) -> Iterator[tuple[str, str]]:
    """(field, referenced path) for every reference field of ``obj``."""
    for ref in kind.refs:
        value = obj.get(ref.field)
        if not value:
            continue
        for item in value if ref.many and isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                yield ref.field, item


class Store:
    def __init__(self, infra: Obj | None = None) -> None:
        self.nodes: dict[str, Node] = {}
        self.refs: dict[str, set[str]] = {}  # referenced path -> referrer paths
        # Deleted objects still "marked_for_delete" until realization catches up (reference §2):
        # path -> (object as listed with include_mark_for_delete_objects, kind, expiry on clock).
        self.tombstones: dict[str, tuple[Obj, Kind, float]] = {}
        # BGP neighbor path -> SHA-256 of the password last set (never the password, never
        # returned over HTTP; routing.take_password).
        self.passwords: dict[str, str] = {}
        if infra is not None:
            self.nodes["/infra"] = Node(INFRA, infra)

    def get(self, path: str) -> Node | None:
        return self.nodes.get(path)

    def put(
        self,
        path: str,
        parent_path: str,
        kind: Kind,
        obj: Obj,
        written_at: float | None = None,
        realization: tuple[str, str] | None = None,
    ) -> None:
        old = self.nodes.get(path)
        if old is None:
            node = Node(kind, obj, written_at, realization)
            self.nodes[path] = node
            self.nodes[parent_path].children[path] = None
        else:
            self._unindex(path, old)
            old.obj, old.written_at, old.realization = obj, written_at, realization
            old.text = None
        for _field, target in ref_values(kind, obj):
            self.refs.setdefault(target, set()).add(path)

    def _unindex(self, path: str, node: Node) -> None:
        for _field, target in ref_values(node.kind, node.obj):
            referrers = self.refs.get(target)
            if referrers is not None:
                referrers.discard(path)
                if not referrers:
                    del self.refs[target]

    def subtree(self, path: str) -> Iterator[str]:
        """Paths of ``path`` and all its descendants, parents before children."""
        stack = [path]
        while stack:
            cur = stack.pop()
            yield cur
            stack.extend(reversed(self.nodes[cur].children))

    def remove(self, path: str) -> list[str]:
        """Remove ``path`` and its subtree; return the removed paths (parents first)."""
        removed = list(self.subtree(path))
        parent = self.nodes[path].obj.get("parent_path")
        for cur in removed:
            self._unindex(cur, self.nodes.pop(cur))
        if parent in self.nodes:
            self.nodes[parent].children.pop(path, None)
        return removed

    def referrers(self, path: str) -> set[str]:
        return self.refs.get(path, set())

    def __len__(self) -> int:
        return len(self.nodes)
