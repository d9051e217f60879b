"""The checks' fast paths give the answers of the general computations they stand in for."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.checks import conflicts, topology
from nsxplan.nsx.addresses import IPNetwork
from nsxplan.nsx.kinds import nat_rule_path, nat_section_path, path_of

v4 = st.builds(lambda a, p: ipaddress.IPv4Network((a, p), strict=False),
               st.integers(0, 2**32 - 1), st.integers(0, 32))
v6 = st.builds(lambda a, p: ipaddress.IPv6Network((a, p), strict=False),
               st.integers(0, 2**128 - 1), st.integers(0, 128))
# Few distinct values, so that equal and unequal lists both come up often.
small = st.sampled_from([ipaddress.ip_network(n) for n in (
    "10.0.0.0/24", "10.0.0.0/25", "10.0.0.5/32", "0.0.0.0/0", "::/0", "2001:db8::/64",
    "2001:db8::1/128", "10.0.0.0/8")])
network = st.one_of(v4, v6, small)
networks = st.one_of(st.none(), st.lists(network, max_size=3).map(tuple))


def _text_key(nets: tuple[IPNetwork, ...] | None) -> tuple[str, ...] | None:
    """What the checks compared before: the networks' sorted text."""
    return None if nets is None else tuple(sorted(str(n) for n in nets))


@settings(max_examples=400, deadline=None)
@given(networks, networks)
def test_network_keys_equal_exactly_when_the_texts_are(a: tuple[IPNetwork, ...] | None,
                                                       b: tuple[IPNetwork, ...] | None) -> None:
    assert (conflicts._nets(a) == conflicts._nets(b)) == (_text_key(a) == _text_key(b))


def _general_span(nets: tuple[IPNetwork, ...] | None) -> tuple[object, ...]:
    if nets is None:
        return conflicts._ANY
    if not nets or len({n.version for n in nets}) != 1:
        return conflicts._UNKNOWN
    return (nets[0].version, min(int(n.network_address) for n in nets),
            max(int(n.broadcast_address) for n in nets))


@settings(max_examples=400, deadline=None)
@given(networks)
def test_span_of_one_network_is_the_general_span(nets: tuple[IPNetwork, ...] | None) -> None:
    assert conflicts._span(nets) == _general_span(nets)


ids = st.text(st.characters(codec="ascii", exclude_characters="/"), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(ids, ids)
def test_child_paths_are_path_of(gateway: str, rule: str) -> None:
    gw = f"/infra/tier-1s/{gateway}"
    nat = topology._child_prefix("PolicyNatRule", nat_section_path(gw)) + rule
    assert nat == nat_rule_path(gw, rule)
    assert topology._child_prefix("StaticRoutes", gw) + rule == path_of("StaticRoutes", rule, gw)


tag = st.one_of(
    st.fixed_dictionaries({"scope": st.sampled_from(["nsxplan/owner", "other", None]),
                           "tag": st.sampled_from(["me", "you", ""])}),
    st.just("not-a-tag"), st.none())


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.none(), st.lists(tag, max_size=3)))
def test_owner_tag_test_is_the_plain_any(tags: list[object] | None) -> None:
    obj = {"tags": tags}
    expected = any(isinstance(t, dict) and t.get("scope") == "nsxplan/owner"
                   and t.get("tag") == "me" for t in tags or ())
    assert topology._owned_by(obj, "me") == expected


octet = st.one_of(st.integers(0, 255).map(str), st.sampled_from(["256", "01", "00", "999", ""]))
plain_v4 = st.builds(lambda a, b, c, d: f"{a}.{b}.{c}.{d}", octet, octet, octet, octet)
address_text = st.one_of(
    plain_v4,
    st.builds(lambda ip, p: f"{ip}/{p}", plain_v4, st.one_of(st.integers(0, 33).map(str),
                                                           st.sampled_from(["", "x", "08"]))),
    st.builds(lambda ip: f" {ip} ", plain_v4),
    st.builds(lambda a, b: f"{a}-{b}", plain_v4, plain_v4),
    st.builds(lambda a, b: f"{a},{b}", plain_v4, plain_v4),
    st.sampled_from(["", "any", "ANY", "2001:db8::1", "2001:db8::/64", "::/0", "10.0.0.0/8",
                     "0.0.0.0/0", "not-an-ip", "10.0.0.1/32", "1.2.3"]),
    st.text(max_size=12))


