"""Runtime views of a Tier-0, computed from the simulator's own configuration: the BGP neighbor
status and the routing table NSX reports after apply.

    GET /infra/tier-0s/T0/locale-services/LS/bgp/neighbors/status  (BgpNeighborsStatusListResult)
    GET /infra/tier-0s/T0/routing-table                            (RoutingTableListResult)

The simulator plays the upstream router: a neighbor that NSX could reach answers. So a session
is ESTABLISHED when BGP is enabled with a local AS and the neighbor is on a subnet of one of the
Tier-0's interfaces (or the session is sourced from the Tier-0's own addresses, multihop);
IDLE when BGP is off, ACTIVE when the neighbor cannot be reached. An established neighbor
announces a default route (what a ToR gives an edge in the labs). The routing table holds the
interfaces' subnets (t0c), static routes whose next hop is connected (t0s), BGP routes (b), and
what the attached Tier-1s advertise: their segments (t1c, TIER1_CONNECTED) and SNAT addresses
(t1n, TIER1_NAT). Documented choice: NSX computes these from its data plane; nothing here
pretends to know more than the configuration says.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nsxplan.sim.store import Node, Obj, Store

ESTABLISHED, IDLE, ACTIVE = "ESTABLISHED", "IDLE", "ACTIVE"


def _iface_addresses(obj: Obj) -> list[ipaddress.IPv4Interface | ipaddress.IPv6Interface]:
    out = []
    for sub in obj.get("subnets") or ():
        for ip in sub.get("ip_addresses") or ():
            try:
                out.append(ipaddress.ip_interface(f"{ip}/{sub.get('prefix_len')}"))
            except ValueError:
                continue
    return out


def _children(store: Store, path: str, resource_type: str) -> list[Node]:
    node = store.get(path)
    if node is None:
        return []
    return [store.nodes[c] for c in node.children
            if store.nodes[c].kind.resource_type == resource_type]


def _interfaces(store: Store, t0_path: str) -> list[Obj]:
    return [i.obj for ls in _children(store, t0_path, "LocaleServices")
            for i in _children(store, ls.obj["path"], "Tier0Interface")]


def _state(bgp: Obj | None, neighbor: Obj, interfaces: list[Obj]) -> tuple[str, str | None]:
    if bgp is None or bgp.get("enabled") is False or not bgp.get("local_as_num"):
        return IDLE, None
    addresses = [a for i in interfaces for a in _iface_addresses(i)]
    sources = neighbor.get("source_addresses") or []
    if sources:
        own = {str(a.ip) for a in addresses}
        if all(s in own for s in sources):
            return ESTABLISHED, str(sources[0])
        return ACTIVE, None
    peer = ipaddress.ip_address(neighbor["neighbor_address"])
    for a in addresses:
        if peer in a.network:
            return ESTABLISHED, str(a.ip)
    return ACTIVE, None


def neighbors_status(store: Store, ls_path: str) -> dict[str, Any]:
    t0_path = ls_path.split("/locale-services/")[0]
    bgp_node = store.get(f"{ls_path}/bgp")
    bgp = bgp_node.obj if bgp_node is not None else None
    interfaces = _interfaces(store, t0_path)
    results = []
    for nb in _children(store, f"{ls_path}/bgp", "BgpNeighborConfig"):
        state, source = _state(bgp, nb.obj, interfaces)
        entry: dict[str, Any] = {
            "neighbor_address": nb.obj["neighbor_address"],
            "remote_as_number": str(nb.obj.get("remote_as_num", "")),
            "connection_state": state,
            "hold_time": int(nb.obj.get("hold_down_time", 180)) * 1000,
            "keep_alive_interval": int(nb.obj.get("keep_alive_time", 60)) * 1000,
            "type": "USER",  # a configured neighbor (INTER_SR sessions are not modelled)
        }
        if source is not None:
            entry["source_address"] = source
        results.append(entry)
    # A PolicyBgpNeighborsStatusListResult: a plain list result (no logical_router_name, which
    # only the manager API's BgpNeighborsStatusListResult has).
    return {"results": results, "result_count": len(results)}


def routing_table(store: Store, t0_path: str) -> dict[str, Any]:
    entries: list[dict[str, Any]] = []
    interfaces = _interfaces(store, t0_path)
    via: dict[Any, str] = {}  # connected network -> the interface (policy path) it is on
    for i in interfaces:
        for a in _iface_addresses(i):
            via.setdefault(a.network, str(i["path"]))
    connected = list(via)
    for net, iface in via.items():
        entries.append({"network": str(net), "next_hop": "", "route_type": "t0c",
                        "admin_distance": 0, "interface": iface})
    for route in _children(store, t0_path, "StaticRoutes"):
        for hop in route.obj.get("next_hops") or ():
            ip = hop.get("ip_address")
            try:
                reachable = any(ipaddress.ip_address(ip) in n for n in connected)
            except ValueError:
                reachable = False
            if reachable:
                entries.append({"network": route.obj["network"], "next_hop": ip,
                                "route_type": "t0s",
                                "admin_distance": int(hop.get("admin_distance", 1))})
    for ls in _children(store, t0_path, "LocaleServices"):
        bgp = store.get(f"{ls.obj['path']}/bgp")
        for nb in _children(store, f"{ls.obj['path']}/bgp", "BgpNeighborConfig"):
            state, _ = _state(bgp.obj if bgp else None, nb.obj, interfaces)
            if state == ESTABLISHED:
                entries.append({"network": "0.0.0.0/0", "next_hop": nb.obj["neighbor_address"],
                                "route_type": "b", "admin_distance": 20})
    entries.extend(_tier1_routes(store, t0_path))
    return {"results": [{"route_entries": entries, "count": len(entries)}],
            "result_count": 1}


def _tier1_routes(store: Store, t0_path: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    tier1s = [n.obj for n in store.nodes.values()
              if n.kind.resource_type == "Tier1" and n.obj.get("tier0_path") == t0_path]
    segments = [n.obj for n in store.nodes.values() if n.kind.resource_type == "Segment"]
    for t1 in sorted(tier1s, key=lambda o: str(o["path"])):
        adv = set(t1.get("route_advertisement_types") or ())
        if "TIER1_CONNECTED" in adv:
            for seg in segments:
                if seg.get("connectivity_path") != t1["path"]:
                    continue
                for sub in seg.get("subnets") or ():
                    try:
                        net = ipaddress.ip_interface(sub.get("gateway_address")).network
                    except ValueError:
                        continue
                    # No `interface`: NSX puts a next-hop interface's policy path there, and
                    # the router link to the Tier-1 is not a policy object.
                    out.append({"network": str(net), "next_hop": "", "route_type": "t1c",
                                "admin_distance": 3})
        if "TIER1_NAT" in adv:
            for rule in _children(store, f"{t1['path']}/nat/USER", "PolicyNatRule"):
                if rule.obj.get("action") == "SNAT" and rule.obj.get("enabled") is not False:
                    for part in str(rule.obj.get("translated_network", "")).split(","):
                        try:
                            net = ipaddress.ip_network(part.strip(), strict=False)
                        except ValueError:
                            continue
                        out.append({"network": str(net), "next_hop": "", "route_type": "t1n",
                                    "admin_distance": 3})
    return out
