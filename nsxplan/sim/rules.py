"""Per-kind validation of one object as it would be stored (defaults already applied).

Pure functions of the object (and its path): integrity across objects (references, children,
NAT on active-active Tier-0s, protection, revisions) lives in writes.py. Facts and limits come from
the reference (§2, §4); where it is silent the choice is the one in its §11.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nsxplan.sim import fields as f
from nsxplan.sim import ipam, routing
from nsxplan.sim.apierror import bad_request, invalid_path
from nsxplan.sim.kinds import Kind

Obj = dict[str, Any]

HA_MODES = ("ACTIVE_ACTIVE", "ACTIVE_STANDBY")
FAILOVER_MODES = ("PREEMPTIVE", "NON_PREEMPTIVE")
NAT_ACTIONS = ("SNAT", "DNAT", "REFLEXIVE", "NO_SNAT", "NO_DNAT", "NAT64")
FIREWALL_MATCH = ("MATCH_EXTERNAL_ADDRESS", "MATCH_INTERNAL_ADDRESS", "BYPASS")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "FATAL")
T1_ADVERTISEMENT = (
    "TIER1_STATIC_ROUTES", "TIER1_CONNECTED", "TIER1_NAT", "TIER1_LB_VIP", "TIER1_LB_SNAT",
    "TIER1_DNS_FORWARDER_IP", "TIER1_IPSEC_LOCAL_ENDPOINT",
)  # fmt: skip
POOL_ALLOCATION = ("ROUTING", "LB_SMALL", "LB_MEDIUM", "LB_LARGE", "LB_XLARGE")
# NAT sequence_number ranges per section (reference §4.7)
NAT_SEQUENCE_MAX = {"USER": 2147481599, "DEFAULT": 1023, "INTERNAL": 1023}
MAX_ID_LEN = 1024
# Sites, enforcement points, edge clusters and transport zones are not modelled: paths into them
# are checked for shape only.
_EP = r"/infra/sites/[^/]+/enforcement-points/[^/]+"
EDGE_CLUSTER_PATH = re.compile(_EP + r"/edge-clusters/[^/]+")
EDGE_NODE_PATH = re.compile(_EP + r"/edge-clusters/[^/]+/edge-nodes/[^/]+")
TRANSPORT_ZONE_PATH = re.compile(_EP + r"/transport-zones/[^/]+")


def site_path(obj: Obj, name: str, pattern: re.Pattern[str]) -> None:
    value = obj.get(name)
    if value is None:
        return
    f.string(obj, name)
    if not pattern.fullmatch(value):
        raise invalid_path(value)


def check_id(obj_id: str) -> None:
    # Reference §11: 1-1024 characters, no '/' or '&' (Terraform's rule; NSX's own is unknown).
    if not obj_id or len(obj_id) > MAX_ID_LEN or "/" in obj_id or "&" in obj_id:
        raise bad_request(
            f"Invalid id {obj_id[:80]!r}: an id has 1 to {MAX_ID_LEN} characters "
            "and may not contain '/' or '&'."
        )


def check_common(obj: Obj) -> None:
    f.string(obj, "display_name", 255)
    f.string(obj, "description", 1024)
    for i, tag in enumerate(f.array(obj, "tags", max_items=30)):
        if not isinstance(tag, dict):
            raise f.field_error(f"tags[{i}] must be an object with scope and tag")
        f.string(tag, "scope", 128)
        f.string(tag, "tag", 256)


def _subnets(obj: Obj) -> None:
    for sub in f.array(obj, "subnets", min_items=1):
        if not isinstance(sub, dict):
            raise f.field_error("subnets items must be objects")
        for addr in f.array(sub, "ip_addresses", min_items=1):
            f.ip(addr, "subnets.ip_addresses")
        f.required(sub, "prefix_len", "subnets.prefix_len")
        f.integer(sub, "prefix_len", 1, 128)


def tier0(obj: Obj) -> None:
    f.enum(obj, "ha_mode", HA_MODES)
    f.enum(obj, "failover_mode", FAILOVER_MODES)
    for net in f.array(obj, "transit_subnets"):
        f.cidr(net, "transit_subnets")
    for net in f.array(obj, "internal_transit_subnets", max_items=1):
        f.cidr(net, "internal_transit_subnets")
    f.integer(obj, "arp_limit", 5000, 50000)
    f.boolean(obj, "disable_firewall", "default_rule_logging", "force_whitelisting")
    stateful = f.mapping(obj, "stateful_services")
    f.boolean(stateful, "enabled")
    f.enum(stateful, "redirection_policy", ("IP_HASH", "NONE", "SRC_DST_IP_HASH"))


def tier1(obj: Obj) -> None:
    f.enum(obj, "failover_mode", FAILOVER_MODES)
    f.enum(obj, "ha_mode", HA_MODES)
    f.enum(obj, "pool_allocation", POOL_ALLOCATION)
    f.enum(obj, "type", ("ROUTED", "ISOLATED", "NATTED"))
    f.string(obj, "tier0_path")
    for adv in f.array(obj, "route_advertisement_types"):
        f.enum({"route_advertisement_types": adv}, "route_advertisement_types", T1_ADVERTISEMENT)
    f.integer(obj, "arp_limit", 5000, 50000)
    f.boolean(obj, "enable_standby_relocation", "disable_firewall")


def locale_services(obj: Obj) -> None:
    site_path(obj, "edge_cluster_path", EDGE_CLUSTER_PATH)
    for edge in f.array(obj, "preferred_edge_paths", max_items=2):
        site_path({"preferred_edge_paths": edge}, "preferred_edge_paths", EDGE_NODE_PATH)
    routing.redistribution(obj)
    routing.redistribution_defaults(obj)
    routing.ha_vip_shape(obj)


def interface(obj: Obj, tier0_side: bool) -> None:
    f.required(obj, "subnets")
    _subnets(obj)
    f.integer(obj, "mtu", 64)
    f.enum(obj, "urpf_mode", ("NONE", "STRICT"))
    f.enum(obj, "admin_state", ("UP", "DOWN"))
    f.array(obj, "ipv6_profile_paths", max_items=1)
    f.string(obj, "segment_path")
    if not tier0_side:
        f.required(obj, "segment_path")
        return
    f.enum(obj, "type", ("EXTERNAL", "SERVICE", "LOOPBACK"))
    if obj.get("type") != "LOOPBACK" and not obj.get("segment_path") and not obj.get("ls_id"):
        raise f.field_error("required property segment_path is missing")
    if obj.get("type") == "EXTERNAL":
        f.required(obj, "edge_path", "edge_path (required when type is EXTERNAL)")
    site_path(obj, "edge_path", EDGE_NODE_PATH)


def bgp(obj: Obj) -> None:
    f.as_number(obj.get("local_as_num", ""), "local_as_num")
    f.boolean(obj, "enabled", "ecmp", "multipath_relax", "inter_sr_ibgp", "graceful_restart")
    gr = f.mapping(obj, "graceful_restart_config")
    f.enum(gr, "mode", ("DISABLE", "GR_AND_HELPER", "HELPER_ONLY"))
    timer = f.mapping(gr, "timer")
    f.integer(timer, "restart_timer", 1, 3600)
    f.integer(timer, "stale_route_timer", 1, 3600)
    for agg in f.array(obj, "route_aggregations", max_items=1000):
        f.cidr(f.required(agg, "prefix", "route_aggregations.prefix"), "route_aggregations.prefix")


def bgp_neighbor(obj: Obj) -> None:
    f.ip(f.required(obj, "neighbor_address"), "neighbor_address")
    f.as_number(f.required(obj, "remote_as_num"), "remote_as_num")
    f.integer(obj, "keep_alive_time", 1, 65535)
    f.integer(obj, "hold_down_time", 1, 65535)
    f.integer(obj, "maximum_hop_limit", 1, 255)
    for addr in f.array(obj, "source_addresses", max_items=8):
        f.ip(addr, "source_addresses")
    if (obj.get("maximum_hop_limit") or 1) > 1 and not obj.get("source_addresses"):
        raise f.field_error("source_addresses are required when maximum_hop_limit is above 1")
    f.string(obj, "password", 32)
    f.boolean(obj, "allow_as_in")
    routing.bfd(obj)


def static_routes(obj: Obj) -> None:
    f.cidr(f.required(obj, "network"), "network")
    f.required(obj, "next_hops")
    for hop in f.array(obj, "next_hops", min_items=1):
        if not isinstance(hop, dict):
            raise f.field_error("next_hops items must be objects")
        f.ip(f.required(hop, "ip_address", "next_hops.ip_address"), "next_hops.ip_address")
        f.integer(hop, "admin_distance", 1, 255)
        if "scope" in hop:
            f.array(hop, "scope", min_items=1)
    f.boolean(obj, "enabled_on_secondary")


def nat_rule(obj: Obj, section: str) -> None:
    action = f.required(obj, "action")
    f.enum(obj, "action", NAT_ACTIONS)
    f.enum(obj, "firewall_match", FIREWALL_MATCH)
    f.enum(obj, "policy_based_vpn_mode", ("BYPASS", "MATCH"))
    f.boolean(obj, "enabled", "logging")
    f.integer(obj, "sequence_number", 0, NAT_SEQUENCE_MAX.get(section))
    f.array(obj, "scope")
    f.string(obj, "service")
    f.string(obj, "translated_ports")
    if action == "NAT64":
        raise bad_request("NAT64 rules belong to the NAT64 section, which this gateway lacks.")
    src, dst, xlated = (obj.get(k) for k in ("source_network", "destination_network",
                                             "translated_network"))  # fmt: skip
    # Reference §4.7 action matrix; SNAT without source means Any (reference §11).
    needs_src = action in ("REFLEXIVE", "NO_SNAT")
    needs_dst = action in ("DNAT", "NO_DNAT")
    if needs_src and not src:
        raise f.field_error(f"source_network is required for {action} rules")
    if needs_dst and not dst:
        raise f.field_error(f"destination_network is required for {action} rules")
    if action in ("SNAT", "DNAT", "REFLEXIVE") and not xlated:
        raise f.field_error(f"translated_network is required for {action} rules")
    if action in ("NO_SNAT", "NO_DNAT") and xlated:
        raise f.field_error(f"translated_network must be empty for {action} rules")
    if action == "REFLEXIVE" and dst:
        raise f.field_error("destination_network is not applicable to REFLEXIVE rules")
    if action in ("NO_SNAT", "NO_DNAT") and obj.get("firewall_match") not in (None, "BYPASS"):
        raise f.field_error(f"firewall_match must be BYPASS for {action} rules")
    if obj.get("translated_ports") and action != "DNAT":
        raise f.field_error("translated_ports is only supported for DNAT rules")
    if obj.get("policy_based_vpn_mode") and action not in ("DNAT", "NO_DNAT"):
        raise f.field_error("policy_based_vpn_mode is only supported for DNAT and NO_DNAT rules")
    n_src = f.address_list(src, "source_network") if src else 0
    if dst:
        f.address_list(dst, "destination_network")
    if xlated:
        single = action in ("DNAT", "REFLEXIVE")
        n_xlated = f.address_list(xlated, "translated_network", allow_list=not single)
        if action == "REFLEXIVE" and n_src != n_xlated:
            raise f.field_error(
                "REFLEXIVE rules need as many translated addresses as source addresses "
                f"({n_xlated} != {n_src})"
            )


def dns_forwarder(obj: Obj) -> None:
    f.ip(f.required(obj, "listener_ip"), "listener_ip", v4_only=True)
    f.required(obj, "default_forwarder_zone_path")
    f.string(obj, "default_forwarder_zone_path")
    for zone in f.array(obj, "conditional_forwarder_zone_paths", max_items=5):
        f.string({"conditional_forwarder_zone_paths": zone}, "conditional_forwarder_zone_paths")
    f.boolean(obj, "enabled")
    f.enum(obj, "log_level", LOG_LEVELS)
    f.integer(obj, "cache_size", 0)


def dns_zone(obj: Obj) -> None:
    f.required(obj, "upstream_servers")
    for server in f.array(obj, "upstream_servers", min_items=1, max_items=3):
        f.ip(server, "upstream_servers")
    for name in f.array(obj, "dns_domain_names"):
        f.string({"dns_domain_names": name}, "dns_domain_names", 255)
    if obj.get("source_ip") is not None:
        f.ip(obj["source_ip"], "source_ip")


def segment(obj: Obj) -> None:
    f.enum(obj, "admin_state", ("UP", "DOWN"))
    f.enum(obj, "replication_mode", ("MTEP", "SOURCE"))
    for sub in f.array(obj, "subnets"):
        if not isinstance(sub, dict):
            raise f.field_error("subnets items must be objects")
        if sub.get("gateway_address") is not None:
            f.interface_cidr(sub["gateway_address"], "subnets.gateway_address")
    vlans = f.array(obj, "vlan_ids")
    f.integer(obj, "overlay_id", 0, 2147483647)
    f.string(obj, "connectivity_path")
    site_path(obj, "transport_zone_path", TRANSPORT_ZONE_PATH)
    if vlans and obj.get("connectivity_path"):
        raise f.field_error("connectivity_path is only supported on overlay segments (no vlan_ids)")
    if vlans and not obj.get("transport_zone_path"):  # reference §4.10: required for VLAN
        raise f.field_error("transport_zone_path is required for a VLAN segment (vlan_ids)")


def _nothing(obj: Obj) -> None:
    return None


_BY_TYPE: dict[str, Callable[[Obj], None]] = {
    "Tier0": tier0,
    "Tier1": tier1,
    "LocaleServices": locale_services,
    "Tier0Interface": lambda o: interface(o, tier0_side=True),
    "Tier1Interface": lambda o: interface(o, tier0_side=False),
    "BgpRoutingConfig": bgp,
    "BgpNeighborConfig": bgp_neighbor,
    "StaticRoutes": static_routes,
    "PolicyDnsForwarder": dns_forwarder,
    "PolicyDnsForwarderZone": dns_zone,
    "Segment": segment,
    "PrefixList": routing.prefix_list,
    "Tier0RouteMap": routing.route_map,
    "IpAddressBlock": ipam.ip_block,
    "IpAddressPool": ipam.ip_pool,
    "IpAddressPoolSubnet": ipam.pool_subnet,
    "PolicyNat": _nothing,
    "Infra": _nothing,
}


def check_object(kind: Kind, obj: Obj, parent_id: str) -> None:
    """Raise ApiError 400 when ``obj`` (defaults applied) is not a valid ``kind``."""
    check_common(obj)
    if kind.resource_type == "PolicyNatRule":
        nat_rule(obj, section=parent_id)
    else:
        _BY_TYPE[kind.resource_type](obj)


def reject_bad_type(kind: Kind, body: Obj) -> None:
    rt = body.get("resource_type")
    if rt is not None and rt != kind.resource_type and not kind.accepts(rt):
        raise bad_request(
            f"resource_type {rt!r} does not match the object at this path "
            f"(expected {kind.resource_type!r})."
        )
