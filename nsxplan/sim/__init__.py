"""An embedded NSX-T Policy API simulator: a WSGI app over an in-memory policy tree.

Independent of the planner (it imports nothing from the rest of nsxplan) so that a misreading
of NSX in one cannot be cancelled out by the same misreading in the other. Served in-process via
``httpx.WSGITransport(app=Simulator(...))`` or over a socket by ``nsxplan sim serve``.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any

from nsxplan.sim import snapshot as _snapshot
from nsxplan.sim.app import handle, wsgi_response
from nsxplan.sim.snapshot import SnapshotError
from nsxplan.sim.versions import DEFAULT as _DEFAULT_PROFILE
from nsxplan.sim.versions import VERSIONS, NsxVersion, for_product_version
from nsxplan.sim.writes import RealizationRule

__all__ = ["Simulator", "SnapshotError", "demo_state", "NSX_VERSIONS"]

DEFAULT_VERSION = _DEFAULT_PROFILE.product_version
NSX_VERSIONS = tuple(VERSIONS)


def demo_state() -> dict[str, Any]:
    """A fresh copy of the built-in demo snapshot (the static-routing lab)."""
    text = resources.files("nsxplan.sim").joinpath("demo.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class Simulator:
    """The NSX Policy API as a WSGI application.

    ``state`` is an H-API snapshot (``{"resource_type": "Infra", "children": [...]}``) or None
    for an empty infra. Writes realize after ``realization_delay`` seconds of ``clock``.
    ``nsx_version`` ("3.2", "4.1", "4.2") picks the manager version whose behaviours it plays;
    ``version`` overrides the product_version string it reports (alone, it picks the profile of
    its major.minor). ``healthy = False`` makes the node health endpoint answer 503.
    """

    def __init__(
        self,
        state: dict[str, Any] | None = None,
        *,
        realization_delay: float = 0.0,
        version: str | None = None,
        nsx_version: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        _owned: bool = False,
    ) -> None:
        if state is not None and not _owned:
            # The store keeps nested values of the state: copy so the caller's dict stays theirs.
            state = json.loads(json.dumps(state))
        self._store = _snapshot.load(state)
        self._lock = threading.RLock()
        self._clock = clock
        self._realization_rules: list[RealizationRule] = []
        self.realization_delay = realization_delay
        if nsx_version is not None and nsx_version not in VERSIONS:
            raise ValueError(
                f"unknown NSX version {nsx_version!r}: choose one of {', '.join(VERSIONS)}"
            )
        self.profile: NsxVersion = (
            VERSIONS[nsx_version] if nsx_version is not None
            else for_product_version(version) if version is not None
            else _DEFAULT_PROFILE
        )
        self.version = version if version is not None else self.profile.product_version
        self.healthy = True

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return wsgi_response(handle(self, environ), start_response)

    def snapshot(self) -> dict[str, Any]:
        """The whole state in H-API format; loadable by ``Simulator(state=...)``."""
        with self._lock:
            text = _snapshot.dump_text(self._store)
        data: dict[str, Any] = json.loads(text)  # shares nothing with the store
        return data

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], **kw: Any) -> Simulator:
        return cls(_snapshot.read_file(path), _owned=True, **kw)

    def save(self, path: str | os.PathLike[str]) -> None:
        with self._lock:
            text = _snapshot.dump_text(self._store)
        _snapshot.write_file(path, text)

    def add_realization_rule(
        self,
        predicate: Callable[[str], bool],
        state: str = "ERROR",
        message: str = "injected realization error",
    ) -> None:
        """Objects written from now on whose intent path matches realize to ``state``."""
        with self._lock:
            self._realization_rules.append(RealizationRule(predicate, state, message))

    def __len__(self) -> int:
        return len(self._store)
