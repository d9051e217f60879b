"""The NSX kinds nsxplan manages, as data.

Everything the planner needs to know about an NSX resource type that is not in the configuration
model lives here: where it sits in the policy tree, which fields point at other objects, which
fields the server owns, which lists are really sets, and which changes NSX cannot apply in place.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Kind:
    resource_type: str
    collection: str                    # path segment before the id ("tier-0s"); singleton: its id
    singleton: bool = False            # path ends in `collection` itself (dns-forwarder)
    references: tuple[str, ...] = ()   # fields holding policy paths of other objects
    set_fields: frozenset[str] = frozenset()
    replace_fields: frozenset[str] = frozenset()   # a change forces delete + create
    managed: bool = True               # nsxplan plans actions for this kind
    deletable: bool = True             # False: NSX keeps it as long as its parent (BGP config)


# `tags` is set-like everywhere: NSX does not promise to keep their order.
_TAGS = frozenset({"tags"})

KINDS: dict[str, Kind] = {k.resource_type: k for k in (
    Kind("Tier0", "tier-0s", set_fields=_TAGS),
    Kind("Tier1", "tier-1s", references=("tier0_path",),
         set_fields=_TAGS | {"route_advertisement_types"}),
    Kind("LocaleServices", "locale-services", references=("edge_cluster_path",),
         set_fields=_TAGS | {"preferred_edge_paths"}),
    # Uplinks and BGP (issue 12). The BGP config is a singleton NSX creates and deletes with its
    # locale-services: a DELETE of it only removes a Global Manager override, so nsxplan never
    # plans one (removing `bgp:` leaves NSX's BGP as it is; `enabled: false` turns it off).
    Kind("Tier0Interface", "interfaces", references=("segment_path",), set_fields=_TAGS),
    Kind("BgpRoutingConfig", "bgp", singleton=True, set_fields=_TAGS, deletable=False),
    Kind("BgpNeighborConfig", "neighbors", set_fields=_TAGS | {"source_addresses"}),
    Kind("PrefixList", "prefix-lists", set_fields=_TAGS),
    Kind("Tier0RouteMap", "route-maps", set_fields=_TAGS),
    Kind("Segment", "segments", set_fields=_TAGS | {"vlan_ids"}),
    Kind("IpAddressBlock", "ip-blocks", set_fields=_TAGS),
    Kind("IpAddressPool", "ip-pools", set_fields=_TAGS),
    # A pool subnet is one of two types in one collection; NSX allocates a block subnet's CIDR
    # once, so its size and block cannot change in place.
    Kind("IpAddressPoolBlockSubnet", "ip-subnets", references=("ip_block_path",),
         set_fields=_TAGS, replace_fields=frozenset({"size", "ip_block_path"})),
    Kind("IpAddressPoolStaticSubnet", "ip-subnets", set_fields=_TAGS | {"dns_nameservers"}),
    Kind("StaticRoutes", "static-routes", set_fields=_TAGS),
    # A NAT rule's `action` decides which other fields are allowed (NO_SNAT forbids a translated
    # network, REFLEXIVE forbids a destination). PATCH merges top-level fields, so changing SNAT ->
    # NO_SNAT in place would keep the old translated_network and NSX would reject the object (or,
    # worse, keep a rule that still translates). Delete + create sends a clean object.
    Kind("PolicyNatRule", "nat-rules", references=("service",),
         set_fields=_TAGS | {"scope"}, replace_fields=frozenset({"action"})),
    Kind("PolicyDnsForwarder", "dns-forwarder", singleton=True,
         references=("default_forwarder_zone_path", "conditional_forwarder_zone_paths"),
         set_fields=_TAGS | {"conditional_forwarder_zone_paths"}),
    Kind("PolicyDnsForwarderZone", "dns-forwarder-zones",
         set_fields=_TAGS | {"dns_domain_names"}),
    # Read so that the tree can be flattened and checks can see it; never planned.
    Kind("PolicyNat", "nat", managed=False),
    Kind("Tier1Interface", "interfaces", managed=False),
)}

# Types asked for in the one Hierarchical API GET: what we plan, plus what the checks read
# and the NAT sections that hold the rules. IP pools are read although an NCP cluster makes one
# per namespace: an owned pool or block removed from the configuration must still be found to be
# deleted, and NCP's pools are what keeps a block from being deleted. `IpAddressPoolSubnet` is
# the H-API wrapper name of both subnet types.
LIVE_TYPES: tuple[str, ...] = (
    "Tier0", "Tier1", "LocaleServices", "StaticRoutes", "PolicyNat", "PolicyNatRule",
    "PolicyDnsForwarder", "PolicyDnsForwarderZone", "Tier0Interface", "Tier1Interface",
    "BgpRoutingConfig", "BgpNeighborConfig", "PrefixList", "Tier0RouteMap", "Segment",
    "IpAddressBlock", "IpAddressPool",
    "IpAddressPoolSubnet", "IpAddressPoolBlockSubnet", "IpAddressPoolStaticSubnet",
)

GATEWAY_TYPES = frozenset({"Tier0", "Tier1"})


def kind(resource_type: str) -> Kind:
    return KINDS[resource_type]


# --- policy paths: every path nsxplan builds comes from the table above ------------------------

INFRA = "/infra"
DEFAULT_ID = "default"      # the one locale-services nsxplan writes on a gateway
USER_SECTION = "USER"       # the NAT section of user rules (NSX creates it with the gateway)


def collection_path(resource_type: str, parent: str = INFRA) -> str:
    """`/infra/segments`: where objects of a kind sit under `parent` (top level by default)."""
    return f"{parent.rstrip('/')}/{KINDS[resource_type].collection}"


def path_of(resource_type: str, obj_id: str = "", parent: str = INFRA) -> str:
    """The policy path of one object: `path_of("Tier1", "t1")` is `/infra/tier-1s/t1`;
    `path_of("StaticRoutes", "r", gw)` is `{gw}/static-routes/r`; a singleton (the DNS
    forwarder, BGP) takes no id: `path_of("PolicyDnsForwarder", parent=gw)`."""
    base = collection_path(resource_type, parent)
    return base if KINDS[resource_type].singleton else f"{base}/{obj_id}"


def locale_services_path(gateway_path: str) -> str:
    return path_of("LocaleServices", DEFAULT_ID, gateway_path)


def nat_section_path(gateway_path: str) -> str:
    return path_of("PolicyNat", USER_SECTION, gateway_path)


def nat_rule_path(gateway_path: str, rule_id: str) -> str:
    return path_of("PolicyNatRule", rule_id, nat_section_path(gateway_path))


def child_path(parent_path: str, resource_type: str, obj_id: str) -> str:
    """Policy path of an object from its parent's path (used when NSX omits `path`)."""
    if resource_type not in KINDS:
        # Unknown kinds still need a unique, stable path; NSX's convention is a plural
        # collection segment, which we cannot guess, so the type name stands in.
        return f"{parent_path.rstrip('/')}/{resource_type}/{obj_id}"
    return path_of(resource_type, obj_id, parent_path)


