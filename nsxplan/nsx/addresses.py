"""NSX address strings: one parser, one meaning of "Any" (docs/decisions.md, "Addresses").

`parse_addresses` reads every NSX address field: a single IP, a CIDR, a range `a-b`, or a
comma-separated list of those (NSX's "list-of-address-or-block-or-range"), and returns `ANY`,
a tuple of blocks, or an `AddressError` (message + hint) instead of raising, so callers can
locate and collect problems. Everything else here is derived from it: the canonical spelling
planning compares, the networks the checks' coverage arithmetic uses, and the validation
message.

"Any" is what NSX means by an absent NAT match: null, empty, or the word any (any case). It
matches every address of both families. `0.0.0.0/0` and `::/0` are networks, not Any: a NAT
match on `0.0.0.0/0` matches IPv4 only, and a static route to `0.0.0.0/0` is the default
route. The element parsers (`parse_ip`, `parse_cidr`, `parse_block`) read the single-value
fields (a route's network, a next hop), where "Any" is not an address at all.
"""

from __future__ import annotations

import enum
import functools
import ipaddress
import re

# socket's C module itself: importing socket.py (selectors, enums) would add ~3 ms to the start
# of `validate`, which opens no connection. (_v4_by_inet_pton)
from _socket import AF_INET as _AF_INET
from _socket import inet_pton as _inet_pton
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Literal, TypeVar

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


_IP_EXAMPLE = "write an IPv4 address like 10.0.0.1 or an IPv6 address like 2001:db8::1"


@dataclass(frozen=True)
class AddressError:
    """Why a text is not an address of its field, and how to write one."""

    message: str
    hint: str | None = None


@dataclass(frozen=True)
class AddressRange:
    """An address range FIRST-LAST (same family, first <= last)."""

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


def _v4_by_regex(text: str) -> tuple[int, int | None] | None:
    """(address as an int, prefix length or None) of a plain IPv4 address or CIDR."""
    m = _PLAIN_V4.match(text)
    if m is None:
        return None
    a, b, c, d, prefix = m.groups()
    return ((int(a) << 24) | (int(b) << 16) | (int(c) << 8) | int(d),
            None if prefix is None else int(prefix))


_PREFIXES = {str(p): p for p in range(33)}     # what _PLAIN_V4 takes after the `/`
_from_bytes = int.from_bytes


def _v4_by_inet_pton(text: str) -> tuple[int, int | None] | None:
    """_v4_by_regex's answer, the address read by the C library's strict dotted-quad parser
    (no leading zeros, four decimal parts of 0-255): a third of the time, and a large plan
    reads tens of thousands of addresses. Used only where it agrees (see _V4_CASES)."""
    address, slash, prefix_text = text.partition("/")
    if slash:
        prefix = _PREFIXES.get(prefix_text)
        if prefix is None:
            return None
    else:
        prefix = None
    try:
        packed = _inet_pton(_AF_INET, address)
    except (OSError, ValueError):   # not an address; a NUL or a non-ASCII character
        return None
    return _from_bytes(packed, "big"), prefix


# Where the C libraries differ (some take leading zeros, octal or fewer parts, as
# inet_aton does): any difference on these and the regex is used.
_V4_CASES = ("0.0.0.0", "255.255.255.255", "10.1.2.3/24", "1.2.3.4/0", "1.2.3.4/32", "01.2.3.4",
             "1.2.3.04", "1.2.3.00", "00.0.0.0", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
             " 1.2.3.4", "1.2.3.4/33", "1.2.3.4/08", "1.2.3.4/", "0x1.2.3.4", "1.2.3.-4",
             "1..2.3", "1.2.3.4\n", "1.2.3.4\x00", "١.2.3.4", "1.2.3.4/²", "+1.2.3.4",
             "1.2.3.4/-1", "", "/24", "4294967295", "::1", "1.2.3.4-1.2.3.5")


def _inet_pton_agrees() -> bool:
    try:
        return all(_v4_by_inet_pton(t) == _v4_by_regex(t) for t in _V4_CASES)
    except Exception:   # noqa: BLE001 - anything unexpected: keep the regex
        return False


_v4 = _v4_by_inet_pton if _inet_pton_agrees() else _v4_by_regex


# IPv4 objects of values already known valid (the regex above, an address's own integer),
# built without the constructors' argument parsing and checks: the same objects, a fifth of the
# time (a large configuration makes tens of thousands). `_FAST_V4` is false when this Python's
# ipaddress builds its objects differently from what these functions mirror (checked once at
# import): then the constructors are used as they are.
_new = object.__new__
_V4_MASKS: list[tuple[ipaddress.IPv4Address, int]] = []    # (netmask, prefix) by prefix


