"""IP address, CIDR and range helpers shared by validation, planning and checks.

Parsers return an `AddressError` (message + hint) instead of raising, so callers can locate
and collect problems. NSX NAT fields take "list-of-address-or-block-or-range": a single IP,
a CIDR, a range `a-b`, or a comma-separated list of those.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


_IP_EXAMPLE = "write an IPv4 address like 10.0.0.1 or an IPv6 address like 2001:db8::1"


@dataclass(frozen=True)
class AddressError:
    message: str
    hint: str | None = None


@dataclass(frozen=True)
class AddressRange:
    first: IPAddress
    last: IPAddress

    def __str__(self) -> str:
        return f"{self.first}-{self.last}"


Block = IPAddress | IPNetwork | AddressRange


# Plain dotted-quad IPv4 (no leading zeros, which ipaddress refuses), optionally /prefix: most
# addresses of a large configuration, parsed here into the same objects without ipaddress's
# general string parser (a third of `validate`'s time at 10,000 objects otherwise).
_OCTET = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_V4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}(?:/(3[0-2]|[12]?[0-9]))?\Z")


def _v4(text: str) -> tuple[int, int | None] | None:
    """(address as an int, prefix length or None) of a plain IPv4 address or CIDR."""
    m = _PLAIN_V4.match(text)
    if m is None:
        return None
    a, b, c, d, prefix = m.groups()
    return ((int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d),
            None if prefix is None else int(prefix))


def parse_ip(text: str) -> IPAddress | AddressError:
    text = text.strip()
    plain = _v4(text)
    if plain is not None and plain[1] is None:
        return ipaddress.IPv4Address(plain[0])
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return AddressError(f"{text!r} is not an IP address", _IP_EXAMPLE)


def parse_cidr(text: str, *, allow_bare_ip: bool = False) -> IPNetwork | AddressError:
    """A network in CIDR notation; host bits set is an error whose hint is the corrected network."""
    text = text.strip()
    if "/" not in text:
        if allow_bare_ip and not isinstance(parse_ip(text), AddressError):
            return ipaddress.ip_network(text)
        return AddressError(f"{text!r} is not a CIDR",
                            "write a network with its prefix length, like 10.0.0.0/24")
    plain = _v4(text)
    if plain is not None and plain[1] is not None:
        address, prefix = plain[0], plain[1]
        if address & ((1 << (32 - prefix)) - 1) == 0:      # host bits clear: a network
            return ipaddress.IPv4Network((address, prefix))
    try:
        return ipaddress.ip_network(text)
    except ValueError:
        pass
    try:
        corrected = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return AddressError(f"{text!r} is not a CIDR",
                            "write a network with its prefix length, like 10.0.0.0/24")
    return AddressError(f"{text!r} has host bits set", f"did you mean {corrected}?")


# Large enough for every distinct address of a 50,000-object configuration: validation parses
# each field up to three times and planning and the checks read the same texts again, so an
# evicting cache would parse most of them again (43,560 parses for 20,000 texts at 10,000).
_CACHE_SIZE = 1 << 18


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse_block(text: str) -> Block | AddressError:
    """One IP, CIDR or range `a-b` (same family, first <= last). Cached: see _CACHE_SIZE."""
    text = text.strip()
    if not text:
        return AddressError("empty address", "remove the stray comma or write an address")
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first, last = parse_ip(first_text), parse_ip(last_text)
        if isinstance(first, AddressError) or isinstance(last, AddressError):
            return AddressError(f"{text!r} is not an IP range",
                                "write a range as FIRST-LAST, like 10.0.0.10-10.0.0.20")
        if first.version != last.version:
            return AddressError(f"range {text!r} mixes IPv4 and IPv6")
        if int(first) > int(last):
            return AddressError(f"range {text!r} ends before it starts",
                                f"did you mean {last}-{first}?")
        return AddressRange(first, last)
    if "/" in text:
        return parse_cidr(text)
    return parse_ip(text)


def forget_parsed_blocks() -> None:
    """Drop the validation parsers' caches once a configuration is validated: nothing after
    validation uses them, and for 50,000 objects they hold ~30 MB of parsed addresses."""
    parse_block.cache_clear()
    _parse_blocks.cache_clear()


def block_size(block: Block) -> int:
    """How many addresses a block holds (REFLEXIVE maps source and translated one to one)."""
    if isinstance(block, AddressRange):
        return int(block.last) - int(block.first) + 1
    if isinstance(block, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return block.num_addresses
    return 1


def parse_blocks(text: str, *, allow_list: bool = True) -> list[Block] | AddressError:
    """A NAT network field: comma-separated blocks (or exactly one when `allow_list` is false)."""
    found = _parse_blocks(text, allow_list)
    return found if isinstance(found, AddressError) else list(found)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_blocks(text: str, allow_list: bool) -> tuple[Block, ...] | AddressError:
    parts = text.split(",")
    if len(parts) > 1 and not allow_list:
        return AddressError(f"{text!r} is a list, but this field takes one address",
                            "use a single IP or CIDR, and one rule per address")
    blocks: list[Block] = []
    for part in parts:
        block = parse_block(part)
        if isinstance(block, AddressError):
            return block
        blocks.append(block)
    return tuple(blocks)


def canonical_blocks(text: str | None) -> tuple[str, ...] | None:
    """A comparable form of a NAT network field (None/empty = any), or None if unparsable."""
    if text is None or not text.strip():
        return ("any",)
    blocks = parse_blocks(text)
    if isinstance(blocks, AddressError):
        return None
    out = set()
    for block in blocks:
        if isinstance(block, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
            out.add("any" if block.prefixlen == 0 else
                    str(block.network_address) if block.num_addresses == 1 else str(block))
        else:
            out.add(str(block))
    return tuple(sorted(out))


# --- arithmetic on parsed networks (the dependency checks' view of NSX address strings) ---

def parse_networks(text: str | None) -> tuple[IPNetwork, ...] | None:
    """NSX address strings: an IP, a CIDR, a range `a-b`, or a comma-separated list of those.

    Returns None for "Any" (None/empty) and () for text that does not parse (checks then treat it
    as covering nothing rather than crashing on a value NSX itself accepted)."""
    if isinstance(text, str):
        return _parse_networks(text)
    return _parse_networks_uncached(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_networks(text: str) -> tuple[IPNetwork, ...] | None:
    return _parse_networks_uncached(text)


def _parse_networks_uncached(text: Any) -> tuple[IPNetwork, ...] | None:
    if text is None or not str(text).strip() or str(text).strip().upper() == "ANY":
        return None
    nets: list[IPNetwork] = []
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        try:
            if "-" in part:
                lo, hi = (ipaddress.ip_address(x.strip()) for x in part.split("-", 1))
                nets.extend(ipaddress.summarize_address_range(lo, hi))
            else:
                plain = _v4(part)
                if plain is not None:
                    address, prefix = plain
                    nets.append(ipaddress.IPv4Network((address, 32 if prefix is None else prefix),
                                                      strict=False))
                else:
                    nets.append(ipaddress.ip_network(part, strict=False))
        except (ValueError, TypeError):
            continue
    return tuple(nets)



def covers(container: Iterable[IPNetwork] | None, net: IPNetwork) -> bool:
    """Is `net` entirely inside the union of `container` (None = Any covers everything)?"""
    if container is None:
        return True
    # Fast path first: almost always one block holds it (a route, a rule source, a subnet);
    # splitting with address_exclude is only needed when several blocks share the work.
    parts = [c for c in container if c.version == net.version and c.overlaps(net)]
    if any(net.subnet_of(c) for c in parts):  # type: ignore[arg-type]
        return True
    remaining = [net]
    for c in parts:
        nxt: list[IPNetwork] = []
        for r in remaining:
            if r.subnet_of(c):  # type: ignore[arg-type]
                continue
            if c.subnet_of(r):  # type: ignore[arg-type]
                nxt.extend(r.address_exclude(c))  # type: ignore[arg-type]
            else:
                nxt.append(r)
        remaining = nxt
        if not remaining:
            return True
    return False



def overlaps(a: Iterable[IPNetwork] | None, b: IPNetwork) -> bool:
    if a is None:
        return True
    return any(n.version == b.version and n.overlaps(b) for n in a)



def as_network(text: str) -> IPNetwork | None:
    if not isinstance(text, str):
        return None
    return _as_network(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _as_network(text: str) -> IPNetwork | None:
    text = text.strip()
    plain = _v4(text)
    if plain is not None:
        address, prefix = plain
        return ipaddress.IPv4Network((address, 32 if prefix is None else prefix), strict=False)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None



def fmt_net(net: IPNetwork) -> str:
    """Host routes print as plain addresses (30.0.0.5, not 30.0.0.5/32), as users write them."""
    return str(net.network_address) if net.num_addresses == 1 else str(net)

