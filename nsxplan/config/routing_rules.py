"""Semantic rules for Tier-0 routing and address management (config-language.md, issue 12).

Offline: what the configuration alone decides. Each rule skips values of the wrong type (the
schema reported them) and puts the problem on the value that is wrong.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nsxplan.config.loader import MDict, MList, child_source, key_source
from nsxplan.errors import Problem, Source
from nsxplan.nsx.addresses import AddressError, parse_cidr, parse_ip

Iface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
LOCALE_CHILDREN = ("interfaces", "bgp", "route_redistribution", "ha_vip")
MAX_ASPLAIN = 4294967295


def _items(doc: Any, key: str) -> list[tuple[MDict, Source]]:
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, MList):
        return []
    return [(item, value.item_sources[i]) for i, item in enumerate(value)
            if isinstance(item, MDict)]


def _at(doc: MDict, key: str) -> Source:
    return child_source(doc, key, doc.source)


def _duplicates(entries: list[tuple[MDict, Source]], key: str, what: str) -> list[Problem]:
    seen: dict[str, Source] = {}
    out = []
    for entry, _ in entries:
        name = entry.get(key)
        if not isinstance(name, str):
            continue
        if name in seen:
            out.append(Problem(f"duplicate {what} `{name}` (first defined at {seen[name]})",
                               _at(entry, key), hint=f"each {what} may appear once"))
        else:
            seen[name] = _at(entry, key)
    return out


def interface_address(text: Any) -> Iface | AddressError:
    if not isinstance(text, str) or "/" not in text:
        return AddressError(f"{text!r} is not an address with a prefix length",
                            "write the interface address and its subnet's prefix, e.g. "
                            "192.168.105.2/24")
    try:
        return ipaddress.ip_interface(text.strip())
    except ValueError:
        return AddressError(f"{text!r} is not an address with a prefix length",
                            "write the interface address and its subnet's prefix, e.g. "
                            "192.168.105.2/24")


def as_number_problem(value: Any) -> str | None:
    text = str(value)
    if "." in text:
        high, _, low = text.partition(".")
        if high.isdigit() and low.isdigit() and int(high) <= 65535 and int(low) <= 65535 \
                and (int(high) or int(low)):
            return None
        return f"AS {text} is not a valid ASDOT number (each half 0..65535, not 0.0)"
    if text.isdigit() and 1 <= int(text) <= MAX_ASPLAIN:
        return None
    return f"AS {text} is out of range (1..{MAX_ASPLAIN})"


def tier0_routing_problems(tier0: MDict) -> list[Problem]:
    problems: list[Problem] = []
    managed = tier0.get("existing") is not True
    if managed and tier0.get("edge_cluster") is None:
        for key in LOCALE_CHILDREN:
            if tier0.get(key) not in (None, []):
                problems.append(Problem(
                    f"Tier-0 `{tier0.get('id')}` sets `{key}` but no `edge_cluster`",
                    key_source(tier0, key, tier0.source),
                    hint="interfaces, BGP, redistribution and HA VIPs live in the gateway's "
                         "`default` locale-services, which `edge_cluster:` creates"))
    interfaces = _items(tier0, "interfaces")
    problems += _duplicates(interfaces, "id", "interface id")
    addresses: dict[str, list[Iface]] = {}
    for iface, _ in interfaces:
        problems += _interface(iface, tier0, addresses)
    problems += _ha_vips(tier0, addresses)
    bgp = tier0.get("bgp")
    if isinstance(bgp, MDict):
        problems += _bgp(bgp, tier0, addresses if interfaces else None)
    rules = _items(tier0, "route_redistribution")
    problems += _duplicates(rules, "name", "redistribution rule name")
    problems += _route_maps(tier0, rules)
    return problems


def _route_maps(tier0: MDict, rules: list[tuple[MDict, Source]]) -> list[Problem]:
    """Prefix lists and route maps of a Tier-0, and the references between them."""
    lists = _items(tier0, "prefix_lists")
    maps = _items(tier0, "route_maps")
    problems = _duplicates(lists, "id", "prefix list id") + _duplicates(maps, "id",
                                                                         "route map id")
    list_ids = {pl.get("id") for pl, _ in lists}
    map_ids = {rm.get("id") for rm, _ in maps}
    for pl, _ in lists:
        for px, where in _items(pl, "prefixes"):
            problems += _prefix(px, where, pl.get("id"))
    for rm, _ in maps:
        for entry, _ in _items(rm, "entries"):
            names = entry.get("prefix_lists")
            if not isinstance(names, MList):
                continue
            for i, name in enumerate(names):
                if isinstance(name, str) and not name.startswith("/") and name not in list_ids:
                    problems.append(Problem(
                        f"route map `{rm.get('id')}`: prefix list `{name}` is not declared "
                        "under this Tier-0's prefix_lists", names.item_sources[i],
                        hint="declare it, or write the policy path of an existing one"))
    for rule, _ in rules:
        name = rule.get("route_map")
        if isinstance(name, str) and not name.startswith("/") and name not in map_ids:
            problems.append(Problem(
                f"redistribution rule `{rule.get('name')}`: route map `{name}` is not declared "
                "under this Tier-0's route_maps", _at(rule, "route_map"),
                hint="declare it, or write the policy path of an existing one"))
    return problems


def _prefix(px: MDict, where: Source, list_id: Any) -> list[Problem]:
    network = px.get("network")
    if not isinstance(network, str) or network.upper() == "ANY":
        return []
    result = parse_cidr(network)
    if isinstance(result, AddressError):
        return [Problem(f"prefix list `{list_id}`: {result.message}", _at(px, "network"),
                        hint=result.hint)]
    ge, le = px.get("ge"), px.get("le")
    bad = (isinstance(ge, int) and not result.prefixlen < ge <= result.max_prefixlen) or \
        (isinstance(le, int) and not result.prefixlen < le <= result.max_prefixlen) or \
        (isinstance(ge, int) and isinstance(le, int) and ge > le)
    if bad:
        return [Problem(f"prefix list `{list_id}`: ge/le of {network} must satisfy "
                        f"{result.prefixlen} < ge <= le <= {result.max_prefixlen}", where,
                        hint="ge and le bound the prefix lengths matched inside the network")]
    return []


def _interface(iface: MDict, tier0: MDict, addresses: dict[str, list[Iface]]) -> list[Problem]:
    problems = []
    found: list[Iface] = []
    subnets = iface.get("subnets")
    if isinstance(subnets, MList):
        for i, text in enumerate(subnets):
            result = interface_address(text)
            if isinstance(result, AddressError):
                problems.append(Problem(f"interface `{iface.get('id')}`: {result.message}",
                                        subnets.item_sources[i], hint=result.hint))
                continue
            net = result.network
            if net.num_addresses > 2 and result.ip in (net.network_address,
                                                       net.broadcast_address):
                problems.append(Problem(
                    f"interface `{iface.get('id')}`: {result.ip} is the network or broadcast "
                    f"address of {net}", subnets.item_sources[i],
                    hint="give the interface a host address of its subnet"))
                continue
            found.append(result)
    if isinstance(iface.get("id"), str):
        addresses[iface["id"]] = found
    edge = iface.get("edge_node")
    is_external = iface.get("type", "EXTERNAL") == "EXTERNAL"
    if is_external and edge is None:
        problems.append(Problem(f"EXTERNAL interface `{iface.get('id')}` needs `edge_node`",
                                iface.source, hint="the edge node that carries the uplink, "
                                "e.g. `edge_node: 0` (under the gateway's edge_cluster)"))
    if is_external and iface.get("segment") is None:
        problems.append(Problem(f"EXTERNAL interface `{iface.get('id')}` needs `segment`",
                                iface.source, hint="the VLAN segment of the uplink "
                                "(declare it under `segments`)"))
    if edge is not None and not str(edge).startswith("/") and tier0.get("edge_cluster") is None:
        problems.append(Problem(
            f"interface `{iface.get('id')}`: `edge_node: {edge}` is relative to the gateway's "
            "edge_cluster, which is not set", _at(iface, "edge_node"),
            hint="write the edge node's full policy path "
                 "(/infra/sites/.../edge-clusters/ID/edge-nodes/N)"))
    return problems


def _ha_vips(tier0: MDict, addresses: dict[str, list[Iface]]) -> list[Problem]:
    problems = []
    vips = _items(tier0, "ha_vip")
    if not vips:
        return []
    if tier0.get("ha_mode") != "ACTIVE_STANDBY" and tier0.get("existing") is not True:
        problems.append(Problem("`ha_vip` needs `ha_mode: ACTIVE_STANDBY`",
                                key_source(tier0, "ha_vip", tier0.source),
                                hint="an HA VIP floats between the active and the standby edge"))
    bgp = tier0.get("bgp")
    if isinstance(bgp, MDict) and bgp.get("enabled") is not False:
        problems.append(Problem("`ha_vip` cannot be combined with BGP",
                                key_source(tier0, "ha_vip", tier0.source),
                                hint="NSX offers HA VIPs for static routing only: remove "
                                     "`ha_vip`, or set `bgp: {enabled: false}`"))
    for vip, _ in vips:
        names = vip.get("interfaces")
        if isinstance(names, MList):
            for i, name in enumerate(names):
                if isinstance(name, str) and name not in addresses:
                    problems.append(Problem(
                        f"ha_vip: interface `{name}` is not declared under this Tier-0's "
                        "interfaces", names.item_sources[i],
                        hint="list the ids of two EXTERNAL interfaces of this Tier-0"))
        subnets = vip.get("subnets")
        nets = [a.network for n in names or () if isinstance(n, str)
                for a in addresses.get(n, ())] if isinstance(names, MList) else []
        if isinstance(subnets, MList):
            for i, text in enumerate(subnets):
                result = interface_address(text)
                if isinstance(result, AddressError):
                    problems.append(Problem(f"ha_vip: {result.message}", subnets.item_sources[i],
                                            hint=result.hint))
                elif nets and not any(result.ip in n for n in nets):
                    problems.append(Problem(
                        f"ha_vip: {result.ip} is outside the subnets of its interfaces",
                        subnets.item_sources[i], hint="the VIP lives in the uplinks' subnet"))
    return problems


def _bgp(bgp: MDict, tier0: MDict, addresses: dict[str, list[Iface]] | None) -> list[Problem]:
    problems = []
    if "local_as" in bgp and (why := as_number_problem(bgp["local_as"])):
        problems.append(Problem(why, _at(bgp, "local_as"), hint="use your AS number, e.g. 65001"))
    neighbors = _items(bgp, "neighbors")
    problems += _duplicates(neighbors, "id", "BGP neighbor id")
    problems += _duplicates(neighbors, "address", "BGP neighbor address")
    own = [a for found in (addresses or {}).values() for a in found]
    for nb, _ in neighbors:
        nid = nb.get("id")
        if "remote_as" in nb and (why := as_number_problem(nb["remote_as"])):
            problems.append(Problem(why, _at(nb, "remote_as"),
                                    hint="the neighbor's AS number, e.g. 65000"))
        keep, hold = nb.get("keep_alive_time"), nb.get("hold_down_time")
        if isinstance(keep, int) and isinstance(hold, int) and keep >= hold:
            problems.append(Problem(
                f"BGP neighbor `{nid}`: keep_alive_time {keep} must be below hold_down_time "
                f"{hold}", _at(nb, "keep_alive_time"),
                hint="the usual pair is 60 and 180 (keepalive a third of the hold time)"))
        address = nb.get("address")
        parsed = parse_ip(address) if isinstance(address, str) else None
        if isinstance(parsed, AddressError):
            problems.append(Problem(f"BGP neighbor `{nid}`: {parsed.message}",
                                    _at(nb, "address"), hint=parsed.hint))
            parsed = None
        sources = nb.get("source_addresses")
        source_ips = []
        if isinstance(sources, MList):
            for i, text in enumerate(sources):
                ip = parse_ip(text) if isinstance(text, str) else None
                if isinstance(ip, AddressError):
                    problems.append(Problem(f"BGP neighbor `{nid}`: {ip.message}",
                                            sources.item_sources[i], hint=ip.hint))
                elif ip is not None:
                    source_ips.append((ip, sources.item_sources[i]))
        if addresses is None or tier0.get("existing") is True:
            continue    # the Tier-0's interfaces are not all known offline
        for ip, where in source_ips:
            if not any(a.ip == ip for a in own):
                problems.append(Problem(
                    f"BGP neighbor `{nid}`: source address {ip} is not an address of this "
                    "Tier-0's interfaces", where,
                    hint="a session is sourced from one of the Tier-0's own addresses"))
        hop = nb.get("hop_limit")
        if parsed is not None and not source_ips and (hop in (None, 1)) \
                and not any(parsed in a.network for a in own):
            subnets = ", ".join(sorted({str(a.network) for a in own})) or "none"
            problems.append(Problem(
                f"BGP neighbor `{nid}`: {parsed} is on no subnet of this Tier-0's interfaces "
                f"({subnets})", _at(nb, "address"),
                hint="peer with a router on an uplink subnet, or set source_addresses and "
                     "hop_limit for a multihop session"))
    return problems


def segment_problems(segment: MDict) -> list[Problem]:
    problems = []
    vlans = segment.get("vlan_ids")
    if isinstance(vlans, MList):
        for i, v in enumerate(vlans):
            text = str(v)
            lo, _, hi = text.partition("-")
            if lo.isdigit() and (not hi or hi.isdigit()) and not (
                    int(lo) <= 4094 and (not hi or int(lo) <= int(hi) <= 4094)):
                problems.append(Problem(f"VLAN {text} is out of range (0..4094)",
                                        vlans.item_sources[i], hint="VLAN ids are 0..4094"))
    return problems


def _cidr(doc: MDict, key: str, what: str, problems: list[Problem]) -> Any:
    text = doc.get(key)
    if not isinstance(text, str):
        return None
    result = parse_cidr(text)
    if isinstance(result, AddressError):
        problems.append(Problem(f"{what}: {result.message}", _at(doc, key), hint=result.hint))
        return None
    return result


def ip_block_problems(block: MDict) -> list[Problem]:
    problems: list[Problem] = []
    _cidr(block, "cidr", f"IP block `{block.get('id')}`", problems)
    return problems


def ip_pool_problems(pool: MDict) -> list[Problem]:
    problems: list[Problem] = []
    subnets = _items(pool, "subnets")
    problems += _duplicates(subnets, "id", "IP pool subnet id")
    for sub, _ in subnets:
        what = f"IP pool subnet `{sub.get('id')}`"
        block = "ip_block" in sub or "size" in sub
        static = any(k in sub for k in ("cidr", "ranges", "gateway", "dns_nameservers"))
        if block == static:
            problems.append(Problem(
                f"{what} must be either a block subnet (ip_block + size) or a static one "
                "(cidr + ranges)", sub.source,
                hint="`ip_block: ID, size: 128` carves the subnet from an IP block; "
                     "`cidr:` with `ranges:` declares it statically"))
            continue
        if block:
            for key in ("ip_block", "size"):
                if key not in sub:
                    problems.append(Problem(f"{what} needs `{key}`", sub.source,
                                            hint="a block subnet takes `size` addresses "
                                                 "from `ip_block`"))
            size = sub.get("size")
            if isinstance(size, int) and size > 0 and size & (size - 1):
                problems.append(Problem(f"{what}: size {size} is not a power of two",
                                        _at(sub, "size"), hint="e.g. 64, 128 or 256"))
            continue
        net = _cidr(sub, "cidr", what, problems)
        if "cidr" not in sub or "ranges" not in sub:
            problems.append(Problem(f"{what} needs `cidr` and `ranges`", sub.source,
                                    hint="e.g. cidr: 172.17.0.0/24, ranges: "
                                         "[172.17.0.10-172.17.0.200]"))
        if net is None:
            continue
        ranges = sub.get("ranges")
        if isinstance(ranges, MList):
            for i, text in enumerate(ranges):
                problems += _range(str(text), net, what, ranges.item_sources[i])
        gateway = sub.get("gateway")
        if isinstance(gateway, str):
            ip = parse_ip(gateway)
            if isinstance(ip, AddressError) or ip not in net:
                problems.append(Problem(f"{what}: gateway {gateway} is not an address of {net}",
                                        _at(sub, "gateway"), hint="the gateway is inside cidr"))
    return problems


def _range(text: str, net: Any, what: str, where: Source) -> list[Problem]:
    first, _, last = text.partition("-")
    ips = [parse_ip(first), parse_ip(last or first)]
    if any(isinstance(ip, AddressError) for ip in ips):
        return [Problem(f"{what}: {text!r} is not an address range", where,
                        hint="write first-last, e.g. 172.17.0.10-172.17.0.200")]
    lo, hi = ips
    if lo not in net or hi not in net:
        return [Problem(f"{what}: range {text} is outside {net}", where,
                        hint="allocation ranges lie inside the subnet's cidr")]
    if int(lo) > int(hi):  # type: ignore[arg-type]
        return [Problem(f"{what}: range {text} ends before it starts", where,
                        hint="write the lower address first")]
    return []