@settings(max_examples=500, deadline=None)
@given(address_text)
def test_plain_ipv4_networks_are_the_general_parse(text: str) -> None:
    from nsxplan.nsx import addresses

    assert addresses._as_networks(text) == addresses._parsed_networks(text)
    fast, general = addresses.as_network_uncached(text), addresses.as_network(text)
    assert fast == general and type(fast) is type(general)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["SNAT", "DNAT", "REFLEXIVE", "NO_SNAT", "FORWARD"]), networks, networks,
       networks, st.sampled_from([None, "", "80"]), st.sampled_from([None, "", "/x"]),
       st.booleans())
def test_rule_facts_are_side_translation_and_match(action: str, src: Any, dst: Any,
                                                   translated: Any, ports: str | None,
                                                   service: str | None, config: bool) -> None:
    rule = topology.NatView(id="r", gateway_path="/infra/tier-1s/t", path="/p", action=action,
                            source=src, destination=dst, translated_text=None,
                            translated=translated, from_config=config, service=service,
                            translated_ports=ports)
    assert conflicts._facts(rule) == (config, conflicts._side(rule),
                                      conflicts._translation(rule), conflicts._match(rule))


dotted = st.one_of(
    st.text(st.sampled_from("0123456789./ -x:\n٣"), max_size=20),
    st.builds(lambda parts, prefix: ".".join(parts) + prefix,
              st.lists(st.one_of(st.integers(0, 300).map(str), st.sampled_from(["0", "00", "01",
                                                                               "007", ""])),
                       min_size=3, max_size=5),
              st.sampled_from(["", "/", "/0", "/8", "/08", "/32", "/33", "/24/1"])))


@settings(max_examples=800, deadline=None)
@given(st.one_of(dotted, address_text))
def test_address_reader_is_the_regex(text: str) -> None:
    from nsxplan.nsx import addresses

    assert addresses._v4_by_inet_pton(text) == addresses._v4_by_regex(text) or (
        addresses._v4 is addresses._v4_by_regex)


# Gateways whose ids, and collections whose names, are prefixes of one another; empty parts.
head = st.sampled_from(["/infra/tier-1s/a", "/infra/tier-1s/ab", "/infra/tier-0s/a",
                        "/global-infra/tier-1s/a", "/infra/segments", "/infra", "infra/tier-1s/a"])
segment = st.sampled_from(["nat", "natx", "static-routes", "", "USER", "x"])
live_path = st.builds(lambda h, rest: h + "".join("/" + r for r in rest), head,
                      st.lists(segment, max_size=3))


@settings(max_examples=300, deadline=None)
@given(st.lists(live_path, max_size=25, unique=True), st.lists(st.booleans(), min_size=25,
                                                                max_size=25))
def test_live_index_groups_as_splitting_each_path(paths: list[str], mine: list[bool]) -> None:
    from nsxplan.live.state import LiveState

    objects = {p: {"resource_type": "PolicyNatRule" if len(p) % 2 else "StaticRoutes",
                   "path": p, "tags": [{"scope": "nsxplan/owner", "tag": "me"}] if m else []}
               for p, m in zip(paths, mine, strict=False)}
    index = topology.LiveIndex(LiveState(objects=objects, nsx_version="4.1", requests=1), "me")
    expected: dict[tuple[str, str, object], list[str]] = {}
    for path in sorted(objects):
        parts = path.split("/")
        if len(parts) > 4 and parts[2] in ("tier-0s", "tier-1s"):
            key = ("/".join(parts[:4]), parts[4], objects[path]["resource_type"])
            expected.setdefault(key, []).append(path)
    for (gateway, collection, rt), want in expected.items():
        got = index.under(gateway, collection, str(rt))
        assert [o["path"] for o in got] == want
        assert [o["path"] for o in index.theirs(gateway, collection, str(rt))] == [
            p for p in want if not objects[p]["tags"]]
    assert sum(len(v) for v in index._under.values()) == sum(len(v) for v in expected.values())
