"""DNS server dependencies: can the egress ranges' lookups reach each declared DNS server, and can
the answers come back?

Per `dependencies.dns_servers[]` entry: one `dns.route` check (does a Tier-0 route toward the
server) and, per client range, one check on the way back: `dns.egress-translation` when the
Tier-0 translates the range (the server answers an uplink address) or `dns.return-route` when it
does not (the server sees the egress range itself and must route it back through the Tier-0: the
exact prerequisite outside NSX is named).
"""

from __future__ import annotations

from nsxplan.checks.egress_bgp import advertisement_of, redistribution_fix, with_lb_vips
from nsxplan.checks.fixes import (
    ReflexiveAddressPool,
    default_route_yaml,
    peering_caveat,
    reflexive_rule_yaml,
)
from nsxplan.checks.topology import NatView, Tier0View, Topology
from nsxplan.config.model import Config, DnsServerDependency
from nsxplan.nsx.addresses import IPNetwork, as_network, covers, fmt_net, overlaps
from nsxplan.plan.model import Check

ROUTE_ID = "dns.route"
TRANSLATION_ID = "dns.egress-translation"
RETURN_ID = "dns.return-route"

# one translated unit of an egress range: (the unit, the rule translating it, what it becomes)
_Unit = tuple[IPNetwork, NatView, tuple[IPNetwork, ...]]


def dns_checks(config: Config, topo: Topology, planner: ReflexiveAddressPool) -> list[Check]:
    relevant = topo.relevant_tier0s()
    out: list[Check] = []
    for dep in config.dependencies.dns_servers:
        server = as_network(dep.address)
        if server is None:
            continue        # validate reports the bad address
        clients = [(text, net) for text in dep.clients
                   if (net := as_network(text)) is not None]
        # The Tier-0s the clients egress through are the ones that must route to the server.
        via = list({t.path: t for _, c in clients for t in _tier0s_for(c, relevant, topo)
                    }.values()) or relevant
        route = _route_check(dep, server, via, topo)
        if route is not None:
            out.append(route)
        for client_text, client in clients:
            check = _client_check(dep, server, client_text, client, relevant, topo, planner)
            if check is not None:
                out.append(check)
    return out


def _route_check(dep: DnsServerDependency, server: IPNetwork, relevant: list[Tier0View],
                 topo: Topology) -> Check | None:
    subject = f"DNS server {dep.address}"
    for t0 in relevant:
        iface = t0.connected(server)
        if iface is not None:
            subnet = next(s for _, s in iface.addresses if covers((s,), server))
            return Check(id=ROUTE_ID, status="ok", subject=subject,
                         message=f"{dep.address} is on {t0.id}'s connected subnet {subnet} "
                                 f"(interface {iface.id})", source=dep.source)
        route = t0.route_to(server)
        if route is not None:
            return Check(id=ROUTE_ID, status="ok", subject=subject,
                         message=f"{t0.id} reaches {dep.address} through static route {route.id} "
                                 f"({route.network_text} via {', '.join(route.next_hops) or '?'})",
                         source=dep.source)
        if t0.has_bgp_peer:
            return Check(id=ROUTE_ID, status="ok", subject=subject,
                         message=f"{t0.id} learns routes through BGP (neighbors "
                         f"{', '.join(t0.bgp_neighbors)}); {dep.address} is assumed among them",
                         source=dep.source)
    if not topo.known_live:
        return None     # interfaces and BGP are live-only facts
    if not relevant:
        return Check(id=ROUTE_ID, status="fail", subject=subject,
                     message=f"no Tier-0 found: nothing routes toward {dep.address}",
                     remediation="declare the Tier-0 under tier0s (existing: true if it exists)",
                     source=dep.source)
    names = ", ".join(t.id for t in relevant)
    t0 = relevant[0]
    return Check(
        id=ROUTE_ID, status="fail", subject=subject,
        message=f"no route from Tier-0 {names} toward {dep.address}: no static route covers it, it "
                "is "
                f"on no connected interface subnet, and there is no BGP peer",
        remediation=(f"add a static route on {t0.id} for {dep.address} (or a default route) "
                     f"under tier0s[{t0.id}].static_routes:\n"
                     f"  {default_route_yaml(t0)}"),
        source=dep.source)