def _v4_address_fast(address: int) -> ipaddress.IPv4Address:
    ip = _new(ipaddress.IPv4Address)
    ip._ip = address    # type: ignore[attr-defined]
    return ip


def _v4_network_fast(address: int, prefix: int) -> ipaddress.IPv4Network:
    """IPv4Network((address, prefix)) for an address without host bits, as its __init__ does."""
    net = _new(ipaddress.IPv4Network)
    net.network_address = _v4_address_fast(address)
    net.netmask, net._prefixlen = _V4_MASKS[prefix]   # type: ignore[attr-defined]
    if prefix == 31:
        net.hosts = net.__iter__    # type: ignore[method-assign]
    elif prefix == 32:
        net.hosts = lambda: [ipaddress.IPv4Address(address)]  # type: ignore[method-assign,assignment,return-value]
    return net


def _same_as_constructed() -> bool:
    try:
        _V4_MASKS[:] = [ipaddress.IPv4Network._make_netmask(prefix)  # type: ignore[attr-defined]
                        for prefix in range(33)]
        for address, prefix in ((0x0A000000, 8), (0xC0A80100, 28), (0xC0A80102, 31),
                                (0xC0A80105, 32), (0, 0)):
            real = ipaddress.IPv4Network((address, prefix))
            fast = _v4_network_fast(address, prefix)
            if (vars(real).keys() != vars(fast).keys() or real != fast
                    or str(real) != str(fast) or hash(real) != hash(fast)
                    or (prefix >= 28 and list(real.hosts()) != list(fast.hosts()))
                    or ipaddress.IPv4Address(address) != _v4_address_fast(address)):
                return False
    except Exception:   # noqa: BLE001 - any difference at all: use the constructors
        return False
    return True


_FAST_V4 = _same_as_constructed()


def v4_address(address: int) -> ipaddress.IPv4Address:
    """IPv4Address(address) of an int known to be in range."""
    return _v4_address_fast(address) if _FAST_V4 else ipaddress.IPv4Address(address)


def v4_network(address: int, prefix: int = 32) -> ipaddress.IPv4Network:
    """IPv4Network((address, prefix)) of an in-range address whose host bits are clear."""
    return (_v4_network_fast(address, prefix) if _FAST_V4
            else ipaddress.IPv4Network((address, prefix)))


def parse_ip(text: str) -> IPAddress | AddressError:
    text = text.strip()
    if text and "/" not in text and "-" not in text:
        # The same answer, cached: without `/` or `-` a block is an address or an error.
        return parse_block(text)    # type: ignore[return-value]
    return _parse_ip(text)


def _parse_ip(text: str) -> IPAddress | AddressError:
    plain = _v4(text)
    if plain is not None and plain[1] is None:
        return v4_address(plain[0])
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
    if "-" not in text:
        found = parse_block(text)   # the same answer, cached
        if isinstance(found, (AddressError, *_NETWORK_TYPES)):
            return found
    return _parse_cidr(text)


def _parse_cidr(text: str) -> IPNetwork | AddressError:
    plain = _v4(text)
    if plain is not None and plain[1] is not None:
        address, prefix = plain[0], plain[1]
        if address & ((1 << (32 - prefix)) - 1) == 0:      # host bits clear: a network
            return v4_network(address, prefix)
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


_NETWORK_TYPES = (ipaddress.IPv4Network, ipaddress.IPv6Network)

# Every text parsed, and its answer, until `forget_parsed_blocks`: validation parses each field
# up to three times and planning and the checks read the same texts again (43,560 parses for
# 20,000 texts at 10,000 objects without a cache). Plain dicts: a hit is one lookup, and the
# checks can look without adding (see _as_networks). Bounded for safety: past this many texts
# (far above a 50,000-object configuration) answers are computed and not kept.
_CACHE_SIZE = 1 << 18
T = TypeVar("T")
_BLOCKS: dict[str, Block | AddressError] = {}
_LISTS: dict[str, Addresses | AddressError] = {}         # parse_addresses, lists allowed
_SINGLES: dict[str, Addresses | AddressError] = {}       # parse_addresses, one block only
_MATCH_KEYS: dict[str, tuple[str, ...] | None] = {}


def parse_block(text: str) -> Block | AddressError:
    """One IP, CIDR or range `a-b` (same family, first <= last). Cached: see _CACHE_SIZE."""
    found = _BLOCKS.get(text)
    if found is None:
        return _remember(_BLOCKS, text, _parse_block(text))
    return found


def _remember(cache: dict[str, Any], text: str, found: T) -> T:
    """`found` for `text`, kept in `cache` while it is under _CACHE_SIZE (only on a miss: a hit
    costs one dict lookup and nothing else)."""
    if len(cache) < _CACHE_SIZE:
        cache[text] = found
    return found


