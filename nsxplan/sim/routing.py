"""Tier-0 routing integrity on the final state of a write: BGP neighbors, uplinks, HA VIPs.

Per-object field rules live in rules.py; what needs several objects at once lives here and runs
in Transaction._check_final, so an H-API body may create an interface after the neighbor that
needs it.

Documented choices (the reference gives the fields, not these cross-object rules; each mirrors
what the NSX UI refuses):
- once a Tier-0 has interfaces, a BGP neighbor with hop limit 1 must be on a connected subnet:
  its address inside a subnet of one of the Tier-0's interfaces; with source addresses (multihop,
  loopback peering) every source address must be an address of one of the Tier-0's interfaces
  instead (a Tier-0 without interfaces accepts neighbors: the order of configuration is free);
- an EXTERNAL interface attaches to a VLAN segment (one with vlan_ids), and its address is not the
  network or broadcast address of its subnet;
- HA VIPs exist only on ACTIVE_STANDBY Tier-0s, over at least two EXTERNAL interfaces of the same
  locale services, with the VIP inside their subnet. An interface path of these locale services
  that does not exist yet is accepted (the locale services are written before the interfaces
  under them, so a single-object client could not create a VIP otherwise); it is checked once
  the interface is written.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from collections.abc import Iterable

from nsxplan.sim import fields as f
from nsxplan.sim.apierror import bad_request, delete_blocked, invalid_path
from nsxplan.sim.kinds import Kind
from nsxplan.sim.store import Node, Obj, Store

ROUTING_INVALID = 500175  # made up: a BGP neighbor, uplink or HA VIP NSX would not realize
IpIface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def _iface_addresses(obj: Obj) -> list[IpIface]:
    out: list[IpIface] = []
    for sub in obj.get("subnets") or ():
        for ip in sub.get("ip_addresses") or ():
            out.append(ipaddress.ip_interface(f"{ip}/{sub['prefix_len']}"))
    return out


def _tier0_of(path: str) -> str | None:
    parts = path.split("/")
    if len(parts) >= 4 and parts[1] == "infra" and parts[2] == "tier-0s":
        return "/".join(parts[:4])
    return None


def _interfaces(store: Store, t0_path: str) -> list[Node]:
    out: list[Node] = []
    t0 = store.get(t0_path)
    for ls in t0.children if t0 else ():
        for child in store.nodes[ls].children:
            node = store.nodes[child]
            if node.kind.resource_type == "Tier0Interface":
                out.append(node)
    return out


def _neighbors(store: Store, t0_path: str) -> list[Node]:
    out: list[Node] = []
    t0 = store.get(t0_path)
    for ls in t0.children if t0 else ():
        bgp = store.get(f"{ls}/bgp")
        if bgp is not None:
            out.extend(store.nodes[c] for c in bgp.children)
    return out


def check(store: Store, upserted: Iterable[str], removed: Iterable[str]) -> None:
    tier0s: set[str] = set()
    for path in [*upserted, *removed]:
        t0 = _tier0_of(path)
        if t0 is not None and t0 in store.nodes:
            tier0s.add(t0)
    for path in upserted:
        node = store.get(path)
        if node is not None and node.kind.resource_type == "Tier0Interface":
            _check_uplink(store, path, node)
    for t0 in sorted(tier0s):
        check_filters(store, t0, removed)
        interfaces = _interfaces(store, t0)
        for nb in _neighbors(store, t0):
            _check_neighbor(nb, interfaces)
        t0_node = store.nodes[t0]
        for ls in t0_node.children:
            ls_node = store.nodes[ls]
            if ls_node.kind.resource_type == "LocaleServices":
                _check_ha_vips(store, ls, ls_node, t0_node.obj)


def _check_neighbor(nb: Node, interfaces: list[Node]) -> None:
    obj = nb.obj
    address = ipaddress.ip_address(obj["neighbor_address"])
    addresses = [a for i in interfaces for a in _iface_addresses(i.obj)]
    if not addresses:
        return  # no uplink yet: NSX lets BGP be configured before the interfaces
    sources = obj.get("source_addresses") or []
    if sources:
        own = {a.ip for a in addresses}
        bad = [s for s in sources if ipaddress.ip_address(s) not in own]
        if bad:
            raise bad_request(
                f"BGP neighbor path=[{obj['path']}]: source address {bad[0]} is not an address of "
                "an interface of its Tier-0.", ROUTING_INVALID)
        return
    if (obj.get("maximum_hop_limit") or 1) == 1 and not any(
            address in a.network for a in addresses):
        subnets = ", ".join(sorted({str(a.network) for a in addresses})) or "none"
        raise bad_request(
            f"BGP neighbor path=[{obj['path']}]: neighbor_address {address} is on no connected "
            f"subnet of its Tier-0 (interface subnets: {subnets}); add an interface in its "
            "subnet, or give source_addresses for a multihop session.", ROUTING_INVALID)


def _check_uplink(store: Store, path: str, node: Node) -> None:
    obj = node.obj
    for addr in _iface_addresses(obj):
        net = addr.network
        if net.num_addresses > 2 and addr.ip in (net.network_address, net.broadcast_address):
            raise bad_request(
                f"Interface path=[{path}]: {addr.ip} is the network or broadcast address of "
                f"{net}.", ROUTING_INVALID)
    if obj.get("type", "EXTERNAL") != "EXTERNAL" or not obj.get("segment_path"):
        return
    segment = store.get(obj["segment_path"])
    if segment is not None and not segment.obj.get("vlan_ids"):
        raise bad_request(
            f"Interface path=[{path}] is EXTERNAL but its segment {obj['segment_path']} is not a "
            "VLAN segment (no vlan_ids): uplinks attach to VLAN segments.", ROUTING_INVALID)


def _check_ha_vips(store: Store, ls_path: str, ls: Node, tier0: Obj) -> None:
    configs = ls.obj.get("ha_vip_configs") or []
    if not configs:
        return
    if tier0.get("ha_mode") != "ACTIVE_STANDBY":
        raise bad_request(
            f"ha_vip_configs of path=[{ls_path}] need an ACTIVE_STANDBY Tier-0 "
            f"(ha_mode is {tier0.get('ha_mode')}).", ROUTING_INVALID)
    for cfg in configs:
        nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for ipath in cfg.get("external_interface_paths") or []:
            iface = store.get(ipath)
            if iface is None and ipath.startswith(f"{ls_path}/interfaces/"):
                continue  # not created yet: checked when it is (a VIP waits for its uplinks)
            if (iface is None or iface.obj.get("parent_path") != ls_path
                    or iface.obj.get("type", "EXTERNAL") != "EXTERNAL"):
                raise bad_request(
                    f"ha_vip_configs of path=[{ls_path}]: {ipath} is not an EXTERNAL interface "
                    "of these locale services.", ROUTING_INVALID)
            nets.extend(a.network for a in _iface_addresses(iface.obj))
        for vip in cfg.get("vip_subnets") or []:
            for ip in vip.get("ip_addresses") or ():
                if nets and not any(ipaddress.ip_address(ip) in n for n in nets):
                    raise bad_request(
                        f"ha_vip_configs of path=[{ls_path}]: VIP {ip} is outside the subnets of "
                        "its interfaces.", ROUTING_INVALID)


# ---- write-only passwords and polymorphic kinds -----------------------------------------------


def take_password(obj: Obj) -> str | None:
    """Remove a BGP neighbor's `password` from the object to store; returns its fingerprint.

    NSX never returns a neighbor password (reference §4.4), so the simulator does not keep it in
    the object (GET, lists, H-API reads and snapshots cannot leak it). Only a SHA-256 fingerprint
    is kept beside the tree, for tests asking "was the password sent, and which one"; "" (NSX:
    clear the password) is recorded as cleared."""
    if obj.get("resource_type") != "BgpNeighborConfig" or "password" not in obj:
        return None
    password = str(obj.pop("password"))
    return "" if password == "" else hashlib.sha256(password.encode("utf-8")).hexdigest()


def keep_passwords(store: Store, written: dict[str, str], removed: Iterable[str]) -> None:
    for path in removed:
        if path not in store.nodes:
            store.passwords.pop(path, None)
    for path, fingerprint in written.items():
        if fingerprint:
            store.passwords[path] = fingerprint
        else:
            store.passwords.pop(path, None)


def variant_of(kind: Kind, body: Obj, old: Obj | None) -> str:
    """The concrete resource_type of a polymorphic object (IP pool subnets): given in the body,
    else kept from the stored object; it cannot change."""
    given = body.get("resource_type")
    if old is not None:
        if given not in (None, kind.resource_type, old["resource_type"]):
            raise bad_request(
                f"The object path=[{old['path']}] is a {old['resource_type']}: its "
                "resource_type cannot change (delete and re-create it).")
        return str(old["resource_type"])
    variants = sorted(kind.variants or ())
    if given not in variants:
        raise bad_request(f"resource_type must be one of {variants} at this path, got {given!r}.")
    return str(given)


# ---- field rules of the routing objects (called from rules.py) ---------------------------------

REDISTRIBUTION_TYPES = (
    "TIER0_STATIC", "TIER0_CONNECTED", "TIER0_EXTERNAL_INTERFACE", "TIER0_SEGMENT",
    "TIER0_ROUTER_LINK", "TIER0_SERVICE_INTERFACE", "TIER0_LOOPBACK_INTERFACE",
    "TIER0_DNS_FORWARDER_IP", "TIER0_IPSEC_LOCAL_IP", "TIER0_NAT", "TIER0_EVPN_TEP_IP",
    "TIER1_NAT", "TIER1_STATIC", "TIER1_LB_VIP", "TIER1_LB_SNAT", "TIER1_DNS_FORWARDER_IP",
    "TIER1_CONNECTED", "TIER1_SERVICE_INTERFACE", "TIER1_SEGMENT", "TIER1_IPSEC_LOCAL_ENDPOINT",
)  # fmt: skip
ROUTE_MAP_PATH = re.compile(r"/infra/tier-0s/[^/]+/route-maps/[^/]+")


def redistribution(ls: Obj) -> None:
    """route_redistribution_config (reference §4.2): ≤5 rules, each with a name and 1+ types."""
    config = f.mapping(ls, "route_redistribution_config")
    f.boolean(config, "bgp_enabled", "ospf_enabled")
    names: set[str] = set()
    for rule in f.array(config, "redistribution_rules", max_items=5):
        if not isinstance(rule, dict):
            raise f.field_error("redistribution_rules items must be objects")
        f.string(rule, "name", 255)
        name = str(rule.get("name") or "")
        if name in names:
            raise f.field_error(f"redistribution_rules name {name!r} is used twice")
        names.add(name)
        f.required(rule, "route_redistribution_types",
                   "redistribution_rules.route_redistribution_types")
        for value in f.array(rule, "route_redistribution_types", min_items=1):
            f.enum({"route_redistribution_types": value}, "route_redistribution_types",
                   REDISTRIBUTION_TYPES)
        for dest in f.array(rule, "destinations"):
            f.enum({"destinations": dest}, "destinations", ("BGP", "OSPF"))
        if rule.get("route_map_path") is not None:
            f.string(rule, "route_map_path")
            if not ROUTE_MAP_PATH.fullmatch(rule["route_map_path"]):
                raise f.field_error(
                    f"route_map_path value {rule['route_map_path']!r} is not a Tier-0 route map "
                    "path (/infra/tier-0s/ID/route-maps/ID)")


def redistribution_defaults(ls: Obj) -> None:
    """NSX fills bgp_enabled true, ospf_enabled false and each rule's destinations [BGP]."""
    config = ls.get("route_redistribution_config")
    if not isinstance(config, dict):
        return
    rules = [{"destinations": ["BGP"], **r} if isinstance(r, dict) else r
             for r in config.get("redistribution_rules") or []]
    ls["route_redistribution_config"] = {"bgp_enabled": True, "ospf_enabled": False, **config,
                                         "redistribution_rules": rules}


