"""Egress through a Tier-0 that peers BGP: advertised only if the routes are redistributed.

A Tier-1's SNAT egress address reaches the upstream router's table only when three things hold:
the Tier-1 advertises its NAT addresses to the Tier-0 (route_advertisement TIER1_NAT), the
Tier-0 redistributes them into BGP (a redistribution rule with TIER1_NAT), and BGP is enabled
with at least one neighbor. Missing the redistribution is the quiet failure of the BGP labs: the
session is Established, the UI shows green, and image pulls time out. The fix names the type to
add, in YAML that keeps the Tier-0's other rules (declaring `route_redistribution` replaces them).
Load balancer VIPs (TIER1_LB_VIP: the Supervisor API, LoadBalancer services) get the same
treatment as a warning: nothing here knows whether a Tier-1 has a load balancer.
"""

from __future__ import annotations

from nsxplan.checks.topology import NatView, Tier0View, Tier1View, Topology
from nsxplan.errors import Source
from nsxplan.nsx.addresses import IPNetwork, covers, fmt_net
from nsxplan.plan.model import Check

REDISTRIBUTION_ID = "egress.bgp-redistribution"
ADVERTISEMENT_ID = "egress.tier1-advertisement"
LB_VIP_ID = "egress.lb-vip-redistribution"

Egress = tuple[Tier1View, NatView, IPNetwork]


def bgp_egress_checks(topo: Topology, t0: Tier0View, egress: list[Egress]) -> list[Check]:
    """Checks for a Tier-0 with BGP enabled and at least one neighbor."""
    # Translated again on the Tier-0, or declared routed upstream: not BGP's business.
    pending = [(t1, rule, net) for t1, rule, net in egress
               if t0.nat_covering(net) is None and not topo.routed(net)]
    out: list[Check] = []
    peers = ", ".join(t0.bgp_neighbors)
    unadvertised = [(t1, rule, net) for t1, rule, net in pending
                    if "TIER1_NAT" not in t1.route_advertisement]
    advertised = [e for e in pending if e not in unadvertised]
    # One fix for everything missing: both checks show the same list to paste.
    missing = {"TIER1_NAT"} if advertised else set()
    if _lb_vip_tier1s(topo, t0):
        missing.add("TIER1_LB_VIP")
    missing -= t0.redistributed
    if advertised:
        out.append(redistribution_check(t0, "TIER1_NAT", _addresses(advertised),
                                        "SNAT egress addresses of its Tier-1s", peers,
                                        missing))
    elif egress and not pending:
        out.append(Check(id=REDISTRIBUTION_ID, status="ok", subject=f"Tier-0 {t0.id}",
                         message=f"the egress addresses of {t0.id}'s Tier-1s "
                                 f"({_addresses(egress)}) are "
                                 "translated on the Tier-0 or routed upstream", source=_source(t0),
                         paths=(t0.path,)))
    for t1 in dict.fromkeys(t1 for t1, _, _ in unadvertised):
        out.append(_advertisement_check(t0, t1, [e for e in unadvertised if e[0] is t1]))
    out.extend(_lb_vip_check(topo, t0, peers, missing))
    return out


def redistribution_check(t0: Tier0View, route_type: str, addresses: str, what: str,
                         peers: str, missing: set[str] | None = None) -> Check:
    """ok when `t0` redistributes `route_type` into BGP, else fail with the YAML to add it."""
    subject = f"Tier-0 {t0.id}"
    rules = [name for name, types in t0.redistribution if route_type in types]
    if rules:
        return Check(id=REDISTRIBUTION_ID, status="ok", subject=subject,
                     message=f"{t0.id} peers BGP with {peers} and redistributes {route_type} (rule "
                     f"{', '.join(rules)}): the {what} ({addresses}) are advertised, no Tier-0 "
                     "NAT is needed", source=_source(t0), paths=(t0.path,))
    have = "; ".join(f"{n} [{', '.join(sorted(t))}]" for n, t in t0.redistribution) or "none"
    return Check(
        id=REDISTRIBUTION_ID, status="fail", subject=subject,
        message=f"{t0.id} peers BGP with {peers} but does not redistribute {route_type} (its "
        f"redistribution rules: {have}): the {what} ({addresses}) are never announced to the "
        "upstream router, so replies to them have no route back",
        remediation=redistribution_fix(t0, {route_type, *(missing or ())}), source=_source(t0),
        paths=(t0.path,))


