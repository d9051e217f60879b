"""Model construction for the routing and address-management objects (config/routing.py).

Like build.py it trusts what the schema and the semantic rules checked; values NSX stores as
strings (AS numbers, VLAN ids) become strings here, once.
"""

from __future__ import annotations

from typing import Any

from nsxplan.config.build_common import _common, _items, _str, _values
from nsxplan.config.loader import MDict
from nsxplan.config.routing import (
    IP_BLOCKS_PATH,
    SEGMENTS_PATH,
    Bfd,
    Bgp,
    BgpNeighbor,
    HaVip,
    InterfaceSubnet,
    IpBlock,
    IpPool,
    IpPoolSubnet,
    Prefix,
    PrefixList,
    RedistributionRule,
    RouteMap,
    RouteMapEntry,
    Segment,
    Tier0Interface,
)

EDGE_NODES = "/edge-nodes/"


def path_or(value: Any, collection: str) -> str | None:
    """An id (of an object in this configuration or in NSX) or a policy path, as a path."""
    if value is None:
        return None
    text = str(value)
    return text if text.startswith("/") else f"{collection}/{text}"


def interface_subnets(values: Any) -> tuple[InterfaceSubnet, ...]:
    out = []
    for value in values or ():
        ip, _, prefix = str(value).partition("/")
        out.append(InterfaceSubnet(ip.strip(), int(prefix) if prefix.strip().isdigit() else 0))
    return tuple(out)


def edge_path(value: Any, edge_cluster: str | None) -> str | None:
    """`edge_node: 0` -> <edge_cluster>/edge-nodes/0; a full path stays as written."""
    if value is None:
        return None
    text = str(value)
    if text.startswith("/") or edge_cluster is None:
        return text
    return f"{edge_cluster.rstrip('/')}{EDGE_NODES}{text}"


def build_interface(doc: MDict, edge_cluster: str | None, adopt: bool) -> Tier0Interface:
    common = _common(doc)
    common["adopt"] = common["adopt"] or adopt
    return Tier0Interface(
        id=doc["id"],
        subnets=interface_subnets(doc.get("subnets")),
        type=doc.get("type"),
        segment_path=path_or(doc.get("segment"), SEGMENTS_PATH),
        edge_path=edge_path(doc.get("edge_node"), edge_cluster),
        mtu=doc.get("mtu"),
        **common,
    )


def build_ha_vip(doc: MDict) -> HaVip:
    return HaVip(
        interfaces=tuple(str(i) for i in doc.get("interfaces") or ()),
        subnets=interface_subnets(doc.get("subnets")),
        enabled=doc.get("enabled"),
        source=doc.source,
    )


def _bfd(value: Any) -> Bfd | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return Bfd(enabled=value)
    return Bfd(enabled=bool(value.get("enabled", True)), interval=value.get("interval"),
               multiple=value.get("multiple"))


def build_neighbor(doc: MDict, adopt: bool) -> BgpNeighbor:
    common = _common(doc)
    common["adopt"] = common["adopt"] or adopt
    sources = doc.get("source_addresses")
    return BgpNeighbor(
        id=doc["id"],
        address=str(doc["address"]),
        remote_as=str(doc["remote_as"]),
        source_addresses=tuple(str(s) for s in sources) if sources is not None else None,
        hop_limit=doc.get("hop_limit"),
        hold_down_time=doc.get("hold_down_time"),
        keep_alive_time=doc.get("keep_alive_time"),
        password_env=doc.get("password_env"),
        bfd=_bfd(doc.get("bfd")),
        **common,
    )


def build_bgp(doc: Any, adopt: bool) -> Bgp | None:
    if not isinstance(doc, MDict):
        return None
    common = _common(doc)
    common["adopt"] = common["adopt"] or adopt
    return Bgp(
        local_as=_str(doc.get("local_as")),
        enabled=doc.get("enabled"),
        ecmp=doc.get("ecmp"),
        multipath_relax=doc.get("multipath_relax"),
        graceful_restart=doc.get("graceful_restart"),
        neighbors=tuple(build_neighbor(n, common["adopt"]) for n in _values(doc, "neighbors")),
        **common,
    )