def ha_vip_shape(ls: Obj) -> None:
    for cfg in f.array(ls, "ha_vip_configs", max_items=1):
        if not isinstance(cfg, dict):
            raise f.field_error("ha_vip_configs items must be objects")
        f.boolean(cfg, "enabled")
        # Tier0HaVipConfig (CS32): both lists required; each VIP subnet an InterfaceSubnet.
        f.required(cfg, "external_interface_paths", "ha_vip_configs.external_interface_paths")
        f.required(cfg, "vip_subnets", "ha_vip_configs.vip_subnets")
        for p in f.array(cfg, "external_interface_paths", min_items=2):
            f.string({"external_interface_paths": p}, "external_interface_paths")
        for sub in f.array(cfg, "vip_subnets", min_items=1, max_items=2):
            if not isinstance(sub, dict):
                raise f.field_error("vip_subnets items must be objects")
            f.required(sub, "ip_addresses", "vip_subnets.ip_addresses")
            f.required(sub, "prefix_len", "vip_subnets.prefix_len")
            for addr in f.array(sub, "ip_addresses", min_items=1):
                f.ip(addr, "vip_subnets.ip_addresses")
            f.integer(sub, "prefix_len", 1, 128)


def bfd(neighbor: Obj) -> None:
    """BFD of a neighbor: enabled false, interval 500 ms, multiple 3 when not given."""
    config = f.mapping(neighbor, "bfd")
    if not config:
        return
    f.boolean(config, "enabled")
    f.integer(config, "interval", 50, 60000)
    f.integer(config, "multiple", 2, 16)
    neighbor["bfd"] = {"enabled": False, "interval": 500, "multiple": 3, **config}


