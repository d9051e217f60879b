"""DNS forwarder checks: listener reachability, edge cluster, overlapping zones, upstream count."""

from __future__ import annotations

from nsxplan.checks import run_checks
from nsxplan.config.model import DnsForwarder, DnsZone, Tier1
from tests.checks.helpers import EDGE_CLUSTER, T0, at, by_id, config, live, obj

CORP = DnsZone(id="corp-dns", upstream_servers=("192.168.10.10",), source=at(50))
LAB = DnsZone(id="lab-zone", domains=("rainpole.com",), upstream_servers=("192.168.10.11",),
              source=at(53))


def apps(listener="10.96.10.53", conditional=(LAB,), edge=EDGE_CLUSTER, adv=None,
         existing=False):
    fwd = DnsForwarder(listener_ip=listener, default_zone=CORP,
                       conditional_zones=tuple(conditional), source=at(60))
    return Tier1(id="apps-t1", tier0=None, tier0_path=T0, edge_cluster=edge,
                 route_advertisement=adv, dns_forwarder=fwd, existing=existing, source=at(58))


SEGMENT = obj("/infra/segments/apps", "Segment", connectivity_path="/infra/tier-1s/apps-t1",
              subnets=[{"gateway_address": "10.96.10.1/24"}])


def checks_for(t1, extra=(), zones=(CORP, LAB), offline=False):
    cfg = config(tier1s=[t1], dns_zones=zones)
    return run_checks(cfg, None if offline else live(extra=extra))


def one(checks, check_id):
    found = by_id(checks, check_id)
    assert len(found) == 1, checks
    return found[0]


def test_listener_inside_connected_segment_subnet_is_ok():
    check = one(checks_for(apps(), extra=[SEGMENT]), "dns-forwarder.listener")
    assert check.status == "ok" and "segment subnet 10.96.10.0/24" in check.message
    assert check.subject == "DNS forwarder on Tier-1 apps-t1" and check.source == at(60)


def test_listener_advertised_by_the_gateway_is_ok():
    check = one(checks_for(apps(listener="10.96.99.53", adv=("TIER1_DNS_FORWARDER_IP",)),
                           extra=[SEGMENT]), "dns-forwarder.listener")
    assert check.status == "ok" and "TIER1_DNS_FORWARDER_IP" in check.message


def test_listener_outside_segments_and_not_advertised_warns():
    check = one(checks_for(apps(listener="10.96.99.53", adv=("TIER1_CONNECTED",)),
                           extra=[SEGMENT]), "dns-forwarder.listener")
    assert check.status == "warn"
    assert "10.96.99.53" in check.message and "10.96.10.0/24" in check.message
    assert "TIER1_DNS_FORWARDER_IP to tier1s[apps-t1].route_advertisement" in check.remediation


def test_listener_on_existing_gateway_uses_live_advertisement():
    gw = obj("/infra/tier-1s/apps-t1", "Tier1", tier0_path=T0,
             route_advertisement_types=["TIER1_DNS_FORWARDER_IP"])
    check = one(checks_for(apps(listener="10.96.99.53", existing=True, adv=("TIER1_NAT",)),
                           extra=[gw]), "dns-forwarder.listener")
    assert check.status == "ok"


def test_forwarder_needs_an_edge_cluster():
    assert one(checks_for(apps()), "dns-forwarder.edge-cluster").status == "ok"
    failing = one(checks_for(apps(edge=None)), "dns-forwarder.edge-cluster")
    assert failing.status == "fail" and "no edge cluster" in failing.message
    assert "tier1s[apps-t1].edge_cluster" in failing.remediation
    ls = obj("/infra/tier-1s/apps-t1/locale-services/default", "LocaleServices",
             edge_cluster_path=EDGE_CLUSTER)
    from_live = one(checks_for(apps(edge=None), extra=[ls]), "dns-forwarder.edge-cluster")
    assert from_live.status == "ok" and EDGE_CLUSTER in from_live.message


def test_overlapping_conditional_zones_fail():
    sub = DnsZone(id="sub-zone", domains=("lab.rainpole.com",), upstream_servers=("10.0.0.1",),
                  source=at(56))
    same = DnsZone(id="same-zone", domains=("RAINPOLE.com.",), upstream_servers=("10.0.0.2",),
                   source=at(57))
    checks = by_id(checks_for(apps(conditional=(LAB, sub, same)), zones=(CORP, LAB, sub, same)),
                   "dns-forwarder.zone-overlap")
    assert [c.status for c in checks] == ["fail", "fail", "fail"]
    assert "lab-zone and sub-zone overlap: rainpole.com and lab.rainpole.com" in checks[0].message
    assert "lab-zone and same-zone both forward rainpole.com" in checks[1].message
    assert "sub-zone and same-zone overlap: lab.rainpole.com and RAINPOLE.com." in \
        checks[2].message
    assert checks[0].source == at(56)


def test_distinct_conditional_zones_are_ok_and_suffix_is_not_a_subdomain():
    other = DnsZone(id="other", domains=("notrainpole.com",), upstream_servers=("10.0.0.1",))
    check = one(checks_for(apps(conditional=(LAB, other))), "dns-forwarder.zone-overlap")
    assert check.status == "ok"


def test_zone_with_more_than_three_upstream_servers_fails():
    big = DnsZone(id="big", upstream_servers=("1.1.1.1", "1.0.0.1", "8.8.8.8", "8.8.4.4"),
                  source=at(70))
    checks = run_checks(config(dns_zones=[CORP, big]), None)
    failing = one(checks, "dns-zone.upstream-servers")
    assert failing.status == "fail" and failing.subject == "DNS zone big"
    assert "4 upstream servers" in failing.message and failing.source == at(70)
    three = DnsZone(id="three", upstream_servers=("1.1.1.1", "1.0.0.1", "8.8.8.8"))
    assert not by_id(run_checks(config(dns_zones=[three]), None), "dns-zone.upstream-servers")


def test_offline_forwarder_checks_skip_live_facts():
    checks = checks_for(apps(edge=None, listener="10.96.99.53"), offline=True)
    assert [c.id for c in checks] == ["dns-forwarder.zone-overlap"]
    with_edge = checks_for(apps(), offline=True)
    assert [c.id for c in with_edge] == ["dns-forwarder.edge-cluster",
                                         "dns-forwarder.zone-overlap"]


def test_listener_warning_says_when_no_segments_were_read():
    # the refresh path may not read Segment objects: say so instead of "none"
    unread = live(drop=["/infra/segments/uplink-vlan", "/infra/segments/seg-domain-c8"])
    cfg = config(tier1s=[apps(listener="10.96.99.53")], dns_zones=(CORP, LAB))
    check = one(run_checks(cfg, unread), "dns-forwarder.listener")
    assert check.status == "warn" and "no segments in the live state read" in check.message
