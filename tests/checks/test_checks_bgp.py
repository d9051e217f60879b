"""Checks that know BGP (issue 12): on a BGP Tier-0, "advertised" needs the route redistribution,
the missing type is named with the YAML to paste, no fix ever translates onto an address a BGP
session uses, static routes need an interface, and egress ranges cover new egress addresses."""

from __future__ import annotations

import dataclasses

from nsxplan.checks import run_checks
from nsxplan.config.model import NatRule, Tier0, Tier1
from nsxplan.config.routing import InterfaceSubnet, RedistributionRule
from nsxplan.config.routing import Tier0Interface as Iface
from nsxplan.live.state import LiveState
from tests.checks.helpers import (
    at,
    by_id,
    config,
    dns_server,
    fixture_live,
    live,
    obj,
    reflexive,
    route,
)

T0 = "/infra/tier-0s/t0-edge"
LS = T0 + "/locale-services/default"


def edge(**kw: object) -> Tier0:
    return Tier0("t0-edge", existing=True, source=at(5), **kw)  # type: ignore[arg-type]


def lab(t0: Tier0 | None = None, **kw: object):
    return dataclasses.replace(config(tier0=False, **kw), tier0s=(t0 or edge(),))  # type: ignore[arg-type]


def with_redistribution(state: LiveState, *types: str) -> LiveState:
    objects = dict(state.objects)
    ls = dict(objects[LS])
    ls["route_redistribution_config"] = {"bgp_enabled": True, "redistribution_rules": [
        {"name": "t1", "route_redistribution_types": list(types), "destinations": ["BGP"]}]}
    objects[LS] = ls
    return LiveState(objects=objects)


def test_peering_without_redistribution_is_not_advertised_and_the_fix_names_the_type():
    checks = run_checks(lab(), fixture_live())
    (fail,) = by_id(checks, "egress.bgp-redistribution")
    assert fail.status == "fail" and fail.subject == "Tier-0 t0-edge"
    assert "does not redistribute TIER1_NAT" in fail.message
    assert "172.16.2.3, 172.16.2.4, 172.16.2.1" in fail.message
    assert fail.remediation.endswith(
        "route_redistribution:\n    - {name: tier1-routes, types: [TIER1_LB_VIP, TIER1_NAT]}")
    (vip,) = by_id(checks, "egress.lb-vip-redistribution")
    assert vip.status == "warn" and "TIER1_LB_VIP" in vip.message
    assert vip.remediation == fail.remediation      # one list to paste
    # never a Tier-0 NAT onto the uplink the ToR peers with
    assert not by_id(checks, "egress.tier0-nat")
    assert not any("REFLEXIVE" in (c.remediation or "") for c in checks)


def test_redistribution_live_or_declared_makes_the_egress_advertised():
    for state, cfg in (
            (with_redistribution(fixture_live(), "TIER1_NAT", "TIER1_LB_VIP"), lab()),
            (fixture_live(), lab(edge(adopt=True, route_redistribution=(
                RedistributionRule("t1", ("TIER1_NAT", "TIER1_LB_VIP")),))))):
        checks = run_checks(cfg, state)
        (ok,) = by_id(checks, "egress.bgp-redistribution")
        assert ok.status == "ok", ok.message
        assert "redistributes TIER1_NAT (rule t1)" in ok.message
        assert not by_id(checks, "egress.lb-vip-redistribution")


def test_existing_rules_are_kept_in_the_suggested_list():
    checks = run_checks(lab(), with_redistribution(fixture_live(), "TIER0_STATIC"))
    (fail,) = by_id(checks, "egress.bgp-redistribution")
    assert "its redistribution rules: t1 [TIER0_STATIC]" in fail.message
    assert "- {name: t1, types: [TIER0_STATIC, TIER1_LB_VIP, TIER1_NAT]}" in fail.remediation


def test_tier1_that_does_not_advertise_its_nat_addresses_is_named():
    state = with_redistribution(fixture_live(), "TIER1_NAT", "TIER1_LB_VIP")
    apps = Tier1("apps", tier0=None, tier0_path=T0, route_advertisement=("TIER1_CONNECTED",),
                 nat_rules=(NatRule("snat", "SNAT", translated_network="172.16.9.1"),),
                 source=at(20))
    checks = run_checks(lab(tier1s=[apps]), state)
    (fail,) = by_id(checks, "egress.tier1-advertisement")
    assert fail.subject == "Tier-1 apps" and "does not advertise TIER1_NAT" in fail.message
    assert "route_advertisement: [TIER1_CONNECTED, TIER1_NAT]" in fail.remediation


