"""CRUD over HTTP: paths, methods, server-managed fields and server defaults."""

from __future__ import annotations

import httpx
import pytest
from core_support import P, client_for, err, ok

from nsxplan.sim import Simulator

T0 = f"{P}/infra/tier-0s/t0a"
T1 = f"{P}/infra/tier-1s/t1a"

SERVER_FIELDS = {
    "_revision",
    "_create_time",
    "_create_user",
    "_last_modified_time",
    "_last_modified_user",
    "path",
    "parent_path",
    "relative_path",
    "unique_id",
    "realization_id",
    "marked_for_delete",
    "overridden",
    "_system_owned",
    "_protection",
    "resource_type",
    "id",
}


def test_patch_creates_with_server_fields_and_defaults(empty_client: httpx.Client) -> None:
    assert ok(empty_client.patch(T0, json={})).content == b""
    t0 = ok(empty_client.get(T0)).json()
    assert SERVER_FIELDS <= t0.keys()
    assert t0["_revision"] == 0
    assert t0["path"] == "/infra/tier-0s/t0a"
    assert t0["parent_path"] == "/infra"
    assert t0["relative_path"] == "t0a"
    assert t0["resource_type"] == "Tier0" and t0["id"] == "t0a"
    assert t0["display_name"] == "t0a"
    assert t0["ha_mode"] == "ACTIVE_ACTIVE" and t0["failover_mode"] == "NON_PREEMPTIVE"
    assert t0["tags"] == []
    assert t0["marked_for_delete"] is False and t0["overridden"] is False
    assert t0["_system_owned"] is False and t0["_protection"] == "NOT_PROTECTED"
    assert t0["_create_user"] == "admin" == t0["_last_modified_user"]
    assert t0["realization_id"] == t0["unique_id"] and len(t0["unique_id"]) == 36
    assert t0["_create_time"] > 1_600_000_000_000  # epoch milliseconds


def test_tier1_defaults_and_reference(empty_client: httpx.Client) -> None:
    ok(empty_client.patch(T0, json={"ha_mode": "ACTIVE_STANDBY"}))
    ok(empty_client.patch(T1, json={"tier0_path": "/infra/tier-0s/t0a"}))
    t1 = empty_client.get(T1).json()
    assert t1["failover_mode"] == "NON_PREEMPTIVE" and t1["pool_allocation"] == "ROUTING"
    assert t1["tier0_path"] == "/infra/tier-0s/t0a"


def test_revision_increments_and_patch_merges(empty_client: httpx.Client) -> None:
    ok(empty_client.patch(T0, json={"description": "one", "ha_mode": "ACTIVE_STANDBY"}))
    ok(empty_client.patch(T0, json={"display_name": "Edge T0"}))
    t0 = empty_client.get(T0).json()
    assert t0["_revision"] == 1
    assert t0["description"] == "one" and t0["display_name"] == "Edge T0"
    assert t0["ha_mode"] == "ACTIVE_STANDBY"
    assert t0["_last_modified_time"] >= t0["_create_time"]


def test_put_replaces_and_returns_body(empty_client: httpx.Client) -> None:
    ok(empty_client.patch(T0, json={"description": "gone soon", "ha_mode": "ACTIVE_STANDBY"}))
    created = empty_client.get(T0).json()
    resp = ok(empty_client.put(T0, json={"display_name": "replaced", "_revision": 0}))
    body = resp.json()
    assert body["display_name"] == "replaced"
    assert "description" not in body
    assert body["ha_mode"] == "ACTIVE_ACTIVE"  # back to the server default
    assert body["_revision"] == 1
    assert body["unique_id"] == created["unique_id"]
    assert body["_create_time"] == created["_create_time"]
    assert empty_client.get(T0).json() == body


def test_put_creates(empty_client: httpx.Client) -> None:
    body = ok(empty_client.put(T0, json={"ha_mode": "ACTIVE_STANDBY"})).json()
    assert body["_revision"] == 0 and body["ha_mode"] == "ACTIVE_STANDBY"


def test_put_over_an_existing_object_needs_its_revision(empty_client: httpx.Client) -> None:
    ok(empty_client.put(T0, json={"description": "kept"}))
    e = err(empty_client.put(T0, json={"description": "lost?"}), 400, 500127)
    assert T0.removeprefix(P) in e["error_message"] and "_revision" in e["error_message"]
    err(empty_client.put(T0, json={"description": "stale", "_revision": 7}), 412)
    assert empty_client.get(T0).json()["description"] == "kept"
    ok(empty_client.put(T0, json={"description": "replaced", "_revision": 0}))


def test_read_only_fields_from_client_are_ignored(empty_client: httpx.Client) -> None:
    ok(
        empty_client.patch(
            T0,
            json={
                "_revision": 7,
                "_create_user": "mallory",
                "path": "/infra/x",
                "unique_id": "u",
                "_protection": "PROTECTED",
                "_system_owned": True,
                "id": "other",
                "marked_for_delete": True,
                "_create_time": 1,
            },
        )
    )
    t0 = empty_client.get(T0).json()
    assert t0["_revision"] == 0 and t0["_create_user"] == "admin"
    assert t0["path"] == "/infra/tier-0s/t0a" and t0["id"] == "t0a"
    assert t0["_protection"] == "NOT_PROTECTED" and t0["_system_owned"] is False
    assert t0["marked_for_delete"] is False and t0["unique_id"] != "u"
    assert t0["_create_time"] != 1


