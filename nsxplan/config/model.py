"""The configuration as frozen dataclasses, references resolved.

Built from loaded documents by `build_config` (validation has already reported every problem).
Values are kept as the user wrote them, except where this module says it normalizes; planning,
checks and rendering read only these objects, never raw YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from nsxplan.config.declared import Declared
from nsxplan.config.tag import Tag as Tag  # re-exported: the model's tag
from nsxplan.errors import Source
from nsxplan.nsx.kinds import locale_services_path, path_of

if TYPE_CHECKING:   # only annotations: routing.py is imported by build_routing.py
    from nsxplan.config.routing import (
        Bgp,
        HaVip,
        IpBlock,
        IpPool,
        PrefixList,
        RedistributionRule,
        RouteMap,
        Segment,
        Tier0Interface,
    )




@dataclass(frozen=True)
class Target:
    """The NSX manager a configuration is planned against, and how to reach it."""

    manager: str | None = None          # "https://host[:port]", "sim", "sim:FILE" (FILE resolved
                                        # relative to the config file's directory)
    verify_tls: bool = True
    ca_bundle: str | None = None
    auth: str = "basic"                 # basic | session | certificate
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class NextHop:
    """One next hop of a static route."""

    ip: str
    admin_distance: int | None = None   # None = not set by the user (server default 1)
    source: Source | None = None


@dataclass(frozen=True, slots=True)
class StaticRoute(Declared):
    """A static route of a Tier-0 or Tier-1 gateway."""

    id: str
    network: str
    next_hops: tuple[NextHop, ...]


@dataclass(frozen=True, slots=True)
class NatRule(Declared):
    """A NAT rule of a gateway (the USER section)."""

    id: str
    action: str                          # SNAT | DNAT | REFLEXIVE | NO_SNAT | NO_DNAT
    source_network: str | None = None    # None = Any
    destination_network: str | None = None
    translated_network: str | None = None
    translated_ports: str | None = None
    service: str | None = None
    sequence_number: int | None = None
    firewall_match: str | None = None
    enabled: bool | None = None          # None = not set by the user (NSX default true)
    logging: bool | None = None          # None = not set by the user (NSX default false)


@dataclass(frozen=True)
class DnsZone(Declared):
    """A DNS forwarder zone: the default zone or a conditional one."""

    id: str
    upstream_servers: tuple[str, ...]
    domains: tuple[str, ...] = ()        # empty = default zone
    source_ip: str | None = None

    @property
    def is_conditional(self) -> bool:
        return bool(self.domains)


@dataclass(frozen=True)
class DnsForwarder(Declared):
    """A Tier-1's DNS forwarder and the zones it uses."""

    listener_ip: str
    default_zone: DnsZone                # resolved
    conditional_zones: tuple[DnsZone, ...] = ()
    enabled: bool | None = None
    log_level: str | None = None


@dataclass(frozen=True)
class Tier0(Declared):
    """A Tier-0 gateway: managed, adopted or `existing` (only its children managed)."""

    id: str
    existing: bool = False
    ha_mode: str | None = None           # None = not set (NSX default ACTIVE_ACTIVE)
    failover_mode: str | None = None
    edge_cluster: str | None = None      # policy path; manages locale-services "default"
    static_routes: tuple[StaticRoute, ...] = ()
    nat_rules: tuple[NatRule, ...] = ()
    interfaces: tuple[Tier0Interface, ...] = ()
    ha_vips: tuple[HaVip, ...] = ()
    bgp: Bgp | None = None
    route_redistribution: tuple[RedistributionRule, ...] | None = None   # None = not managed
    prefix_lists: tuple[PrefixList, ...] = ()
    route_maps: tuple[RouteMap, ...] = ()

    @property
    def path(self) -> str:
        return path_of("Tier0", self.id)

    @property
    def locale_services_path(self) -> str:
        """Interfaces, BGP, redistribution and HA VIPs live in the `default` locale-services."""
        return locale_services_path(self.path)

    @property
    def effective_ha_mode(self) -> str:
        return self.ha_mode or "ACTIVE_ACTIVE"


@dataclass(frozen=True)
class Tier1(Declared):
    """A Tier-1 gateway and what it carries."""

    id: str
    existing: bool = False
    tier0: Tier0 | None = None           # resolved when the Tier-0 is in this configuration
    tier0_path: str | None = None        # always set when `tier0` was given (config id or path)
    route_advertisement: tuple[str, ...] | None = None
    failover_mode: str | None = None
    edge_cluster: str | None = None
    static_routes: tuple[StaticRoute, ...] = ()
    nat_rules: tuple[NatRule, ...] = ()
    dns_forwarder: DnsForwarder | None = None

    @property
    def path(self) -> str:
        return path_of("Tier1", self.id)


@dataclass(frozen=True)
class DnsServerDependency:
    """A DNS server outside NSX that the configuration's clients depend on."""

    address: str
    clients: tuple[str, ...]
    return_route: bool = False
    source: Source | None = None


@dataclass(frozen=True)
class RoutedUpstream:
    """An egress range the upstream network routes back without Tier-0 NAT (config extension:
    `dependencies.routed_upstream: [CIDR, ...]`)."""

    cidr: str
    source: Source | None = None


@dataclass(frozen=True)
class Dependencies:
    """What the configuration relies on outside NSX (for the dependency checks)."""

    dns_servers: tuple[DnsServerDependency, ...] = ()
    routed_upstream: tuple[RoutedUpstream, ...] = ()


@dataclass(frozen=True)
class Waiver:
    """Silences one known failing check (its id and subject, exactly) until `expires`."""

    check: str
    subject: str
    reason: str
    expires: date
    source: Source | None = None


@dataclass(frozen=True)
class Ignore:
    """Objects (policy path or address glob) or some of their fields that may drift."""

    pattern: str
    fields: tuple[str, ...] = ()         # empty: the whole object
    source: Source | None = None


@dataclass(frozen=True)
class Guards:
    """Limits on how much one apply may delete."""

    max_deletes: int = 10
    max_delete_percent: int = 25


@dataclass(frozen=True)
class Config:
    """A whole loaded configuration: every object, references resolved."""

    version: int
    owner: str
    files: tuple[str, ...]               # the YAML files read, in order
    target: Target = field(default_factory=Target)
    tier0s: tuple[Tier0, ...] = ()
    tier1s: tuple[Tier1, ...] = ()
    dns_zones: tuple[DnsZone, ...] = ()
    segments: tuple[Segment, ...] = ()
    ip_blocks: tuple[IpBlock, ...] = ()
    ip_pools: tuple[IpPool, ...] = ()
    dependencies: Dependencies = field(default_factory=Dependencies)
    digest: str = ""                     # sha256 of the canonical JSON of the loaded documents
    waivers: tuple[Waiver, ...] = ()
    ignore: tuple[Ignore, ...] = ()
    guards: Guards = field(default_factory=Guards)
