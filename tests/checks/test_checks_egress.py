"""Egress through a Tier-0 without BGP (field scenario a) and the default-route warning."""

from __future__ import annotations

import dataclasses

from nsxplan.checks import run_checks
from nsxplan.config.model import NatRule, Tier0, Tier1
from tests.checks.helpers import (
    DEFAULT_ROUTE,
    EXAMPLE_RULES,
    LS,
    T0,
    at,
    by_id,
    config,
    fixture_live,
    live,
    obj,
    reflexive,
    route,
)


def egress(checks):
    return by_id(checks, "egress.tier0-nat")


def test_scenario_a_before_fix_names_both_tier1s_rules_and_reflexive_fixes():
    checks = run_checks(config(routes=[DEFAULT_ROUTE]), live())
    fails = [c for c in egress(checks) if c.status == "fail"]
    assert [c.subject for c in fails] == ["egress 30.0.0.5 of Tier-1 domain-c8",
                                         "egress 30.0.0.16 of Tier-1 vnet-domain-c8"]
    first, second = fails
    assert "Tier-1 domain-c8 SNAT rule snat-egress" in first.message
    assert "30.0.0.5" in first.message and "vcf-t0" in first.message
    assert "tier0s[vcf-t0].nat_rules" in first.remediation
    assert ("- {id: reflexive-30-0-0-5, action: REFLEXIVE, source: 30.0.0.5, "
            "translated: 10.27.51.145}") in first.remediation
    # REFLEXIVE is 1:1: the second egress address gets a different free uplink address
    assert ("- {id: reflexive-30-0-0-16, action: REFLEXIVE, source: 30.0.0.16, "
            "translated: 10.27.51.146}") in second.remediation
    assert "Tier-1 vnet-domain-c8 SNAT rule snat-egress" in second.message


def test_scenario_a_after_fix_with_the_config_language_example_is_ok():
    checks = run_checks(config(routes=[DEFAULT_ROUTE], nat=EXAMPLE_RULES), live())
    assert [c.status for c in egress(checks)] == ["ok", "ok"]
    assert "10.27.51.145 (REFLEXIVE rule supervisor-egress)" in egress(checks)[0].message
    assert "10.27.51.147 (REFLEXIVE rule tkg-egress)" in egress(checks)[1].message
    assert not [c for c in checks if c.status != "ok"]


def test_live_reflexive_rule_counts_and_suggestions_avoid_its_address():
    rule = obj(T0 + "/nat/USER/nat-rules/sup", "PolicyNatRule", action="REFLEXIVE",
               source_network="30.0.0.5", translated_network="10.27.51.145")
    checks = egress(run_checks(config(), live(extra=[rule])))
    assert [c.status for c in checks] == ["ok", "fail"]
    assert "translated: 10.27.51.146}" in checks[1].remediation


def test_only_missing_rule_fails_when_one_of_two_is_declared():
    checks = egress(run_checks(config(nat=EXAMPLE_RULES[:1]), live()))
    assert [(c.status, c.subject) for c in checks] == [
        ("ok", "egress 30.0.0.5 of Tier-1 domain-c8"),
        ("fail", "egress 30.0.0.16 of Tier-1 vnet-domain-c8")]


def test_our_own_live_rule_missing_from_config_is_about_to_be_deleted():
    owned = obj(T0 + "/nat/USER/nat-rules/supervisor-egress", "PolicyNatRule",
                action="REFLEXIVE", source_network="30.0.0.5", translated_network="10.27.51.145",
                tags=[{"scope": "nsxplan/owner", "tag": "tanzu-egress"}])
    checks = egress(run_checks(config(), live(extra=[owned])))
    assert [c.status for c in checks] == ["fail", "fail"]
    foreign = {**owned, "tags": [{"scope": "nsxplan/owner", "tag": "other-stack"}]}
    assert egress(run_checks(config(), live(extra=[foreign])))[0].status == "ok"


