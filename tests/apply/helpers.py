"""Builders for apply tests: hand-made plans on the demo state, a socket simulator with faults,
and the simulator's managed content (server bookkeeping stripped) for exact before/after checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from nsxplan.client import NsxClient
from nsxplan.client.ratelimit import RetryPolicy
from nsxplan.nsx.objects import SERVER_FIELDS
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Action, Plan
from tests.sim.helpers import client_for, sim_server

OWNER = "apply-test"
OWNER_TAG = {"scope": "nsxplan/owner", "tag": OWNER}
T0 = "/infra/tier-0s/vcf-t0"
P = "/policy/api/v1"
FAST = {"poll_interval": 0.01, "realization_timeout": 5.0}


def fast_retry() -> RetryPolicy:
    return RetryPolicy(max_attempts=8, base=0.01, cap=0.05, max_total_wait=10.0)


@contextmanager
def nsx(state: Any = "demo", *, faults: list[dict[str, Any]] | None = None,
        rate_limit: float | None = None, **kw: Any) -> Iterator[tuple[Any, NsxClient]]:
    """(simulator, NsxClient) over a real 127.0.0.1 socket; stopped on exit. `sim=` serves an
    existing simulator (e.g. again, with faults: they are fixed when a server starts)."""
    with sim_server(state, faults=faults, **kw) as (sim, server):
        http = client_for(server)
        client = NsxClient(http, rate_limit=rate_limit, retry=fast_retry(), label="test-sim")
        try:
            yield sim, client
        finally:
            client.close()


def managed(snapshot: dict[str, Any]) -> dict[str, Any]:
    """An H-API snapshot as {path-ish key: object minus server fields}, children flattened, so
    that two snapshots compare equal exactly when their managed content is the same."""
    out: dict[str, Any] = {}

    def walk(children: Sequence[dict[str, Any]], parent: str) -> None:
        for wrapper in children:
            inner = next((v for k, v in wrapper.items() if isinstance(v, dict)), None)
            if inner is None:
                continue
            key = f"{parent}/{inner.get('resource_type')}:{inner.get('id')}"
            body = {k: v for k, v in inner.items() if k not in SERVER_FIELDS}
            if isinstance(body.get("tags"), list):
                body["tags"] = sorted(body["tags"], key=lambda t: (t["scope"], t["tag"]))
            out[key] = body
            walk(inner.get("children") or [], key)

    walk(snapshot.get("children") or [], "")
    return out


def revisions(snapshot: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(children: Sequence[dict[str, Any]]) -> None:
        for wrapper in children:
            inner = next((v for k, v in wrapper.items() if isinstance(v, dict)), None)
            if inner is None:
                continue
            out[str(inner.get("path"))] = inner.get("_revision")
            walk(inner.get("children") or [])

    walk(snapshot.get("children") or [])
    return out


def route(rid: str, network: str, hop: str = "172.27.51.1", *, depends: Sequence[str] = ()
          ) -> Action:
    return Action(
        address=f"tier0s.vcf-t0.static_routes.{rid}", kind="StaticRoutes",
        path=f"{T0}/static-routes/{rid}", action=CREATE,
        after={"resource_type": "StaticRoutes", "id": rid, "network": network,
               "next_hops": [{"ip_address": hop, "admin_distance": 1}], "tags": [OWNER_TAG]},
        depends_on=tuple(depends))


def zone(zid: str, upstream: str = "10.0.0.53") -> Action:
    return Action(
        address=f"dns_zones.{zid}", kind="PolicyDnsForwarderZone",
        path=f"/infra/dns-forwarder-zones/{zid}", action=CREATE,
        after={"resource_type": "PolicyDnsForwarderZone", "id": zid,
               "upstream_servers": [upstream], "tags": [OWNER_TAG]})


def update(action_addr: str, kind: str, path: str, live: dict[str, Any],
           after: dict[str, Any]) -> Action:
    # An update of an object without this owner's tag adopts it, as the planner plans it.
    owned = {"scope": "nsxplan/owner", "tag": OWNER} in (live.get("tags") or [])
    return Action(address=action_addr, kind=kind, path=path, action=UPDATE, before=live,
                  after=after, revision=live.get("_revision"), adopt=not owned)


def t0_update(live: dict[str, Any], description: str = "managed by nsxplan") -> Action:
    return update("tier0s.vcf-t0", "Tier0", T0, live,
                  {"resource_type": "Tier0", "description": description,
                   "tags": [*live.get("tags", []), OWNER_TAG]})


def delete(address: str, kind: str, live: dict[str, Any], depends: Sequence[str] = ()
           ) -> Action:
    return Action(address=address, kind=kind, path=live["path"], action=DELETE, before=live,
                  revision=live.get("_revision"), depends_on=tuple(depends))


def replace(address: str, kind: str, live: dict[str, Any], after: dict[str, Any]) -> Action:
    return Action(address=address, kind=kind, path=live["path"], action=REPLACE, before=live,
                  after=after, revision=live.get("_revision"))


def make(actions: Sequence[Action]) -> Plan:
    return Plan(target="test-sim", owner=OWNER, config_digest="sha256:test",
                created_at="2026-11-21T00:00:00Z", nsxplan_version="test", actions=tuple(actions))


def seed(client: NsxClient, *paths_bodies: tuple[str, dict[str, Any]]) -> None:
    """Objects that exist before the plan (written as an administrator would)."""
    for path, body in paths_bodies:
        client.patch(path, body)


def mixed_plan(client: NsxClient) -> Plan:
    """A plan with every operation: update, creates (two independent branches, one chain),
    a delete and a replace, against the demo state plus two seeded owned routes."""
    seed(client,
         (f"{T0}/static-routes/old", {"resource_type": "StaticRoutes", "network": "10.9.0.0/16",
                                      "next_hops": [{"ip_address": "172.27.51.1"}],
                                      "tags": [OWNER_TAG]}),
         (f"{T0}/static-routes/swap", {"resource_type": "StaticRoutes",
                                       "network": "10.8.0.0/16",
                                       "next_hops": [{"ip_address": "172.27.51.1"}],
                                       "tags": [OWNER_TAG]}))
    t0 = client.get(T0)
    old = client.get(f"{T0}/static-routes/old")
    swap = client.get(f"{T0}/static-routes/swap")
    new_swap = {"resource_type": "StaticRoutes", "id": "swap", "network": "10.8.0.0/16",
                "next_hops": [{"ip_address": "172.27.51.2", "admin_distance": 2}],
                "tags": [OWNER_TAG]}
    return make([
        t0_update(t0),
        zone("corp"),
        route("r1", "10.1.0.0/16", depends=["tier0s.vcf-t0"]),
        route("r2", "10.2.0.0/16", depends=["tier0s.vcf-t0"]),
        delete("tier0s.vcf-t0.static_routes.old", "StaticRoutes", old),
        replace("tier0s.vcf-t0.static_routes.swap", "StaticRoutes", swap, new_swap),
    ])
