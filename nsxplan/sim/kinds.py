"""The simulator's own table of NSX policy kinds: where each lives in the tree and its defaults.

Deliberately independent of the planner's kind table (nsxplan/kinds.py): the simulator is
written from the NSX API reference alone, so a mistake in one table cannot hide the same
mistake in the other.

A kind is identified by a key unique in the tree ("Tier0/LocaleServices" and
"Tier1/LocaleServices" share a resource_type but not a parent). Paths are built as
``parent_path [+ "/" + collection] + "/" + id``; singletons (BGP, DNS forwarder) have no
collection segment and a fixed id that is also their path segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any


@dataclass(frozen=True)
class Ref:
    """A field holding policy path(s) of other objects: must resolve; blocks their deletion."""

    field: str
    targets: tuple[str, ...]  # accepted resource_types of the referenced object
    many: bool = False


@dataclass(frozen=True)
class Kind:
    key: str
    resource_type: str
    parent: str | None
    collection: str | None = None  # URL segment before the id; None for singletons and Infra
    singleton_id: str | None = None
    fixed_ids: frozenset[str] | None = None  # ids that exist implicitly (NAT sections)
    defaults: dict[str, Any] = field(default_factory=dict)
    refs: tuple[Ref, ...] = ()
    # Polymorphic kinds (IP pool subnets): the resource_types an object here may have; the
    # H-API wrapper still names the base type (ChildIpAddressPoolSubnet / IpAddressPoolSubnet).
    variants: frozenset[str] | None = None

    def accepts(self, resource_type: str) -> bool:
        if self.variants is not None:
            return resource_type in self.variants
        return resource_type == self.resource_type

    @property
    def child_wrapper(self) -> str:
        return "Child" + self.resource_type


# NSX fills these on every object when the client does not (reference §2, §4).
COMMON_DEFAULTS: dict[str, Any] = {"tags": []}

NAT_SECTIONS = frozenset({"USER", "DEFAULT", "INTERNAL"})

_GATEWAY_DEFAULTS: dict[str, dict[str, Any]] = {
    "Tier0": {"ha_mode": "ACTIVE_ACTIVE", "failover_mode": "NON_PREEMPTIVE"},
    "Tier1": {"failover_mode": "NON_PREEMPTIVE", "pool_allocation": "ROUTING"},
}


def _build() -> dict[str, Kind]:
    kinds: list[Kind] = [
        Kind("Infra", "Infra", None),
        Kind("PolicyDnsForwarderZone", "PolicyDnsForwarderZone", "Infra", "dns-forwarder-zones"),
        Kind(
            "Segment",
            "Segment",
            "Infra",
            "segments",
            defaults={"admin_state": "UP", "replication_mode": "MTEP"},
            refs=(Ref("connectivity_path", ("Tier0", "Tier1")),),
        ),
    ]
    kinds += [
        # IP address management (reference §4.11).
        Kind("IpAddressBlock", "IpAddressBlock", "Infra", "ip-blocks"),
        Kind("IpAddressPool", "IpAddressPool", "Infra", "ip-pools"),
        Kind(
            "IpAddressPool/Subnet",
            "IpAddressPoolSubnet",
            "IpAddressPool",
            "ip-subnets",
            refs=(Ref("ip_block_path", ("IpAddressBlock",)),),
            variants=frozenset({"IpAddressPoolStaticSubnet", "IpAddressPoolBlockSubnet"}),
        ),
    ]
    for gw in ("Tier0", "Tier1"):
        coll = "tier-0s" if gw == "Tier0" else "tier-1s"
        refs = (Ref("tier0_path", ("Tier0",)),) if gw == "Tier1" else ()
        kinds += [
            Kind(gw, gw, "Infra", coll, defaults=_GATEWAY_DEFAULTS[gw], refs=refs),
            Kind(f"{gw}/LocaleServices", "LocaleServices", gw, "locale-services"),
            Kind(
                f"{gw}/Interface",
                f"{gw}Interface",
                f"{gw}/LocaleServices",
                "interfaces",
                defaults={"urpf_mode": "STRICT", **({"type": "EXTERNAL"} if gw == "Tier0" else {})},
                refs=(Ref("segment_path", ("Segment",)),),
            ),
            Kind(
                f"{gw}/StaticRoutes",
                "StaticRoutes",
                gw,
                "static-routes",
                defaults={"enabled_on_secondary": False},
            ),
            Kind(f"{gw}/PolicyNat", "PolicyNat", gw, "nat", fixed_ids=NAT_SECTIONS),
            Kind(
                f"{gw}/PolicyNatRule",
                "PolicyNatRule",
                f"{gw}/PolicyNat",
                "nat-rules",
                defaults={
                    "enabled": True,
                    "logging": False,
                    "firewall_match": "MATCH_INTERNAL_ADDRESS",
                    "sequence_number": 0,
                    "scope": [],
                },
            ),
            Kind(
                f"{gw}/PolicyDnsForwarder",
                "PolicyDnsForwarder",
                gw,
                singleton_id="dns-forwarder",
                defaults={"enabled": True, "log_level": "INFO"},
                refs=(
                    Ref("default_forwarder_zone_path", ("PolicyDnsForwarderZone",)),
                    Ref("conditional_forwarder_zone_paths", ("PolicyDnsForwarderZone",), many=True),
                ),
            ),
        ]
    kinds += [
        # Route filtering objects of a Tier-0 (used by route redistribution rules).
        Kind("Tier0/PrefixList", "PrefixList", "Tier0", "prefix-lists"),
        Kind("Tier0/RouteMap", "Tier0RouteMap", "Tier0", "route-maps"),
        # BGP exists only on Tier-0 locale services. enabled/ecmp have no schema default; NSX
        # GET bodies and Terraform both show true, so the simulator fills true (documented choice).
        Kind(
            "Tier0/BgpRoutingConfig",
            "BgpRoutingConfig",
            "Tier0/LocaleServices",
            singleton_id="bgp",
            defaults={"enabled": True, "ecmp": True},
        ),
        Kind(
            "Tier0/BgpNeighborConfig",
            "BgpNeighborConfig",
            "Tier0/BgpRoutingConfig",
            "neighbors",
            defaults={
                "keep_alive_time": 60,
                "hold_down_time": 180,
                "maximum_hop_limit": 1,
                "allow_as_in": False,
            },
        ),
    ]
    return {k.key: k for k in kinds}


KINDS: dict[str, Kind] = _build()
INFRA = KINDS["Infra"]

# parent key -> URL segment -> child kind (collection segment or singleton segment)
SEGMENTS: dict[str, dict[str, Kind]] = {}
# parent key -> resource_type -> child kind (for Hierarchical API nesting)
CHILD_TYPES: dict[str, dict[str, Kind]] = {}
for _k in KINDS.values():
    if _k.parent is None:
        continue
    seg = _k.collection or _k.singleton_id
    assert seg is not None
    SEGMENTS.setdefault(_k.parent, {})[seg] = _k
    CHILD_TYPES.setdefault(_k.parent, {})[_k.resource_type] = _k

ALL_RESOURCE_TYPES = frozenset(k.resource_type for k in KINDS.values())


def child_path(parent_path: str, kind: Kind, obj_id: str) -> str:
    if kind.collection is None:
        return f"{parent_path}/{obj_id}"
    return f"{parent_path}/{kind.collection}/{obj_id}"


@dataclass(frozen=True)
class Target:
    """What a URL under /policy/api/v1 names: one object, or a collection under a parent."""

    kind: Kind
    parent_path: str
    obj_id: str | None  # None: the collection itself (list request)

    @cached_property
    def path(self) -> str:
        assert self.obj_id is not None
        return child_path(self.parent_path, self.kind, self.obj_id)


def resolve(path: str) -> Target | None:
    """Map a policy path (``/infra/...``) to the kind it names, or None when no kind lives there.

    Walks the kind table segment by segment, so it costs O(depth) whatever the state size.
    """
    parts = path.strip("/").split("/")
    if not parts or parts[0] != "infra":
        return None
    if len(parts) == 1:
        return Target(INFRA, "", "infra")
    kind, cur, i = INFRA, "/infra", 1
    while i < len(parts):
        child = SEGMENTS.get(kind.key, {}).get(parts[i])
        if child is None:
            return None
        if child.singleton_id is not None:
            target = Target(child, cur, child.singleton_id)
            i += 1
        elif i + 1 == len(parts):
            return Target(child, cur, None)
        else:
            target = Target(child, cur, parts[i + 1])
            i += 2
        if not target.obj_id:
            return None
        if i == len(parts):
            return target
        kind, cur = child, target.path
    return None