def test_disabled_rule_does_not_translate():
    off = NatRule(id="sup", action="REFLEXIVE", source_network="30.0.0.5",
                  translated_network="10.27.51.145", enabled=False)
    assert egress(run_checks(config(nat=[off]), live()))[0].status == "fail"


def test_snat_any_and_cidr_sources_cover_the_egress_addresses():
    any_rule = NatRule(id="all", action="SNAT", translated_network="10.27.51.150")
    assert [c.status for c in egress(run_checks(config(nat=[any_rule]), live()))] == ["ok"] * 2
    block = reflexive("block", "30.0.0.0/24", "10.27.51.0/24")
    checks = egress(run_checks(config(nat=[block]), live()))
    assert [c.status for c in checks] == ["ok", "ok"]
    assert "translates it to 10.27.51.16" in checks[1].message


def test_routed_upstream_declaration_covers_egress():
    checks = egress(run_checks(config(routed=["30.0.0.0/24"]), live()))
    assert [c.status for c in checks] == ["ok", "ok"]
    assert "routed upstream" in checks[0].message


def test_tier0_with_bgp_peer_needs_no_tier0_nat_but_redistribution():
    # The BGP lab as captured: peering, but no redistribution rule. Not "advertised" (the
    # judgement this check used to make): the fix names TIER1_NAT (tests/checks/test_checks_bgp).
    named = dataclasses.replace(config(tier0=False),
                                tier0s=(Tier0("t0-edge", existing=True, source=at(5)),))
    checks = run_checks(named, fixture_live())
    assert not egress(checks)
    redistribution = by_id(checks, "egress.bgp-redistribution")
    assert [(c.status, c.subject) for c in redistribution] == [("fail", "Tier-0 t0-edge")]
    assert "peers BGP with 192.168.105.253" in redistribution[0].message
    assert not by_id(checks, "egress.default-route")


def test_bgp_without_neighbor_is_no_peer():
    lab = live(extra=[obj(LS + "/bgp", "BgpRoutingConfig", enabled=True, local_as_num="65001")])
    checks = egress(run_checks(config(), lab))
    assert [c.status for c in checks] == ["fail", "fail"]
    assert "BGP enabled but no neighbor" in checks[0].message


def test_default_route_warns_when_missing_and_is_ok_when_declared_or_live():
    warn = by_id(run_checks(config(), live()), "egress.default-route")
    assert [(c.status, c.subject) for c in warn] == [("warn", "Tier-0 vcf-t0")]
    assert "network: 0.0.0.0/0" in warn[0].remediation
    assert "10.27.51.0/24" in warn[0].remediation
    ok = by_id(run_checks(config(routes=[DEFAULT_ROUTE]), live()), "egress.default-route")
    assert [c.status for c in ok] == ["ok"]
    live_route = obj(T0 + "/static-routes/up", "StaticRoutes", network="0.0.0.0/0",
                     next_hops=[{"ip_address": "10.27.51.1", "admin_distance": 1}])
    ok = by_id(run_checks(config(), live(extra=[live_route])), "egress.default-route")
    assert [c.status for c in ok] == ["ok"] and "up" in ok[0].message
    specific = route("corp", "192.168.0.0/16", "10.27.51.1")
    warn = by_id(run_checks(config(routes=[specific]), live()), "egress.default-route")
    assert [c.status for c in warn] == ["warn"]


def test_egress_is_not_judged_offline():
    checks = run_checks(config(routes=[DEFAULT_ROUTE]), None)
    assert not egress(checks)
    assert [c.status for c in by_id(checks, "egress.default-route")] == ["ok"]
    assert not by_id(run_checks(config(), None), "egress.default-route")


def test_tier1_snat_from_config_is_checked_too():
    from nsxplan.config.model import Tier1

    t1 = Tier1(id="apps-t1", tier0_path=T0, nat_rules=(
        NatRule(id="apps-out", action="SNAT", source_network="10.96.0.0/24",
                translated_network="30.0.1.1"),))
    checks = egress(run_checks(config(nat=EXAMPLE_RULES, tier1s=[t1]), live()))
    failing = [c for c in checks if c.status == "fail"]
    assert [c.subject for c in failing] == ["egress 30.0.1.1 of Tier-1 apps-t1"]
    assert "(read live)" not in failing[0].message
    # .145 and .147 are taken by the example's rules
    assert "translated: 10.27.51.146}" in failing[0].remediation


