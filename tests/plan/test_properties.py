"""Properties: canonical forms are idempotent; plans do not depend on the order NSX lists in."""

from __future__ import annotations

import ipaddress
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.config.model import NatRule, NextHop, StaticRoute, Tier0
from nsxplan.live.read import live_from_objects
from nsxplan.nsx.addresses import canon_ip
from nsxplan.plan.normalize import canonical
from tests.plan.helpers import T0, config, live, obj, owned, plan, src, tier0

v4 = st.ip_addresses(v=4).map(str)
v6 = st.ip_addresses(v=6).map(str)
prefixed = st.tuples(st.ip_addresses(), st.integers(0, 128)).map(
    lambda t: f"{t[0]}/{min(t[1], t[0].max_prefixlen)}")
addresses = st.one_of(v4, v6, prefixed, st.lists(v4, min_size=1, max_size=3).map(",".join))


@settings(max_examples=200, deadline=None)
@given(addresses)
def test_canon_ip_is_idempotent_and_keeps_the_address(value: str) -> None:
    once = canon_ip(value)
    assert canon_ip(once) == once
    first = once.split(",")[0].split("/")[0]
    ipaddress.ip_address(first)            # still an address NSX would accept


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["TIER1_NAT", "TIER1_CONNECTED", "tier1_static_routes"]),
                max_size=5))
def test_canonical_is_idempotent_for_set_fields(values: list[str]) -> None:
    once = canonical("Tier1", {"route_advertisement_types": values})
    assert canonical("Tier1", once) == once


def test_plan_is_the_same_whatever_the_live_listing_order() -> None:
    routes = tuple(StaticRoute(f"r{i}", f"10.{i}.0.0/16", (NextHop("10.0.0.1"),),
                               source=src(i)) for i in range(8))
    rules = tuple(NatRule(f"n{i}", "REFLEXIVE", f"30.0.0.{i}", translated_network=f"1.1.1.{i}",
                          source=src(20 + i)) for i in range(8))
    cfg = config(tier0s=(Tier0("vcf-t0", existing=True, static_routes=routes[:5],
                               nat_rules=rules, source=src(1)),))
    objs = [tier0()] + [
        obj(f"{T0}/static-routes/r{i}", "StaticRoutes", tags=owned(), network=f"10.{i}.0.0/16",
            next_hops=[{"ip_address": "10.0.0.2"}]) for i in range(8)]
    expected = plan(cfg, live(*objs))
    for seed in range(5):
        shuffled = list(objs)
        random.Random(seed).shuffle(shuffled)
        again = plan(cfg, live_from_objects(shuffled))
        assert again.actions == expected.actions
        assert again.unmanaged == expected.unmanaged