def reference_paths(obj: Mapping[str, Any]) -> tuple[str, ...]:
    """Policy paths an object (live or desired body) points at through its reference fields."""
    k = KINDS.get(str(obj.get("resource_type")))
    if k is None:
        return ()
    out: list[str] = []
    for f in k.references:
        v = obj.get(f)
        if isinstance(v, str) and v:
            out.append(v)
        elif isinstance(v, (list, tuple)):
            out.extend(x for x in v if isinstance(x, str) and x)
    return tuple(out)


def gateway_of(path: str) -> str | None:
    """`/infra/tier-1s/t1/...` -> `/infra/tier-1s/t1`; None outside gateways."""
    parts = path.split("/", 4)
    if len(parts) >= 4 and parts[1] == "infra" and parts[2] in ("tier-0s", "tier-1s"):
        return "/".join(parts[:4])
    return None


_ADDRESS_SEGMENTS = {
    "tier-0s": "tier0s", "tier-1s": "tier1s", "static-routes": "static_routes",
    "nat-rules": "nat_rules", "locale-services": "locale_services",
    "dns-forwarder-zones": "dns_zones", "ip-blocks": "ip_blocks", "ip-pools": "ip_pools",
    "ip-subnets": "subnets",
}


def address_for_path(path: str) -> str:
    """`/infra/tier-0s/t0/nat/USER/nat-rules/r` -> `tier0s.t0.nat_rules.r` (live-only objects)."""
    parts = [p for p in path.split("/") if p][1:]   # drop "infra"
    out: list[str] = []
    i = 0
    while i < len(parts):
        seg = parts[i]
        if seg == "nat" and i + 1 < len(parts):
            i += 2                                     # the NAT section (USER) is implicit
            continue
        if seg == "dns-forwarder":
            out.append("dns_forwarder")
            i += 1
            continue
        if seg == "bgp":
            out.append("bgp")                          # a singleton: no id follows
            i += 1
            continue
        if seg == "locale-services" and i + 2 < len(parts):
            i += 2          # interfaces and BGP read as the gateway's own (tier0s.t0.bgp...)
            continue
        out.append(_ADDRESS_SEGMENTS.get(seg, seg.replace("-", "_")))
        if i + 1 < len(parts):
            out.append(parts[i + 1])
        i += 2
    return ".".join(out)