def test_suggestions_stay_inside_a_small_uplink_subnet_then_say_so():
    small = obj(LS + "/interfaces/uplink-1", "Tier0Interface", type="EXTERNAL",
                subnets=[{"ip_addresses": ["10.27.51.145"], "prefix_len": 30}])
    extra = obj("/infra/tier-1s/domain-c8/nat/USER/nat-rules/snat-more", "PolicyNatRule",
                action="SNAT", translated_network="30.0.0.7")
    fixes = [c.remediation for c in egress(run_checks(config(), live(extra=[small, extra])))]
    # 10.27.51.144/30: .145 is the uplink, .146 the only other host
    assert "source: 30.0.0.5, translated: 10.27.51.145}" in fixes[0]
    assert "source: 30.0.0.7, translated: 10.27.51.146}" in fixes[1]
    assert "translated: <a free address in vcf-t0's uplink subnet 10.27.51.144/30>}" in fixes[2]


def test_suggestion_without_a_known_uplink_is_a_placeholder():
    no_uplink = live(drop=[LS + "/interfaces/uplink-1"])
    fix = egress(run_checks(config(), no_uplink))[0].remediation
    assert "translated: <a free address in vcf-t0's uplink subnet>}" in fix


def test_tier1_nat_address_inside_the_uplink_subnet_needs_no_tier0_rule():
    from nsxplan.config.model import Tier1

    def t1(adv):
        return Tier1(id="apps-t1", tier0_path=T0, route_advertisement=adv, nat_rules=(
            NatRule(id="apps-out", action="SNAT", translated_network="10.27.51.170"),))

    advertised = egress(run_checks(config(nat=EXAMPLE_RULES, tier1s=[t1(("TIER1_NAT",))]),
                                   live()))
    assert [c.status for c in advertised] == ["ok", "ok", "ok"]
    assert "inside vcf-t0's uplink subnet 10.27.51.0/24" in advertised[0].message
    hidden = egress(run_checks(config(nat=EXAMPLE_RULES, tier1s=[t1(("TIER1_CONNECTED",))]),
                               live()))
    assert [c.status for c in hidden] == ["fail", "ok", "ok"]


def test_unrelated_tier0_carrying_egress_is_not_judged():
    """Checks cover what the configuration names: NCP's Tier-1s behind another Tier-0 never
    fail (nor block) a configuration about vcf-t0."""
    other = obj("/infra/tier-0s/other-t0", "Tier0", ha_mode="ACTIVE_STANDBY")
    t1 = obj("/infra/tier-1s/other-t1", "Tier1", tier0_path="/infra/tier-0s/other-t0")
    rule = obj("/infra/tier-1s/other-t1/nat/USER/nat-rules/out", "PolicyNatRule",
               action="SNAT", translated_network="40.0.0.1")
    quiet = obj("/infra/tier-0s/quiet-t0", "Tier0")
    checks = run_checks(config(routes=[DEFAULT_ROUTE], nat=EXAMPLE_RULES),
                        live(extra=[other, t1, rule, quiet]))
    assert [(c.subject, c.status) for c in by_id(checks, "egress.default-route")] == [
        ("Tier-0 vcf-t0", "ok")]
    assert [c.subject for c in egress(checks) if c.status == "fail"] == []
    # Named through a Tier-1 of the configuration, other-t0 is judged again.
    via = dataclasses.replace(config(routes=[DEFAULT_ROUTE], nat=EXAMPLE_RULES), tier1s=(
        Tier1("mine", tier0_path="/infra/tier-0s/other-t0", source=at(9)),))
    checks = run_checks(via, live(extra=[other, t1, rule, quiet]))
    assert [c.subject for c in egress(checks) if c.status == "fail"] == [
        "egress 40.0.0.1 of Tier-1 other-t1"]
