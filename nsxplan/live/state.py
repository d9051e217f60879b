"""The live NSX objects one refresh read, indexed by policy path.

Produced by live/read.py (bulk reads), consumed by the planner, the checks and apply's stale-plan
check. Objects are as NSX returned them, minus their `children` (the tree is flattened).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class LiveState:
    objects: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    nsx_version: str | None = None
    requests: int = 0          # how many HTTP requests the refresh took (for reports/benchmarks)

    def get(self, path: str) -> Mapping[str, Any] | None:
        return self.objects.get(path)

    def __contains__(self, path: object) -> bool:
        return path in self.objects

    def children(self, parent_path: str, resource_type: str | None = None
                 ) -> list[Mapping[str, Any]]:
        """Direct children by `parent_path`, sorted by path for determinism."""
        return [o for o in self._by_parent.get(parent_path, ())
                if resource_type is None or o.get("resource_type") == resource_type]

    @cached_property
    def _by_parent(self) -> dict[str, list[Mapping[str, Any]]]:
        # Built once: planning asks for children of every gateway, O(n) each would be O(n*g).
        index: dict[str, list[Mapping[str, Any]]] = {}
        for p in sorted(self.objects):
            index.setdefault(str(self.objects[p].get("parent_path")), []).append(self.objects[p])
        return index

    def of_type(self, resource_type: str) -> list[Mapping[str, Any]]:
        return sorted((o for o in self.objects.values() if o.get("resource_type") == resource_type),
                      key=lambda o: str(o.get("path")))

    def under(self, path_prefix: str) -> Iterator[Mapping[str, Any]]:
        """Every object whose path is `path_prefix` or below it."""
        prefix = path_prefix.rstrip("/") + "/"
        for p in sorted(self.objects):
            if p == path_prefix or p.startswith(prefix):
                yield self.objects[p]
