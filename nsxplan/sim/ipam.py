"""IP address management objects (reference §4.11): IP blocks, IP pools and their subnets.

A pool subnet is polymorphic: `IpAddressPoolStaticSubnet` (a CIDR with allocation ranges) or
`IpAddressPoolBlockSubnet` (a `size` carved out of an IP block). NSX allocates a block subnet's
CIDR itself; the simulator takes the first free aligned subnet of that size in the block, so a
client sees a realistic `cidr` and two pools never get the same addresses.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nsxplan.sim import fields as f
from nsxplan.sim.apierror import bad_request
from nsxplan.sim.store import Node, Obj, Store

STATIC = "IpAddressPoolStaticSubnet"
BLOCK = "IpAddressPoolBlockSubnet"
SUBNET_TYPES = (STATIC, BLOCK)
IpNet = ipaddress.IPv4Network | ipaddress.IPv6Network


def _network(value: Any, name: str) -> IpNet:
    f.cidr(value, name)
    return ipaddress.ip_network(value)


def ip_block(obj: Obj) -> None:
    _network(f.required(obj, "cidr"), "cidr")
    f.enum(obj, "visibility", ("PRIVATE", "EXTERNAL"))


def ip_pool(obj: Obj) -> None:
    f.integer(obj, "ip_release_delay", 0)


def pool_subnet(obj: Obj) -> None:
    rt = obj.get("resource_type")
    if rt == STATIC:
        _static(obj)
    elif rt == BLOCK:
        _block(obj)
    else:
        raise f.field_error(
            f"resource_type of an IP pool subnet must be one of {list(SUBNET_TYPES)}, got {rt!r}")


def _static(obj: Obj) -> None:
    net = _network(f.required(obj, "cidr"), "cidr")
    f.required(obj, "allocation_ranges")
    for rng in f.array(obj, "allocation_ranges", min_items=1):
        if not isinstance(rng, dict):
            raise f.field_error("allocation_ranges items must be objects with start and end")
        start, end = (f.required(rng, k, f"allocation_ranges.{k}") for k in ("start", "end"))
        for name, value in (("start", start), ("end", end)):
            f.ip(value, f"allocation_ranges.{name}")
            if ipaddress.ip_address(value) not in net:
                raise f.field_error(f"allocation_ranges.{name} {value} is outside cidr {net}")
        if int(ipaddress.ip_address(start)) > int(ipaddress.ip_address(end)):
            raise f.field_error(f"allocation_ranges start {start} is after end {end}")
    gateway = obj.get("gateway_ip")
    if gateway is not None:
        f.ip(gateway, "gateway_ip")
        if ipaddress.ip_address(gateway) not in net:
            raise f.field_error(f"gateway_ip {gateway} is outside cidr {net}")
    for server in f.array(obj, "dns_nameservers", max_items=3):
        f.ip(server, "dns_nameservers")
    f.string(obj, "dns_suffix")


def _block(obj: Obj) -> None:
    f.required(obj, "ip_block_path")
    f.string(obj, "ip_block_path")
    f.required(obj, "size")
    f.integer(obj, "size", 1)
    size = obj["size"]
    if size & (size - 1):
        raise f.field_error(f"size {size} is not a power of 2")
    f.boolean(obj, "auto_assign_gateway")
    if obj.get("start_ip") is not None:
        f.ip(obj["start_ip"], "start_ip")


def allocate(store: Store, path: str, node: Node) -> Obj | None:
    """The block subnet's object with its `cidr` allocated, or None when nothing changes.

    Raises 400 when the block cannot hold it, or when an update tries to change what NSX
    allocated once (size and block are immutable)."""
    obj = node.obj
    if obj.get("resource_type") != BLOCK:
        return None
    block_node = store.get(obj["ip_block_path"])
    assert block_node is not None  # references are resolved before this runs
    block = ipaddress.ip_network(block_node.obj["cidr"])
    size = int(obj["size"])
    current = obj.get("cidr")
    if current is not None:
        net = ipaddress.ip_network(current)
        if net.num_addresses != size or not net.subnet_of(block):  # type: ignore[arg-type]
            raise bad_request(
                f"The IP pool subnet path=[{path}] already holds {current} from its block: "
                "size and ip_block_path cannot change (delete and re-create it).")
        return None
    if size > block.num_addresses:
        raise bad_request(f"IP block {block_node.obj['id']} ({block}) cannot hold a subnet of "
                          f"{size} addresses.")
    taken = [ipaddress.ip_network(store.nodes[p].obj["cidr"])
             for p in sorted(store.refs.get(obj["ip_block_path"], ()))
             if p != path and p in store.nodes and store.nodes[p].obj.get("cidr")]
    prefix = block.max_prefixlen - (size.bit_length() - 1)
    for candidate in block.subnets(new_prefix=prefix):
        if not any(candidate.overlaps(t) for t in taken):
            return {**obj, "cidr": str(candidate)}
    raise bad_request(f"IP block {block_node.obj['id']} ({block}) has no free subnet of {size} "
                      "addresses left.")