def redistribution_fix(t0: Tier0View, route_types: set[str]) -> str:
    """The `route_redistribution` list to write: the current rules (declaring the list replaces
    them all) with `route_types` added to the first, or one new rule."""
    rules = [(name, sorted(types)) for name, types in t0.redistribution]
    if rules:
        rules[0] = (rules[0][0], sorted({*rules[0][1], *route_types}))
    else:
        rules = [("tier1-routes", sorted(route_types))]
    lines = "\n".join(f"    - {{name: {n}, types: [{', '.join(t)}]}}" for n, t in rules)
    cfg = t0.config
    if cfg is None:
        how = (f" (declare {t0.id} under tier0s with `existing: true` and `adopt: true`: nsxplan "
               "then manages its redistribution rules and leaves the gateway itself alone)")
    elif cfg.existing and cfg.route_redistribution is None and not cfg.adopt:
        how = (" (with `adopt: true` on the Tier-0 when its locale-services was made outside "
               "nsxplan)")
    else:
        how = ""
    return (f"add {', '.join(sorted(route_types))} to the route redistribution of "
            f"tier0s[{t0.id}]{how}:\n  route_redistribution:\n{lines}")


def _advertisement_check(t0: Tier0View, t1: Tier1View, egress: list[Egress]) -> Check:
    addresses = _addresses(egress)
    if t1.config is not None and not t1.config.existing:
        fix = (f"add TIER1_NAT under tier1s[{t1.id}].route_advertisement:\n"
               f"  route_advertisement: "
               f"[{', '.join(sorted({*t1.route_advertisement, 'TIER1_NAT'}))}]")
    else:
        fix = (f"{t1.id}'s route advertisement belongs to whoever manages it (NCP for a vSphere "
               "namespace): enable NAT advertisement there, or translate the address on "
               f"{t0.id}")
    return Check(
        id=ADVERTISEMENT_ID, status="fail", subject=f"Tier-1 {t1.id}",
        message=f"Tier-1 {t1.id} SNATs to {addresses} but does not advertise TIER1_NAT to {t0.id}, "
                "so "
                f"{t0.id} has no route to announce through BGP and replies to {addresses} get lost",
        remediation=fix, source=t1.config.source if t1.config else None,
        paths=(t1.path, t0.path))


def with_lb_vips(topo: Topology, t0: Tier0View, types: set[str]) -> set[str]:
    """`types` plus TIER1_LB_VIP when Tier-1s behind `t0` advertise VIPs it does not
    redistribute: every check on one Tier-0 suggests the same list to paste."""
    if _lb_vip_tier1s(topo, t0) and "TIER1_LB_VIP" not in t0.redistributed:
        return {*types, "TIER1_LB_VIP"}
    return set(types)


def _lb_vip_tier1s(topo: Topology, t0: Tier0View) -> list[str]:
    return [t1.id for t1 in topo.tier1s_behind(t0.path)
            if "TIER1_LB_VIP" in t1.route_advertisement]


def _lb_vip_check(topo: Topology, t0: Tier0View, peers: str, missing: set[str]) -> list[Check]:
    with_vips = _lb_vip_tier1s(topo, t0)
    if not with_vips or "TIER1_LB_VIP" in t0.redistributed:
        return []
    names = ", ".join(with_vips[:5]) + (f" and {len(with_vips) - 5} more"
                                        if len(with_vips) > 5 else "")
    return [Check(
        id=LB_VIP_ID, status="warn", subject=f"Tier-0 {t0.id}",
        message=f"Tier-1s {names} advertise load balancer VIPs (TIER1_LB_VIP) but {t0.id} does not "
        f"redistribute TIER1_LB_VIP to {peers}: those VIPs (the Supervisor API, LoadBalancer "
        "services) are unreachable from outside NSX",
        remediation=redistribution_fix(t0, {"TIER1_LB_VIP", *missing}), source=_source(t0),
        paths=(t0.path,))]


def _addresses(egress: list[Egress]) -> str:
    return ", ".join(dict.fromkeys(fmt_net(n) for _, _, n in egress))


def _source(t0: Tier0View) -> Source | None:
    return t0.config.source if t0.config is not None else None


def advertisement_of(topo: Topology, t0: Tier0View, unit: IPNetwork
                     ) -> tuple[str, list[str]] | None:
    """How a range behind `t0` reaches the upstream router's table through BGP: (the route type
    that carries it, what is missing for it), or None when it is neither a Tier-1's SNAT egress
    (TIER1_NAT) nor inside a Tier-1's segments (TIER1_CONNECTED)."""
    for t1, _, net in topo.egress_addresses(t0.path):
        if covers((net,), unit) or covers((unit,), net):
            return "TIER1_NAT", _missing(t0, t1, "TIER1_NAT")
    for t1 in topo.tier1s_behind(t0.path):
        if t1.segment_subnets and covers(t1.segment_subnets, unit):
            return "TIER1_CONNECTED", _missing(t0, t1, "TIER1_CONNECTED")
    return None


def _missing(t0: Tier0View, t1: Tier1View, route_type: str) -> list[str]:
    out = []
    if route_type not in t1.route_advertisement:
        out.append(f"Tier-1 {t1.id} does not advertise {route_type}")
    if route_type not in t0.redistributed:
        out.append(f"{t0.id} does not redistribute {route_type}")
    return out
