"""A Tier-0's routing after the plan: interfaces, BGP neighbors, redistribution, HA VIPs.

Live objects overridden by the configuration, as topology.py does for NAT rules and routes: a
declared interface or neighbor replaces the live one with the same id, live ones this stack owns
but no longer declares are gone (the plan deletes them), and a declared `bgp`, or
`route_redistribution` replaces the live settings. Pure: topology.py hands in the live objects.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nsxplan.config.model import Tier0
from nsxplan.nsx.addresses import IPAddress, IPNetwork
from nsxplan.nsx.kinds import path_of
from nsxplan.nsx.objects import OWNER_SCOPE

Obj = Mapping[str, Any]


@dataclass(frozen=True)
class InterfaceView:
    id: str
    path: str
    type: str
    addresses: tuple[tuple[IPAddress, IPNetwork], ...]   # (interface address, its subnet)


@dataclass(frozen=True)
class NeighborView:
    id: str
    address: str
    source_addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class RoutingView:
    interfaces: tuple[InterfaceView, ...]
    bgp_enabled: bool
    neighbors: tuple[NeighborView, ...]
    redistribution: tuple[tuple[str, frozenset[str]], ...]   # (rule name, types into BGP)
    vips: tuple[IPAddress, ...]

    @property
    def redistributed(self) -> frozenset[str]:
        return frozenset(t for _, types in self.redistribution for t in types)


def _owned(obj: Obj, owner: str | None) -> bool:
    return owner is not None and any(
        isinstance(t, Mapping) and t.get("scope") == OWNER_SCOPE and t.get("tag") == owner
        for t in obj.get("tags") or ())


def _addresses(subnets: Iterable[Any]) -> tuple[tuple[IPAddress, IPNetwork], ...]:
    out: list[tuple[IPAddress, IPNetwork]] = []
    for sn in subnets:
        if not isinstance(sn, Mapping):
            continue
        for ip in sn.get("ip_addresses") or ():
            try:
                iface = ipaddress.ip_interface(f"{ip}/{sn.get('prefix_len')}")
            except ValueError:
                continue
            out.append((iface.ip, iface.network))
    return tuple(out)


def _interfaces(cfg: Tier0 | None, live: list[Obj], owner: str | None) -> tuple[InterfaceView, ...]:
    declared = {i.id: i for i in cfg.interfaces} if cfg else {}
    ls = cfg.locale_services_path if cfg else ""
    out = [InterfaceView(i.id, path_of("Tier0Interface", i.id, ls), i.effective_type,
                         _addresses({"ip_addresses": [s.ip], "prefix_len": s.prefix_len}
                                    for s in i.subnets))
           for i in declared.values()]
    for obj in live:
        if obj.get("id") in declared or _owned(obj, owner):
            continue
        out.append(InterfaceView(str(obj.get("id")), str(obj.get("path")),
                                 str(obj.get("type") or "EXTERNAL"),
                                 _addresses(obj.get("subnets") or ())))
    return tuple(out)


def _neighbors(cfg: Tier0 | None, live: list[Obj], owner: str | None) -> tuple[NeighborView, ...]:
    declared = {n.id: n for n in cfg.bgp.neighbors} if cfg and cfg.bgp else {}
    out = [NeighborView(n.id, n.address, tuple(n.source_addresses or ()))
           for n in declared.values()]
    for obj in live:
        if obj.get("id") in declared or _owned(obj, owner) or not obj.get("neighbor_address"):
            continue
        out.append(NeighborView(str(obj.get("id")), str(obj["neighbor_address"]),
                                tuple(str(s) for s in obj.get("source_addresses") or ())))
    return tuple(sorted(out, key=lambda n: n.address))


def _bgp_enabled(cfg: Tier0 | None, live: list[Obj]) -> bool:
    # `enabled` absent: NSX treats BGP as on (the Terraform provider's default too); an empty
    # local AS disables it. A declared `bgp` creates the config when NSX has none.
    if cfg is not None and cfg.bgp is not None:
        base = live[0] if live else {}
        enabled = cfg.bgp.enabled if cfg.bgp.enabled is not None else base.get("enabled")
        local_as = cfg.bgp.local_as if cfg.bgp.local_as is not None else base.get("local_as_num")
        return enabled is not False and local_as not in ("", None)
    return any(o.get("enabled") is not False and o.get("local_as_num", "x") != "" for o in live)


def _redistribution(cfg: Tier0 | None, live_ls: list[Obj]
                    ) -> tuple[tuple[str, frozenset[str]], ...]:
    if cfg is not None and cfg.route_redistribution is not None:
        return tuple((r.name, frozenset(r.types)) for r in cfg.route_redistribution)
    out = []
    for ls in live_ls:
        config = ls.get("route_redistribution_config")
        if not isinstance(config, Mapping) or config.get("bgp_enabled") is False:
            continue
        for rule in config.get("redistribution_rules") or ():
            if not isinstance(rule, Mapping) or "BGP" not in (rule.get("destinations") or
                                                              ["BGP"]):
                continue
            out.append((str(rule.get("name") or ""),
                        frozenset(str(t) for t in rule.get("route_redistribution_types") or ())))
        # deprecated flat list: still what some managers answer
        flat = ls.get("route_redistribution_types")
        if flat:
            out.append(("route_redistribution_types", frozenset(str(t) for t in flat)))
    return tuple(out)


def _vips(cfg: Tier0 | None, live_ls: list[Obj]) -> tuple[IPAddress, ...]:
    if cfg is not None and cfg.ha_vips:
        return tuple(ipaddress.ip_address(s.ip) for v in cfg.ha_vips for s in v.subnets
                     if _is_ip(s.ip))
    out: list[IPAddress] = []
    for ls in live_ls:
        for vip in ls.get("ha_vip_configs") or ():
            if isinstance(vip, Mapping):
                out.extend(ip for ip, _ in _addresses(vip.get("vip_subnets") or ()))
    return tuple(out)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def routing_view(cfg: Tier0 | None, owner: str | None, *, interfaces: list[Obj], bgp: list[Obj],
                 neighbors: list[Obj], locale_services: list[Obj]) -> RoutingView:
    return RoutingView(
        interfaces=_interfaces(cfg, interfaces, owner),
        bgp_enabled=_bgp_enabled(cfg, bgp),
        neighbors=_neighbors(cfg, neighbors, owner),
        redistribution=_redistribution(cfg, locale_services),
        vips=_vips(cfg, locale_services),
    )
