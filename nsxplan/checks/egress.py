"""Egress through a Tier-0 without BGP: every address the Tier-1s behind it SNAT to must be
translated again on the Tier-0 (or routed upstream), and the Tier-0 needs a default route.
(With a BGP peer, egress_bgp.py: the addresses must be redistributed instead.)

Why: without a BGP peer nothing tells the upstream network where the Tier-1 egress addresses
(30.0.0.5, ... chosen by NCP from the egress CIDR) live, so replies never come back. On an
ACTIVE_ACTIVE Tier-0 only stateless REFLEXIVE NAT exists, so the fix is one REFLEXIVE rule per
egress address onto an address of the uplink subnet, which the edge answers for.
"""

from __future__ import annotations

from dataclasses import replace

from nsxplan.checks.egress_bgp import bgp_egress_checks
from nsxplan.checks.fixes import (
    ReflexiveAddressPool,
    default_route_yaml,
    peering_caveat,
    reflexive_rule_yaml,
)
from nsxplan.checks.topology import NatView, RouteView, Tier0View, Tier1View, Topology
from nsxplan.errors import Source
from nsxplan.nsx.addresses import IPNetwork, covers, fmt_net
from nsxplan.plan.model import Check

NAT_ID = "egress.tier0-nat"
DEFAULT_ROUTE_ID = "egress.default-route"


def egress_checks(topo: Topology, planner: ReflexiveAddressPool,
                  scope: set[str] | None = None) -> list[Check]:
    """`scope`: the Tier-0 paths to judge (None: all), so that a configuration is checked on
    what it manages or references, never on NCP's Tier-1s behind a Tier-0 it does not name."""
    if not topo.known_live:
        # NCP's SNAT rules and the Tier-0's BGP peers exist only live: nothing to decide offline
        # except a default route the config itself declares.
        return [_default_route(t0) for t0 in topo.relevant_tier0s() if _default(t0)]
    out: list[Check] = []
    with_egress: set[str] = set()
    for t0 in topo.tier0s.values():
        if scope is not None and t0.path not in scope:
            continue
        egress = topo.egress_addresses(t0.path)
        if not egress:
            continue
        with_egress.add(t0.path)
        if t0.has_bgp_peer:
            out.extend(bgp_egress_checks(topo, t0, egress))
            continue
        # The objects it judged: the Tier-1's SNAT rule and the Tier-0 rule covering it, if
        # any. A plan changing other rules of the same Tier-0 does not touch it
        # (checks/baseline.py); one that adds a covering rule changes its finding anyway.
        out.extend(replace(_nat_check(topo, planner, t0, t1, rule, net),
                           paths=_judged(t0, rule, net))
                   for t1, rule, net in egress)
    # The default route matters where this stack's dependencies or some egress leave.
    relevant = {t.path for t in topo.relevant_tier0s()} | with_egress
    out.extend(replace(_default_route(t0),
                       paths=tuple(r.path for r in t0.routes if r.path and _is_default(r)))
               for t0 in topo.tier0s.values()
               if t0.path in relevant and not t0.has_bgp_peer
               and (scope is None or t0.path in scope))
    return out


def _judged(t0: Tier0View, rule: NatView, net: IPNetwork) -> tuple[str, ...]:
    covering = t0.nat_covering(net)
    return (rule.path,) + ((covering.path,) if covering is not None else ())


def _is_default(route: RouteView) -> bool:
    return route.network is not None and route.network.prefixlen == 0


def _addresses(egress: list[tuple[Tier1View, NatView, IPNetwork]]) -> str:
    return ", ".join(dict.fromkeys(fmt_net(n) for _, _, n in egress))


def _source(t0: Tier0View) -> Source | None:
    return t0.config.source if t0.config is not None else None


def _why_no_bgp(t0: Tier0View) -> str:
    if t0.bgp_enabled:
        return f"{t0.ha_mode}, BGP enabled but no neighbor"
    return f"{t0.ha_mode}, no BGP peer"


