"""Tier-0 routing sanity: static routes need a connected next hop, and stateless NAT must never
take the address a BGP session runs on.

- `routing.next-hops`: a Tier-0 forwards a static route only to a next hop on one of its
  interface subnets. A Tier-0 this configuration declares that has static routes and no
  interface at all can reach none of them (fail); a next hop on no interface subnet of one that
  has interfaces is `route.next-hop` (checks/conflicts.py).
- `routing.nat-peering-address`: a NAT rule on a BGP Tier-0 whose translated network holds an
  address a BGP session uses (the Tier-0's interface addresses, its neighbors', HA VIPs) rewrites
  the session's own packets: the peering drops and every route with it (fail).
"""

from __future__ import annotations

from collections.abc import Collection
from ipaddress import ip_network

from nsxplan.checks.topology import Tier0View, Topology
from nsxplan.errors import Source
from nsxplan.nsx.addresses import IPAddress, IPNetwork, covers, fmt_net
from nsxplan.plan.model import Check

NEXT_HOPS_ID = "routing.next-hops"
PEERING_NAT_ID = "routing.nat-peering-address"


def routing_checks(topo: Topology, scope: Collection[str] | None) -> list[Check]:
    if not topo.known_live:
        return []       # a Tier-0's interfaces may exist only live
    out: list[Check] = []
    for t0 in topo.tier0s.values():
        if scope is not None and t0.path not in scope:
            continue
        if t0.config is not None:
            out.extend(_next_hops(t0))
        if t0.bgp_enabled or t0.neighbors:
            out.extend(_peering_nat(t0))
    return out


def _source(t0: Tier0View) -> Source | None:
    return t0.config.source if t0.config is not None else None


def _next_hops(t0: Tier0View) -> list[Check]:
    routes = [r for r in t0.routes if r.from_config and r.next_hops]
    if not routes:
        return []
    subject = f"Tier-0 {t0.id}"
    subnets = [s for i in t0.interfaces for _, s in i.addresses]
    if not subnets:
        hops = ", ".join(dict.fromkeys(h for r in routes for h in r.next_hops))
        return [Check(
            id=NEXT_HOPS_ID, status="fail", subject=subject,
            message=f"{t0.id} has static routes ({', '.join(r.id for r in routes)}) but no "
                    "interface: "
                    f"their next hops ({hops}) are unreachable, so none of them forwards anything",
            remediation=(f"add the uplink under tier0s[{t0.id}].interfaces, e.g.\n"
                         f"  - {{id: uplink-1, segment: <VLAN segment>, edge_node: 0, "
                         f"subnets: [<address>/<prefix> in the next hop's subnet]}}"),
            source=_source(t0), paths=(t0.path,))]
    # A next hop on no interface subnet of a Tier-0 that has some is `route.next-hop`
    # (checks/conflicts.py, fail), which also covers Tier-1s.
    return []


def _to(translated: tuple[IPNetwork, ...], ip: IPAddress) -> str:
    text = ", ".join(fmt_net(n) for n in translated)
    return f"{text}, " if text == str(ip) else f"{text}, which holds {ip}, "


def _peering_nat(t0: Tier0View) -> list[Check]:
    peering = t0.peering_addresses()
    out = []
    for rule in t0.nat:
        if not rule.translated or rule.action not in ("SNAT", "REFLEXIVE", "DNAT"):
            continue
        hit = sorted((ip for ip in peering if covers(rule.translated, ip_network(ip))),
                     key=lambda ip: (ip.version, int(ip)))
        if not hit:
            continue
        ip = hit[0]
        origin = "" if rule.from_config else " (read live)"
        out.append(Check(
            id=PEERING_NAT_ID, status="fail", subject=f"NAT rule {rule.id} of Tier-0 {t0.id}",
            message=f"{rule.action} rule {rule.id}{origin} translates to {_to(rule.translated, ip)}"
            f"{peering[ip]}: a stateless rule onto it rewrites the BGP session's packets too, "
            "so the peering drops and every route learnt through it",
            remediation=("translate to a free address of the uplink subnet that no session "
                         "uses, or to a range the upstream routes to "
                         f"{t0.id}; on a BGP Tier-0, redistributing TIER1_NAT usually makes "
                         "Tier-0 NAT unnecessary"),
            source=rule.config_source or _source(t0), paths=(rule.path,)))
    return out
