"""Small builders for planner unit tests: model objects and live NSX objects, no server.

And `converge`: emulate apply against an in-process simulator (write each action's `after` body
in plan order, read live again, plan again). Independent of nsxplan.apply on purpose:
convergence must hold for the bodies the planner produces, whatever the apply engine adds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx

from nsxplan.client import NsxClient
from nsxplan.config.model import Config
from nsxplan.errors import Source
from nsxplan.live.read import live_from_objects, read_live
from nsxplan.live.state import LiveState
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Action, Plan
from nsxplan.plan.planner import make_plan

OWNER = "tanzu-egress"
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
T0 = "/infra/tier-0s/vcf-t0"
NCP_USER = "wcp-cluster-user-domain-c1006-8b1f0a2e"


def src(line: int) -> Source:
    return Source("stack.yaml", line, 5)


def config(**kw: Any) -> Config:
    kw.setdefault("version", 1)
    kw.setdefault("owner", OWNER)
    kw.setdefault("files", ("stack.yaml",))
    kw.setdefault("digest", "sha256:test")
    return Config(**kw)


def owned(owner: str = OWNER) -> list[dict[str, str]]:
    return [{"scope": "nsxplan/owner", "tag": owner}]


def obj(path: str, resource_type: str, **fields: Any) -> dict[str, Any]:
    """A live object as NSX returns it (server fields included)."""
    out: dict[str, Any] = {
        "resource_type": resource_type, "id": path.rsplit("/", 1)[1], "path": path,
        "display_name": path.rsplit("/", 1)[1], "_revision": 3, "_create_user": "admin",
        "_protection": "NOT_PROTECTED", "_system_owned": False, "marked_for_delete": False,
        "unique_id": "5b7e3c2a-0d1f-4f7e-9a41-2c0e6f4b9a10",
    }
    out.update(fields)
    return out


def tier0(t0_id: str = "vcf-t0", **fields: Any) -> dict[str, Any]:
    fields.setdefault("ha_mode", "ACTIVE_ACTIVE")
    return obj(f"/infra/tier-0s/{t0_id}", "Tier0", **fields)


def live(*objects: dict[str, Any]) -> LiveState:
    return live_from_objects(list(objects), nsx_version="3.2.3.0.0")


def plan(cfg: Config, state: LiveState, **kw: Any) -> Plan:
    return make_plan(cfg, state, target="sim", now=NOW, **kw)


def by_address(p: Plan) -> dict[str, Action]:
    return {a.address: a for a in p.actions}


def sim_client(state: dict[str, Any] | None) -> NsxClient:
    from nsxplan.sim import Simulator

    http = httpx.Client(transport=httpx.WSGITransport(app=Simulator(state)),
                        base_url="http://nsx-sim.invalid")
    return NsxClient(http, rate_limit=None)


def write_plan(client: NsxClient, plan: Plan) -> None:
    for a in plan.actions:
        if a.action in (DELETE, REPLACE):
            client.delete(a.path)
        if a.action in (CREATE, UPDATE, REPLACE):
            assert a.after is not None
            client.patch(a.path, a.after)


def plan_live(config: Config, live: LiveState) -> Plan:
    return make_plan(config, live, target="sim", now=NOW)


def converge(config: Config, state: dict[str, Any] | None) -> tuple[Plan, Plan]:
    """(first plan, plan after writing it); the second must have no changes."""
    client = sim_client(state)
    try:
        first = plan_live(config, read_live(client))
        write_plan(client, first)
        second = plan_live(config, read_live(client))
    finally:
        client.close()
    return first, second
