"""Simulator core: Tier-0 routing (uplinks, BGP neighbors, redistribution, HA VIPs), neighbor
passwords, and IP blocks / pools with their subnets (issue 12)."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
from core_support import P, client_for, err, ok

from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.routing import ROUTING_INVALID

EC = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
TZ = "/infra/sites/default/enforcement-points/default/transport-zones/vlan-tz"
T0 = f"{P}/infra/tier-0s/t0-bgp"
LS = f"{T0}/locale-services/default"
NB = f"{LS}/bgp/neighbors/tor-a"


def lab() -> tuple[Simulator, httpx.Client]:
    sim = Simulator(demo_state())
    c = client_for(sim)
    ok(c.patch(f"{P}/infra/segments/vlan105", json={"vlan_ids": ["105"],
                                                     "transport_zone_path": TZ}))
    ok(c.patch(T0, json={"ha_mode": "ACTIVE_STANDBY"}))
    ok(c.patch(LS, json={"edge_cluster_path": EC}))
    ok(c.patch(f"{LS}/interfaces/up1", json={
        "segment_path": "/infra/segments/vlan105", "edge_path": f"{EC}/edge-nodes/0",
        "subnets": [{"ip_addresses": ["192.168.105.2"], "prefix_len": 24}]}))
    ok(c.patch(f"{LS}/bgp", json={"local_as_num": "65001"}))
    return sim, c


def neighbor(**extra: Any) -> dict[str, Any]:
    return {"neighbor_address": "192.168.105.253", "remote_as_num": "65000", **extra}


def test_neighbor_must_be_on_an_interface_subnet_or_source_from_one() -> None:
    _, c = lab()
    body = err(c.patch(NB, json=neighbor(neighbor_address="10.9.9.9")), 400, ROUTING_INVALID)
    assert "10.9.9.9 is on no connected subnet" in body["error_message"]
    assert "192.168.105.0/24" in body["error_message"]
    body = err(c.patch(NB, json=neighbor(neighbor_address="10.9.9.9", maximum_hop_limit=2,
                                         source_addresses=["192.168.105.7"])), 400)
    assert "source address 192.168.105.7" in body["error_message"]
    ok(c.patch(NB, json=neighbor(neighbor_address="10.9.9.9", maximum_hop_limit=2,
                                 source_addresses=["192.168.105.2"])))
    ok(c.patch(NB, json=neighbor(maximum_hop_limit=1, source_addresses=[])))
    # removing the only uplink strands the neighbor on no subnet: refused
    ok(c.patch(f"{LS}/interfaces/up2", json={
        "segment_path": "/infra/segments/vlan105", "edge_path": f"{EC}/edge-nodes/1",
        "subnets": [{"ip_addresses": ["172.30.0.2"], "prefix_len": 24}]}))
    err(c.delete(f"{LS}/interfaces/up1"), 400, ROUTING_INVALID)


def test_uplink_needs_a_vlan_segment_and_a_host_address() -> None:
    _, c = lab()
    ok(c.patch(f"{P}/infra/segments/overlay", json={}))
    body = err(c.patch(f"{LS}/interfaces/up9", json={
        "segment_path": "/infra/segments/overlay", "edge_path": f"{EC}/edge-nodes/0",
        "subnets": [{"ip_addresses": ["10.1.1.2"], "prefix_len": 24}]}), 400, ROUTING_INVALID)
    assert "not a VLAN segment" in body["error_message"]
    body = err(c.patch(f"{LS}/interfaces/up9", json={
        "segment_path": "/infra/segments/vlan105", "edge_path": f"{EC}/edge-nodes/0",
        "subnets": [{"ip_addresses": ["10.1.1.255"], "prefix_len": 24}]}), 400)
    assert "network or broadcast address" in body["error_message"]


def test_redistribution_rules_are_validated_and_defaulted() -> None:
    _, c = lab()
    rule = {"name": "t1", "route_redistribution_types": ["TIER1_NAT", "TIER1_LB_VIP"]}
    ok(c.patch(LS, json={"route_redistribution_config": {"redistribution_rules": [rule]}}))
    got = c.get(LS).json()["route_redistribution_config"]
    assert got == {"bgp_enabled": True, "ospf_enabled": False, "redistribution_rules": [
        {"destinations": ["BGP"], **rule}]}
    bad = {"name": "x", "route_redistribution_types": ["TIER1_NOPE"]}
    body = err(c.patch(LS, json={"route_redistribution_config": {
        "redistribution_rules": [bad]}}), 400)
    assert "TIER1_NOPE" in body["error_message"]
    six = [{"name": f"r{i}", "route_redistribution_types": ["TIER0_STATIC"]} for i in range(6)]
    err(c.patch(LS, json={"route_redistribution_config": {"redistribution_rules": six}}), 400)
    twice = [rule, rule]
    err(c.patch(LS, json={"route_redistribution_config": {"redistribution_rules": twice}}), 400)
    body = err(c.patch(LS, json={"route_redistribution_config": {"redistribution_rules": [
        {**rule, "route_map_path": "/infra/nope"}]}}), 400)
    assert "route map" in body["error_message"]


def test_ha_vip_only_on_active_standby_over_its_own_uplinks() -> None:
    _, c = lab()
    ok(c.patch(f"{LS}/interfaces/up2", json={
        "segment_path": "/infra/segments/vlan105", "edge_path": f"{EC}/edge-nodes/1",
        "subnets": [{"ip_addresses": ["192.168.105.3"], "prefix_len": 24}]}))
    up = [f"{LS.removeprefix(P)}/interfaces/up1", f"{LS.removeprefix(P)}/interfaces/up2"]
    vip = {"external_interface_paths": up,
           "vip_subnets": [{"ip_addresses": ["192.168.105.4"], "prefix_len": 24}]}
    for missing in ("external_interface_paths", "vip_subnets"):  # both required (CS32)
        err(c.patch(LS, json={"ha_vip_configs": [{k: v for k, v in vip.items() if k != missing}]}),
            400)
    err(c.patch(LS, json={"ha_vip_configs": [{**vip, "vip_subnets": [
        {"ip_addresses": ["192.168.105.4"]}]}]}), 400)  # prefix_len required
    ok(c.patch(LS, json={"ha_vip_configs": [vip]}))
    outside = {**vip, "vip_subnets": [{"ip_addresses": ["10.0.0.4"], "prefix_len": 24}]}
    err(c.patch(LS, json={"ha_vip_configs": [outside]}), 400, ROUTING_INVALID)
    body = err(c.patch(T0, json={"ha_mode": "ACTIVE_ACTIVE"}), 400, ROUTING_INVALID)
    assert "ACTIVE_STANDBY" in body["error_message"]


def test_neighbor_password_is_never_returned_and_only_fingerprinted() -> None:
    sim, c = lab()
    ok(c.patch(NB, json=neighbor(password="tor-secret")))
    for text in (c.get(NB).text, c.get(f"{LS}/bgp/neighbors").text, c.get(
            f"{P}/infra", params={"filter": "Type-BgpNeighborConfig"}).text, sim.snapshot_text()
            if hasattr(sim, "snapshot_text") else str(sim.snapshot())):
        assert "tor-secret" not in text and '"password"' not in text
    path = NB.removeprefix(P)
    assert sim._store.passwords[path] == hashlib.sha256(b"tor-secret").hexdigest()
    ok(c.patch(NB, json={"hold_down_time": 90}))   # no password in the body: kept
    assert path in sim._store.passwords
    ok(c.patch(NB, json={"password": ""}))          # "" clears it (reference §4.4)
    assert path not in sim._store.passwords
    err(c.patch(NB, json={"password": "x" * 33}), 400)


def test_bgp_config_cannot_be_deleted_alone_and_goes_with_its_locale_services() -> None:
    _, c = lab()
    ok(c.delete(f"{LS}/bgp"))
    ok(c.get(f"{LS}/bgp"))                  # still there: NSX deletes only overridden configs
    ok(c.patch(NB, json=neighbor()))
    err(c.delete(LS), 400)                  # blocked by the interface and the neighbor
    ok(c.delete(NB))
    ok(c.delete(f"{LS}/interfaces/up1"))
    ok(c.delete(LS))                        # the BGP config went with it
    err(c.get(f"{LS}/bgp"), 404)


def test_ip_blocks_pools_and_subnets() -> None:
    sim = Simulator(demo_state())
    c = client_for(sim)
    block = f"{P}/infra/ip-blocks/ext"
    pool = f"{P}/infra/ip-pools/lb"
    err(c.patch(block, json={"cidr": "172.16.0.1/16"}), 400)       # host bits set
    ok(c.patch(block, json={"cidr": "172.16.0.0/24", "tags": [
        {"scope": "ncp/no_snat", "tag": "pandora"}]}))
    ok(c.patch(pool, json={"tags": [{"scope": "ncp/external", "tag": "true"}]}))
    sub = {"resource_type": "IpAddressPoolBlockSubnet", "ip_block_path": "/infra/ip-blocks/ext",
           "size": 128}
    ok(c.patch(f"{pool}/ip-subnets/a", json=sub))
    ok(c.patch(f"{pool}/ip-subnets/b", json=sub))
    assert c.get(f"{pool}/ip-subnets/a").json()["cidr"] == "172.16.0.0/25"
    assert c.get(f"{pool}/ip-subnets/b").json()["cidr"] == "172.16.0.128/25"
    body = err(c.patch(f"{pool}/ip-subnets/c", json=sub), 400)      # the block is full
    assert "no free subnet" in body["error_message"]
    err(c.patch(f"{pool}/ip-subnets/c", json={**sub, "size": 100}), 400)   # not a power of 2
    body = err(c.patch(f"{pool}/ip-subnets/a", json={"size": 64}), 400)     # immutable
    assert "cannot change" in body["error_message"]
    err(c.patch(f"{pool}/ip-subnets/a", json={"resource_type": "IpAddressPoolStaticSubnet"}),
        400)
    err(c.delete(block), 400)                                   # referenced by the subnets
    static = {"resource_type": "IpAddressPoolStaticSubnet", "cidr": "10.5.0.0/24",
              "allocation_ranges": [{"start": "10.5.0.10", "end": "10.5.0.20"}],
              "gateway_ip": "10.5.0.1"}
    ok(c.patch(f"{pool}/ip-subnets/s", json=static))
    err(c.patch(f"{pool}/ip-subnets/s2", json={**static, "allocation_ranges": [
        {"start": "10.5.1.10", "end": "10.5.1.20"}]}), 400)
    err(c.patch(f"{pool}/ip-subnets/s2", json={**static, "gateway_ip": "10.6.0.1"}), 400)
    err(c.patch(f"{pool}/ip-subnets/s2", json={"cidr": "10.7.0.0/24"}), 400)   # no type
    # the H-API tree wraps both subnet types as ChildIpAddressPoolSubnet
    tree = c.get(f"{P}/infra", params={"filter": "Type-IpAddressPool|IpAddressPoolSubnet"})
    text = tree.text
    assert '"ChildIpAddressPoolSubnet"' in text and '"IpAddressPoolStaticSubnet"' in text
    # and a snapshot of it loads back with the variants intact
    again = Simulator(sim.snapshot())
    node = again._store.nodes["/infra/ip-pools/lb/ip-subnets/s"]
    assert node.obj["resource_type"] == "IpAddressPoolStaticSubnet"


def test_runtime_views_are_computed_from_the_configuration() -> None:
    sim, c = lab()
    ok(c.patch(NB, json=neighbor()))
    ok(c.patch(f"{LS}/bgp/neighbors/far", json=neighbor(
        neighbor_address="10.9.9.9", maximum_hop_limit=3, source_addresses=["192.168.105.2"])))
    status = ok(c.get(f"{LS}/bgp/neighbors/status")).json()
    states = {r["neighbor_address"]: r["connection_state"] for r in status["results"]}
    assert states == {"192.168.105.253": "ESTABLISHED", "10.9.9.9": "ESTABLISHED"}
    ok(c.patch(f"{P}/infra/tier-1s/apps", json={"tier0_path": "/infra/tier-0s/t0-bgp",
                                                 "route_advertisement_types": ["TIER1_NAT"]}))
    ok(c.patch(f"{P}/infra/tier-1s/apps/locale-services/default",
               json={"edge_cluster_path": EC}))
    ok(c.patch(f"{P}/infra/tier-1s/apps/nat/USER/nat-rules/snat",
               json={"action": "SNAT", "translated_network": "172.16.2.10"}))
    table = ok(c.get(f"{T0}/routing-table")).json()
    routes = {(e["network"], e["route_type"], e["next_hop"])
              for e in table["results"][0]["route_entries"]}
    assert ("0.0.0.0/0", "b", "192.168.105.253") in routes
    assert ("192.168.105.0/24", "t0c", "") in routes
    assert ("172.16.2.10/32", "t1n", "") in routes
    ok(c.patch(f"{LS}/bgp", json={"enabled": False}))
    status = ok(c.get(f"{LS}/bgp/neighbors/status")).json()
    assert {r["connection_state"] for r in status["results"]} == {"IDLE"}
    table = ok(c.get(f"{T0}/routing-table")).json()
    assert not [e for e in table["results"][0]["route_entries"] if e["route_type"] == "b"]
    err(c.get(f"{P}/infra/tier-0s/nope/routing-table"), 404)
    err(c.post(f"{T0}/routing-table"), 405)


def test_prefix_lists_route_maps_and_the_redistribution_that_uses_them() -> None:
    _, c = lab()
    pl, rm = f"{T0}/prefix-lists/egress", f"{T0}/route-maps/out"
    err(c.patch(pl, json={"prefixes": []}), 400)
    err(c.patch(pl, json={"prefixes": [{"network": "10.0.0.1/24"}]}), 400)   # host bits
    ok(c.patch(pl, json={"prefixes": [{"network": "172.16.2.0/24", "le": 32},
                                      {"network": "ANY", "action": "DENY"}]}))
    assert c.get(pl).json()["prefixes"][0]["action"] == "PERMIT"
    err(c.patch(pl, json={"prefixes": [{"network": "172.16.2.0/24", "ge": 0}]}), 400)  # 1-128
    err(c.patch(rm, json={"entries": [{"action": "PERMIT"}]}), 400)
    err(c.patch(rm, json={"entries": [{"prefix_list_matches": [  # action is required
        "/infra/tier-0s/t0-bgp/prefix-lists/egress"]}]}), 400)
    err(c.patch(rm, json={"entries": [{"action": "DENY",  # one kind of match per entry
        "prefix_list_matches": ["/infra/tier-0s/t0-bgp/prefix-lists/egress"],
        "community_list_matches": [{"criteria": "65000:100"}]}]}), 400)
    err(c.patch(rm, json={"entries": [{"action": "DENY", "community_list_matches": [
        {"criteria": "65000:100", "match_operator": "SOMETIMES"}]}]}), 400)
    err(c.patch(rm, json={"entries": [{"prefix_list_matches": [
        "/infra/tier-0s/t0-bgp/prefix-lists/nope"]}]}), 400)
    ok(c.patch(rm, json={"entries": [{"action": "PERMIT", "prefix_list_matches": [
        "/infra/tier-0s/t0-bgp/prefix-lists/egress"]}]}))
    rule = {"name": "t1", "route_redistribution_types": ["TIER1_NAT"]}
    err(c.patch(LS, json={"route_redistribution_config": {"redistribution_rules": [
        {**rule, "route_map_path": "/infra/tier-0s/t0-bgp/route-maps/nope"}]}}), 400)
    ok(c.patch(LS, json={"route_redistribution_config": {"redistribution_rules": [
        {**rule, "route_map_path": "/infra/tier-0s/t0-bgp/route-maps/out"}]}}))
    err(c.delete(pl), 400, 500030)      # the route map uses it
    err(c.delete(rm), 400, 500030)      # the redistribution rule uses it