def test_null_removes_field_on_patch(empty_client: httpx.Client) -> None:
    ok(empty_client.patch(T0, json={"description": "x"}))
    ok(empty_client.patch(T0, json={"description": None}))
    assert "description" not in empty_client.get(T0).json()


def test_delete_returns_200_and_absent_delete_is_200(empty_client: httpx.Client) -> None:
    ok(empty_client.patch(T0, json={}))
    assert ok(empty_client.delete(T0)).content == b""
    err(empty_client.get(T0), 404, 500090)
    assert ok(empty_client.delete(T0)).content == b""


def test_user_from_environ_is_recorded() -> None:
    sim = Simulator()

    def as_alice(environ, start_response):  # type: ignore[no-untyped-def]
        environ["nsxsim.user"] = "alice"
        return sim(environ, start_response)

    with httpx.Client(transport=httpx.WSGITransport(app=as_alice), base_url="http://n") as c:
        ok(c.patch(T0, json={}))
    with client_for(sim) as c:
        ok(c.patch(T0, json={"description": "by admin"}))
        t0 = c.get(T0).json()
    assert t0["_create_user"] == "alice" and t0["_last_modified_user"] == "admin"


def test_static_route_defaults(client: httpx.Client) -> None:
    route = f"{P}/infra/tier-0s/vcf-t0/static-routes/default-route"
    ok(
        client.patch(
            route, json={"network": "0.0.0.0/0", "next_hops": [{"ip_address": "10.27.51.1"}]}
        )
    )
    body = client.get(route).json()
    assert body["next_hops"] == [{"ip_address": "10.27.51.1", "admin_distance": 1}]
    assert body["enabled_on_secondary"] is False
    assert body["parent_path"] == "/infra/tier-0s/vcf-t0"


def test_nat_rule_defaults_and_sections(client: httpx.Client) -> None:
    rule = f"{P}/infra/tier-0s/vcf-t0/nat/USER/nat-rules/supervisor-egress"
    ok(
        client.patch(
            rule,
            json={
                "action": "REFLEXIVE",
                "source_network": "30.0.0.5",
                "translated_network": "10.27.51.145",
            },
        )
    )
    body = client.get(rule).json()
    assert body["enabled"] is True and body["logging"] is False
    assert body["firewall_match"] == "MATCH_INTERNAL_ADDRESS"
    assert body["sequence_number"] == 0 and body["scope"] == []
    assert body["parent_path"] == "/infra/tier-0s/vcf-t0/nat/USER"
    sections = client.get(f"{P}/infra/tier-0s/vcf-t0/nat").json()
    assert sorted(s["id"] for s in sections["results"]) == ["DEFAULT", "INTERNAL", "USER"]
    assert {s["nat_type"] for s in sections["results"]} == {"DEFAULT", "INTERNAL", "USER"}
    rules = client.get(f"{P}/infra/tier-0s/vcf-t0/nat/USER/nat-rules").json()
    assert [r["id"] for r in rules["results"]] == ["supervisor-egress"]


def test_no_snat_defaults_to_bypass(client: httpx.Client) -> None:
    rule = f"{P}/infra/tier-0s/vcf-t0/nat/USER/nat-rules/keep"
    ok(client.patch(rule, json={"action": "NO_SNAT", "source_network": "10.0.0.0/8"}))
    assert client.get(rule).json()["firewall_match"] == "BYPASS"


def test_nat_sections_exist_with_new_gateway_and_are_system_managed(
    empty_client: httpx.Client,
) -> None:
    ok(empty_client.patch(T1, json={}))
    usr = ok(empty_client.get(f"{T1}/nat/USER")).json()
    assert usr["nat_type"] == "USER" and usr["path"] == "/infra/tier-1s/t1a/nat/USER"
    err(empty_client.patch(f"{T1}/nat/USER", json={}), 400, 500170)
    err(empty_client.delete(f"{T1}/nat/DEFAULT"), 400, 500170)
    err(empty_client.patch(f"{T1}/nat/NAT64", json={}), 400, 500170)
    err(empty_client.get(f"{T1}/nat/NAT64"), 404)
    # sections never block deleting the gateway, and go with it
    ok(empty_client.delete(T1))
    err(empty_client.get(f"{T1}/nat/USER"), 404)


