"""Normalization and field diff: equivalent spellings are equal, unset fields never diffed."""

from __future__ import annotations

import pytest

from nsxplan.config.model import DnsForwarder, DnsZone, NatRule, NextHop, StaticRoute, Tier0, Tier1
from nsxplan.nsx.addresses import canon_ip
from nsxplan.nsx.objects import strip_server_fields
from nsxplan.plan.diff import field_diff, object_diff
from nsxplan.plan.model import NOOP, FieldDiff
from nsxplan.plan.normalize import canonical, merged_tags
from tests.plan.helpers import T0, config, live, obj, owned, plan, src, tier0


@pytest.mark.parametrize("a,b", [
    ("10.0.0.5/32", "10.0.0.5"),
    ("2001:DB8::1/128", "2001:db8:0:0::1"),
    ("10.0.0.0/24", "10.0.0.0/24"),
    ("10.0.0.1-10.0.0.9", " 10.0.0.1 - 10.0.0.9 "),
    ("10.0.0.2, 10.0.0.1", "10.0.0.1,10.0.0.2"),
])
def test_equivalent_addresses(a: str, b: str) -> None:
    assert canon_ip(a) == canon_ip(b)


def test_distinct_networks_stay_distinct() -> None:
    assert canon_ip("10.0.0.0/24") != canon_ip("10.0.0.0/25")
    assert canon_ip("not-an-ip") == "not-an-ip"
    # a range end is an address, never a prefix: NSX's grammar and validation refuse it, so
    # a value spelled so is compared as written rather than guessed at
    assert canon_ip("10.0.0.1/32-10.0.0.9") == "10.0.0.1/32-10.0.0.9"


@pytest.mark.parametrize("spelling", [None, "", " ", "Any", "ANY", "any"])
def test_nat_any_spellings_are_equal(spelling: str | None) -> None:
    assert canonical("PolicyNatRule", {"source_network": spelling})["source_network"] is None
    assert canonical("PolicyNatRule", {"destination_network": spelling})[
        "destination_network"] is None


@pytest.mark.parametrize("network", ["0.0.0.0/0", "::/0"])
def test_nat_match_on_a_whole_family_is_a_network_not_any(network: str) -> None:
    # Any matches both families; 0.0.0.0/0 only IPv4: NSX stores and applies them differently
    assert canonical("PolicyNatRule", {"source_network": network})["source_network"] == network
    assert object_diff("PolicyNatRule", {"source_network": None},
                       {"source_network": network}) != ()


def test_static_route_network_default_route_is_not_any() -> None:
    assert canonical("StaticRoutes", {"network": "0.0.0.0/0"})["network"] == "0.0.0.0/0"


def test_enums_case_insensitive_and_sets_unordered() -> None:
    a = canonical("Tier1", {"failover_mode": "preemptive",
                            "route_advertisement_types": ["TIER1_NAT", "tier1_connected"]})
    b = canonical("Tier1", {"failover_mode": "PREEMPTIVE",
                            "route_advertisement_types": ["TIER1_CONNECTED", "TIER1_NAT",
                                                          "TIER1_NAT"]})
    assert a == b


def test_next_hop_admin_distance_unset_equals_one() -> None:
    assert object_diff("StaticRoutes", {"next_hops": [{"ip_address": "1.1.1.1",
                                                       "admin_distance": 1}]},
                       {"next_hops": [{"ip_address": "1.1.1.1/32"}]}) == ()
    (d,) = object_diff("StaticRoutes", {"next_hops": [{"ip_address": "1.1.1.1",
                                                       "admin_distance": 5}]},
                       {"next_hops": [{"ip_address": "1.1.1.1"}]})
    assert d == FieldDiff("next_hops[0].admin_distance", 5, 1)


def test_dns_domains_and_zone_paths_compared_as_sets() -> None:
    assert object_diff("PolicyDnsForwarderZone", {"dns_domain_names": ["b.com", "A.com."]},
                       {"dns_domain_names": ["a.com", "b.com"]}) == ()
    assert object_diff("PolicyDnsForwarder", {"conditional_forwarder_zone_paths": ["/b", "/a"]},
                       {"conditional_forwarder_zone_paths": ["/a", "/b"]}) == ()


def test_nat_scope_is_set_like() -> None:
    assert object_diff("PolicyNatRule", {"scope": ["/x", "/y"]}, {"scope": ["/y", "/x"]}) == ()


def test_empty_list_equals_absent() -> None:
    assert object_diff("PolicyDnsForwarder", {}, {"conditional_forwarder_zone_paths": []}) == ()


def test_field_the_user_did_not_set_is_never_diffed() -> None:
    # live has server defaults and values someone else chose; the body sets only `action`
    live_rule = {"action": "REFLEXIVE", "firewall_match": "BYPASS", "logging": True,
                 "sequence_number": 100}
    assert object_diff("PolicyNatRule", live_rule, {"action": "reflexive"}) == ()


