"""The topology picture's content: which NSX objects to draw, how each relates to this
configuration, and how they connect. `render/dot.py` turns it into Graphviz dot.

Drawn: Tier-0s -> Tier-1s (by `tier0_path`) -> their NAT rules, static routes and DNS
forwarder -> its zones; the declared DNS servers and egress ranges outside NSX. Each object is
`managed` (this owner's, or planned), `existing` (a gateway the configuration builds on without
owning it: VCF's Tier-0), `ncp` (protected: NCP's principal identity or the system) or
`unmanaged` (someone else's, left alone). A plan adds its action to each object it changes and
its failing checks to the object they concern.

Inputs are plain data (the plan, live objects by path, the declared dependencies), so a saved
plan draws without NSX and this module needs nothing above the plan layer. Gateways the
configuration does not touch are drawn without their children (counted in their label), and
past MAX_FOREIGN_TIER1S such Tier-1s are folded into one node per Tier-0: a production manager
with hundreds of NCP Tier-1s still gives a picture a person can read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nsxplan.nsx.ownership import classify
from nsxplan.plan.model import DELETE, Action, Check, Plan

MAX_FOREIGN_TIER1S = 15
GATEWAY = re.compile(r"^/infra/tier-[01]s/[^/]+")
CHILD_KINDS = {"PolicyNatRule": "NAT rule", "StaticRoutes": "static route",
               "PolicyDnsForwarder": "DNS forwarder", "BgpNeighborConfig": "BGP neighbor"}
DRAWN_KINDS = {"Tier0", "Tier1", "PolicyDnsForwarderZone", *CHILD_KINDS}
# Plumbing a person does not think of as topology (drawn through its gateway's label instead).
NOT_DRAWN = {"LocaleServices", "PolicyNat", "Tier0Interface", "Tier1Interface", "Segment",
             "BgpRoutingConfig"}


@dataclass
class Node:
    id: str                      # the plan address when the plan has one, else the policy path
    kind: str                    # NSX resource_type, or DnsServer / EgressRange / Folded
    title: str
    details: list[str] = field(default_factory=list)
    ownership: str = "managed"   # managed | existing | ncp | unmanaged | outside
    action: str | None = None    # the plan's action on it (no-op included)
    checks: list[tuple[str, str]] = field(default_factory=list)   # (status, what to say)


@dataclass(frozen=True)
class Edge:
    src: str
    dst: str
    style: str = "contains"      # contains | uplink | zone | order | lookup


@dataclass
class Picture:
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)     # checks that concern no drawn object


@dataclass(frozen=True)
class DnsServer:
    address: str
    clients: tuple[str, ...] = ()


def build_picture(plan: Plan, live: Mapping[str, Mapping[str, Any]] | None = None, *,
                  dns_servers: Sequence[DnsServer] = (),
                  routed_upstream: Sequence[str] = ()) -> Picture:
    objects: dict[str, Mapping[str, Any]] = {
        p: o for p, o in (live or {}).items() if o.get("resource_type") in DRAWN_KINDS}
    actions: dict[str, Action] = {}
    for action in plan.actions:
        if action.kind in NOT_DRAWN:
            continue
        actions[action.path] = action
        objects[action.path] = action.after or action.before or {"resource_type": action.kind}
    for left in plan.unmanaged:     # a saved plan's only view of what it leaves alone
        if left.path not in objects and left.kind in DRAWN_KINDS:
            protected = any(w in left.reason for w in ("protected", "NCP", "system-owned"))
            objects[left.path] = {"resource_type": left.kind, "_create_user": left.created_by,
                                  "_protection": "PROTECTED" if protected else "NOT_PROTECTED"}
    touched = {_gateway_of(p) for p in [*actions, *(u.path for u in plan.unmanaged)]}
    touched.discard("")

    picture = Picture(f"nsxplan: owner {plan.owner} on {plan.target}")
    facts = _gateway_facts(plan, live)
    ids = _Ids(actions)
    for path in _gateways(objects, actions, touched):
        _add(picture, ids, path, objects[path], actions.get(path), plan, touched)
    for path in sorted(objects):
        parent = _gateway_of(path)
        if parent and parent != path and parent in touched and parent in ids.drawn:
            _add(picture, ids, path, objects[path], actions.get(path), plan, touched)
            picture.edges.append(Edge(ids[parent], ids[path]))
    for gateway, lines in facts.items():
        if ids[gateway] in picture.nodes:
            picture.nodes[ids[gateway]].details.extend(lines)
    _fold_foreign_tier1s(picture, ids, objects, touched)
    _zones(picture, ids, objects, actions, plan)
    _address_pools(picture, ids, plan, live)
    _uplinks(picture, ids, objects)
    _order(picture, ids, plan)
    _outside(picture, dns_servers, routed_upstream, plan.checks)
    _mark_checks(picture, ids, plan.checks)
    return picture


class _Ids:
    """Policy path -> node id (the plan address where there is one: stable in tests and in the
    text plan users already read), and which paths are drawn so far."""

    def __init__(self, actions: Mapping[str, Action]):
        self.actions = actions
        self.drawn: set[str] = set()

    def __getitem__(self, path: str) -> str:
        action = self.actions.get(path)
        return action.address if action is not None else path


def _gateway_facts(plan: Plan, live: Mapping[str, Mapping[str, Any]] | None
                   ) -> dict[str, list[str]]:
    """A gateway's uplink addresses, BGP AS and route redistribution, as the plan leaves them:
    written into its label (interfaces and routing settings are plumbing, not boxes of their
    own)."""
    kinds = ("Tier0Interface", "BgpRoutingConfig", "LocaleServices")
    merged = {p: (str(o.get("resource_type")), o) for p, o in (live or {}).items()
              if o.get("resource_type") in kinds}
    for action in plan.actions:
        if action.kind in kinds:
            if action.action == DELETE:
                merged.pop(action.path, None)
            else:
                merged[action.path] = (action.kind, action.after or action.before or {})
    facts: dict[str, list[str]] = {}
    for path in sorted(merged):
        (kind, obj), gateway = merged[path], _gateway_of(path)
        if not gateway:
            continue
        if kind == "BgpRoutingConfig":
            if obj.get("local_as_num") and obj.get("enabled") is not False:
                facts.setdefault(gateway, []).append(f"BGP AS {obj['local_as_num']}")
        elif kind == "LocaleServices":
            # What the Tier-0 announces over BGP decides whether egress addresses come back.
            config = obj.get("route_redistribution_config")
            types = sorted({str(t) for rule in (config or {}).get("redistribution_rules") or ()
                            if isinstance(rule, Mapping)
                            for t in rule.get("route_redistribution_types") or ()})
            if types:
                facts.setdefault(gateway, []).append("redistributes " + ", ".join(types))
        elif str(obj.get("type") or "EXTERNAL") == "EXTERNAL":
            for subnet in obj.get("subnets") or ():
                if not isinstance(subnet, Mapping):
                    continue
                for ip in subnet.get("ip_addresses") or ():
                    facts.setdefault(gateway, []).append(
                        f"uplink {ip}/{subnet.get('prefix_len', '?')}")
    return facts


def _gateway_of(path: str) -> str:
    """The Tier-0/Tier-1 path at the start of `path` ("" outside any gateway)."""
    m = GATEWAY.match(path)
    return m.group(0) if m else ""


def _gateways(objects: dict[str, Mapping[str, Any]], actions: Mapping[str, Action],
              touched: set[str]) -> list[str]:
    tier0s = sorted(p for p, o in objects.items() if o.get("resource_type") == "Tier0")
    tier1s = sorted(p for p, o in objects.items() if o.get("resource_type") == "Tier1")
    # Referenced but not read (a saved plan, or an `existing` Tier-0 outside the snapshot).
    for path in sorted(touched - set(objects)):
        kind = "Tier0" if "/tier-0s/" in path else "Tier1"
        objects[path] = {"resource_type": kind, "id": path.rsplit("/", 1)[-1]}
        (tier0s if kind == "Tier0" else tier1s).append(path)
    return tier0s + tier1s


def _add(picture: Picture, ids: _Ids, path: str, obj: Mapping[str, Any], action: Action | None,
         plan: Plan, touched: set[str]) -> None:
    kind = str(obj.get("resource_type") or (action.kind if action else ""))
    node = Node(id=ids[path], kind=kind, title=_title(kind, path),
                details=_details(kind, obj), action=action.action if action else None,
                ownership=_ownership(path, obj, action, plan, touched))
    if node.ownership != "ncp":     # NCP's own bookkeeping tags would only clutter its boxes
        node.details += _discovery_tags(obj)
    picture.nodes[node.id] = node
    ids.drawn.add(path)


def _ownership(path: str, obj: Mapping[str, Any], action: Action | None, plan: Plan,
               touched: set[str]) -> str:
    if action is not None and "_create_user" not in obj:
        return "managed"
    state = classify(obj, plan.owner)
    if state.state == "protected":
        return "ncp"
    if state.state == "owned" or action is not None:
        return "managed"
    if state.state == "unowned" and path in touched and GATEWAY.fullmatch(path):
        return "existing"          # the configuration builds on it (`existing: true`)
    return "unmanaged"


def _title(kind: str, path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if kind == "Tier0":
        return f"Tier-0 {name}"
    if kind == "Tier1":
        return f"Tier-1 {name}"
    if kind == "PolicyDnsForwarder":
        return "DNS forwarder"
    if kind == "PolicyDnsForwarderZone":
        return f"DNS zone {name}"
    if kind == "IpAddressBlock":
        return f"IP block {name}"
    if kind == "IpAddressPool":
        return f"IP pool {name}"
    return f"{CHILD_KINDS.get(kind, kind)} {name}"


def _details(kind: str, obj: Mapping[str, Any]) -> list[str]:
    if kind == "PolicyNatRule":
        src = obj.get("source_network") or "any"
        dst = obj.get("destination_network")
        to = obj.get("translated_network")
        text = f"{obj.get('action', '?')} {src}" + (f" to {dst}" if dst else "")
        off = [] if obj.get("enabled") is not False else ["disabled"]
        return [text + (f" → {to}" if to else ""), *off]
    if kind == "StaticRoutes":
        hops = ", ".join(str(h.get("ip_address")) for h in obj.get("next_hops") or ()
                         if isinstance(h, Mapping))
        return [f"{obj.get('network', '?')} via {hops or '?'}"]
    if kind == "PolicyDnsForwarder":
        return [f"listens on {obj.get('listener_ip', '?')}"]
    if kind == "PolicyDnsForwarderZone":
        domains = ", ".join(obj.get("dns_domain_names") or ()) or "default zone"
        return [domains, "→ " + ", ".join(obj.get("upstream_servers") or ())]
    if kind == "IpAddressBlock":
        return [str(obj["cidr"])] if obj.get("cidr") else []
    if kind == "BgpNeighborConfig":
        remote = obj.get("remote_as_num")
        return [f"{obj.get('neighbor_address', '?')}" + (f" AS {remote}" if remote else "")]
    if kind == "Tier0":
        return [str(obj["ha_mode"])] if obj.get("ha_mode") else []
    return []


def _fold_foreign_tier1s(picture: Picture, ids: _Ids, objects: Mapping[str, Mapping[str, Any]],
                         touched: set[str]) -> None:
    """Tier-1s the configuration does not touch: drawn up to MAX_FOREIGN_TIER1S, the rest folded
    per Tier-0; each with its children counted in its label instead of drawn."""
    foreign = [p for p in sorted(objects) if objects[p].get("resource_type") == "Tier1"
               and p not in touched and not ids.actions.get(p)]
    for path in foreign[MAX_FOREIGN_TIER1S:]:
        node = picture.nodes.pop(ids[path])
        t0 = str(objects[path].get("tier0_path") or "")
        fold_id = f"folded:{t0}"
        fold = picture.nodes.setdefault(fold_id, Node(id=fold_id, kind="Folded", title="",
                                                     ownership=node.ownership))
        count = int(fold.title.split()[0]) + 1 if fold.title else 1
        fold.title = f"{count} more Tier-1s"
        ids.drawn.discard(path)
    for path in foreign[:MAX_FOREIGN_TIER1S] + [p for p in sorted(objects)
                                                if objects[p].get("resource_type") == "Tier0"
                                                and p not in touched]:
        counts: dict[str, int] = {}
        for child in objects:
            if child.startswith(path + "/") and objects[child].get("resource_type") in CHILD_KINDS:
                label = CHILD_KINDS[str(objects[child]["resource_type"])]
                counts[label] = counts.get(label, 0) + 1
        if counts and ids[path] in picture.nodes:
            node = picture.nodes[ids[path]]
            node.details.append(
                ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in sorted(counts.items())))
            # Their egress addresses: what the Tier-0's REFLEXIVE rules and the DNS server's
            # return route are about (NCP's SNAT to 30.0.0.5, say).
            egress = sorted({str(objects[c]["translated_network"]) for c in objects
                             if c.startswith(path + "/") and objects[c].get("action") == "SNAT"
                             and objects[c].get("translated_network")})
            if egress:
                node.details.append("SNAT egress " + ", ".join(egress))


def _zones(picture: Picture, ids: _Ids, objects: Mapping[str, Mapping[str, Any]],
           actions: Mapping[str, Action], plan: Plan) -> None:
    forwarders = [p for p in ids.drawn if objects[p].get("resource_type") == "PolicyDnsForwarder"]
    for fwd in sorted(forwarders):
        obj = objects[fwd]
        zones = [obj.get("default_forwarder_zone_path"),
                 *(obj.get("conditional_forwarder_zone_paths") or ())]
        for zone in (str(z) for z in zones if z):
            if zone not in ids.drawn:
                _add(picture, ids, zone, objects.get(zone) or {
                    "resource_type": "PolicyDnsForwarderZone"}, actions.get(zone), plan, set())
            picture.edges.append(Edge(ids[fwd], ids[zone], "zone"))
    for path, action in sorted(actions.items()):     # zones no drawn forwarder uses (yet)
        if action.kind == "PolicyDnsForwarderZone" and path not in ids.drawn:
            _add(picture, ids, path, objects[path], action, plan, set())


def _discovery_tags(obj: Mapping[str, Any]) -> list[str]:
    """`ncp/...` tags an administrator puts on objects for NCP to find (the NCP tutorial)."""
    return [f"{t.get('scope')}={t.get('tag')}" for t in obj.get("tags") or ()
            if isinstance(t, Mapping) and str(t.get("scope", "")).startswith("ncp/")]


POOL_KINDS = ("IpAddressBlock", "IpAddressPool")
SUBNET_KINDS = ("IpAddressPoolBlockSubnet", "IpAddressPoolStaticSubnet")


def _address_pools(picture: Picture, ids: _Ids, plan: Plan,
                   live: Mapping[str, Mapping[str, Any]] | None) -> None:
    """The IP blocks and pools the plan touches (NCP's prerequisites), each pool joined to the
    blocks its subnets are carved from. Pools NCP makes per namespace are never planned, so a
    production manager's thousands of them stay out of the picture."""
    bodies = {a.path: (a, a.after or a.before or {}) for a in plan.actions
              if a.kind in POOL_KINDS + SUBNET_KINDS}
    for path, (action, obj) in sorted(bodies.items()):
        if action.kind in POOL_KINDS:
            _add(picture, ids, path, {"resource_type": action.kind, **obj}, action, plan, set())
    for path, (action, obj) in sorted(bodies.items()):
        pool = path.split("/ip-subnets/")[0]
        if action.kind not in SUBNET_KINDS or ids[pool] not in picture.nodes:
            continue
        node = picture.nodes[ids[pool]]
        block = obj.get("ip_block_path")
        if block:
            node.details.append(f"{obj.get('size', '?')} addresses from "
                                f"{str(block).rsplit('/', 1)[-1]}")
            if str(block) not in ids.drawn:
                known = (live or {}).get(str(block)) or {"resource_type": "IpAddressBlock"}
                _add(picture, ids, str(block), known, None, plan, set())
            picture.edges.append(Edge(ids[str(block)], ids[pool], "carved"))
        elif obj.get("cidr"):
            node.details.append(f"static {obj['cidr']}")


def _uplinks(picture: Picture, ids: _Ids, objects: Mapping[str, Mapping[str, Any]]) -> None:
    for path in sorted(objects):
        obj = objects[path]
        t0 = obj.get("tier0_path")
        if obj.get("resource_type") != "Tier1" or not t0:
            continue
        src = f"folded:{t0}" if path not in ids.drawn else ids[path]
        if str(t0) in ids.drawn and src in picture.nodes:
            edge = Edge(ids[str(t0)], src, "uplink")
            if edge not in picture.edges:
                picture.edges.append(edge)


def _order(picture: Picture, ids: _Ids, plan: Plan) -> None:
    """The plan's dependency order, where it is not already a drawn containment: dashed, from
    what happens first to what waits for it."""
    by_address = {a.address: a for a in plan.actions}
    drawn = {(e.src, e.dst) for e in picture.edges}
    for action in plan.actions:
        for dep in action.depends_on:
            deleting = action.action == DELETE
            first, then = (action.address, dep) if deleting else (dep, action.address)
            if (dep in by_address and first in picture.nodes and then in picture.nodes
                    and (first, then) not in drawn and (then, first) not in drawn):
                picture.edges.append(Edge(first, then, "order"))


def _outside(picture: Picture, dns_servers: Sequence[DnsServer], routed: Sequence[str],
             checks: Iterable[Check]) -> None:
    servers = {d.address: d for d in dns_servers}
    for check in checks:
        if check.subject.startswith("DNS server "):
            address = check.subject.removeprefix("DNS server ")
            servers.setdefault(address, DnsServer(address))
    for address, server in sorted(servers.items()):
        sid = f"dns:{address}"
        picture.nodes[sid] = Node(sid, "DnsServer", f"DNS server {address}", ownership="outside")
        for client in server.clients:
            cid = f"egress:{client}"
            picture.nodes.setdefault(cid, Node(cid, "EgressRange", f"egress {client}",
                                               ownership="outside"))
            picture.edges.append(Edge(cid, sid, "lookup"))
    for cidr in routed:
        cid = f"egress:{cidr}"
        node = picture.nodes.setdefault(cid, Node(cid, "EgressRange", f"egress {cidr}",
                                                  ownership="outside"))
        node.details.append("routed upstream")


_SUBJECT = [
    (re.compile(r"^DNS forwarder on Tier-1 (\S+)$"), "/infra/tier-1s/{}/dns-forwarder"),
    (re.compile(r"^(?:egress \S+ of )?Tier-1 (\S+)$"), "/infra/tier-1s/{}"),
    (re.compile(r"^Tier-0 (\S+)$"), "/infra/tier-0s/{}"),
]


def _mark_checks(picture: Picture, ids: _Ids, checks: Iterable[Check]) -> None:
    """Each warning or failure on the object it concerns (by the check's subject)."""
    for check in checks:
        if check.status == "ok":
            continue
        target = f"dns:{check.subject.removeprefix('DNS server ')}"
        for pattern, template in _SUBJECT:
            m = pattern.match(check.subject)
            if m:
                path = template.format(m.group(1))
                target = ids[path] if path in ids.drawn else ids[path.rsplit("/dns-", 1)[0]]
                break
        node = picture.nodes.get(target)
        if node is None:
            picture.notes.append(f"{check.status}: {check.id}: {check.subject}")
            continue
        # Whether this plan caused it matters to a reviewer: say when it did not.
        note = (" (waived)" if check.waiver else
                " (already failing)" if check.baseline == "already" else "")
        if (check.status, check.id + note) not in node.checks:
            node.checks.append((check.status, check.id + note))
