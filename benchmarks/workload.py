"""Generated workloads for the whole-command benchmarks: a configuration of about N objects and
the NSX state an apply of it leaves, written as files a user would have.

One Tier-0 (ACTIVE_STANDBY), then Tier-1 gateways of 250 objects each:
the gateway, its locale-services (edge cluster, so NAT has a service router), 124 static routes
and 124 DNAT rules. Addresses are distinct per object, as in a real estate, so nothing is
flattered by caches. The state is a Hierarchical API snapshot in the format `nsxplan sim serve
--state` and `nsxplan export` use; the simulator fills in the server fields (`_revision`,
`_create_user`, ...). Every object carries the `nsxplan/owner` tag, as after an apply, so a plan
of the configuration against the state has no changes (tests/test_bench_workload.py checks it).

Stdlib only: the benchmarks must not depend on how the package is laid out inside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OWNER = "bench"
T0_ID = "bench-t0"
T0_PATH = f"/infra/tier-0s/{T0_ID}"
EDGE = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
PER_GATEWAY = 250                  # objects under (and including) one Tier-1
ROUTES = (PER_GATEWAY - 2) // 2
RULES = PER_GATEWAY - 2 - ROUTES
UPLINK = "192.0.2.1"
OWNER_TAG = {"scope": "nsxplan/owner", "tag": OWNER}


@dataclass(frozen=True)
class Workload:
    directory: Path
    config: Path           # the YAML file
    state: Path            # the H-API snapshot for `sim serve --state`
    paths: Path            # one policy path per managed object (the per-object refresh reads them)
    objects: int


def gateways_for(objects: int) -> int:
    return max(1, round((objects - 1) / PER_GATEWAY))


def _route_net(g: int, r: int) -> str:
    return f"10.{g // 250}.{g % 250}.{r}/32"


def _addresses(g: int, n: int) -> tuple[str, str]:
    """(public destination, private translated) for rule n of gateway g: distinct per rule."""
    return f"100.{64 + g // 250}.{g % 250}.{n}", f"172.{16 + g // 250}.{g % 250}.{n}"


def config_text(gateways: int) -> str:
    # The Tier-0 carries no static route: a route needs an uplink interface for its next hop
    # (a failing check), and interfaces need VLAN segments the workload does not model.
    out = ["version: 1", f"owner: {OWNER}", "tier0s:", f"  - id: {T0_ID}",
           "    ha_mode: ACTIVE_STANDBY", "tier1s:"]
    for g in range(gateways):
        out += [f"  - id: gw-{g:04d}", f"    tier0: {T0_ID}", f"    edge_cluster: {EDGE}",
                "    route_advertisement: [TIER1_NAT, TIER1_CONNECTED]", "    static_routes:"]
        for r in range(ROUTES):
            out += [f"      - id: r-{r:04d}", f"        network: {_route_net(g, r)}",
                    f"        next_hops: [{{ip: {UPLINK}}}]"]
        out.append("    nat_rules:")
        for n in range(RULES):
            public, private = _addresses(g, n)
            out += [f"      - id: n-{n:04d}", "        action: DNAT",
                    f"        destination: {public}", f"        translated: {private}",
                    f"        sequence: {n + 1}"]
    return "\n".join(out) + "\n"


def _child(resource_type: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"resource_type": f"Child{resource_type}",
            resource_type: {"resource_type": resource_type, **body}}


def state(gateways: int) -> tuple[dict[str, Any], list[str]]:
    """The H-API snapshot after an apply, and the policy path of every managed object."""
    tags = [dict(OWNER_TAG)]
    paths = [T0_PATH]
    t0 = _child("Tier0", {"id": T0_ID, "display_name": T0_ID, "ha_mode": "ACTIVE_STANDBY",
                          "tags": tags})
    children = [t0]
    for g in range(gateways):
        gw_id = f"gw-{g:04d}"
        gw_path = f"/infra/tier-1s/{gw_id}"
        paths += [gw_path, f"{gw_path}/locale-services/default"]
        kids = [_child("LocaleServices", {"id": "default", "display_name": "default",
                                          "edge_cluster_path": EDGE, "tags": tags})]
        for r in range(ROUTES):
            rid = f"r-{r:04d}"
            paths.append(f"{gw_path}/static-routes/{rid}")
            kids.append(_child("StaticRoutes", {
                "id": rid, "display_name": rid, "network": _route_net(g, r), "tags": tags,
                "next_hops": [{"ip_address": UPLINK, "admin_distance": 1}]}))
        rules = []
        for n in range(RULES):
            nid = f"n-{n:04d}"
            public, private = _addresses(g, n)
            paths.append(f"{gw_path}/nat/USER/nat-rules/{nid}")
            rules.append(_child("PolicyNatRule", {
                "id": nid, "display_name": nid, "action": "DNAT", "destination_network": public,
                "translated_network": private, "sequence_number": n + 1, "tags": tags}))
        kids.append(_child("PolicyNat", {"id": "USER", "nat_type": "USER", "children": rules}))
        children.append(_child("Tier1", {
            "id": gw_id, "display_name": gw_id, "tier0_path": T0_PATH,
            "route_advertisement_types": ["TIER1_NAT", "TIER1_CONNECTED"], "tags": tags,
            "children": kids}))
    return {"resource_type": "Infra", "children": children}, paths


def write(directory: Path, objects: int, *, applied: bool = True) -> Workload:
    """Write the workload of about `objects` objects into `directory` (created). `applied`:
    the state an apply leaves; else an empty manager (an apply creates every object)."""
    gateways = gateways_for(objects)
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "nsxplan.yaml"
    config.write_text(config_text(gateways), encoding="utf-8")
    snapshot, paths = state(gateways)
    if not applied:
        snapshot = {"resource_type": "Infra", "children": []}
    state_file = directory / "state.json"
    state_file.write_text(json.dumps(snapshot), encoding="utf-8")
    paths_file = directory / "paths.txt"
    paths_file.write_text("\n".join(paths) + "\n", encoding="utf-8")
    return Workload(directory, config, state_file, paths_file, len(paths))
