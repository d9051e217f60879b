"""Routing and NAT facts of the state AFTER the plan: live objects overridden by the config.

The dependency checks (checks_*.py) ask questions such as "does vcf-t0 translate 30.0.0.5?" or
"which uplink faces 10.27.51.10?". Answering them from raw LiveState dicts and model objects in
every check would repeat the merge rules, so this module builds one read-only view:

- a gateway's NAT rules and static routes are the live ones, replaced by the config's with the same
  id, plus the config's new ones, minus live ones carrying this stack's owner tag that the config
  no longer declares (the plan deletes those);
- interfaces, BGP neighbors, redistribution and HA VIPs likewise (topology_routing.py); segments
  of Tier-1s exist only in live state;
- `live=None` (offline, `nsxplan validate`) gives a view built from the config alone, with
  `known_live=False` so checks can skip what they cannot decide.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nsxplan.checks.topology_routing import (
    InterfaceView as InterfaceView,  # re-exported: the checks' view of an interface
)
from nsxplan.checks.topology_routing import (
    NeighborView,
    RoutingView,
    routing_view,
)
from nsxplan.config.model import Config, NatRule, StaticRoute, Tier0, Tier1
from nsxplan.errors import Source
from nsxplan.live.state import LiveState
from nsxplan.nsx.addresses import (
    IPAddress,
    IPNetwork,
    as_network,
    as_network_uncached,
    as_networks,
    covers,
)
from nsxplan.nsx.kinds import nat_section_path, path_of
from nsxplan.nsx.objects import OWNER_SCOPE, modified_by

# --- the merged view ---------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class NatView:
    id: str
    gateway_path: str
    path: str
    action: str
    source: tuple[IPNetwork, ...] | None          # None = Any
    destination: tuple[IPNetwork, ...] | None     # None = Any
    translated_text: str | None
    translated: tuple[IPNetwork, ...] | None
    from_config: bool
    config_source: Source | None = None
    sequence: int = 0                         # NSX evaluates lower numbers first
    service: str | None = None
    translated_ports: str | None = None
    modified: str | None = None               # "by USER at TIME" for live rules

    def maps(self, net: IPNetwork) -> tuple[IPNetwork, ...] | None:
        """What `net` (covered by this rule's source) is translated to. A REFLEXIVE rule maps
        one-to-one by offset when source and translation are equal-sized blocks; otherwise the
        translated network as written (SNAT to one address)."""
        if not self.translated:
            return None
        if (self.source and len(self.source) == 1 and len(self.translated) == 1
                and self.source[0].num_addresses == self.translated[0].num_addresses > 1
                and net.version == self.source[0].version == self.translated[0].version
                and net.subnet_of(self.source[0])):  # type: ignore[arg-type]
            offset = int(net.network_address) - int(self.source[0].network_address)
            start = self.translated[0].network_address + offset
            return (ipaddress.ip_network(f"{start}/{net.prefixlen}"),)
        return self.translated


@dataclass(frozen=True, slots=True)
class RouteView:
    id: str
    network: IPNetwork | None
    network_text: str
    next_hops: tuple[str, ...]
    from_config: bool
    path: str = ""
    source: Source | None = None
    modified: str | None = None


@dataclass(frozen=True)
class Tier0View:
    id: str
    path: str
    ha_mode: str
    routes: tuple[RouteView, ...] = ()
    nat: tuple[NatView, ...] = ()
    interfaces: tuple[InterfaceView, ...] = ()
    bgp_enabled: bool = False
    bgp_neighbors: tuple[str, ...] = ()
    config: Tier0 | None = None
    in_live: bool = False
    neighbors: tuple[NeighborView, ...] = ()
    redistribution: tuple[tuple[str, frozenset[str]], ...] = ()   # (rule name, types into BGP)
    vips: tuple[IPAddress, ...] = ()

    @property
    def has_bgp_peer(self) -> bool:
        return self.bgp_enabled and bool(self.bgp_neighbors)

    @property
    def redistributed(self) -> frozenset[str]:
        """Route types this Tier-0 announces to its BGP neighbors."""
        return frozenset(t for _, types in self.redistribution for t in types)

    def peering_addresses(self) -> dict[IPAddress, str]:
        """Addresses a stateless NAT rule must never translate to on a BGP Tier-0, each with
        why: the neighbors', the Tier-0's own interface addresses (the sessions' end), HA VIPs."""
        out: dict[IPAddress, str] = {}
        for i in self.interfaces:
            for ip, _ in i.addresses:
                peers = [n.id for n in self.neighbors if ip_in(n.address, i)]
                with_ = f", which BGP neighbor {', '.join(peers)} peers with" if peers else ""
                out[ip] = f"{self.id}'s interface {i.id} address{with_}"
        for ip in self.vips:
            out.setdefault(ip, f"{self.id}'s HA VIP")
        for n in self.neighbors:
            for text in (n.address, *n.source_addresses):
                net = as_network(text)
                if net is not None:
                    out.setdefault(net.network_address, f"BGP neighbor {n.id}'s address")
        return out

    @property
    def external(self) -> tuple[InterfaceView, ...]:
        return tuple(i for i in self.interfaces if i.type == "EXTERNAL")

    def uplink_subnets(self) -> tuple[IPNetwork, ...]:
        return tuple(s for i in self.external for _, s in i.addresses)

    def route_to(self, addr: IPNetwork) -> RouteView | None:
        """Longest-prefix static route covering `addr`."""
        best: RouteView | None = None
        for r in self.routes:
            if r.network is not None and covers((r.network,), addr) and (
                    best is None or best.network is None
                    or r.network.prefixlen > best.network.prefixlen):
                best = r
        return best

    def connected(self, addr: IPNetwork) -> InterfaceView | None:
        for i in self.interfaces:
            if any(covers((s,), addr) for _, s in i.addresses):
                return i
        return None

    def uplink_toward(self, addr: IPNetwork) -> IPAddress | None:
        """The Tier-0 address the outside sees on `addr`'s side: the EXTERNAL interface whose
        subnet holds `addr`, else the one holding the next hop of the route toward it, else the
        first EXTERNAL interface (sorted by path)."""
        for i in self.external:
            for ip, subnet in i.addresses:
                if covers((subnet,), addr):
                    return ip
        route = self.route_to(addr)
        for hop in route.next_hops if route else ():
            hop_net = as_network(hop)
            for i in self.external:
                for ip, subnet in i.addresses:
                    if hop_net is not None and covers((subnet,), hop_net):
                        return ip
        for i in self.external:
            for ip, _ in i.addresses:
                return ip
        return None

    def nat_covering(self, net: IPNetwork, toward: IPNetwork | None = None) -> NatView | None:
        """The first SNAT/REFLEXIVE rule (config order, then path) whose source covers `net`, for
        traffic toward `toward` (None: anywhere, so a rule limited to some destinations does not
        count)."""
        for rule in self.nat:
            if rule.action not in ("SNAT", "REFLEXIVE") or not covers(rule.source, net):
                continue
            if rule.destination is None or (toward is not None
                                             and covers(rule.destination, toward)):
                return rule
        return None


@dataclass(frozen=True)
class Tier1View:
    id: str
    path: str
    tier0_path: str | None
    nat: tuple[NatView, ...] = ()
    edge_cluster: str | None = None
    route_advertisement: tuple[str, ...] = ()
    segment_subnets: tuple[IPNetwork, ...] = ()
    config: Tier1 | None = None
    in_live: bool = False
    routes: tuple[RouteView, ...] = ()
    interfaces: tuple[InterfaceView, ...] = ()


@dataclass(frozen=True)
class Topology:
    tier0s: Mapping[str, Tier0View]              # by path, sorted
    tier1s: Mapping[str, Tier1View]              # by path, sorted
    routed_upstream: tuple[IPNetwork, ...] = ()
    known_live: bool = False
    segments_read: bool = False                  # the refresh may not read segments at all

    def named_tier0s(self) -> set[str]:
        """Tier-0 paths the configuration names: declared, or the uplink of a declared Tier-1.
        The egress checks judge only these (a configuration about one Tier-0 is not blocked by
        NCP's Tier-1s on another)."""
        named = {t.path for t in self.tier0s.values() if t.config is not None}
        return named | {t.tier0_path for t in self.tier1s.values()
                        if t.config is not None and t.tier0_path}

    def tier1s_behind(self, tier0_path: str) -> list[Tier1View]:
        return [t for t in self.tier1s.values() if t.tier0_path == tier0_path]

    def routed(self, net: IPNetwork) -> bool:
        return bool(self.routed_upstream) and covers(self.routed_upstream, net)

    def relevant_tier0s(self) -> list[Tier0View]:
        """Tier-0s the dependencies are judged against when nothing more specific is known (the
        DNS checks first look for the Tier-0 a client range actually egresses through). The
        Tier-0s the config names, directly or as its Tier-1s' uplink (the user told us which
        edge this stack is about); else the Tier-0s some live Tier-1 hangs off (the edges
        carrying workload egress); else every Tier-0 known."""
        named = {t.path for t in self.tier0s.values() if t.config is not None}
        named |= {t.tier0_path for t in self.tier1s.values()
                  if t.config is not None and t.tier0_path}
        if named & set(self.tier0s):
            return [t for p, t in self.tier0s.items() if p in named]
        used = {t.tier0_path for t in self.tier1s.values() if t.tier0_path}
        behind = [t for p, t in self.tier0s.items() if p in used]
        return behind or list(self.tier0s.values())

    def egress_addresses(self, tier0_path: str) -> list[tuple[Tier1View, NatView, IPNetwork]]:
        """Every (Tier-1, SNAT rule, translated network) of the Tier-1s behind a Tier-0."""
        out: list[tuple[Tier1View, NatView, IPNetwork]] = []
        for t1 in self.tier1s_behind(tier0_path):
            for rule in t1.nat:
                if rule.action == "SNAT":
                    out.extend((t1, rule, n) for n in rule.translated or ())
        return out


def _owned_by(obj: Mapping[str, Any], owner: str) -> bool:
    # A plain loop, and `type(t) is dict` before the Mapping check (an ABC check, several
    # times slower): this runs for every live object below a gateway, 10,000 at 10,000 objects.
    for t in obj.get("tags") or ():
        if ((type(t) is dict or isinstance(t, Mapping)) and t.get("scope") == OWNER_SCOPE
                and t.get("tag") == owner):
            return True
    return False


def _enabled(obj: Mapping[str, Any]) -> bool:
    return obj.get("enabled") is not False


class LiveIndex:
    """Live objects grouped once by gateway, collection and type: the views ask for "the NAT
    rules of gateway X" per gateway, and LiveState.under() scans every object each time (O(n)
    per gateway would make a 20,000-object refresh with hundreds of NCP Tier-1s quadratic).

    A plan's two runs (after the plan, and NSX as it is) read the same live state for the same
    owner: `both_runs` builds one index for both, so what it derives per live object (whether
    this owner's tag is on it, who changed it last) is worked out once, not once per run."""

    def __init__(self, live: LiveState | None, owner: str) -> None:
        self.live = live
        self._under: dict[tuple[str, str, object], list[Mapping[str, Any]]] = {}
        # The same, without the owner's objects: all the run after the plan reads of them (the
        # plan replaces or deletes every one), and most of a large estate.
        self._theirs: dict[tuple[str, str, object], list[Mapping[str, Any]]] = {}
        self._segments: dict[str, list[Mapping[str, Any]]] = {}
        self._ours: set[int] = set()        # id() of the objects below gateways owner tags
        self._modified: dict[tuple[object, ...], str] = {}
        self._networks: dict[str, IPNetwork | None] = {}
        # The run after the plan records its views of configured rules and routes by path; the
        # baseline run then takes the same view for a rule of ours that NSX holds exactly as
        # configured (a no-change plan: all of them) instead of building an equal one, and the
        # conflict checks of a gateway whose views are all shared are not worked out twice.
        self.configured_nat: dict[str, tuple[NatView, object, object]] = {}
        self.configured_routes: dict[str, RouteView] = {}
        self.conflicts: dict[str, Any] = {}
        self.paths: dict[str, list[str]] = {"Tier0": [], "Tier1": []}
        run = ("", "", "")      # (".../tier-1s/gw/collection/", gateway path, collection)
        for path in sorted(live.objects) if live else ():
            assert live is not None
            obj = live.objects[path]
            rt = obj.get("resource_type")
            if rt in self.paths:
                self.paths[str(rt)].append(path)
            elif rt == "Segment":
                for key in {obj.get("connectivity_path"), obj.get("parent_path")}:
                    if key:
                        self._segments.setdefault(str(key), []).append(obj)
            if run[0] and path.startswith(run[0]):
                # Sorted paths: a gateway's collection comes as one run, split only once.
                gateway, collection = run[1], run[2]
            else:
                parts = path.split("/", 5)     # the gateway and its collection are all it needs
                if len(parts) <= 4 or parts[2] not in ("tier-0s", "tier-1s"):
                    continue
                gateway, collection = "/".join(parts[:4]), parts[4]
                run = (f"{gateway}/{collection}/", gateway, collection)
            key = (gateway, collection, rt)
            self._under.setdefault(key, []).append(obj)
            if _owned_by(obj, owner):
                self._ours.add(id(obj))
            else:
                self._theirs.setdefault(key, []).append(obj)
        self.segments_read = bool(self._segments)

    def get(self, path: str) -> Mapping[str, Any] | None:
        return self.live.get(path) if self.live else None

    def under(self, gw_path: str, collection: str, resource_type: str
              ) -> list[Mapping[str, Any]]:
        """Objects of a type below `gw_path/collection/` (by path: snapshots disagree on what the
        parent_path of a static route or NAT rule is). Shared lists: callers only read them."""
        return self._under.get((gw_path, collection, resource_type), [])

    def theirs(self, gw_path: str, collection: str, resource_type: str
               ) -> list[Mapping[str, Any]]:
        """under() without the objects that carry the owner's tag."""
        return self._theirs.get((gw_path, collection, resource_type), [])

    def ours(self, obj: Mapping[str, Any]) -> bool:
        """Does `obj` (one of under()'s) carry the owner's tag? (The objects live as long as
        the index does, so their id()s stay theirs.)"""
        return id(obj) in self._ours

    def modified(self, obj: Mapping[str, Any]) -> str:
        """modified_by(obj), once per distinct (user, time): objects changed together (an
        apply, an import) share them, and the baseline run asks for every live rule and route."""
        key = (obj.get("_last_modified_user"), obj.get("_create_user"),
               obj.get("_last_modified_time"), obj.get("_create_time"))
        found = self._modified.get(key)
        if found is None:
            found = self._modified[key] = modified_by(obj)
        return found

    def network(self, text: str) -> IPNetwork | None:
        """as_network(text), once per distinct text for both runs: a configured route's
        network and the live route's are the same text, read in one run each."""
        found = self._networks.get(text, self)
        if found is self:
            found = self._networks[text] = as_network_uncached(text)
        return found    # type: ignore[return-value]

    def segments(self, t1_path: str) -> list[Mapping[str, Any]]:
        return self._segments.get(t1_path, [])


def _sequence(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _live_nat(idx: LiveIndex, gw_path: str, declared: set[str],
              baseline: Mapping[str, Source | None] | None) -> list[NatView]:
    """Live rules; with `baseline` (ids -> config sources), the live state as it is: this
    owner's rules count as the configuration's and are not replaced by it. Who changed a rule
    is said only of rules that are not the configuration's (the checks name no one else)."""
    out = []
    # After the plan, rules of ours are replaced by the config's or, no longer declared, deleted.
    live = (idx.under if baseline is not None else idx.theirs)(gw_path, "nat", "PolicyNatRule")
    for obj in live:
        if not _enabled(obj):
            continue
        path = str(obj.get("path"))
        ours = idx.ours(obj)
        if baseline is None and path in declared:
            continue    # replaced by the config's rule
        if ours and baseline is not None:
            configured = idx.configured_nat.get(path)
            if configured is not None and _as_configured(configured, obj, gw_path, baseline):
                out.append(configured[0])
                continue
        translated = obj.get("translated_network")
        from_config = ours and baseline is not None
        out.append(NatView(
            id=str(obj.get("id")), gateway_path=gw_path, path=path,
            action=str(obj.get("action", "")), source=as_networks(obj.get("source_network")),
            destination=as_networks(obj.get("destination_network")),
            translated_text=translated, translated=as_networks(translated) or None,
            from_config=from_config,
            config_source=baseline.get(str(obj.get("id"))) if ours and baseline else None,
            sequence=_sequence(obj.get("sequence_number")), service=obj.get("service") or None,
            translated_ports=obj.get("translated_ports") or None,
            modified=None if from_config else idx.modified(obj)))
    return out


def _as_configured(configured: tuple[NatView, object, object], obj: Mapping[str, Any],
                   gw_path: str, sources: Mapping[str, Source | None]) -> bool:
    """Would _live_nat's view of `obj` (ours, in the baseline) equal the configured rule's
    view? Field by field, from the texts both are parsed from."""
    view, source_text, destination_text = configured
    return (view.gateway_path == gw_path and view.id == str(obj.get("id"))
            and view.action == str(obj.get("action", ""))
            and obj.get("source_network") == source_text
            and obj.get("destination_network") == destination_text
            and obj.get("translated_network") == view.translated_text
            and view.sequence == _sequence(obj.get("sequence_number"))
            and view.service == (obj.get("service") or None)
            and view.translated_ports == (obj.get("translated_ports") or None)
            and _same(view.config_source, sources.get(view.id)))


def _same(a: object, b: object) -> bool:
    return a is b or a == b     # the same Source object, as a rule's own: no field compare


def _child_prefix(resource_type: str, parent: str) -> str:
    """`path_of(resource_type, id, parent)` is this prefix and the id (for a kind with ids):
    one path per configured rule or route without resolving the collection again each time."""
    return path_of(resource_type, "", parent)


def _config_nat(idx: LiveIndex, rules: Iterable[NatRule], gw_path: str) -> list[NatView]:
    prefix = _child_prefix("PolicyNatRule", nat_section_path(gw_path))
    record = idx.live is not None   # offline (`validate`) has no baseline run to share with
    out = []
    for r in rules:
        if r.enabled is False:
            continue
        view = NatView(
            id=r.id, gateway_path=gw_path, path=prefix + r.id,
            action=r.action, source=as_networks(r.source_network),
            destination=as_networks(r.destination_network),
            translated_text=r.translated_network,
            translated=as_networks(r.translated_network) or None,
            from_config=True, config_source=r.source, sequence=r.sequence_number or 0,
            service=r.service, translated_ports=r.translated_ports)
        if record:
            idx.configured_nat[view.path] = (view, r.source_network, r.destination_network)
        out.append(view)
    return out


def _nat(idx: LiveIndex, gw_path: str, cfg: Sequence[NatRule],
         baseline: bool) -> tuple[NatView, ...]:
    if baseline:
        return tuple(_live_nat(idx, gw_path, set(), {r.id: r.source for r in cfg}))
    nat = _config_nat(idx, cfg, gw_path)
    return tuple(nat + _live_nat(idx, gw_path, {n.path for n in nat}, None))


def _routes(idx: LiveIndex, gw_path: str, cfg: Sequence[StaticRoute],
            baseline: bool) -> tuple[RouteView, ...]:
    sources = {r.id: r.source for r in cfg}
    prefix = _child_prefix("StaticRoutes", gw_path)
    # Offline (`validate`) there is one run, and loading has parsed every text already.
    network = idx.network if idx.live is not None else as_network
    out = [] if baseline else [
        RouteView(r.id, network(r.network), r.network, tuple(h.ip for h in r.next_hops),
                  True, prefix + r.id, r.source) for r in cfg]
    for view in out if idx.live is not None else ():
        idx.configured_routes[view.path] = view     # see LiveIndex.configured_nat
    # As in _live_nat: after the plan, none of the owner's routes is left as it is.
    for obj in (idx.under if baseline else idx.theirs)(gw_path, "static-routes", "StaticRoutes"):
        ours = idx.ours(obj)
        if not baseline and obj.get("id") in sources or not _enabled(obj):
            continue
        hops = tuple([str(h.get("ip_address")) for h in obj.get("next_hops") or ()
                      if (type(h) is dict or isinstance(h, Mapping)) and h.get("ip_address")])
        text = str(obj.get("network", ""))
        route_id, path = str(obj.get("id")), str(obj.get("path"))
        if ours and baseline:
            # A route of ours exactly as configured: the after run's view of it (as _live_nat).
            configured = idx.configured_routes.get(path)
            if (configured is not None and configured.id == route_id
                    and configured.network_text == text and configured.next_hops == hops
                    and _same(configured.source, sources.get(route_id))):
                out.append(configured)
                continue
        out.append(RouteView(route_id, network(text), text, hops,
                             ours and baseline, path,
                             sources.get(route_id) if ours else None,
                             None if ours and baseline else idx.modified(obj)))
    return tuple(out)


def _interfaces(idx: LiveIndex, gw_path: str,
                resource_type: str = "Tier0Interface") -> tuple[InterfaceView, ...]:
    out = []
    for obj in idx.under(gw_path, "locale-services", resource_type):
        addrs: list[tuple[IPAddress, IPNetwork]] = []
        for sn in obj.get("subnets") or ():
            for ip in sn.get("ip_addresses") or ():
                try:
                    iface = ipaddress.ip_interface(f"{ip}/{sn.get('prefix_len')}")
                except ValueError:
                    continue
                addrs.append((iface.ip, iface.network))
        out.append(InterfaceView(str(obj.get("id")), str(obj.get("path")),
                                 str(obj.get("type") or "EXTERNAL"), tuple(addrs)))
    return tuple(out)


def _routing(idx: LiveIndex, t0_path: str, cfg: Tier0 | None, owner: str,
             baseline: bool) -> RoutingView:
    """The baseline is NSX as it is: no configured routing, nothing of ours dropped."""
    def live(rt: str) -> list[Mapping[str, Any]]:
        return idx.under(t0_path, "locale-services", rt)
    return routing_view(None if baseline else cfg, None if baseline else owner,
                        interfaces=live("Tier0Interface"),
                        bgp=live("BgpRoutingConfig"), neighbors=live("BgpNeighborConfig"),
                        locale_services=live("LocaleServices"))


def _edge_cluster(idx: LiveIndex, gw_path: str) -> str | None:
    for obj in idx.under(gw_path, "locale-services", "LocaleServices"):
        if obj.get("edge_cluster_path"):
            return str(obj["edge_cluster_path"])
    return None


def _segment_subnets(idx: LiveIndex, t1_path: str) -> tuple[IPNetwork, ...]:
    nets = []
    for obj in idx.segments(t1_path):
        for sn in obj.get("subnets") or ():
            try:
                nets.append(ipaddress.ip_interface(str(sn.get("gateway_address"))).network)
            except ValueError:
                continue
    return tuple(nets)


def _tier0_view(path: str, cfg: Tier0 | None, idx: LiveIndex, owner: str,
                baseline: bool) -> Tier0View:
    obj = idx.get(path)
    if cfg is not None and not cfg.existing and cfg.ha_mode and not (baseline and obj):
        ha = cfg.ha_mode
    else:
        ha = str((obj or {}).get("ha_mode") or (cfg.effective_ha_mode if cfg else "ACTIVE_ACTIVE"))
    routing = _routing(idx, path, cfg, owner, baseline)
    return Tier0View(
        id=path.rsplit("/", 1)[-1], path=path, ha_mode=ha,
        routes=_routes(idx, path, cfg.static_routes if cfg else (), baseline),
        nat=_nat(idx, path, cfg.nat_rules if cfg else (), baseline),
        interfaces=routing.interfaces, bgp_enabled=routing.bgp_enabled,
        bgp_neighbors=tuple(n.address for n in routing.neighbors), config=cfg,
        in_live=obj is not None, neighbors=routing.neighbors,
        redistribution=routing.redistribution, vips=routing.vips)


def ip_in(address: str, iface: InterfaceView) -> bool:
    net = as_network(address)
    return net is not None and any(net.subnet_of(s) for _, s in iface.addresses  # type: ignore[arg-type]
                                   if s.version == net.version)


def _tier1_view(path: str, cfg: Tier1 | None, idx: LiveIndex, baseline: bool) -> Tier1View:
    obj = idx.get(path)
    # The baseline is NSX as it is: a gateway's own fields come from live when it exists.
    fields_from_config = cfg is not None and not cfg.existing and not (baseline and obj)
    # An `existing` gateway's own fields are never changed, so live wins for it; a managed one
    # ends up with what the config says where the config says anything.
    live_t0 = (obj or {}).get("tier0_path")
    t0: str | None
    if fields_from_config and cfg is not None and cfg.tier0_path:
        t0 = cfg.tier0_path
    else:
        t0 = live_t0 or (cfg.tier0_path if cfg else None)
    adv = (obj or {}).get("route_advertisement_types") or ()
    if fields_from_config and cfg is not None and cfg.route_advertisement is not None:
        adv = cfg.route_advertisement
    edge = (cfg.edge_cluster if cfg and not baseline else None) or _edge_cluster(idx, path)
    return Tier1View(
        id=path.rsplit("/", 1)[-1], path=path, tier0_path=str(t0) if t0 else None,
        nat=_nat(idx, path, cfg.nat_rules if cfg else (), baseline), edge_cluster=edge,
        route_advertisement=tuple(adv), segment_subnets=_segment_subnets(idx, path),
        config=cfg, in_live=obj is not None,
        routes=_routes(idx, path, cfg.static_routes if cfg else (), baseline),
        interfaces=_interfaces(idx, path, "Tier1Interface"))


def live_index(config: Config, live: LiveState | None) -> LiveIndex:
    """The live state grouped for build_topology; one serves both runs of a plan."""
    return LiveIndex(live, config.owner)


def build_topology(config: Config, live: LiveState | None, *,
                   baseline: bool = False, index: LiveIndex | None = None) -> Topology:
    """The state after the plan; with `baseline=True`, the live state before it (the objects
    this owner has in NSX stand for the configuration's, as they are now). `index`: the
    live_index(config, live) of the same arguments, when the caller builds it once for both."""
    idx = index if index is not None else live_index(config, live)
    t0_cfg = {t.path: t for t in config.tier0s}
    t1_cfg = {t.path: t for t in config.tier1s}
    t0_paths = sorted(set(t0_cfg) | set(idx.paths["Tier0"]))
    t1_paths = sorted(set(t1_cfg) | set(idx.paths["Tier1"]))
    tier0s = {p: _tier0_view(p, t0_cfg.get(p), idx, config.owner, baseline)
              for p in t0_paths}
    tier1s = {p: _tier1_view(p, t1_cfg.get(p), idx, baseline) for p in t1_paths}
    routed = tuple(n for r in config.dependencies.routed_upstream
                   for n in (as_networks(r.cidr) or ()))
    return Topology(tier0s=tier0s, tier1s=tier1s, routed_upstream=routed,
                    known_live=live is not None, segments_read=idx.segments_read)