def prefix_list(obj: Obj) -> None:
    """PrefixList: 1+ prefixes, each a CIDR or ANY, PERMIT/DENY, ge/le prefix lengths."""
    f.required(obj, "prefixes")
    for px in f.array(obj, "prefixes", min_items=1):
        if not isinstance(px, dict):
            raise f.field_error("prefixes items must be objects")
        network = f.required(px, "network", "prefixes.network")
        if network != "ANY":
            f.cidr(network, "prefixes.network")
        f.enum(px, "action", ("PERMIT", "DENY"))
        f.integer(px, "ge", 1, 128)  # PrefixEntry: ge and le 1-128 (CS32)
        f.integer(px, "le", 1, 128)
        px.setdefault("action", "PERMIT")


COMMUNITY_OPERATORS = ("MATCH_ANY", "MATCH_ALL", "MATCH_EXACT", "MATCH_COMMUNITY_REGEX",
                       "MATCH_LARGE_COMMUNITY_REGEX")


def route_map(obj: Obj) -> None:
    """Tier0RouteMap: 1+ entries, each with a required PERMIT/DENY action matching either 1+
    prefix lists (paths) or 1+ community criteria, never both (RouteMapEntry, CS32)."""
    f.required(obj, "entries")
    for entry in f.array(obj, "entries", min_items=1):
        if not isinstance(entry, dict):
            raise f.field_error("entries items must be objects")
        f.required(entry, "action", "entries.action")
        f.enum(entry, "action", ("PERMIT", "DENY"))
        prefixes = f.array(entry, "prefix_list_matches")
        communities = f.array(entry, "community_list_matches")
        if prefixes and communities:
            raise f.field_error("prefix_list_matches and community_list_matches are mutually "
                                "exclusive in one route map entry")
        if not (prefixes or communities):
            raise f.field_error("entries need prefix_list_matches or community_list_matches")
        for m in prefixes:
            f.string({"prefix_list_matches": m}, "prefix_list_matches")
        for m in communities:
            if not isinstance(m, dict):
                raise f.field_error("community_list_matches items must be objects")
            f.required(m, "criteria", "community_list_matches.criteria")
            f.string(m, "criteria")
            f.enum(m, "match_operator", COMMUNITY_OPERATORS)