def test_field_diff_reports_whole_scalar_lists_sorted_and_dotted_names() -> None:
    diff = field_diff({"route_advertisement_types": ["A", "B"], "x": {"y": 1}},
                      {"route_advertisement_types": ["A"], "x": {"y": 2}, "z": 3})
    assert diff == (FieldDiff("route_advertisement_types", ["A", "B"], ["A"]),
                    FieldDiff("x.y", 1, 2), FieldDiff("z", None, 3))


def test_strip_server_fields_keeps_identity_drops_revision() -> None:
    out = strip_server_fields({"id": "a", "resource_type": "Tier0", "_revision": 4,
                               "_create_user": "admin", "path": "/infra/tier-0s/a",
                               "unique_id": "u", "children": [], "ha_mode": "ACTIVE_ACTIVE"})
    assert out == {"id": "a", "resource_type": "Tier0", "ha_mode": "ACTIVE_ACTIVE"}


def test_merged_tags_keep_foreign_and_replace_managed_scopes() -> None:
    out = merged_tags([{"scope": "env", "tag": "prod"}, {"scope": "nsxplan/owner", "tag": "o"}],
                      [{"scope": "env", "tag": "dev"}, {"scope": "ncp/cluster", "tag": "c"},
                       {"scope": "nsxplan/owner", "tag": "o"}])
    assert out == [{"scope": "env", "tag": "prod"}, {"scope": "nsxplan/owner", "tag": "o"},
                   {"scope": "ncp/cluster", "tag": "c"}]


def test_server_filled_object_with_equivalent_spellings_plans_no_op() -> None:
    """Everything the server adds or respells after an apply must not show up as a change."""
    corp = DnsZone("corp", ("192.168.10.10",), source=src(2))
    lab = DnsZone("lab", ("192.168.10.11",), domains=("Rainpole.com",), source=src(3))
    rule = NatRule("sup", "reflexive", "30.0.0.5/32", translated_network="10.27.51.145",
                   source=src(9))
    route = StaticRoute("r", "0.0.0.0/0", (NextHop("10.27.51.1"),), source=src(5))
    t1 = Tier1("apps", tier0_path=T0, route_advertisement=("TIER1_NAT", "TIER1_CONNECTED"),
               edge_cluster="/infra/ec", nat_rules=(rule,), source=src(7),
               dns_forwarder=DnsForwarder("10.96.10.53", corp, (lab,), source=src(12)))
    t1p = "/infra/tier-1s/apps"
    state = live(
        tier0(ha_mode="ACTIVE_STANDBY"),
        obj(t1p, "Tier1", tags=owned(), tier0_path=T0, failover_mode="NON_PREEMPTIVE",
            route_advertisement_types=["TIER1_CONNECTED", "TIER1_NAT"], display_name="apps",
            pool_allocation="ROUTING"),
        obj(f"{t1p}/locale-services/default", "LocaleServices", tags=owned(),
            edge_cluster_path="/infra/ec"),
        obj(f"{t1p}/nat/USER/nat-rules/sup", "PolicyNatRule", tags=owned(), action="REFLEXIVE",
            source_network="30.0.0.5", translated_network="10.27.51.145", sequence_number=0,
            firewall_match="MATCH_INTERNAL_ADDRESS", enabled=True, logging=False, scope=[]),
        obj(f"{t1p}/static-routes/r", "StaticRoutes", tags=owned(), network="0.0.0.0/0",
            next_hops=[{"ip_address": "10.27.51.1", "admin_distance": 1}]),
        obj(f"{t1p}/dns-forwarder", "PolicyDnsForwarder", tags=owned(), listener_ip="10.96.10.53",
            default_forwarder_zone_path="/infra/dns-forwarder-zones/corp",
            conditional_forwarder_zone_paths=["/infra/dns-forwarder-zones/lab"],
            enabled=True, log_level="INFO"),
        obj("/infra/dns-forwarder-zones/corp", "PolicyDnsForwarderZone", tags=owned(),
            upstream_servers=["192.168.10.10"]),
        obj("/infra/dns-forwarder-zones/lab", "PolicyDnsForwarderZone", tags=owned(),
            upstream_servers=["192.168.10.11"], dns_domain_names=["rainpole.com"]),
    )
    t1 = Tier1(**{**t1.__dict__, "static_routes": (route,)})
    p = plan(config(tier0s=(Tier0("vcf-t0", existing=True, source=src(1)),), tier1s=(t1,),
                    dns_zones=(corp, lab)), state)
    assert [a.action for a in p.actions] == [NOOP] * 7, [(a.address, a.diff) for a in p.actions]


def test_empty_description_equals_absent() -> None:
    assert object_diff("Tier0", {"description": None}, {"description": ""}) == ()
    assert object_diff("Tier0", {}, {"description": "x"}) == (FieldDiff("description", None, "x"),)
