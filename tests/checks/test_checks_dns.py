"""DNS server dependencies (field scenario b): route toward the server, translation of the client
range on the Tier-0, and the exact return-route prerequisite outside NSX."""

from __future__ import annotations

from nsxplan.checks import run_checks
from tests.checks.helpers import (
    DEFAULT_ROUTE,
    EXAMPLE_RULES,
    LS,
    T0,
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


def only(checks, check_id):
    found = by_id(checks, check_id)
    assert len(found) == 1, checks
    return found[0]


def test_scenario_b_before_fix_names_the_exact_prerequisite_for_both_servers():
    deps = [dns_server("10.27.51.10"), dns_server("192.168.10.10")]
    checks = run_checks(config(routes=[DEFAULT_ROUTE], dns=deps), live())
    ret = by_id(checks, "dns.return-route")
    assert [(c.status, c.message) for c in ret] == [
        ("fail", "DNS server 10.27.51.10 needs a route to 30.0.0.0/24 via 10.27.51.145"),
        ("fail", "DNS server 192.168.10.10 needs a route to 30.0.0.0/24 via 10.27.51.145")]
    assert ret[0].subject == "DNS server 10.27.51.10"
    assert ret[0].source == at(30)
    # the alternative fix names the missing REFLEXIVE rules, same as the egress checks
    assert "return_route: true" in ret[1].remediation
    assert ("- {id: reflexive-30-0-0-5, action: REFLEXIVE, source: 30.0.0.5, "
            "translated: 10.27.51.145}") in ret[1].remediation
    assert "source: 30.0.0.16, translated: 10.27.51.146}" in ret[1].remediation
    assert "source: 30.0.0.16, translated: 10.27.51.146}" in next(
        c.remediation for c in by_id(checks, "egress.tier0-nat") if "30.0.0.16" in c.subject)


def test_scenario_b_after_fix_with_return_route():
    deps = [dns_server("10.27.51.10", return_route=True),
            dns_server("192.168.10.10", return_route=True)]
    checks = run_checks(config(routes=[DEFAULT_ROUTE], dns=deps), live())
    ret = by_id(checks, "dns.return-route")
    assert [c.status for c in ret] == ["ok", "ok"]
    assert "return_route: true" in ret[1].message
    assert all(c.status == "ok" for c in checks if c.id.startswith("dns."))


def test_scenario_b_after_fix_with_translation():
    deps = [dns_server("10.27.51.10"), dns_server("192.168.10.10")]
    checks = run_checks(config(routes=[DEFAULT_ROUTE], nat=EXAMPLE_RULES, dns=deps), live())
    assert not by_id(checks, "dns.return-route")
    tr = by_id(checks, "dns.egress-translation")
    assert [c.status for c in tr] == ["ok", "ok"]
    assert tr[0].message.startswith(
        "lookups from 30.0.0.0/24 reach 10.27.51.10 as 10.27.51.145, 10.27.51.147")
    assert all(c.status == "ok" for c in checks)


def test_whole_range_translation_when_no_egress_address_is_known_in_it():
    # no Tier-1 SNATs into 40.0.0.0/24: the whole range must be translated by one rule
    dep = dns_server("10.27.51.10", clients=["40.0.0.0/24"])
    before = only(run_checks(config(dns=[dep]), live()), "dns.return-route")
    assert before.message == "DNS server 10.27.51.10 needs a route to 40.0.0.0/24 via 10.27.51.145"
    assert "source: 40.0.0.0/24, translated: <a /24 the upstream routes to vcf-t0>" in \
        before.remediation
    block = reflexive("block", "40.0.0.0/24", "10.27.51.0/24")
    after = only(run_checks(config(nat=[block], dns=[dep]), live()), "dns.egress-translation")
    assert after.status == "ok" and "as 10.27.51.0/24" in after.message


def test_translated_to_an_address_the_outside_cannot_reach_fails():
    rules = [reflexive("sup", "30.0.0.5", "99.0.0.5"),
             reflexive("tkg", "30.0.0.16", "10.27.51.147")]
    check = only(run_checks(config(nat=rules, dns=[dns_server("10.27.51.10")]), live()),
                 "dns.egress-translation")
    assert check.status == "fail"
    assert "30.0.0.5 -> 99.0.0.5 (rule sup)" in check.message
    assert "10.27.51.0/24" in check.message
    routed = run_checks(config(nat=rules, dns=[dns_server("10.27.51.10")], routed=["99.0.0.0/24"]),
                        live())
    assert only(routed, "dns.egress-translation").status == "ok"


def test_routed_upstream_range_needs_no_translation_nor_return_route():
    checks = run_checks(config(dns=[dns_server("10.27.51.10")], routed=["30.0.0.0/16"]), live())
    check = only(checks, "dns.return-route")
    assert check.status == "ok" and "routed upstream" in check.message


def test_route_toward_server_connected_static_and_missing():
    checks = run_checks(config(dns=[dns_server("10.27.51.10", return_route=True),
                                    dns_server("192.168.10.10", return_route=True)]), live())
    connected, missing = by_id(checks, "dns.route")
    assert connected.status == "ok" and "connected subnet 10.27.51.0/24" in connected.message
    assert missing.status == "fail"
    assert "no route from Tier-0 vcf-t0 toward 192.168.10.10" in missing.message
    assert "add a static route on vcf-t0 for 192.168.10.10 (or a default route)" in \
        missing.remediation
    assert "next_hops: [{ip: <upstream router in 10.27.51.0/24>}]" in missing.remediation
    specific = route("dns", "192.168.10.0/24", "10.27.51.1")
    for routes, name in (([DEFAULT_ROUTE], "default-route"), ([specific, DEFAULT_ROUTE], "dns")):
        check = by_id(run_checks(config(routes=routes, dns=[dns_server("192.168.10.10")]),
                                 live()), "dns.route")[0]
        assert check.status == "ok" and f"static route {name} " in check.message


def test_route_through_bgp_peer_and_return_route_warning_under_bgp():
    checks = run_checks(config(tier0=False, dns=[dns_server("192.168.10.10", ["172.16.2.0/24"])]),
                        fixture_live())
    assert only(checks, "dns.route").status == "ok"
    assert "BGP" in only(checks, "dns.route").message
    ret = only(checks, "dns.return-route")
    # Peering alone does not announce the egress range: the lab's Tier-0 redistributes nothing,
    # so the server has no way back (tests/checks/test_checks_bgp.py has the fixed lab).
    assert ret.status == "fail"
    assert ret.message == ("172.16.2.0/24 leaves t0-edge untranslated and is not announced "
                           "through BGP (t0-edge does not redistribute TIER1_NAT), so "
                           "192.168.10.10 has no route back to it")


def test_uplink_on_the_servers_side_among_several_external_interfaces():
    second = obj(LS + "/interfaces/uplink-2", "Tier0Interface", type="EXTERNAL",
                 subnets=[{"ip_addresses": ["10.27.52.145"], "prefix_len": 24}])
    service = obj(LS + "/interfaces/svc", "Tier0Interface", type="SERVICE",
                  subnets=[{"ip_addresses": ["192.168.10.1"], "prefix_len": 24}])
    lab = live(extra=[second, service])
    on_second = only(run_checks(config(dns=[dns_server("10.27.52.10")]), lab), "dns.return-route")
    assert on_second.message.endswith("via 10.27.52.145")
    via_hop = route("dns", "172.20.0.0/16", "10.27.52.1")
    by_route = only(run_checks(config(routes=[DEFAULT_ROUTE, via_hop],
                                      dns=[dns_server("172.20.1.1")]), lab), "dns.return-route")
    assert by_route.message.endswith("via 10.27.52.145")
    by_default = only(run_checks(config(routes=[DEFAULT_ROUTE], dns=[dns_server("8.8.8.8")]),
                                 lab), "dns.return-route")
    assert by_default.message.endswith("via 10.27.51.145")
    # a SERVICE interface is connected (route ok) but is not the uplink the server sees
    svc = run_checks(config(dns=[dns_server("192.168.10.10")]), lab)
    assert only(svc, "dns.route").status == "ok"
    assert only(svc, "dns.return-route").message.endswith("via 10.27.51.145")


def test_relevant_tier0_without_config_tier0_is_the_one_tier1s_hang_off():
    other = obj("/infra/tier-0s/lonely", "Tier0", ha_mode="ACTIVE_STANDBY")
    checks = run_checks(config(tier0=False, dns=[dns_server("192.168.10.10")]),
                        live(extra=[other]))
    assert "vcf-t0" in only(checks, "dns.route").message
    assert "lonely" not in only(checks, "dns.route").message


def test_offline_reports_only_what_the_config_decides():
    deps = [dns_server("10.27.51.10"), dns_server("192.168.10.10", return_route=True)]
    checks = run_checks(config(routes=[DEFAULT_ROUTE], dns=deps), None)
    assert [(c.id, c.status, c.subject) for c in checks if c.id.startswith("dns.")] == [
        ("dns.route", "ok", "DNS server 10.27.51.10"),
        ("dns.route", "ok", "DNS server 192.168.10.10"),
        ("dns.return-route", "ok", "DNS server 192.168.10.10")]
    translated = run_checks(config(nat=EXAMPLE_RULES, dns=[dns_server("10.27.51.10", [
        "30.0.0.5/32"])]), None)
    assert only(translated, "dns.egress-translation").status == "ok"
    assert not run_checks(config(dns=[dns_server("10.27.51.10")]), None)


def test_live_nat_on_tier0_outside_user_section_counts():
    rule = obj(T0 + "/nat/DEFAULT/nat-rules/all", "PolicyNatRule", action="SNAT",
               translated_network="10.27.51.160")
    check = only(run_checks(config(dns=[dns_server("10.27.51.10")]), live(extra=[rule])),
                 "dns.egress-translation")
    assert check.status == "ok" and "as 10.27.51.160" in check.message


def test_tier0_snat_limited_to_destinations_counts_only_toward_them():
    from nsxplan.config.model import NatRule

    to_dns = NatRule(id="to-dns", action="SNAT", source_network="30.0.0.0/24",
                     destination_network="192.168.10.0/24", translated_network="10.27.51.160")
    checks = run_checks(config(routes=[DEFAULT_ROUTE], nat=[to_dns],
                               dns=[dns_server("192.168.10.10"), dns_server("172.20.0.10")]),
                        live())
    assert only(checks, "dns.egress-translation").subject == "DNS server 192.168.10.10"
    assert only(checks, "dns.return-route").subject == "DNS server 172.20.0.10"
    # toward the internet (registries) the limited rule does not translate
    assert [c.status for c in by_id(checks, "egress.tier0-nat")] == ["fail", "fail"]


def test_client_range_is_judged_on_the_tier0_it_egresses_through():
    # the config manages another Tier-0; the NCP egress 30.0.0.x lives behind vcf-t0
    from nsxplan.config.model import Config, Dependencies, Tier0

    lab = Tier0(id="lab-t0", static_routes=(route("dflt", "0.0.0.0/0", "10.0.0.1"),))
    cfg = Config(version=1, owner="o", files=("stack.yaml",), tier0s=(lab,),
                 dependencies=Dependencies(dns_servers=(dns_server("192.168.10.10"),)))
    checks = run_checks(cfg, live())
    ret = only(checks, "dns.return-route")
    assert ret.message == "DNS server 192.168.10.10 needs a route to 30.0.0.0/24 via 10.27.51.145"
    assert "on vcf-t0" in ret.remediation
    assert "vcf-t0" in only(checks, "dns.route").message   # vcf-t0 has no route: fail there
    assert only(checks, "dns.route").status == "fail"


def test_relevant_tier0_includes_the_uplink_of_config_tier1s():
    from nsxplan.config.model import Tier1

    other = obj("/infra/tier-0s/aaa-t0", "Tier0", ha_mode="ACTIVE_STANDBY")
    t1 = Tier1(id="apps-t1", tier0_path=T0)
    checks = run_checks(config(tier0=False, tier1s=[t1],
                               dns=[dns_server("192.168.10.10", ["40.0.0.0/24"])]),
                        live(extra=[other]))
    assert "vcf-t0" in only(checks, "dns.route").message
    assert "aaa-t0" not in only(checks, "dns.route").message


def test_partly_routed_partly_translated_range_names_only_what_is_left():
    checks = run_checks(config(nat=EXAMPLE_RULES[:1], routed=["30.0.0.16"],
                               dns=[dns_server("10.27.51.10")]), live())
    assert only(checks, "dns.return-route").status == "ok"
    assert only(checks, "dns.return-route").message.startswith(
        "30.0.0.16 (of 30.0.0.0/24) is declared routed upstream")
    neither = run_checks(config(nat=EXAMPLE_RULES[:1], dns=[dns_server("10.27.51.10")]), live())
    ret = only(neither, "dns.return-route")
    assert ret.status == "fail" and "(30.0.0.16 not covered" in ret.remediation
    assert "source: 30.0.0.5," not in ret.remediation
