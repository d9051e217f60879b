"""Configuration model -> the NSX objects it declares (managed fields only).

Which fields are managed when the configuration leaves them out is decided in nsx/fields.py:
fields with a documented default are in `body` at that default; structural fields (a NAT rule's
match) are in `body` as None when unset (Any); recorded fields (description, sequence, ...) are in
`body` only when set, and `recorded` names them for the record tag. `create_extra` holds what is
sent only when creating (display_name defaults to the id, as NSX itself would do) and is never
compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from nsxplan.config.model import (
    Config,
    DnsForwarder,
    DnsZone,
    NatRule,
    StaticRoute,
    Tag,
    Tier0,
    Tier1,
)
from nsxplan.errors import Source
from nsxplan.nsx.fields import DEFAULTS, RECORDED, nat_firewall_match
from nsxplan.nsx.kinds import (
    collection_path,
    locale_services_path,
    nat_section_path,
    path_of,
)
from nsxplan.plan.bodies import common_fields, set_field
from nsxplan.plan.desired_routing import infra_objects, locale_fields, tier0_objects


@dataclass(frozen=True, kw_only=True, slots=True)
class Desired:
    address: str
    kind: str                           # NSX resource_type
    path: str
    parent_path: str
    body: Mapping[str, Any]             # managed fields (without tags: see `tags`)
    tags: tuple[Tag, ...] = ()          # user tags; the owner tag is added by the planner
    source: Source | None = None
    references: tuple[str, ...] = ()    # policy paths this object needs to exist first
    adopt: bool = False
    parent_address: str | None = None   # the planned parent (None: /infra or an existing gateway)
    create_extra: Mapping[str, Any] = field(default_factory=dict)
    gateway: str | None = None          # policy path of the gateway it belongs to
    protect: bool = False               # `protect: true`: never delete or replace it
    # A write-only password (BGP neighbor) comes from this environment variable: the planner
    # keeps its digest in a tag, apply sends the value (nsx/passwords.py). Never in `body`.
    password_env: str | None = None

    @property
    def recorded(self) -> frozenset[str]:
        """The recorded fields this configuration sets (see nsx/fields.py)."""
        names = RECORDED.get(self.kind, {})
        body = self.body
        return frozenset([f for f in names if body.get(f) is not None])


def desired_objects(config: Config) -> list[Desired]:
    out: list[Desired] = []
    for zone in config.dns_zones:
        out.append(_zone(zone))
    for t0 in config.tier0s:
        out.extend(_gateway(t0, "tier0s", "Tier0", _tier0_fields(t0)))
    for t1 in config.tier1s:
        out.extend(_gateway(t1, "tier1s", "Tier1", _tier1_fields(t1)))
    out.extend(infra_objects(config, _maker(None, None)))
    return out


def _maker(gateway: str | None, gw_adopt: bool | None) -> Any:
    """A Desired constructor for desired_routing.py; children of a Tier-0 inherit its `adopt`."""
    def make(address: str, kind: str, path: str, parent_path: str, body: dict[str, Any],
             obj: Any, references: tuple[str, ...], parent_address: str | None, *,
             obj_id: str | None = None, password_env: str | None = None) -> Desired:
        ident = obj_id or obj.id
        return Desired(address=address, kind=kind, path=path, parent_path=parent_path,
                       body=_with_ids(kind, ident, body), tags=obj.tags,
                       source=obj.source, references=references, adopt=bool(obj.adopt or gw_adopt),
                       parent_address=parent_address,
                       create_extra={"display_name": ident},
                       gateway=gateway, protect=bool(obj.protect),
                       password_env=password_env)
    return make


def zone_path(zone_id: str) -> str:
    return path_of("PolicyDnsForwarderZone", zone_id)


def _tier0_fields(t0: Tier0) -> dict[str, Any]:
    body = common_fields(t0)
    set_field(body, "ha_mode", t0.ha_mode)
    set_field(body, "failover_mode", t0.failover_mode)
    return body


def _tier1_fields(t1: Tier1) -> dict[str, Any]:
    body = common_fields(t1)
    set_field(body, "tier0_path", t1.tier0_path)
    set_field(body, "route_advertisement_types", t1.route_advertisement)
    set_field(body, "failover_mode", t1.failover_mode)
    return body


def _gateway(gw: Tier0 | Tier1, plural: str, kind: str, fields: dict[str, Any]) -> list[Desired]:
    address = f"{plural}.{gw.id}"
    out: list[Desired] = []
    refs: tuple[str, ...] = ()
    if isinstance(gw, Tier1) and gw.tier0_path:
        refs = (gw.tier0_path,)
    if not gw.existing:
        # `existing: true`: owned elsewhere, never changed; only its children are managed.
        out.append(Desired(address=address, kind=kind, path=gw.path, parent_path="/infra",
                           body=_with_ids(kind, gw.id, fields),
                           tags=gw.tags, source=gw.source, references=refs, adopt=gw.adopt,
                           parent_address=None,
                           create_extra={"display_name": gw.id}, gateway=gw.path,
                           protect=gw.protect))
    parent_addr = None if gw.existing else address
    ls_fields = locale_fields(gw) if isinstance(gw, Tier0) else {}
    ls_address = None
    if gw.edge_cluster is not None or ls_fields:
        ls_path = locale_services_path(gw.path)
        if gw.edge_cluster is not None:
            ls_fields = {"edge_cluster_path": gw.edge_cluster, **ls_fields}
        ls_address = f"{address}.locale_services.default"
        # On an `existing` Tier-0, managing redistribution takes over its locale-services:
        # `adopt` on the gateway (or its `bgp`) says so.
        ls_adopt = gw.adopt or (isinstance(gw, Tier0) and gw.bgp is not None and gw.bgp.adopt)
        out.append(Desired(address=ls_address, kind="LocaleServices", path=ls_path,
                           parent_path=gw.path,
                           body=_with_ids("LocaleServices", "default", ls_fields),
                           tags=(), source=gw.source, references=_route_maps(gw),
                           adopt=ls_adopt,
                           parent_address=parent_addr,
                           create_extra={"display_name": "default"}, gateway=gw.path))
    if isinstance(gw, Tier0):
        out.extend(tier0_objects(gw, _maker(gw.path, gw.adopt), ls_address or parent_addr,
                                 parent_addr))
    if gw.static_routes or gw.nat_rules:
        at = _Gateway.of(gw, address, parent_addr)
        out.extend(_route(at, r) for r in gw.static_routes)
        out.extend(_nat(at, n) for n in gw.nat_rules)
    if isinstance(gw, Tier1) and gw.dns_forwarder is not None:
        out.append(_forwarder(gw, address, parent_addr, gw.dns_forwarder))
    return out


def _route_maps(gw: Tier0 | Tier1) -> tuple[str, ...]:
    """The route maps the redistribution rules name: written before the locale-services."""
    if not isinstance(gw, Tier0) or not gw.route_redistribution:
        return ()
    return tuple(dict.fromkeys(r.route_map for r in gw.route_redistribution if r.route_map))


def _service_router(gw: Tier0 | Tier1) -> tuple[str, ...]:
    """NAT and the DNS forwarder run on the gateway's service router, which exists once its
    locale-services has an edge cluster: write that first when this configuration sets it."""
    return (locale_services_path(gw.path),) if gw.edge_cluster is not None else ()


def _with_ids(kind: str, obj_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    return {"resource_type": kind, "id": obj_id, **fields}


@dataclass(frozen=True, slots=True)
class _Gateway:
    """What every route and NAT rule of one gateway shares, worked out once per gateway
    rather than once per object (a gateway of a large configuration carries hundreds)."""

    path: str
    address: str
    parent_address: str | None
    routes: str                         # the static-routes collection path
    section: str                        # the user NAT section's path
    rules: str                          # its nat-rules collection path
    service_router: tuple[str, ...]     # see _service_router

    @classmethod
    def of(cls, gw: Tier0 | Tier1, address: str, parent_address: str | None) -> _Gateway:
        path = gw.path
        section = nat_section_path(path)
        return cls(path=path, address=address, parent_address=parent_address,
                   routes=collection_path("StaticRoutes", path), section=section,
                   rules=collection_path("PolicyNatRule", section),
                   service_router=_service_router(gw))


def _route(at: _Gateway, r: StaticRoute) -> Desired:
    body = common_fields(r)
    body["network"] = r.network
    hops = []
    for h in r.next_hops:
        hop: dict[str, Any] = {"ip_address": h.ip}
        # Left out, it is still managed: normalize compares a missing admin_distance as 1.
        if h.admin_distance is not None:
            hop["admin_distance"] = h.admin_distance
        hops.append(hop)
    body["next_hops"] = hops
    # f"{at.routes}/{r.id}" is path_of("StaticRoutes", r.id, at.path): routes are no singleton.
    return Desired(address=f"{at.address}.static_routes.{r.id}", kind="StaticRoutes",
                   path=f"{at.routes}/{r.id}", parent_path=at.path,
                   body=_with_ids("StaticRoutes", r.id, body), tags=r.tags, source=r.source,
                   references=(), adopt=r.adopt,
                   parent_address=at.parent_address, create_extra={"display_name": r.id},
                   gateway=at.path, protect=r.protect)


def _nat(at: _Gateway, n: NatRule) -> Desired:
    body = common_fields(n)
    body["action"] = n.action
    # The match and the translation are the rule: left out means Any / none, always managed.
    body["source_network"] = n.source_network
    body["destination_network"] = n.destination_network
    body["translated_network"] = n.translated_network
    body["translated_ports"] = n.translated_ports
    body["service"] = n.service
    set_field(body, "sequence_number", n.sequence_number)
    defaults = DEFAULTS["PolicyNatRule"]
    body["firewall_match"] = n.firewall_match or nat_firewall_match(n.action)
    body["enabled"] = defaults["enabled"] if n.enabled is None else n.enabled
    body["logging"] = defaults["logging"] if n.logging is None else n.logging
    refs: tuple[str, ...] = (n.service,) if n.service else ()
    refs += at.service_router
    # f"{at.rules}/{n.id}" is path_of("PolicyNatRule", n.id, at.section) (no singleton).
    return Desired(address=f"{at.address}.nat_rules.{n.id}", kind="PolicyNatRule",
                   path=f"{at.rules}/{n.id}", parent_path=at.section,
                   body=_with_ids("PolicyNatRule", n.id, body), tags=n.tags, source=n.source,
                   references=refs, adopt=n.adopt,
                   parent_address=at.parent_address, create_extra={"display_name": n.id},
                   gateway=at.path, protect=n.protect)


def _forwarder(gw: Tier1, gw_addr: str, parent_addr: str | None, f: DnsForwarder) -> Desired:
    body = common_fields(f)
    body["listener_ip"] = f.listener_ip
    body["default_forwarder_zone_path"] = zone_path(f.default_zone.id)
    body["conditional_forwarder_zone_paths"] = [zone_path(z.id) for z in f.conditional_zones]
    defaults = DEFAULTS["PolicyDnsForwarder"]
    body["enabled"] = defaults["enabled"] if f.enabled is None else f.enabled
    body["log_level"] = f.log_level or defaults["log_level"]
    refs = (zone_path(f.default_zone.id),) + tuple(zone_path(z.id) for z in f.conditional_zones)
    refs += _service_router(gw)
    return Desired(address=f"{gw_addr}.dns_forwarder", kind="PolicyDnsForwarder",
                   path=path_of("PolicyDnsForwarder", parent=gw.path),
                   parent_path=gw.path, body=_with_ids("PolicyDnsForwarder", "dns-forwarder", body),
                   tags=f.tags,
                   source=f.source, references=refs, adopt=f.adopt, parent_address=parent_addr,
                   create_extra={"display_name": "dns-forwarder"},
                   gateway=gw.path, protect=f.protect)


def _zone(z: DnsZone) -> Desired:
    body = common_fields(z)
    body["upstream_servers"] = list(z.upstream_servers)
    body["dns_domain_names"] = list(z.domains) or None     # None: a default zone
    set_field(body, "source_ip", z.source_ip)
    return Desired(address=f"dns_zones.{z.id}", kind="PolicyDnsForwarderZone", path=zone_path(z.id),
                   parent_path="/infra",
                   body=_with_ids("PolicyDnsForwarderZone", z.id, body), tags=z.tags,
                   source=z.source, references=(),
                   adopt=z.adopt, parent_address=None, create_extra={"display_name": z.id},
                   gateway=None, protect=z.protect)