def build_redistribution(doc: MDict) -> tuple[RedistributionRule, ...] | None:
    if doc.get("route_redistribution") is None:
        return None
    maps = f"/infra/tier-0s/{doc['id']}/route-maps"
    return tuple(RedistributionRule(name=str(r["name"]), types=tuple(r.get("types") or ()),
                                    route_map=path_or(r.get("route_map"), maps), source=src)
                 for r, src in _items(doc, "route_redistribution"))


def build_prefix_list(doc: MDict) -> PrefixList:
    prefixes = tuple(Prefix(network=str(p["network"]), action=str(p.get("action", "PERMIT")),
                            ge=p.get("ge"), le=p.get("le"))
                     for p in _values(doc, "prefixes"))
    return PrefixList(id=doc["id"], prefixes=prefixes, **_common(doc))


def build_route_map(doc: MDict, tier0_id: str) -> RouteMap:
    lists = f"/infra/tier-0s/{tier0_id}/prefix-lists"
    entries = tuple(RouteMapEntry(action=str(e.get("action", "PERMIT")),
                                  prefix_lists=tuple(str(path_or(x, lists))
                                                     for x in e.get("prefix_lists") or ()))
                    for e in _values(doc, "entries"))
    return RouteMap(id=doc["id"], entries=entries, **_common(doc))


def tier0_routing(doc: MDict) -> dict[str, Any]:
    """The Tier-0 fields config/routing.py adds (see model.Tier0)."""
    adopt = bool(doc.get("adopt", False))
    edge_cluster = doc.get("edge_cluster")
    return {
        "interfaces": tuple(build_interface(i, edge_cluster, adopt)
                            for i in _values(doc, "interfaces")),
        "ha_vips": tuple(build_ha_vip(v) for v in _values(doc, "ha_vip")),
        "bgp": build_bgp(doc.get("bgp"), adopt),
        "route_redistribution": build_redistribution(doc),
        "prefix_lists": tuple(build_prefix_list(d) for d in _values(doc, "prefix_lists")),
        "route_maps": tuple(build_route_map(d, str(doc["id"]))
                            for d in _values(doc, "route_maps")),
    }


def build_segment(doc: MDict) -> Segment:
    return Segment(id=doc["id"], vlan_ids=tuple(str(v) for v in doc.get("vlan_ids") or ()),
                   transport_zone=str(doc["transport_zone"]), **_common(doc))


def build_ip_block(doc: MDict) -> IpBlock:
    return IpBlock(id=doc["id"], cidr=str(doc["cidr"]), **_common(doc))


def build_pool_subnet(doc: MDict) -> IpPoolSubnet:
    servers = doc.get("dns_nameservers")
    return IpPoolSubnet(
        id=doc["id"],
        ip_block_path=path_or(doc.get("ip_block"), IP_BLOCKS_PATH),
        size=doc.get("size"),
        cidr=_str(doc.get("cidr")),
        ranges=tuple(str(r) for r in doc.get("ranges") or ()),
        gateway=_str(doc.get("gateway")),
        dns_nameservers=tuple(str(s) for s in servers) if servers is not None else None,
        **_common(doc),
    )


def build_ip_pool(doc: MDict) -> IpPool:
    return IpPool(id=doc["id"],
                  subnets=tuple(build_pool_subnet(s) for s in _values(doc, "subnets")),
                  **_common(doc))


def top_level(doc: MDict) -> dict[str, Any]:
    """The Config fields config/routing.py adds."""
    return {
        "segments": tuple(build_segment(d) for d in _values(doc, "segments")),
        "ip_blocks": tuple(build_ip_block(d) for d in _values(doc, "ip_blocks")),
        "ip_pools": tuple(build_ip_pool(d) for d in _values(doc, "ip_pools")),
    }