def _tier0s_for(client: IPNetwork, relevant: list[Tier0View], topo: Topology) -> list[Tier0View]:
    """The Tier-0(s) the range egresses through: those whose Tier-1s SNAT into it or whose own
    NAT rules match it, looked for among all Tier-0s (where the egress lives is a fact, the
    relevant set only a default); fall back to the relevant Tier-0s."""
    hits = [t0 for t0 in topo.tier0s.values()
            if any(covers((client,), n) for _, _, n in topo.egress_addresses(t0.path))
            or any(r.action in ("SNAT", "REFLEXIVE") and r.source is not None
                   and overlaps(r.source, client) for r in t0.nat)]
    return hits or relevant


def _units(client: IPNetwork, t0: Tier0View, topo: Topology) -> list[IPNetwork]:
    """What must be translated for the range: the egress addresses the Tier-1s actually SNAT to
    inside it (a /24 egress range used by NCP as 30.0.0.5 and 30.0.0.16 needs just those two), or
    the whole range when no SNAT egress is known inside it."""
    inside = [n for _, _, n in topo.egress_addresses(t0.path) if covers((client,), n)]
    return list(dict.fromkeys(inside)) or [client]


def _reachable(t0: Tier0View, topo: Topology, nets: tuple[IPNetwork, ...]) -> bool:
    if not topo.known_live or (t0.has_bgp_peer and "TIER0_NAT" in t0.redistributed):
        return True     # announced through BGP; offline the uplink subnets are unknown
    uplinks = t0.uplink_subnets()
    return all(covers(uplinks, n) or topo.routed(n) for n in nets)


def _client_check(dep: DnsServerDependency, server: IPNetwork, client_text: str, client: IPNetwork,
                  relevant: list[Tier0View], topo: Topology,
                  planner: ReflexiveAddressPool) -> Check | None:
    subject = f"DNS server {dep.address}"
    tier0s = _tier0s_for(client, relevant, topo)
    if not tier0s:
        return None
    # Judge on the first Tier-0 that translates every unit; else report on the first candidate.
    best: tuple[Tier0View, list[_Unit], list[IPNetwork]] | None
    best = None
    for t0 in tier0s:
        done: list[tuple[IPNetwork, NatView, tuple[IPNetwork, ...]]] = []
        missing: list[IPNetwork] = []
        for unit in _units(client, t0, topo):
            rule = t0.nat_covering(unit, toward=server)
            mapped = rule.maps(unit) if rule is not None else None
            if rule is None or not mapped:
                missing.append(unit)
            else:
                done.append((unit, rule, mapped))
        if best is None or not missing:
            best = (t0, done, missing)
        if not missing:
            break
    assert best is not None
    t0, done, missing = best
    if not missing:
        return _translated(dep, subject, client_text, t0, topo, done)
    return _untranslated(dep, server, subject, client_text, t0, topo, planner, missing)


def _translated(dep: DnsServerDependency, subject: str, client_text: str, t0: Tier0View,
                topo: Topology, done: list[_Unit]) -> Check:
    unreachable = [(u, r, m) for u, r, m in done if not _reachable(t0, topo, m)]
    as_ = ", ".join(dict.fromkeys(fmt_net(n) for _, _, m in done for n in m))
    if not unreachable:
        rules = ", ".join(dict.fromkeys(r.id for _, r, _ in done))
        return Check(id=TRANSLATION_ID, status="ok", subject=subject,
                     message=f"lookups from {client_text} reach {dep.address} as {as_} "
                             f"(translated on {t0.id} by {rules})", source=dep.source)
    subnets = ", ".join(str(s) for s in t0.uplink_subnets()) or "none known"
    bad = "; ".join(f"{fmt_net(u)} -> {', '.join(fmt_net(n) for n in m)} (rule {r.id})"
                    for u, r, m in unreachable)
    return Check(
        id=TRANSLATION_ID, status="fail", subject=subject,
        message=f"{client_text} is translated on {t0.id} to addresses the outside cannot reach: "
                f"{bad}; "
                f"they are outside {t0.id}'s uplink subnets ({subnets}) and not in "
                f"dependencies.routed_upstream, so {dep.address}'s answers have no way back",
        remediation=(f"translate to a free address of the uplink subnet in "
                     f"tier0s[{t0.id}].nat_rules, or list the translated addresses under "
                     f"dependencies.routed_upstream if the upstream routes them to {t0.id}"),
        source=dep.source)