def _parse_block(text: str) -> Block | AddressError:
    text = text.strip()
    if not text:
        return AddressError("empty address", "remove the stray comma or write an address")
    if "-" in text:
        first_text, _, last_text = text.partition("-")
        first, last = _parse_ip(first_text.strip()), _parse_ip(last_text.strip())
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
        return _parse_cidr(text)
    return _parse_ip(text)


def forget_parsed_blocks() -> None:
    """Drop the parser's caches once a configuration is validated: planning and the checks
    keep caches of what they derive (canonical spellings, networks), and for 50,000 objects
    the parsed blocks hold ~30 MB."""
    _BLOCKS.clear()
    _LISTS.clear()
    _SINGLES.clear()
    _MATCH_KEYS.clear()


def block_size(block: Block) -> int:
    """How many addresses a block holds (REFLEXIVE maps source and translated one to one)."""
    if isinstance(block, AddressRange):
        return int(block.last) - int(block.first) + 1
    if isinstance(block, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return block.num_addresses
    return 1


class _Any(enum.Enum):
    ANY = "Any"

    def __repr__(self) -> str:
        return "ANY"


ANY: Final = _Any.ANY
"""Every address of both families: what an absent NAT match means."""

Addresses = Literal[_Any.ANY] | tuple[Block, ...]

_ANY_WORDS = frozenset({"", "any"})


def is_any(text: str | None) -> bool:
    """Is this a spelling of Any (absent, empty, or the word any in any case)?"""
    return text is None or text.strip().lower() in _ANY_WORDS


def parse_addresses(text: str | None, *, allow_list: bool = True) -> Addresses | AddressError:
    """THE parser of NSX address fields: ANY, the blocks written, or why the text is not one.

    With `allow_list` false the field takes exactly one block (DNAT/REFLEXIVE translations)."""
    if text is None:
        return ANY
    cache = _LISTS if allow_list else _SINGLES
    found = cache.get(text)
    if found is None:
        return _remember(cache, text, ANY if is_any(text) else _parse_list(text, allow_list))
    return found


def _parse_list(text: str, allow_list: bool) -> tuple[Block, ...] | AddressError:
    if "," not in text:     # one block: most fields
        block = parse_block(text)
        return block if isinstance(block, AddressError) else (block,)
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


def parse_blocks(text: str, *, allow_list: bool = True) -> list[Block] | AddressError:
    """The blocks of a field where Any is not an answer (a translation, a route's network)."""
    found = parse_addresses(text, allow_list=allow_list)
    if found is ANY:
        return AddressError(f"{text!r} is not an address here",
                            "Any only means 'match everything' in a NAT rule's source or "
                            "destination; write an IP, a CIDR or a range")
    return found if isinstance(found, AddressError) else list(found)


def address_problem(text: str, *, any_ok: bool, allow_list: bool = True) -> AddressError | None:
    """The validation message of one address field, or None when NSX would take it."""
    found = parse_addresses(text, allow_list=allow_list) if any_ok else parse_blocks(
        text, allow_list=allow_list)
    return found if isinstance(found, AddressError) else None


# --- canonical spelling (what planning compares) -------------------------------------------------

def _block_text(block: Block) -> str:
    """Host networks print as plain addresses (30.0.0.5, not 30.0.0.5/32), as users write them."""
    if isinstance(block, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return fmt_net(block)
    return str(block)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def canonical_match(text: str | None) -> str | None:
    """The one spelling of a NAT match field: None for Any, the sorted blocks otherwise (a comma
    list is a set of matches: order carries no meaning). Text that does not parse is kept as
    written, stripped: a live value nsxplan cannot read is compared verbatim, never guessed."""
    found = parse_addresses(text)
    if found is ANY:
        return None
    assert text is not None
    if isinstance(found, AddressError):
        return text.strip()
    return ",".join(sorted({_block_text(b) for b in found}))


def canon_ip(text: str) -> str:
    """The one spelling of an address field that is not a NAT match: as `canonical_match`, but
    an empty value or the word any is kept as written (it is not an address there)."""
    found = canonical_match(text)
    return text.strip() if found is None else found


def match_key(text: str | None) -> tuple[str, ...] | None:
    """A hashable key equal for the same match (Any included), or None when unparsable."""
    if text is None:
        return _ANY_KEY
    found = _MATCH_KEYS.get(text, _MATCH_KEYS)
    if found is _MATCH_KEYS:    # not known yet (None is an answer: unparsable)
        return _remember(_MATCH_KEYS, text, _match_key(text))
    return found    # type: ignore[return-value]


_ANY_KEY: Final = ("Any",)


def _match_key(text: str) -> tuple[str, ...] | None:
    found = parse_addresses(text)
    if isinstance(found, AddressError):
        return None
    if found is ANY:
        return _ANY_KEY
    return tuple(sorted({_block_text(b) for b in found}))


# --- arithmetic on parsed networks (the dependency checks' view of NSX address strings) ---

def block_networks(block: Block) -> tuple[IPNetwork, ...]:
    """A block as networks: an IP is its host network, a range the CIDRs that summarise it."""
    if type(block) is ipaddress.IPv4Address:
        # The same /32, built from the integer: ip_network(address) prints the address and
        # parses the text again (a third of the checks' address work at 10,000 objects).
        return (v4_network(int(block)),)
    if isinstance(block, AddressRange):
        return tuple(ipaddress.summarize_address_range(block.first, block.last))
    if isinstance(block, (ipaddress.IPv4Network, ipaddress.IPv6Network)):
        return (block,)
    return (ipaddress.ip_network(block),)


# text -> networks, kept for the whole command (planning and the checks of a plan read the same
# live and configured texts several times). A dict as the parser's caches (see _CACHE_SIZE).
_NETWORKS: dict[str, tuple[IPNetwork, ...] | None] = {}


def as_networks(text: str | None) -> tuple[IPNetwork, ...] | None:
    """An address field as networks: None for Any, () for text that does not parse (the checks
    then treat it as covering nothing rather than crashing on a value NSX itself accepted)."""
    if text is None:
        return None
    if not isinstance(text, str):
        return ()
    found = _NETWORKS.get(text, _NETWORKS)
    if found is _NETWORKS:      # not known yet (None is an answer: Any)
        return _remember(_NETWORKS, text, _as_networks(text))
    return found    # type: ignore[return-value]


def _as_networks(text: str) -> tuple[IPNetwork, ...] | None:
    if text not in _BLOCKS:
        found = _plain_v4_network(text)
        if found is not None:
            # One plain IPv4 address or network, the most common field by far: built straight
            # from its numbers (the same network _parsed_networks gives, through three parsers
            # and a throwaway address object; a plan's checks meet ~20,000 distinct texts).
            return (found,)
    return _parsed_networks(text)


def _plain_v4_network(text: str) -> IPNetwork | None:
    """The network of a plain dotted-quad IPv4 address or CIDR without host bits; None for any
    other text (the general parser decides those)."""
    plain = _v4(text)
    if plain is None:
        return None
    address, prefix = plain
    if prefix is None:
        return v4_network(address)
    return v4_network(address, prefix) if address & ((1 << (32 - prefix)) - 1) == 0 else None


def _parsed_networks(text: str) -> tuple[IPNetwork, ...] | None:
    if is_any(text):
        return None
    # The parser's caches are read but not added to: _NETWORKS keeps the networks, and a
    # second copy of every block (the checks read each text of 50,000 objects) would only add
    # memory. `validate` keeps the blocks loading parsed, so its checks parse nothing again.
    networks: tuple[IPNetwork, ...] = ()
    for part in text.split(","):
        block = _BLOCKS.get(part)
        if block is None:
            block = _parse_block(part)
        if isinstance(block, AddressError):
            return ()
        networks += block_networks(block)
    return networks


_EVERYTHING: Final = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def contains(outer: tuple[IPNetwork, ...] | None, inner: tuple[IPNetwork, ...] | None) -> bool:
    """Does `outer` match every address `inner` matches (None = Any: both families whole)?"""
    if outer is None:
        return True
    return all(covers(outer, n) for n in (_EVERYTHING if inner is None else inner))


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



def as_network(text: object) -> IPNetwork | None:
    """One IP or CIDR as a network (an IP is its host network); None for Any, a range, a list
    or text that does not parse: a route's network, a next hop, a server address."""
    return _parsed_network(text)


def as_network_uncached(text: str) -> IPNetwork | None:
    """as_network(text) for a caller that keeps its own answers for the length of a call (the
    checks' live index): a plain IPv4 text is built straight from its numbers (as in
    _as_networks), without going through, or filling, the parser's caches."""
    if text not in _LISTS:
        fast = _plain_v4_network(text)
        if fast is not None:
            return fast
    return _parsed_network(text)


def _parsed_network(text: object) -> IPNetwork | None:
    found = parse_addresses(text) if isinstance(text, str) else ANY
    if found is ANY or isinstance(found, AddressError) or len(found) != 1:
        return None
    (block,) = found
    return None if isinstance(block, AddressRange) else block_networks(block)[0]


def fmt_net(net: IPNetwork) -> str:
    """Host routes print as plain addresses (30.0.0.5, not 30.0.0.5/32), as users write them."""
    return str(net.network_address) if net.num_addresses == 1 else str(net)

