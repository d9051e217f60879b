"""The NAT conflict/shadow checks find the same problems, in the same order, as comparing every
pair of rules, while looking at far fewer pairs."""

from __future__ import annotations

import ipaddress
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.checks import conflicts
from nsxplan.checks.topology import NatView


def every_pair(kind: str, gw_id: str, rules: list[NatView]) -> list[Any]:
    """The plain double loop the checks are specified by."""
    out = []
    for i, a in enumerate(rules):
        for b in rules[i + 1:]:
            if not (a.from_config or b.from_config) or conflicts._side(a) != conflicts._side(b):
                continue
            if conflicts._translation(a) == conflicts._translation(b):
                continue
            mine, other = (a, b) if a.from_config else (b, a)
            if conflicts._match(a) == conflicts._match(b):
                if other.from_config:
                    continue
                out.append(conflicts._conflict(kind, gw_id, mine, other))
                continue
            shadow = conflicts._shadowing(a, b)
            if shadow is not None:
                out.append(conflicts._shadow(kind, gw_id, *shadow))
    return out


NETS = ["10.0.0.0/24", "10.0.0.0/25", "10.0.0.128/25", "10.0.0.5/32", "10.0.1.0/24",
        "10.0.0.0/16", "192.0.2.1/32", "2001:db8::/64", "2001:db8::1/128"]
nets = st.one_of(st.none(), st.just(()), st.lists(st.sampled_from(NETS), min_size=1, max_size=2)
                 .map(lambda xs: tuple(ipaddress.ip_network(x) for x in xs)))
rule = st.builds(
    lambda i, action, src, dst, translated, config, seq, service: NatView(
        id=f"r{i}", gateway_path="/infra/tier-1s/t1", path=f"/infra/tier-1s/t1/nat/USER/r{i}",
        action=action, source=src, destination=dst, translated_text=None,
        translated=translated, from_config=config, sequence=seq, service=service),
    st.integers(0, 10**6), st.sampled_from(["SNAT", "DNAT", "REFLEXIVE", "NO_SNAT"]), nets, nets,
    nets, st.booleans(), st.integers(0, 3), st.sampled_from([None, None, "/infra/services/x"]))


@settings(max_examples=300, deadline=None)
@given(st.lists(rule, max_size=12))
def test_same_checks_as_every_pair(rules: list[NatView]) -> None:
    assert conflicts._nat_checks("Tier-1", "t1", rules) == every_pair("Tier-1", "t1", rules)