@pytest.mark.parametrize(
    ("path", "body", "resource_type"),
    [
        (
            "/infra/tier-0s/vcf-t0/locale-services/default/bgp",
            {"local_as_num": "65010"},
            "BgpRoutingConfig",
        ),
        (
            "/infra/tier-1s/t1a/dns-forwarder",
            {
                "listener_ip": "10.96.10.53",
                "default_forwarder_zone_path": "/infra/dns-forwarder-zones/corp",
            },
            "PolicyDnsForwarder",
        ),
    ],
)
def test_singletons(client: httpx.Client, path: str, body: dict, resource_type: str) -> None:
    ok(
        client.patch(
            f"{P}/infra/dns-forwarder-zones/corp", json={"upstream_servers": ["10.0.0.53"]}
        )
    )
    ok(client.patch(T1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    ok(client.patch(P + path, json=body))
    got = client.get(P + path).json()
    assert got["resource_type"] == resource_type
    assert got["id"] == path.rsplit("/", 1)[1] and got["path"] == path


def test_bgp_neighbor_and_interfaces(client: httpx.Client) -> None:
    ls = f"{P}/infra/tier-0s/vcf-t0/locale-services/default"
    ok(client.patch(f"{ls}/bgp", json={"local_as_num": "65010"}))
    ok(
        client.patch(
            f"{ls}/bgp/neighbors/tor",
            json={"neighbor_address": "10.27.51.1", "remote_as_num": "65000"},
        )
    )
    nb = client.get(f"{ls}/bgp/neighbors/tor").json()
    assert nb["resource_type"] == "BgpNeighborConfig"
    assert (nb["keep_alive_time"], nb["hold_down_time"], nb["maximum_hop_limit"]) == (60, 180, 1)
    assert nb["parent_path"] == "/infra/tier-0s/vcf-t0/locale-services/default/bgp"
    iface = ok(client.get(f"{ls}/interfaces/uplink-edge-01")).json()
    assert iface["resource_type"] == "Tier0Interface" and iface["type"] == "EXTERNAL"
    ok(client.patch(T1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    ok(client.patch(f"{T1}/locale-services/default", json={}))
    ok(client.patch(f"{P}/infra/segments/web", json={"connectivity_path": "/infra/tier-1s/t1a"}))
    ok(
        client.patch(
            f"{T1}/locale-services/default/interfaces/svc",
            json={
                "segment_path": "/infra/segments/web",
                "subnets": [{"ip_addresses": ["10.1.1.1"], "prefix_len": 24}],
            },
        )
    )
    t1if = client.get(f"{T1}/locale-services/default/interfaces/svc").json()
    assert t1if["resource_type"] == "Tier1Interface"
    err(client.patch(f"{T1}/locale-services/default/bgp", json={}), 404)  # no BGP on a Tier-1


def test_dns_zone_and_forwarder_defaults(client: httpx.Client) -> None:
    ok(
        client.patch(
            f"{P}/infra/dns-forwarder-zones/corp", json={"upstream_servers": ["10.0.0.53"]}
        )
    )
    ok(client.patch(T1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    ok(
        client.patch(
            f"{T1}/dns-forwarder",
            json={
                "listener_ip": "10.96.10.53",
                "default_forwarder_zone_path": "/infra/dns-forwarder-zones/corp",
            },
        )
    )
    fwd = client.get(f"{T1}/dns-forwarder").json()
    assert fwd["enabled"] is True and fwd["log_level"] == "INFO"
    zone = client.get(f"{P}/infra/dns-forwarder-zones/corp").json()
    assert zone["parent_path"] == "/infra" and zone["resource_type"] == "PolicyDnsForwarderZone"


def test_segment_crud(client: httpx.Client) -> None:
    seg = f"{P}/infra/segments/app"
    ok(client.patch(seg, json={"subnets": [{"gateway_address": "10.9.0.1/24"}]}))
    assert client.get(seg).json()["resource_type"] == "Segment"
    ok(client.delete(seg))
    err(client.get(seg), 404)


def test_node_version(empty_client: httpx.Client) -> None:
    body = ok(empty_client.get("/api/v1/node/version")).json()
    assert body["product_version"] == "3.2.3.0.0.21703624"
    with client_for(Simulator(version="4.1.2.0.0.1")) as c:
        assert c.get("/api/v1/node/version").json()["product_version"] == "4.1.2.0.0.1"


def test_unknown_paths_and_methods(empty_client: httpx.Client) -> None:
    err(empty_client.get(f"{P}/infra/tier-2s/x"), 404, 500090)
    err(empty_client.get("/api/v1/nothing"), 404)
    err(empty_client.get(f"{P}/infra/tier-0s/nope"), 404, 500090)
    err(empty_client.post(T0, json={}), 405)
    err(empty_client.delete(f"{P}/infra/tier-0s"), 405)


def test_unexpected_failure_is_an_nsx_500(
    sim: Simulator, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(path: str) -> bool:
        raise RuntimeError("rule bug")

    sim.add_realization_rule(broken)
    resp = client.patch(f"{P}/infra/tier-0s/vcf-t0", json={"description": "x"})
    e = err(resp, 500, 99)
    assert "RuntimeError" in e["error_message"]
    assert "rule bug" in caplog.text
    t0 = client.get(f"{P}/infra/tier-0s/vcf-t0").json()
    assert t0["description"] == "Tier-0 created by VCF" and t0["_revision"] == 0
