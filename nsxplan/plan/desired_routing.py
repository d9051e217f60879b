"""Configuration model -> NSX objects, for Tier-0 routing and address management (issue 12).

Tier-0 interfaces, BGP and its neighbors (children of the gateway's `default` locale-services),
VLAN segments, IP blocks, IP pools and their subnets. The redistribution rules and HA VIPs are
fields of the locale-services object itself (desired.py builds it with `locale_fields`).

Write order NSX needs: segment before the interface on it, interfaces before the BGP neighbors
that peer through them (NSX refuses a neighbor on no connected subnet), block before the pool
subnet carved from it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nsxplan.config.model import Config, Tier0
from nsxplan.config.routing import (
    BgpNeighbor,
    InterfaceSubnet,
    IpPool,
    IpPoolSubnet,
    Tier0Interface,
)
from nsxplan.nsx.kinds import path_of
from nsxplan.plan.bodies import common_fields, set_field

MakeDesired = Callable[..., Any]


def subnets_body(subnets: Sequence[InterfaceSubnet]) -> list[dict[str, Any]]:
    return [{"ip_addresses": [s.ip], "prefix_len": s.prefix_len} for s in subnets]


def locale_fields(t0: Tier0) -> dict[str, Any]:
    """route_redistribution_config and ha_vip_configs: sent whole (PATCH replaces nested
    objects), only when the configuration sets them."""
    body: dict[str, Any] = {}
    if t0.route_redistribution is not None:
        rules = []
        for r in t0.route_redistribution:
            rule: dict[str, Any] = {"name": r.name, "route_redistribution_types": list(r.types)}
            set_field(rule, "route_map_path", r.route_map)
            rules.append(rule)
        body["route_redistribution_config"] = {"bgp_enabled": True,
                                               "redistribution_rules": rules}
    if t0.ha_vips:
        configs = []
        for vip in t0.ha_vips:
            cfg: dict[str, Any] = {
                "external_interface_paths": [interface_path(t0, i) for i in vip.interfaces],
                "vip_subnets": subnets_body(vip.subnets)}
            set_field(cfg, "enabled", vip.enabled)
            configs.append(cfg)
        body["ha_vip_configs"] = configs
    return body


def interface_path(t0: Tier0, interface_id: str) -> str:
    return path_of("Tier0Interface", interface_id, t0.locale_services_path)


def tier0_objects(t0: Tier0, make: MakeDesired, ls_address: str | None,
                  gw_address: str | None = None) -> list[Any]:
    """Desired interfaces, BGP config and neighbors of one Tier-0. `make(address, kind, path,
    parent_path, body, obj, references, parent_address, create_extra)` builds a Desired."""
    out: list[Any] = []
    base = f"tier0s.{t0.id}"
    ls = t0.locale_services_path
    for pl in t0.prefix_lists:
        body = common_fields(pl)
        prefixes = []
        for px in pl.prefixes:
            entry: dict[str, Any] = {"network": px.network, "action": px.action}
            set_field(entry, "ge", px.ge)
            set_field(entry, "le", px.le)
            prefixes.append(entry)
        body["prefixes"] = prefixes
        out.append(make(f"{base}.prefix_lists.{pl.id}", "PrefixList",
                        f"{t0.path}/prefix-lists/{pl.id}", t0.path, body, pl, (), gw_address))
    for rm in t0.route_maps:
        body = common_fields(rm)
        body["entries"] = [{"action": e.action, "prefix_list_matches": list(e.prefix_lists)}
                           for e in rm.entries]
        refs = tuple(dict.fromkeys(p for e in rm.entries for p in e.prefix_lists))
        out.append(make(f"{base}.route_maps.{rm.id}", "Tier0RouteMap",
                        f"{t0.path}/route-maps/{rm.id}", t0.path, body, rm, refs, gw_address))
    for iface in t0.interfaces:
        out.append(make(f"{base}.interfaces.{iface.id}", "Tier0Interface",
                        interface_path(t0, iface.id), ls, _interface_body(iface), iface,
                        (iface.segment_path,) if iface.segment_path else (), ls_address))
    bgp = t0.bgp
    if bgp is None:
        return out
    body = common_fields(bgp)
    set_field(body, "local_as_num", bgp.local_as)
    set_field(body, "enabled", bgp.enabled)
    set_field(body, "ecmp", bgp.ecmp)
    set_field(body, "multipath_relax", bgp.multipath_relax)
    if bgp.graceful_restart is not None:
        body["graceful_restart_config"] = {"mode": bgp.graceful_restart}
    bgp_path = path_of("BgpRoutingConfig", parent=ls)
    out.append(make(f"{base}.bgp", "BgpRoutingConfig", bgp_path, ls, body, bgp, (),
                    ls_address, obj_id="bgp"))
    uplinks = tuple(interface_path(t0, i.id) for i in t0.interfaces)
    for nb in bgp.neighbors:
        out.append(make(f"{base}.bgp.neighbors.{nb.id}", "BgpNeighborConfig",
                        path_of("BgpNeighborConfig", nb.id, bgp_path), bgp_path,
                        _neighbor_body(nb), nb, uplinks, f"{base}.bgp",
                        password_env=nb.password_env))
    return out


def _interface_body(iface: Tier0Interface) -> dict[str, Any]:
    body = common_fields(iface)
    set_field(body, "type", iface.type)
    set_field(body, "segment_path", iface.segment_path)
    set_field(body, "edge_path", iface.edge_path)
    body["subnets"] = subnets_body(iface.subnets)
    set_field(body, "mtu", iface.mtu)
    return body


def _neighbor_body(nb: BgpNeighbor) -> dict[str, Any]:
    body = common_fields(nb)
    body["neighbor_address"] = nb.address
    body["remote_as_num"] = nb.remote_as
    set_field(body, "source_addresses", nb.source_addresses)
    set_field(body, "maximum_hop_limit", nb.hop_limit)
    set_field(body, "hold_down_time", nb.hold_down_time)
    set_field(body, "keep_alive_time", nb.keep_alive_time)
    if nb.bfd is not None:
        bfd: dict[str, Any] = {"enabled": nb.bfd.enabled}
        set_field(bfd, "interval", nb.bfd.interval)
        set_field(bfd, "multiple", nb.bfd.multiple)
        body["bfd"] = bfd
    return body


def infra_objects(config: Config, make: MakeDesired) -> list[Any]:
    """Segments, IP blocks, IP pools and pool subnets (all directly under /infra)."""
    out: list[Any] = []
    for seg in config.segments:
        body = common_fields(seg)
        body["vlan_ids"] = list(seg.vlan_ids)
        body["transport_zone_path"] = seg.transport_zone
        out.append(make(f"segments.{seg.id}", "Segment", seg.path, "/infra", body, seg, (),
                        None))
    for block in config.ip_blocks:
        body = common_fields(block)
        body["cidr"] = block.cidr
        out.append(make(f"ip_blocks.{block.id}", "IpAddressBlock", block.path, "/infra", body,
                        block, (), None))
    for pool in config.ip_pools:
        out.append(make(f"ip_pools.{pool.id}", "IpAddressPool", pool.path, "/infra",
                        common_fields(pool), pool, (), None))
        out.extend(_pool_subnet(pool, s, make) for s in pool.subnets)
    return out


def _pool_subnet(pool: IpPool, s: IpPoolSubnet, make: MakeDesired) -> Any:
    body = common_fields(s)
    if s.is_block:
        kind = "IpAddressPoolBlockSubnet"
        body["ip_block_path"] = s.ip_block_path
        set_field(body, "size", s.size)
        refs: tuple[str, ...] = (str(s.ip_block_path),)
    else:
        kind = "IpAddressPoolStaticSubnet"
        set_field(body, "cidr", s.cidr)
        body["allocation_ranges"] = [_range(r) for r in s.ranges]
        set_field(body, "gateway_ip", s.gateway)
        set_field(body, "dns_nameservers", s.dns_nameservers)
        refs = ()
    return make(f"ip_pools.{pool.id}.subnets.{s.id}", kind, path_of(kind, s.id, pool.path),
                pool.path, body, s, refs, f"ip_pools.{pool.id}")


def _range(text: str) -> dict[str, str]:
    first, _, last = text.partition("-")
    return {"start": first.strip(), "end": (last or first).strip()}