def _bgp_return(dep: DnsServerDependency, subject: str, client_text: str, t0: Tier0View,
                topo: Topology, missing: list[IPNetwork]) -> Check | None:
    """On a BGP Tier-0 an untranslated range comes back through the routes the Tier-0
    announces: ok when every unit is redistributed, fail naming the type when one is not;
    None when the range is none of the Tier-1s' (BGP cannot be judged for it)."""
    found = [(m, advertisement_of(topo, t0, m)) for m in missing]
    if any(a is None for _, a in found):
        return None
    gaps = [(m, route_type, why) for m, (route_type, why) in
            ((m, a) for m, a in found if a is not None) if why]
    peers = ", ".join(t0.bgp_neighbors)
    types = sorted({a[0] for _, a in found if a is not None})
    if not gaps:
        return Check(id=RETURN_ID, status="ok", subject=subject,
                     message=f"{client_text} is announced by {t0.id} to its BGP neighbors "
                             f"({peers}) "
                     f"as {', '.join(types)} routes: {dep.address}'s network routes the answers "
                     "back through them", source=dep.source, paths=(t0.path,))
    why = "; ".join(dict.fromkeys(w for _, _, ws in gaps for w in ws))
    needed = {route_type for _, route_type, ws in gaps
              if any(w.startswith(t0.id) for w in ws)}
    fix = (redistribution_fix(t0, with_lb_vips(topo, t0, needed)) if needed else
           "advertise it on the Tier-1 (route_advertisement)")
    return Check(
        id=RETURN_ID, status="fail", subject=subject,
        message=f"{client_text} leaves {t0.id} untranslated and is not announced through BGP "
                f"({why}), "
                f"so {dep.address} has no route back to it",
        remediation=fix, source=dep.source, paths=(t0.path,))


def _untranslated(dep: DnsServerDependency, server: IPNetwork, subject: str, client_text: str,
                  t0: Tier0View, topo: Topology, planner: ReflexiveAddressPool,
                  missing: list[IPNetwork]) -> Check | None:
    if all(topo.routed(m) for m in missing):
        what = ", ".join(fmt_net(m) for m in missing)
        what = what if what == client_text else f"{what} (of {client_text})"
        return Check(id=RETURN_ID, status="ok", subject=subject,
                     message=f"{what} is declared routed upstream (dependencies.routed_upstream): "
                             f"{dep.address} answers it directly", source=dep.source)
    if dep.return_route:
        return Check(id=RETURN_ID, status="ok", subject=subject,
                     message=f"{dep.address} sees lookups from {client_text} untranslated and "
                             "routes them "
                             f"back (return_route: true)", source=dep.source)
    if not topo.known_live:
        return None     # a live Tier-0 rule may translate the range: only a refresh can tell
    missing = [m for m in missing if not topo.routed(m)]
    if t0.has_bgp_peer:
        judged = _bgp_return(dep, subject, client_text, t0, topo, missing)
        if judged is not None:
            return judged
    uplink = t0.uplink_toward(server)
    via = str(uplink) if uplink is not None else f"<an uplink of {t0.id}>"
    fixes = "\n".join(f"  {reflexive_rule_yaml(m, planner.translated_for(t0, m))}"
                      for m in missing) + peering_caveat(t0)
    missing_text = ", ".join(fmt_net(m) for m in missing)
    # With a BGP peer the range is normally advertised upstream, so the server's router may
    # well know it: still name the prerequisite, but as a warning the user confirms.
    bgp = (f"{t0.id} advertises through BGP to {', '.join(t0.bgp_neighbors)}: if the server's "
           f"network learns {client_text} from it, declare return_route: true. "
           if t0.has_bgp_peer else "")
    return Check(
        id=RETURN_ID, status="warn" if t0.has_bgp_peer else "fail", subject=subject,
        message=f"DNS server {dep.address} needs a route to {client_text} via {via}",
        remediation=(
            f"{bgp}{client_text} leaves {t0.id} untranslated ({missing_text} not covered by any "
            f"Tier-0 SNAT/REFLEXIVE rule), so {dep.address} sees it as the source. Either add "
            f"that route on the DNS server (or its router) and declare return_route: true for "
            f"{dep.address} under dependencies.dns_servers, or translate on {t0.id} with "
            f"REFLEXIVE rules under tier0s[{t0.id}].nat_rules:\n{fixes}"),
        source=dep.source)
