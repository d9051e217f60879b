"""Driving the real CLI against crafted `sim:FILE` states, and saved-plan tampering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nsxplan.sim import Simulator, demo_state
from tests.safety.states import NCP_TAGS, PI, T0, owner_tags, route, with_routes, write_state
from tests.scenarios.conftest import Result, nsxplan, write_config

OWNER = "safety"
CONFIG = f"""\
version: 1
owner: {OWNER}
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: mine
        network: 192.0.2.0/24
        next_hops: [{{ip: 10.27.51.1}}]
"""
NO_CHECKS = ("--fail-on-checks", "never")
OPEN_NCP_T1 = "/infra/tier-1s/ncp-open"
_INVENTED = frozenset({"children", "unique_id", "realization_id", "_create_time",
                       "_last_modified_time"})


def hostile_state() -> dict[str, Any]:
    """The demo state plus: an admin route (unowned), a route of another nsxplan owner, a
    system-owned route, and an NCP Tier-1 that reads NOT_PROTECTED (NSX reports protection
    relative to the caller) but is created by NCP's principal identity and tagged ncp/cluster,
    with untagged child routes (NCP does not stamp every child)."""
    state = with_routes(
        route("admin-route"),
        route("other-owned", "192.168.79.0/24", tags=owner_tags("someone-else")),
        route("sys-route", "192.168.80.0/24", _system_owned=True),
        state=demo_state())
    state["children"].append({"resource_type": "ChildTier1", "Tier1": {
        "resource_type": "Tier1", "id": "ncp-open", "_create_user": PI,
        "_protection": "NOT_PROTECTED", "tags": NCP_TAGS, "tier0_path": T0,
        "children": [route("ncp-route", "192.168.81.0/24", _create_user=PI),
                     route("ncp-route-2", "192.168.84.0/24", _create_user=PI)]}})
    return state


class Lab:
    """One crafted state file and configuration directory; every command runs the real CLI."""

    def __init__(self, tmp: Path, state: dict[str, Any] | None = None,
                 config: str = CONFIG) -> None:
        self.dir = write_config(tmp / "cfg", config)
        self.state = write_state(tmp / "state.json", state or hostile_state())
        self.manager = f"sim:{self.state}"

    def run(self, *args: str | Path) -> Result:
        return nsxplan(*args, "--manager", self.manager)

    def objects(self) -> dict[str, Any]:
        """Every object in the state by path, revisions included; only what the simulator
        invents on each load (ids, timestamps of objects a hand-written state lacks) left out."""
        out: dict[str, Any] = {}

        def walk(children: list[dict[str, Any]], parent: str) -> None:
            for wrapper in children:
                inner = next((v for v in wrapper.values() if isinstance(v, dict)), None)
                if inner is None:
                    continue
                key = str(inner.get("path") or f"{parent}/{inner.get('id')}")
                out[key] = {k: v for k, v in inner.items() if k not in _INVENTED}
                walk(inner.get("children") or [], key)

        walk(Simulator.from_file(self.state).snapshot().get("children") or [], "")
        return out

    def saved_plan(self, tmp: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
        out = tmp / "plan.json"
        res = self.run("plan", self.dir, "--out", out, *NO_CHECKS, *extra)
        assert res.code == 0, res.out + res.err
        return out, json.loads(out.read_text())

    def tampered_apply(self, tmp: Path, *actions: dict[str, Any],
                       keep_original: bool = True) -> tuple[Result, dict[str, Any]]:
        """Plan, add `actions` to the saved plan by hand, apply it; (result, state before)."""
        path, doc = self.saved_plan(tmp)
        doc["changes"] = [*(doc["changes"] if keep_original else []), *actions]
        path.write_text(json.dumps(doc))
        before = self.objects()
        return self.run("apply", path, "--auto-approve", *NO_CHECKS), before


def action(op: str, path: str, *, after: dict[str, Any] | None = None,
           before: dict[str, Any] | None = None, adopt: bool = False,
           kind: str = "StaticRoutes") -> dict[str, Any]:
    """A hand-written plan action, as someone editing a saved plan would write it."""
    rid = path.rsplit("/", 1)[-1]
    if op in ("create", "update", "replace") and after is None:
        after = {"resource_type": kind, "id": rid, "network": "198.51.100.0/24",
                 "next_hops": [{"ip_address": "10.27.51.1"}], "tags": owner_tags(OWNER)}
    if op in ("update", "delete", "replace") and before is None:
        before = {"resource_type": kind, "id": rid}
    return {"address": f"hand.{rid}", "kind": kind, "path": path, "action": op,
            "before": before, "after": after, "diff": [], "revision": None, "depends_on": [],
            "source": None, "reason": "edited by hand", "adopt": adopt}