def _nat_check(topo: Topology, planner: ReflexiveAddressPool, t0: Tier0View, t1: Tier1View,
               rule: NatView, net: IPNetwork) -> Check:
    addr = fmt_net(net)
    subject = f"egress {addr} of Tier-1 {t1.id}"
    src = "Any" if rule.source is None else ", ".join(fmt_net(n) for n in rule.source)
    origin = "" if rule.from_config else " (read live)"
    covering = t0.nat_covering(net)
    if covering is not None:
        to = ", ".join(fmt_net(n) for n in covering.maps(net) or ()) or "?"
        return Check(id=NAT_ID, status="ok", subject=subject,
                     message=f"Tier-1 {t1.id} SNAT rule {rule.id}{origin} translates {src} to "
                             f"{addr}; "
                             f"Tier-0 {t0.id} translates it to {to} ({covering.action} rule "
                             f"{covering.id})", source=covering.config_source or _source(t0))
    uplink = next((s for s in t0.uplink_subnets() if covers((s,), net)), None)
    if uplink is not None and "TIER1_NAT" in t1.route_advertisement:
        # an address of the uplink subnet needs no second translation: the Tier-0 answers ARP
        # for the NAT addresses its Tier-1s advertise
        return Check(id=NAT_ID, status="ok", subject=subject,
                     message=f"Tier-1 {t1.id} SNAT rule {rule.id}{origin} translates {src} to "
                             f"{addr}, "
                             f"inside {t0.id}'s uplink subnet {uplink} and advertised (TIER1_NAT)",
                     source=_source(t0))
    if topo.routed(net):
        return Check(id=NAT_ID, status="ok", subject=subject,
                     message=f"Tier-1 {t1.id} SNAT rule {rule.id}{origin} translates {src} to "
                             f"{addr}, "
                             f"declared routed upstream (dependencies.routed_upstream)",
                     source=_source(t0))
    fix = reflexive_rule_yaml(net, planner.translated_for(t0, net))
    return Check(
        id=NAT_ID, status="fail", subject=subject,
        message=f"Tier-1 {t1.id} SNAT rule {rule.id}{origin} translates {src} to {addr}, but "
                "Tier-0 "
        f"{t0.id} ({_why_no_bgp(t0)}) has no SNAT/REFLEXIVE rule whose source covers {addr} "
        f"and {addr} is not in dependencies.routed_upstream: the upstream network has no route "
        f"back to {addr}, so traffic from {t1.id} (e.g. image pulls) gets no replies",
        remediation=(f"add under tier0s[{t0.id}].nat_rules"
                     f"{'' if t0.config else f' (declare {t0.id} with existing: true)'}:\n"
                     f"  {fix}\n"
                     f"or, if the upstream routes {addr} to {t0.id}, list it under "
                     f"dependencies.routed_upstream{peering_caveat(t0)}"),
        source=rule.config_source or _source(t0))


def _default(t0: Tier0View) -> bool:
    return any(r.network is not None and r.network.prefixlen == 0 for r in t0.routes)


def _default_route(t0: Tier0View) -> Check:
    subject = f"Tier-0 {t0.id}"
    for r in t0.routes:
        if r.network is not None and r.network.prefixlen == 0:
            return Check(id=DEFAULT_ROUTE_ID, status="ok", subject=subject,
                         message=f"{t0.id} has default route {r.id} ({r.network_text} via "
                                 f"{', '.join(r.next_hops) or '?'})", source=_source(t0))
    return Check(
        id=DEFAULT_ROUTE_ID, status="warn", subject=subject,
        message=f"{t0.id} ({_why_no_bgp(t0)}) has no default route (0.0.0.0/0): only connected "
                f"subnets and explicit static routes are reachable",
        remediation=(f"add under tier0s[{t0.id}].static_routes:\n"
                     f"  {default_route_yaml(t0)}"),
        source=_source(t0))
