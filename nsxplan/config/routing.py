"""The configuration's routing and address-management objects (issue 12), as frozen dataclasses.

Tier-0 uplinks, BGP, route redistribution and HA VIPs (children of a Tier-0's `default`
locale-services), the VLAN segments uplinks attach to, and the IP blocks and pools NCP discovers
by their tags. Kept apart from model.py so that the gateway model stays readable; model.Tier0 and
model.Config hold these.
"""

from __future__ import annotations

from dataclasses import dataclass

from nsxplan.config.declared import Declared
from nsxplan.errors import Source
from nsxplan.nsx.kinds import collection_path, path_of

SEGMENTS_PATH = collection_path("Segment")
IP_BLOCKS_PATH = collection_path("IpAddressBlock")


@dataclass(frozen=True)
class Segment(Declared):
    """A segment (overlay or VLAN) with its subnets."""

    id: str
    vlan_ids: tuple[str, ...]             # NSX stores VLAN ids (and ranges) as strings
    transport_zone: str

    @property
    def path(self) -> str:
        return path_of("Segment", self.id)


@dataclass(frozen=True)
class InterfaceSubnet:
    """One subnet (address and prefix length) of a Tier-0 interface or HA VIP."""

    ip: str
    prefix_len: int


@dataclass(frozen=True)
class Tier0Interface(Declared):
    """An interface of a Tier-0's locale services."""

    id: str
    subnets: tuple[InterfaceSubnet, ...]
    type: str | None = None               # None = not set (NSX default EXTERNAL)
    segment_path: str | None = None
    edge_path: str | None = None
    mtu: int | None = None

    @property
    def effective_type(self) -> str:
        return self.type or "EXTERNAL"


@dataclass(frozen=True)
class HaVip:
    """An HA VIP over a Tier-0's uplink interfaces."""

    interfaces: tuple[str, ...]           # interface ids of the same Tier-0
    subnets: tuple[InterfaceSubnet, ...]
    enabled: bool | None = None
    source: Source | None = None


@dataclass(frozen=True)
class Bfd:
    """BFD settings of a BGP neighbor."""

    enabled: bool = True
    interval: int | None = None
    multiple: int | None = None


@dataclass(frozen=True)
class BgpNeighbor(Declared):
    """A BGP neighbor of a Tier-0."""

    id: str
    address: str
    remote_as: str
    source_addresses: tuple[str, ...] | None = None
    hop_limit: int | None = None
    hold_down_time: int | None = None
    keep_alive_time: int | None = None
    password_env: str | None = None       # the NAME of the variable; the value is never modelled
    bfd: Bfd | None = None


@dataclass(frozen=True)
class Bgp(Declared):
    """A Tier-0's BGP configuration and neighbors."""

    local_as: str | None = None
    enabled: bool | None = None
    ecmp: bool | None = None
    multipath_relax: bool | None = None
    graceful_restart: str | None = None   # graceful_restart_config.mode
    neighbors: tuple[BgpNeighbor, ...] = ()


@dataclass(frozen=True)
class RedistributionRule:
    """One route redistribution rule of a Tier-0."""

    name: str
    types: tuple[str, ...]
    route_map: str | None = None
    source: Source | None = None


@dataclass(frozen=True)
class IpBlock(Declared):
    """An IP address block."""

    id: str
    cidr: str

    @property
    def path(self) -> str:
        return path_of("IpAddressBlock", self.id)


@dataclass(frozen=True)
class IpPoolSubnet(Declared):
    """A static subnet of an IP pool."""

    id: str
    ip_block_path: str | None = None      # block subnet
    size: int | None = None
    cidr: str | None = None               # static subnet
    ranges: tuple[str, ...] = ()
    gateway: str | None = None
    dns_nameservers: tuple[str, ...] | None = None

    @property
    def is_block(self) -> bool:
        return self.ip_block_path is not None


@dataclass(frozen=True)
class IpPool(Declared):
    """An IP address pool and its subnets."""

    id: str
    subnets: tuple[IpPoolSubnet, ...] = ()

    @property
    def path(self) -> str:
        return path_of("IpAddressPool", self.id)


@dataclass(frozen=True)
class Prefix:
    """One entry of a prefix list."""

    network: str                           # CIDR or ANY
    action: str = "PERMIT"
    ge: int | None = None
    le: int | None = None


@dataclass(frozen=True)
class PrefixList(Declared):
    """A Tier-0 prefix list."""

    id: str
    prefixes: tuple[Prefix, ...]


@dataclass(frozen=True)
class RouteMapEntry:
    """One entry of a route map."""

    action: str
    prefix_lists: tuple[str, ...]          # policy paths


@dataclass(frozen=True)
class RouteMap(Declared):
    """A Tier-0 route map."""

    id: str
    entries: tuple[RouteMapEntry, ...]