def test_dns_return_route_on_a_bgp_tier0_consults_the_redistribution():
    cfg = lab(dns=[dns_server("192.168.10.10", ["172.16.2.0/24"])])
    (fail,) = by_id(run_checks(cfg, fixture_live()), "dns.return-route")
    assert fail.status == "fail"
    assert "is not announced through BGP (t0-edge does not redistribute TIER1_NAT)" in \
        fail.message
    assert "TIER1_NAT" in fail.remediation and "REFLEXIVE" not in fail.remediation
    state = with_redistribution(fixture_live(), "TIER1_NAT")
    (ok,) = by_id(run_checks(cfg, state), "dns.return-route")
    assert ok.status == "ok" and "announced by t0-edge to its BGP neighbors" in ok.message


def test_reflexive_suggestion_never_uses_a_peering_address_and_says_why():
    # BGP enabled, the neighbor gone: NAT is needed again, but not onto the uplink address
    state = fixture_live()
    objects = {p: o for p, o in state.objects.items() if "/neighbors/" not in p}
    checks = run_checks(lab(), LiveState(objects=objects))
    nat = by_id(checks, "egress.tier0-nat")
    assert nat and all(c.status == "fail" for c in nat)
    for c in nat:
        assert "translated: 192.168.105.2}" not in c.remediation
        assert "never translate to 192.168.105.2 (t0-edge's interface uplink-edge-01 address)" \
            in c.remediation
    assert "translated: 192.168.105.3}" in nat[0].remediation


def test_nat_onto_a_peering_address_fails():
    bad = reflexive("bad", "172.16.2.1", "192.168.105.2")
    checks = run_checks(lab(edge(nat_rules=(bad,))), fixture_live())
    (fail,) = by_id(checks, "routing.nat-peering-address")
    assert fail.subject == "NAT rule bad of Tier-0 t0-edge"
    assert ("REFLEXIVE rule bad translates to 192.168.105.2, t0-edge's interface "
            "uplink-edge-01 address, which BGP neighbor tor-a peers with") in fail.message
    good = reflexive("good", "172.16.2.1", "192.168.105.20")
    assert not by_id(run_checks(lab(edge(nat_rules=(good,))), fixture_live()),
                     "routing.nat-peering-address")


def test_static_routes_without_an_interface_are_unreachable():
    ec = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
    t0 = Tier0("new-t0", edge_cluster=ec, source=at(5),
               static_routes=(route("default", "0.0.0.0/0", "10.9.0.1"),))
    cfg = dataclasses.replace(config(tier0=False), tier0s=(t0,))
    (fail,) = by_id(run_checks(cfg, live()), "routing.next-hops")
    assert fail.status == "fail"
    assert "has static routes (default) but no interface" in fail.message
    assert "10.9.0.1" in fail.message and "tier0s[new-t0].interfaces" in fail.remediation
    up = Iface("up", (InterfaceSubnet("10.8.0.2", 24),), segment_path="/infra/segments/s",
               edge_path=ec + "/edge-nodes/0")
    off_subnet = run_checks(dataclasses.replace(cfg, tier0s=(
        dataclasses.replace(t0, interfaces=(up,)),)), live())
    assert not by_id(off_subnet, "routing.next-hops")
    (hop,) = by_id(off_subnet, "route.next-hop")      # one check for it, at fail level
    assert hop.status == "fail" and "10.9.0.1" in hop.message and "10.8.0.0/24" in hop.message
    ok = Iface("up", (InterfaceSubnet("10.9.0.2", 24),), segment_path="/infra/segments/s",
               edge_path=ec + "/edge-nodes/0")
    assert not by_id(run_checks(dataclasses.replace(cfg, tier0s=(
        dataclasses.replace(t0, interfaces=(ok,)),)), live()), "routing.next-hops")


def test_a_new_egress_address_inside_a_declared_range_keeps_the_plan_passing():
    # NCP hands out egress addresses from a range over time: one REFLEXIVE /27 (1:1 sizes) or a
    # routed_upstream CIDR covers the next namespace's address as well as today's.
    new_ns = [obj("/infra/tier-1s/ns-new", "Tier1", tier0_path="/infra/tier-0s/vcf-t0",
                  route_advertisement_types=["TIER1_NAT"]),
              obj("/infra/tier-1s/ns-new/nat/USER/nat-rules/snat", "PolicyNatRule",
                  action="SNAT", translated_network="30.0.0.9")]
    rng = reflexive("egress-range", "30.0.0.0/27", "10.27.51.160/27")
    for cfg in (config(routes=[route("d", "0.0.0.0/0", "10.27.51.1")], nat=[rng]),
                config(routes=[route("d", "0.0.0.0/0", "10.27.51.1")], routed=["30.0.0.0/24"])):
        before = by_id(run_checks(cfg, live()), "egress.tier0-nat")
        after = by_id(run_checks(cfg, live(extra=new_ns)), "egress.tier0-nat")
        assert before and all(c.status == "ok" for c in before)
        assert len(after) == len(before) + 1 and all(c.status == "ok" for c in after)
