"""One parser for NSX address strings, one meaning of Any (docs/decisions.md, "Addresses").

Every spelling of the decision table goes through `parse_addresses`; canonicalisation, coverage
and the validation message are checked against it, and against each other by property."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.nsx import addresses
from nsxplan.nsx.addresses import (
    ANY,
    AddressError,
    AddressRange,
    address_problem,
    as_network,
    as_networks,
    canon_ip,
    canonical_match,
    contains,
    forget_parsed_blocks,
    match_key,
    parse_addresses,
    parse_block,
    parse_cidr,
    parse_ip,
    v4_address,
    v4_network,
)

net = ipaddress.ip_network
ip = ipaddress.ip_address


@pytest.mark.parametrize("text", [None, "", "  ", "Any", "ANY", "any", " Any "])
def test_spellings_of_any(text: str | None) -> None:
    assert parse_addresses(text) is ANY
    assert canonical_match(text) is None
    assert as_networks(text) is None
    assert match_key(text) == ("Any",)


@pytest.mark.parametrize("text,blocks", [
    ("0.0.0.0/0", (net("0.0.0.0/0"),)),          # every IPv4 address: a network, not Any
    ("::/0", (net("::/0"),)),                    # every IPv6 address: a network, not Any
    ("10.0.0.5", (ip("10.0.0.5"),)),
    ("10.0.0.5/32", (net("10.0.0.5/32"),)),
    ("10.0.0.0/24", (net("10.0.0.0/24"),)),
    ("2001:db8::/64", (net("2001:db8::/64"),)),
    ("10.0.0.1-10.0.0.9", (AddressRange(ip("10.0.0.1"), ip("10.0.0.9")),)),
    ("10.0.0.2, 10.0.0.1", (ip("10.0.0.2"), ip("10.0.0.1"))),
])
def test_spellings_of_blocks(text: str, blocks: tuple[object, ...]) -> None:
    assert parse_addresses(text) == blocks


@pytest.mark.parametrize("text,message,hint", [
    ("10.0.0.1/24", "'10.0.0.1/24' has host bits set", "did you mean 10.0.0.0/24?"),
    ("10.0.0.9-10.0.0.1", "range '10.0.0.9-10.0.0.1' ends before it starts",
     "did you mean 10.0.0.1-10.0.0.9?"),
    ("10.0.0.1,", "empty address", "remove the stray comma or write an address"),
    ("any,10.0.0.1", "'any' is not an IP address", None),
    ("10.0.0.1/32-10.0.0.9", "'10.0.0.1/32-10.0.0.9' is not an IP range",
     "write a range as FIRST-LAST, like 10.0.0.10-10.0.0.20"),
])
def test_spellings_that_are_errors(text: str, message: str, hint: str | None) -> None:
    found = parse_addresses(text)
    assert isinstance(found, AddressError) and found.message == message
    if hint is not None:
        assert found.hint == hint


def test_any_is_an_answer_only_where_nsx_gives_it_one() -> None:
    assert address_problem("Any", any_ok=True) is None
    error = address_problem("Any", any_ok=False)
    assert error is not None and error.message == "'Any' is not an address here"
    assert as_network("Any") is None and as_network("0.0.0.0/0") == net("0.0.0.0/0")
    assert as_network("10.0.0.1-10.0.0.2") is None
    assert canon_ip("Any") == "Any"                  # not a NAT match: kept as written
    assert canonical_match("0.0.0.0/0") == "0.0.0.0/0"


def test_any_contains_both_families_and_a_family_is_less() -> None:
    ipv4_all, ipv6_all = as_networks("0.0.0.0/0"), as_networks("::/0")
    assert contains(None, ipv4_all) and not contains(ipv4_all, None)
    assert not contains(ipv6_all, None)
    assert contains(as_networks("0.0.0.0/0, ::/0"), None)


# --- property: the canonical spelling and coverage agree ------------------------------------------

_small_v4 = st.builds(lambda a, h: f"10.0.{a}.{h}", st.integers(0, 1), st.sampled_from(
    [0, 1, 2, 3, 4, 7, 8, 15, 128, 255]))
_block_text = st.one_of(
    _small_v4,
    st.builds(lambda a, h: f"10.0.{a}.{h}/32", st.integers(0, 1), st.integers(0, 255)),
    st.builds(lambda a, p: str(net(f"10.0.{a}.0/{p}", strict=False)), st.integers(0, 1),
              st.integers(23, 30)),
    st.builds(lambda lo, n: f"{ip('10.0.0.0') + lo}-{ip('10.0.0.0') + lo + n}",
              st.integers(0, 300), st.integers(0, 40)),
    st.sampled_from(["0.0.0.0/0", "::/0", "2001:db8::1", "2001:DB8::/126"]),
)
_text = st.one_of(
    st.sampled_from([None, "", "Any", "ANY", " any "]),
    st.lists(_block_text, min_size=1, max_size=3).map(", ".join),
    st.lists(_block_text, min_size=1, max_size=3).map(lambda xs: ",".join(reversed(xs))),
)


def _equal_sets(a: str | None, b: str | None) -> bool:
    na, nb = as_networks(a), as_networks(b)
    return contains(na, nb) and contains(nb, na)


@settings(max_examples=300, deadline=None)
@given(_text, _text)
def test_same_canonical_spelling_means_same_addresses(a: str | None, b: str | None) -> None:
    if canonical_match(a) == canonical_match(b):
        assert _equal_sets(a, b)
    if (canonical_match(a) is None) != (canonical_match(b) is None):
        # Any and a list of networks never share a spelling, and differ unless the list holds
        # both whole families
        assert canonical_match(a) != canonical_match(b)


@settings(max_examples=300, deadline=None)
@given(_text)
def test_canonical_spelling_parses_back_to_the_same_addresses(text: str | None) -> None:
    canonical = canonical_match(text)
    assert canonical_match(canonical) == canonical            # idempotent
    assert _equal_sets(text, canonical)
    assert match_key(text) == match_key(canonical)


# --- the IPv4 fast path builds what ipaddress builds, and caching changes no answer -------------

_v4_networks = st.integers(0, 32).flatmap(lambda p: st.builds(
    lambda a: (a & ~((1 << (32 - p)) - 1) & 0xFFFFFFFF, p), st.integers(0, 2**32 - 1)))


@settings(max_examples=300, deadline=None)
@given(_v4_networks)
def test_ipv4_objects_built_from_integers_are_the_constructors(network: tuple[int, int]) -> None:
    address, prefix = network
    fast, real = v4_network(address, prefix), ipaddress.IPv4Network(network)
    assert (fast, str(fast), hash(fast), fast.prefixlen) == (real, str(real), hash(real),
                                                             real.prefixlen)
    assert vars(fast).keys() == vars(real).keys()
    assert fast.broadcast_address == real.broadcast_address and fast.subnet_of(real)
    if prefix >= 28:
        assert list(fast.hosts()) == list(real.hosts())
    ip_fast, ip_real = v4_address(address), ipaddress.IPv4Address(address)
    assert (ip_fast, str(ip_fast), hash(ip_fast)) == (ip_real, str(ip_real), hash(ip_real))


def test_this_python_takes_the_fast_path() -> None:
    # The fast path mirrors ipaddress's constructors; when a Python builds its objects
    # differently, the constructors are used instead (slower, the same answers).
    assert addresses._FAST_V4


def test_a_python_building_networks_differently_gets_the_constructors(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def different(address: int, prefix: int) -> ipaddress.IPv4Network:
        network = ipaddress.IPv4Network((address, prefix))
        network.extra = True    # type: ignore[attr-defined]  # an attribute __init__ now sets
        return network
    monkeypatch.setattr(addresses, "_v4_network_fast", different)
    assert not addresses._same_as_constructed()
    monkeypatch.setattr(addresses, "_FAST_V4", False)
    assert v4_network(0x0A000100, 24) == net("10.0.1.0/24")
    assert v4_address(0x0A000001) == ip("10.0.0.1")
    assert as_network("10.9.9.9") == net("10.9.9.9/32")


_any_text = st.one_of(_text, st.text(alphabet="0123456789./-:, abyAN", max_size=20))


@settings(max_examples=300, deadline=None)
@given(_any_text, st.booleans())
def test_answers_are_the_same_from_the_caches(text: str | None, allow_list: bool) -> None:
    forget_parsed_blocks()
    parsers = [lambda: parse_addresses(text, allow_list=allow_list), lambda: match_key(text)]
    if text is not None:
        parsers += [lambda: parse_ip(text), lambda: parse_cidr(text),
                    lambda: parse_cidr(text, allow_bare_ip=True), lambda: parse_block(text)]
    cold = []
    for parse in parsers:
        cold.append(parse())
        forget_parsed_blocks()
    for parse in parsers:
        parse()
    assert [parse() for parse in parsers] == cold        # warm, in another order of filling


def test_parse_ip_and_parse_cidr_keep_their_own_messages() -> None:
    # They share parse_block's cache, which answers a bare IP with an address and a CIDR with
    # a network: each keeps the message of its own field.
    for text in ("10.0.0.1", "10.0.0.0/24", "10.0.0.1-10.0.0.2", " 10.0.0.7 "):
        parse_block(text)
    cidr = parse_cidr("10.0.0.1")
    assert isinstance(cidr, AddressError) and cidr.message == "'10.0.0.1' is not a CIDR"
    assert parse_cidr("10.0.0.1", allow_bare_ip=True) == net("10.0.0.1/32")
    error = parse_ip("10.0.0.0/24")
    assert isinstance(error, AddressError) and error.message == "'10.0.0.0/24' is not an IP address"
    error = parse_cidr("10.0.0.1-10.0.0.2")
    assert isinstance(error, AddressError) and error.message == "'10.0.0.1-10.0.0.2' is not a CIDR"
    assert parse_ip(" 10.0.0.7 ") == ip("10.0.0.7")