def check_filters(store: Store, t0_path: str, removed: Iterable[str]) -> None:
    """Route maps' prefix lists and redistribution rules' route maps must exist (on the final
    state); removing one still in use is refused like any referenced object (500030)."""
    gone = set(removed)
    def need(path: str, by: str) -> None:
        if path in store.nodes:
            return
        if path in gone:
            raise delete_blocked(path, by)
        raise invalid_path(path, "no such prefix list or route map")
    for rm in _children_of(store, t0_path, "Tier0RouteMap"):
        for entry in rm.obj.get("entries") or ():
            for p in entry.get("prefix_list_matches") or ():
                need(p, rm.obj["path"])
    t0 = store.nodes[t0_path]
    for ls in t0.children:
        ls_node = store.nodes[ls]
        if ls_node.kind.resource_type != "LocaleServices":
            continue
        config = ls_node.obj.get("route_redistribution_config") or {}
        for rule in config.get("redistribution_rules") or ():
            if isinstance(rule, dict) and rule.get("route_map_path"):
                need(rule["route_map_path"], ls)


def _children_of(store: Store, path: str, resource_type: str) -> list[Node]:
    node = store.get(path)
    if node is None:
        return []
    return [store.nodes[c] for c in node.children
            if store.nodes[c].kind.resource_type == resource_type]
