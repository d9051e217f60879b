"""DNS forwarder checks on the configuration's Tier-1 forwarders and zones.

Severity decisions:
- listener IP outside every segment subnet connected to the gateway and not advertised
  (TIER1_DNS_FORWARDER_IP): **warn**. NSX accepts it and workloads on the gateway's own segments
  still reach it through the gateway's router; only clients beyond the gateway lose it.
- forwarder on a gateway without an edge cluster: **fail** (the forwarder runs on the gateway's
  service router, which needs an edge cluster; it never realizes).
- conditional zones of one forwarder with the same domain, or one a subdomain of another:
  **fail** (which zone answers is ambiguous; NSX rejects or silently shadows one).
- a zone with more than 3 upstream servers: **fail** (NSX's maxItems is 3).
"""

from __future__ import annotations

import ipaddress

from nsxplan.checks.topology import Tier1View, Topology
from nsxplan.config.model import Config, DnsForwarder, DnsZone, Tier1
from nsxplan.nsx.addresses import covers
from nsxplan.plan.model import Check

LISTENER_ID = "dns-forwarder.listener"
EDGE_ID = "dns-forwarder.edge-cluster"
OVERLAP_ID = "dns-forwarder.zone-overlap"
UPSTREAM_ID = "dns-zone.upstream-servers"
MAX_UPSTREAM = 3
ADVERTISE = "TIER1_DNS_FORWARDER_IP"


def forwarder_checks(config: Config, topo: Topology) -> list[Check]:
    out: list[Check] = []
    for t1 in config.tier1s:
        fwd = t1.dns_forwarder
        if fwd is None:
            continue
        view = topo.tier1s.get(t1.path)
        if view is not None:
            out.extend(c for c in (_edge(t1, fwd, view, topo), _listener(t1, fwd, view, topo))
                       if c is not None)
        out.extend(_overlaps(t1, fwd))
    out.extend(_upstreams(config))
    return out


def _subject(t1: Tier1) -> str:
    return f"DNS forwarder on Tier-1 {t1.id}"


def _edge(t1: Tier1, fwd: DnsForwarder, view: Tier1View, topo: Topology) -> Check | None:
    if view.edge_cluster:
        return Check(id=EDGE_ID, status="ok", subject=_subject(t1),
                     message=f"{t1.id} has edge cluster {view.edge_cluster}", source=fwd.source)
    if not topo.known_live:
        return None     # the live locale-services may carry one
    return Check(id=EDGE_ID, status="fail", subject=_subject(t1),
                 message=f"{t1.id} has no edge cluster: a DNS forwarder runs on the gateway's "
                         "service "
                         f"router and never realizes without one",
                 remediation=f"set tier1s[{t1.id}].edge_cluster to an edge cluster policy path",
                 source=fwd.source)


def _listener(t1: Tier1, fwd: DnsForwarder, view: Tier1View, topo: Topology) -> Check | None:
    try:
        ip = ipaddress.ip_network(fwd.listener_ip)
    except ValueError:
        return None     # validate reports it
    for subnet in view.segment_subnets:
        if covers((subnet,), ip):
            return Check(id=LISTENER_ID, status="ok", subject=_subject(t1),
                         message=f"listener {fwd.listener_ip} is inside segment subnet {subnet} "
                                 f"connected to {t1.id}", source=fwd.source)
    if ADVERTISE in view.route_advertisement:
        return Check(id=LISTENER_ID, status="ok", subject=_subject(t1),
                     message=f"listener {fwd.listener_ip} is advertised by {t1.id} ({ADVERTISE})",
                     source=fwd.source)
    if not topo.known_live:
        return None     # segments are live-only facts
    subnets = ", ".join(str(s) for s in view.segment_subnets) or (
        "none" if topo.segments_read else "no segments in the live state read")
    return Check(
        id=LISTENER_ID, status="warn", subject=_subject(t1),
        message=f"listener {fwd.listener_ip} is not inside any segment subnet connected to {t1.id} "
                f"({subnets}) and {t1.id} does not advertise {ADVERTISE}: clients beyond {t1.id} "
                f"have no route to it",
        remediation=(f"add {ADVERTISE} to tier1s[{t1.id}].route_advertisement, or pick a "
                     f"listener_ip the network already routes to {t1.id}"),
        source=fwd.source)


def _norm(domain: str) -> str:
    return domain.strip().rstrip(".").lower()


def _nested(a: str, b: str) -> bool:
    return a == b or a.endswith("." + b) or b.endswith("." + a)


def _overlaps(t1: Tier1, fwd: DnsForwarder) -> list[Check]:
    zones: list[DnsZone] = list(dict.fromkeys(fwd.conditional_zones))
    problems: list[Check] = []
    for i, za in enumerate(zones):
        for zb in zones[i + 1:]:
            for da in za.domains:
                for db in zb.domains:
                    if not _nested(_norm(da), _norm(db)):
                        continue
                    same = _norm(da) == _norm(db)
                    what = f"both forward {da}" if same else f"overlap: {da} and {db}"
                    problems.append(Check(
                        id=OVERLAP_ID, status="fail", subject=_subject(t1),
                        message=f"conditional zones {za.id} and {zb.id} {what}: which upstream "
                                f"answers is ambiguous",
                        remediation=(f"keep each domain in one zone of {t1.id}'s forwarder "
                                     f"(remove {db} from {zb.id} or {da} from {za.id})"),
                        source=zb.source or fwd.source))
    if problems or not zones:
        return problems
    return [Check(id=OVERLAP_ID, status="ok", subject=_subject(t1),
                  message=f"conditional zones {', '.join(z.id for z in zones)} have distinct "
                          "domains",
                  source=fwd.source)]


def _upstreams(config: Config) -> list[Check]:
    zones = list(config.dns_zones)
    for t1 in config.tier1s:
        if t1.dns_forwarder is not None:
            zones += [t1.dns_forwarder.default_zone, *t1.dns_forwarder.conditional_zones]
    out = []
    for z in dict.fromkeys(zones):
        if len(z.upstream_servers) > MAX_UPSTREAM:
            out.append(Check(
                id=UPSTREAM_ID, status="fail", subject=f"DNS zone {z.id}",
                message=f"zone {z.id} lists {len(z.upstream_servers)} upstream servers; NSX "
                        "accepts at "
                        f"most {MAX_UPSTREAM}",
                remediation=f"keep at most {MAX_UPSTREAM} of "
                            f"{', '.join(z.upstream_servers)} in dns_zones[{z.id}]",
                source=z.source))
    return out
