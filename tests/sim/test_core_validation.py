"""Validation: NSX ApiError bodies for enums, required fields, formats, limits, the NAT matrix,
references, revisions and delete integrity."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from core_support import P, client_for, err, ok

from nsxplan.sim import Simulator, demo_state

T0 = f"{P}/infra/tier-0s/vcf-t0"
T1 = f"{P}/infra/tier-1s/t1a"
ZONES = f"{P}/infra/dns-forwarder-zones"
EDGE_NODE = (
    "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01/edge-nodes/0"
)
ROUTE = {"network": "0.0.0.0/0", "next_hops": [{"ip_address": "10.27.51.1"}]}


@pytest.fixture
def with_t1(client: httpx.Client) -> httpx.Client:
    ok(client.patch(T1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    return client


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/infra/tier-0s/x", {"ha_mode": "BOTH"}, "ha_mode"),
        ("/infra/tier-0s/x", {"failover_mode": "SOMETIMES"}, "failover_mode"),
        ("/infra/tier-1s/x", {"pool_allocation": "HUGE"}, "pool_allocation"),
        (
            "/infra/tier-1s/x",
            {"route_advertisement_types": ["TIER1_EVERYTHING"]},
            "route_advertisement_types",
        ),
        ("/infra/tier-0s/x", {"transit_subnets": ["100.64.0.0/33"]}, "transit_subnets"),
        ("/infra/tier-0s/x", {"tags": [{"scope": "s", "tag": str(i)} for i in range(31)]}, "tags"),
        ("/infra/tier-0s/x", {"tags": [{"scope": "s" * 129, "tag": "t"}]}, "scope"),
        ("/infra/tier-0s/x", {"display_name": "d" * 256}, "display_name"),
        ("/infra/tier-0s/x", {"arp_limit": 10}, "arp_limit"),
        (
            "/infra/segments/s",
            {"subnets": [{"gateway_address": "10.0.0.300/24"}]},
            "gateway_address",
        ),
        ("/infra/dns-forwarder-zones/z", {}, "upstream_servers"),
        (
            "/infra/dns-forwarder-zones/z",
            {"upstream_servers": ["1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4"]},
            "upstream_servers",
        ),
        (
            "/infra/dns-forwarder-zones/z",
            {"upstream_servers": ["dns.example.com"]},
            "upstream_servers",
        ),
        (
            "/infra/tier-0s/vcf-t0/static-routes/r",
            {"next_hops": [{"ip_address": "1.1.1.1"}]},
            "network",
        ),
        ("/infra/tier-0s/vcf-t0/static-routes/r", {"network": "0.0.0.0/0"}, "next_hops"),
        (
            "/infra/tier-0s/vcf-t0/static-routes/r",
            {"network": "0.0.0.0/0", "next_hops": [{}]},
            "ip_address",
        ),
        (
            "/infra/tier-0s/vcf-t0/static-routes/r",
            {"network": "10.0.0.1/8", "next_hops": [{"ip_address": "1.1.1.1"}]},
            "network",
        ),
        (
            "/infra/tier-0s/vcf-t0/static-routes/r",
            {"network": "0.0.0.0/0", "next_hops": [{"ip_address": "1.1.1"}]},
            "ip_address",
        ),
        (
            "/infra/tier-0s/vcf-t0/static-routes/r",
            {"network": "0.0.0.0/0", "next_hops": [{"ip_address": "1.1.1.1", "admin_distance": 0}]},
            "admin_distance",
        ),
        (
            "/infra/tier-0s/vcf-t0/static-routes/r",
            {
                "network": "0.0.0.0/0",
                "next_hops": [{"ip_address": "1.1.1.1", "admin_distance": 256}],
            },
            "admin_distance",
        ),
        ("/infra/tier-0s/vcf-t0/nat/USER/nat-rules/n", {"source_network": "1.1.1.1"}, "action"),
        ("/infra/tier-0s/vcf-t0/nat/USER/nat-rules/n", {"action": "MASQUERADE"}, "action"),
        (
            "/infra/tier-0s/vcf-t0/locale-services/default/interfaces/i",
            {"type": "UPLINK", "subnets": [{"ip_addresses": ["1.1.1.1"], "prefix_len": 24}]},
            "type",
        ),
        (
            "/infra/tier-0s/vcf-t0/locale-services/default/interfaces/i",
            {"segment_path": "/infra/segments/vcf-t0-uplink-vlan2751"},
            "subnets",
        ),
        (
            "/infra/tier-0s/vcf-t0/locale-services/default/bgp",
            {"local_as_num": "AS65001"},
            "local_as_num",
        ),
        ("/infra/tier-0s/bad&id", {}, "id"),
        ("/infra/tier-0s/" + "x" * 1025, {}, "id"),
        ("/infra/tier-0s/x", {"resource_type": "Tier1"}, "resource_type"),
    ],
)
def test_field_validation(
    client: httpx.Client, path: str, body: dict[str, Any], needle: str
) -> None:
    e = err(client.patch(P + path, json=body), 400)
    assert needle in e["error_message"]
    err(client.get(P + path), 404)  # nothing was written


def test_bgp_neighbor_validation(client: httpx.Client) -> None:
    bgp = f"{T0}/locale-services/default/bgp"
    ok(client.patch(bgp, json={"local_as_num": "65010"}))
    nb = f"{bgp}/neighbors/n"
    err(client.patch(nb, json={"neighbor_address": "10.0.0.1"}), 400)  # remote_as_num
    err(client.patch(nb, json={"remote_as_num": "65000"}), 400)  # neighbor_address
    err(
        client.patch(
            nb,
            json={"neighbor_address": "10.0.0.1", "remote_as_num": "65000", "maximum_hop_limit": 2},
        ),
        400,
    )  # needs source_addresses
    err(
        client.patch(
            nb, json={"neighbor_address": "10.0.0.1", "remote_as_num": "65000", "hold_down_time": 0}
        ),
        400,
    )
    # on vcf-t0's uplink subnet (10.27.51.0/24): a neighbor must be reachable from an interface
    err(client.patch(nb, json={"neighbor_address": "10.0.0.1", "remote_as_num": "1.10"}), 400)
    ok(client.patch(nb, json={"neighbor_address": "10.27.51.1", "remote_as_num": "1.10"}))


def test_forwarder_validation(with_t1: httpx.Client) -> None:
    c = with_t1
    ok(c.patch(f"{ZONES}/corp", json={"upstream_servers": ["10.0.0.53"]}))
    fwd = f"{T1}/dns-forwarder"
    zone = "/infra/dns-forwarder-zones/corp"
    err(c.patch(fwd, json={"default_forwarder_zone_path": zone}), 400)  # listener_ip
    err(c.patch(fwd, json={"listener_ip": "10.0.0.1"}), 400)  # default zone
    err(c.patch(fwd, json={"listener_ip": "fd00::1", "default_forwarder_zone_path": zone}), 400)
    err(
        c.patch(
            fwd,
            json={
                "listener_ip": "10.0.0.1",
                "default_forwarder_zone_path": zone,
                "log_level": "CHATTY",
            },
        ),
        400,
    )
    for i in range(6):
        ok(
            c.patch(
                f"{ZONES}/cz{i}",
                json={"upstream_servers": ["10.0.0.53"], "dns_domain_names": [f"d{i}.example"]},
            )
        )
    six = [f"/infra/dns-forwarder-zones/cz{i}" for i in range(6)]
    e = err(
        c.patch(
            fwd,
            json={
                "listener_ip": "10.0.0.1",
                "default_forwarder_zone_path": zone,
                "conditional_forwarder_zone_paths": six,
            },
        ),
        400,
    )
    assert "conditional_forwarder_zone_paths" in e["error_message"]
    ok(
        c.patch(
            fwd,
            json={
                "listener_ip": "10.0.0.1",
                "default_forwarder_zone_path": zone,
                "conditional_forwarder_zone_paths": six[:5],
            },
        )
    )


# ---- NAT action matrix (reference §4.7) ------------------------------------------------------

NAT_OK = [
    {"action": "SNAT", "translated_network": "30.0.0.5"},  # no source = Any (reference §11)
    {"action": "SNAT", "source_network": "10.0.0.0/24", "translated_network": "30.0.0.5-30.0.0.6"},
    {
        "action": "DNAT",
        "destination_network": "30.0.0.5",
        "translated_network": "10.0.0.5",
        "translated_ports": "8080",
        "service": "/infra/services/HTTP",
    },
    {"action": "REFLEXIVE", "source_network": "10.0.0.0/30", "translated_network": "30.0.0.4/30"},
    {"action": "NO_SNAT", "source_network": "10.0.0.0/24"},
    {
        "action": "NO_SNAT",
        "source_network": "10.0.0.0/24",
        "destination_network": "10.1.0.0/24",
        "firewall_match": "BYPASS",
    },
    {"action": "NO_DNAT", "destination_network": "30.0.0.5"},
]
NAT_BAD = [
    {"action": "DNAT", "translated_network": "10.0.0.5"},  # destination required
    {"action": "DNAT", "destination_network": "30.0.0.5"},  # translated required
    {"action": "DNAT", "destination_network": "30.0.0.5", "translated_network": "1.1.1.1,1.1.1.2"},
    {"action": "SNAT", "source_network": "10.0.0.0/24"},  # translated required
    {"action": "REFLEXIVE", "translated_network": "30.0.0.5"},  # source required
    {
        "action": "REFLEXIVE",
        "source_network": "10.0.0.1",
        "translated_network": "30.0.0.5",
        "destination_network": "8.8.8.8",
    },  # destination not applicable
    {"action": "REFLEXIVE", "source_network": "10.0.0.0/30", "translated_network": "30.0.0.5"},
    {"action": "NO_SNAT"},  # source required
    {"action": "NO_SNAT", "source_network": "10.0.0.0/24", "translated_network": "30.0.0.5"},
    {
        "action": "NO_SNAT",
        "source_network": "10.0.0.0/24",
        "firewall_match": "MATCH_INTERNAL_ADDRESS",
    },
    {"action": "NO_DNAT", "destination_network": "30.0.0.5", "translated_network": "1.1.1.1"},
    {"action": "NO_DNAT"},
    {"action": "SNAT", "translated_network": "30.0.0.5", "translated_ports": "80"},
    {"action": "SNAT", "translated_network": "30.0.0.999"},
    {"action": "SNAT", "translated_network": "30.0.0.5", "firewall_match": "SOMETIMES"},
    {"action": "SNAT", "translated_network": "30.0.0.5", "sequence_number": -1},
    {"action": "NAT64", "source_network": "10.0.0.0/24", "translated_network": "64:ff9b::/96"},
]


@pytest.mark.parametrize("body", NAT_OK)
def test_nat_matrix_accepts(with_t1: httpx.Client, body: dict[str, Any]) -> None:
    ok(with_t1.patch(f"{T1}/nat/USER/nat-rules/r", json=body))


@pytest.mark.parametrize("body", NAT_BAD)
def test_nat_matrix_rejects(with_t1: httpx.Client, body: dict[str, Any]) -> None:
    err(with_t1.patch(f"{T1}/nat/USER/nat-rules/r", json=body), 400)
    err(with_t1.get(f"{T1}/nat/USER/nat-rules/r"), 404)


def test_nat_sequence_range_depends_on_section(with_t1: httpx.Client) -> None:
    body = {"action": "NO_SNAT", "source_network": "10.0.0.0/8", "sequence_number": 2000}
    ok(with_t1.patch(f"{T1}/nat/USER/nat-rules/r", json=body))
    err(with_t1.patch(f"{T1}/nat/DEFAULT/nat-rules/r", json=body), 400)


@pytest.mark.parametrize("action", ["SNAT", "DNAT"])
def test_stateful_nat_on_active_active_tier0(action: str) -> None:
    with client_for(Simulator(demo_state(), nsx_version="4.1")) as client:
        _stateful_nat(client, action)


def _stateful_nat(client: httpx.Client, action: str) -> None:
    rule = {
        "action": action,
        "source_network": "10.0.0.0/24",
        "destination_network": "30.0.0.5",
        "translated_network": "10.27.51.150",
    }
    e = err(client.patch(f"{T0}/nat/USER/nat-rules/r", json=rule), 400, 500163)
    assert "REFLEXIVE" in e["error_message"] and "ACTIVE_ACTIVE" in e["error_message"]
    ok(client.patch(T0, json={"stateful_services": {"enabled": True}}))
    ok(client.patch(f"{T0}/nat/USER/nat-rules/r", json=rule))
    # turning stateful services off again would strand the rule: refused, nothing changes
    err(client.patch(T0, json={"stateful_services": {"enabled": False}}), 400, 500163)
    assert client.get(T0).json()["stateful_services"] == {"enabled": True}


def test_ha_mode_switch_with_snat_rule_is_refused(empty_client: httpx.Client) -> None:
    c = empty_client
    ok(c.patch(f"{P}/infra/tier-0s/as", json={"ha_mode": "ACTIVE_STANDBY"}))
    ok(
        c.patch(
            f"{P}/infra/tier-0s/as/nat/USER/nat-rules/s",
            json={"action": "SNAT", "translated_network": "1.1.1.1"},
        )
    )
    err(c.patch(f"{P}/infra/tier-0s/as", json={"ha_mode": "ACTIVE_ACTIVE"}), 400, 500163)
    assert c.get(f"{P}/infra/tier-0s/as").json()["ha_mode"] == "ACTIVE_STANDBY"


# ---- references, parents, revisions, deletes ------------------------------------------------


def test_parent_must_exist(empty_client: httpx.Client) -> None:
    e = err(empty_client.patch(f"{P}/infra/tier-0s/nope/static-routes/r", json=ROUTE), 404, 500012)
    assert "/infra/tier-0s/nope" in e["error_message"]
    err(empty_client.get(f"{P}/infra/tier-0s/nope/static-routes"), 404)


@pytest.mark.parametrize(
    ("path", "body", "bad"),
    [
        ("/infra/tier-1s/x", {"tier0_path": "/infra/tier-0s/missing"}, "/infra/tier-0s/missing"),
        (
            "/infra/tier-1s/x",
            {"tier0_path": "/infra/tier-1s/domain-c8"},
            "/infra/tier-1s/domain-c8",
        ),
        (
            "/infra/segments/s",
            {"connectivity_path": "/infra/tier-1s/missing"},
            "/infra/tier-1s/missing",
        ),
    ],
)
def test_references_must_resolve(client: httpx.Client, path: str, body: dict, bad: str) -> None:
    e = err(client.patch(P + path, json=body), 400, 500012)
    assert e["error_message"] == f"The path=[{bad}] is invalid."


def test_forwarder_zone_references(with_t1: httpx.Client) -> None:
    body = {
        "listener_ip": "10.0.0.1",
        "default_forwarder_zone_path": "/infra/dns-forwarder-zones/no",
    }
    err(with_t1.patch(f"{T1}/dns-forwarder", json=body), 400, 500012)
    ok(with_t1.patch(f"{ZONES}/yes", json={"upstream_servers": ["10.0.0.53"]}))
    body["default_forwarder_zone_path"] = "/infra/dns-forwarder-zones/yes"
    body["conditional_forwarder_zone_paths"] = ["/infra/dns-forwarder-zones/no"]
    err(with_t1.patch(f"{T1}/dns-forwarder", json=body), 400, 500012)


def test_interface_segment_reference(client: httpx.Client) -> None:
    iface = f"{T0}/locale-services/default/interfaces/i2"
    body = {
        "segment_path": "/infra/segments/none",
        "edge_path": EDGE_NODE,
        "subnets": [{"ip_addresses": ["10.27.51.146"], "prefix_len": 24}],
    }
    e = err(client.patch(iface, json=body), 400, 500012)
    assert e["error_message"] == "The path=[/infra/segments/none] is invalid."


def test_stale_revision_is_412(client: httpx.Client) -> None:
    ok(client.patch(T0, json={"description": "a"}))  # revision 0 -> 1
    e = err(client.patch(T0, json={"description": "b", "_revision": 0}), 412, 604)
    assert "Fetch the latest copy of the object and retry" in e["error_message"]
    err(client.put(T0, json={"_revision": 0}), 412, 604)
    ok(client.patch(T0, json={"description": "b", "_revision": 1}))
    ok(client.patch(T0, json={"description": "c"}))  # no _revision: no check
    assert client.get(T0).json()["_revision"] == 3


@pytest.mark.parametrize(
    ("setup", "victim", "blocker"),
    [
        (
            [("/infra/tier-1s/t1a", {"tier0_path": "/infra/tier-0s/t0b"})],
            "/infra/tier-0s/t0b",
            "/infra/tier-1s/t1a",
        ),
        (
            [
                ("/infra/tier-1s/t1a", {}),
                (
                    "/infra/tier-1s/t1a/dns-forwarder",
                    {
                        "listener_ip": "10.0.0.1",
                        "default_forwarder_zone_path": "/infra/dns-forwarder-zones/z",
                    },
                ),
            ],
            "/infra/dns-forwarder-zones/z",
            "/infra/tier-1s/t1a/dns-forwarder",
        ),
        (
            [
                ("/infra/tier-1s/t1a", {}),
                ("/infra/segments/s", {"connectivity_path": "/infra/tier-1s/t1a"}),
            ],
            "/infra/tier-1s/t1a",
            "/infra/segments/s",
        ),
        (
            [("/infra/tier-0s/t0b/static-routes/r", ROUTE)],
            "/infra/tier-0s/t0b",
            "/infra/tier-0s/t0b/static-routes/r",
        ),
        (
            [("/infra/tier-0s/t0b/locale-services/default", {})],
            "/infra/tier-0s/t0b",
            "/infra/tier-0s/t0b/locale-services/default",
        ),
        (
            [
                (
                    "/infra/tier-0s/t0b/nat/USER/nat-rules/n",
                    {"action": "NO_SNAT", "source_network": "1.0.0.0/8"},
                )
            ],
            "/infra/tier-0s/t0b",
            "/infra/tier-0s/t0b/nat/USER/nat-rules/n",
        ),
    ],
)
def test_delete_blocked(empty_client: httpx.Client, setup: list, victim: str, blocker: str) -> None:
    c = empty_client
    ok(c.patch(f"{P}/infra/tier-0s/t0b", json={}))
    ok(c.patch(f"{ZONES}/z", json={"upstream_servers": ["10.0.0.53"]}))
    for path, body in setup:
        ok(c.patch(P + path, json=body))
    e = err(c.delete(P + victim), 400, 500030)
    assert e["error_message"] == (
        f"The object path=[{victim}] cannot be deleted as either it has children or it is being "
        f"referenced by other objects path=[{blocker}]"
    )
    ok(c.get(P + victim))
    ok(c.delete(P + blocker))


def test_bad_bodies(client: httpx.Client) -> None:
    err(client.patch(T0, content=b"{not json", headers={"Content-Type": "application/json"}), 400)
    err(client.patch(T0, content=b"[1]", headers={"Content-Type": "application/json"}), 400)
    err(client.patch(T0), 400)


def test_site_paths_are_checked_for_shape(client: httpx.Client) -> None:
    ls = f"{T0}/locale-services/default"
    e = err(client.patch(ls, json={"edge_cluster_path": "edge-cluster-01"}), 400, 500012)
    assert "edge-cluster-01" in e["error_message"]
    seg = f"{P}/infra/segments/s"
    err(client.patch(seg, json={"transport_zone_path": "/infra/tz"}), 400, 500012)
    vlan_routed = {"vlan_ids": ["10"], "connectivity_path": "/infra/tier-0s/vcf-t0"}
    err(client.patch(seg, json=vlan_routed), 400)
    e = err(client.patch(seg, json={"vlan_ids": ["10"]}), 400)  # a VLAN segment needs its TZ
    assert "transport_zone_path" in e["error_message"]


def test_uplink_edge_must_be_in_the_cluster(client: httpx.Client) -> None:
    iface = f"{T0}/locale-services/default/interfaces/uplink-2"
    ep = "/infra/sites/default/enforcement-points/default"
    body = {
        "segment_path": "/infra/segments/vcf-t0-uplink-vlan2751",
        "edge_path": f"{ep}/edge-clusters/other/edge-nodes/0",
        "subnets": [{"ip_addresses": ["10.27.51.146"], "prefix_len": 24}],
    }
    e = err(client.patch(iface, json=body), 400, 500012)
    assert "not a member" in e["error_message"]
    body["edge_path"] = f"{ep}/edge-clusters/edge-cluster-01/edge-nodes/1"
    ok(client.patch(iface, json=body))


def test_segment_of_an_uplink_cannot_be_deleted(client: httpx.Client) -> None:
    seg = "/infra/segments/vcf-t0-uplink-vlan2751"
    e = err(client.delete(P + seg), 400, 500030)
    assert e["error_message"].endswith(
        "path=[/infra/tier-0s/vcf-t0/locale-services/default/interfaces/uplink-edge-01]"
    )


def test_conditional_zone_in_use_cannot_be_deleted(with_t1: httpx.Client) -> None:
    c = with_t1
    ok(c.patch(f"{ZONES}/dflt", json={"upstream_servers": ["10.0.0.53"]}))
    ok(c.patch(f"{ZONES}/lab", json={"upstream_servers": ["10.0.0.54"],
                                     "dns_domain_names": ["lab.example"]}))  # fmt: skip
    ok(c.patch(f"{T1}/dns-forwarder", json={
        "listener_ip": "10.0.0.1", "default_forwarder_zone_path": "/infra/dns-forwarder-zones/dflt",
        "conditional_forwarder_zone_paths": ["/infra/dns-forwarder-zones/lab"]}))  # fmt: skip
    err(c.delete(f"{ZONES}/lab"), 400, 500030)
    ok(c.patch(f"{T1}/dns-forwarder", json={"conditional_forwarder_zone_paths": []}))
    ok(c.delete(f"{ZONES}/lab"))
