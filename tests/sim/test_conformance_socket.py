"""Conformance over a REAL socket: every simulator behaviour of issue 3, against the real
Simulator served by the edge stack (nsxplan.sim.compose + nsxplan.sim.server) on 127.0.0.1.

The core's own tests cover the same behaviours in-process in more detail; these prove that they
survive the trip through the socket server (paths, query strings, bodies, headers, status codes)
and that the edge (auth, limits, faults, TLS, `nsxplan sim serve`) composes with the core.
"""

from __future__ import annotations

import json
import ssl
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from nsxplan.sim import Simulator, demo_state
from tests.sim.helpers import client_for, sim_process, sim_server, stop_process

P = "/policy/api/v1"
INFRA = P + "/infra"
T0 = P + "/infra/tier-0s/vcf-t0"
NCP_T1 = P + "/infra/tier-1s/domain-c8"
NCP_USER = "wcp-cluster-user-domain-c8-4f2b9c1e-7a3d-4e8f-b6a1-2d9e5c7f0a13"
# copies of ../shared/fixtures (a clone lacks ../shared)
DATA = Path(__file__).resolve().parents[1] / "fixtures"
SERVER_FIELDS = {
    "_revision", "_create_time", "_create_user", "_last_modified_time", "_last_modified_user",
    "path", "parent_path", "relative_path", "unique_id", "marked_for_delete", "_system_owned",
    "_protection", "resource_type", "id",
}  # fmt: skip


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


def ok(r: httpx.Response) -> httpx.Response:
    assert r.status_code == 200, r.text
    return r


def api_error(r: httpx.Response, status: int, code: int | str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = r.json()
    assert body["httpStatus"] == httpx.codes(status).name
    assert isinstance(body["error_message"], str) and body["error_message"]
    assert isinstance(body["module_name"], str) and body["related_errors"] == []
    if code is not None:
        assert body["error_code"] == code, body
    return body


@pytest.fixture
def nsx() -> Iterator[httpx.Client]:
    with sim_server("demo") as (_, server), client_for(server) as client:
        yield client


@pytest.fixture
def empty() -> Iterator[httpx.Client]:
    with sim_server() as (_, server), client_for(server) as client:
        yield client


# --- paths and methods ----------------------------------------------------------------------------


def test_crud_on_gateways_with_200_empty_bodies(empty: httpx.Client) -> None:
    t0 = P + "/infra/tier-0s/t0a"
    r = ok(empty.patch(t0, json={"ha_mode": "ACTIVE_STANDBY"}))
    assert r.content == b""
    t1 = P + "/infra/tier-1s/t1a"
    ok(empty.patch(t1, json={"tier0_path": "/infra/tier-0s/t0a"}))
    assert ok(empty.get(t1)).json()["tier0_path"] == "/infra/tier-0s/t0a"
    api_error(empty.put(t1, json={"display_name": "replaced"}), 400)  # PUT needs _revision
    body = ok(empty.put(t1, json={"display_name": "replaced", "_revision": 0})).json()
    assert body["display_name"] == "replaced" and "tier0_path" not in body
    assert body["_revision"] == 1
    assert ok(empty.delete(t1)).content == b""
    api_error(empty.get(t1), 404)
    assert ok(empty.delete(t1)).content == b""  # absent: 200 (reference §11)


def test_every_resource_path_of_the_issue(nsx: httpx.Client) -> None:
    ls = T0 + "/locale-services/default"
    t1 = P + "/infra/tier-1s/app"
    zone = P + "/infra/dns-forwarder-zones/corp"
    writes = [
        (zone, {"upstream_servers": ["10.0.0.53"], "dns_domain_names": ["corp.example"]}),
        (t1, {"tier0_path": "/infra/tier-0s/vcf-t0"}),
        (t1 + "/locale-services/default", {"edge_cluster_path": ok(nsx.get(ls)).json()[
            "edge_cluster_path"]}),
        (P + "/infra/segments/web", {"connectivity_path": "/infra/tier-1s/app",
                                     "subnets": [{"gateway_address": "10.9.0.1/24"}]}),
        (t1 + "/locale-services/default/interfaces/svc", {
            "segment_path": "/infra/segments/web",
            "subnets": [{"ip_addresses": ["10.9.0.2"], "prefix_len": 24}]}),
        (ls + "/bgp", {"local_as_num": "65010"}),
        (ls + "/bgp/neighbors/tor", {"neighbor_address": "10.27.51.1", "remote_as_num": "65000"}),
        (T0 + "/static-routes/default", {"network": "0.0.0.0/0",
                                         "next_hops": [{"ip_address": "10.27.51.1"}]}),
        (t1 + "/nat/USER/nat-rules/dnat", {"action": "DNAT", "destination_network": "192.0.2.8",
                                           "translated_network": "10.9.0.8"}),
        (t1 + "/dns-forwarder", {"listener_ip": "10.96.10.53",
                                 "default_forwarder_zone_path": "/infra/dns-forwarder-zones/corp"}),
    ]
    for url, body in writes:
        ok(nsx.patch(url, json=body))
    kinds = {url: ok(nsx.get(url)).json()["resource_type"] for url, _ in writes}
    assert list(kinds.values()) == [
        "PolicyDnsForwarderZone", "Tier1", "LocaleServices", "Segment", "Tier1Interface",
        "BgpRoutingConfig", "BgpNeighborConfig", "StaticRoutes", "PolicyNatRule",
        "PolicyDnsForwarder"]
    assert ok(nsx.get(ls + "/interfaces/uplink-edge-01")).json()["resource_type"] == \
        "Tier0Interface"
    sections = ok(nsx.get(t1 + "/nat")).json()["results"]
    assert {s["id"] for s in sections} == {"USER", "DEFAULT", "INTERNAL"}
    version = ok(nsx.get("/api/v1/node/version")).json()
    assert version["product_version"] == "3.2.3.0.0.21703624"


def test_version_is_configurable() -> None:
    with sim_server(version="4.2.1.0.0.1") as (_, server), client_for(server) as client:
        assert client.get("/api/v1/node/version").json()["product_version"] == "4.2.1.0.0.1"


def test_unknown_paths_are_nsx_404s(empty: httpx.Client) -> None:
    api_error(empty.get(P + "/infra/tier-2s/x"), 404)
    api_error(empty.get(P + "/infra/tier-0s/missing"), 404)


# --- server-managed fields and defaults -----------------------------------------------------------


def test_server_managed_fields_and_defaults(empty: httpx.Client) -> None:
    t0 = P + "/infra/tier-0s/edge"
    ok(empty.patch(t0, json={"_revision": 9, "path": "/elsewhere", "_create_user": "mallory"}))
    obj = ok(empty.get(t0)).json()
    assert SERVER_FIELDS <= obj.keys()
    assert obj["_revision"] == 0 and obj["path"] == "/infra/tier-0s/edge"
    assert obj["parent_path"] == "/infra" and obj["relative_path"] == "edge"
    assert obj["_create_user"] == "admin" and obj["display_name"] == "edge"
    assert obj["ha_mode"] == "ACTIVE_ACTIVE" and obj["_protection"] == "NOT_PROTECTED"
    assert obj["marked_for_delete"] is False and obj["_system_owned"] is False
    ok(empty.patch(t0, json={"description": "second write"}))
    again = ok(empty.get(t0)).json()
    assert again["_revision"] == 1 and again["unique_id"] == obj["unique_id"]
    assert again["ha_mode"] == "ACTIVE_ACTIVE"  # PATCH merges


def test_nat_and_static_route_defaults(nsx: httpx.Client) -> None:
    t1 = P + "/infra/tier-1s/app"
    ok(nsx.patch(t1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    ok(nsx.patch(t1 + "/nat/USER/nat-rules/snat", json={
        "action": "SNAT", "source_network": "10.1.0.0/16", "translated_network": "192.0.2.5"}))
    rule = ok(nsx.get(t1 + "/nat/USER/nat-rules/snat")).json()
    assert (rule["enabled"], rule["logging"], rule["firewall_match"]) == (
        True, False, "MATCH_INTERNAL_ADDRESS")
    ok(nsx.patch(t1 + "/static-routes/r", json={"network": "10.0.0.0/8",
                                                "next_hops": [{"ip_address": "192.0.2.1"}]}))
    hop = ok(nsx.get(t1 + "/static-routes/r")).json()["next_hops"][0]
    assert hop["admin_distance"] == 1


def test_authenticated_user_is_recorded_as_creator() -> None:
    with sim_server(username="netops", password="pw") as (_, server), \
            client_for(server, auth=("netops", "pw")) as client:
        ok(client.patch(P + "/infra/tier-0s/t0", json={}))
        obj = client.get(P + "/infra/tier-0s/t0").json()
    assert obj["_create_user"] == "netops" == obj["_last_modified_user"]


# --- validation -----------------------------------------------------------------------------------


def test_validation_errors_are_nsx_api_errors(nsx: httpx.Client) -> None:
    t1 = P + "/infra/tier-1s/app"
    ok(nsx.patch(t1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    api_error(nsx.patch(P + "/infra/tier-0s/x", json={"ha_mode": "BOTH"}), 400)  # enum
    api_error(nsx.patch(t1 + "/static-routes/r", json={"next_hops": [
        {"ip_address": "192.0.2.1"}]}), 400)  # required network
    api_error(nsx.patch(t1 + "/static-routes/r", json={"network": "10.0.0.0/33", "next_hops": [
        {"ip_address": "192.0.2.1"}]}), 400)  # bad CIDR
    api_error(nsx.patch(t1 + "/static-routes/r", json={"network": "10.0.0.0/8", "next_hops": [
        {"ip_address": "192.0.2.300"}]}), 400)  # bad IP
    api_error(nsx.patch(t1 + "/nat/USER/nat-rules/d", json={
        "action": "DNAT", "translated_network": "10.0.0.1"}), 400)  # NAT matrix
    api_error(nsx.patch(P + "/infra/dns-forwarder-zones/z", json={
        "upstream_servers": ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]}), 400)  # <= 3
    body = api_error(nsx.patch(T0 + "/nat/USER/nat-rules/s", json={
        "action": "SNAT", "source_network": "10.0.0.0/8", "translated_network": "192.0.2.1"}),
        400, 500163)  # SNAT on an ACTIVE_ACTIVE Tier-0
    assert "REFLEXIVE" in body["error_message"]
    assert api_error(nsx.patch(P + "/infra/tier-1s/x", json={
        "tier0_path": "/infra/tier-0s/nope"}), 400, 500012)["error_message"].startswith(
        "The path=[/infra/tier-0s/nope] is invalid")
    api_error(nsx.patch(t1 + "/dns-forwarder", json={
        "listener_ip": "10.96.10.53",
        "default_forwarder_zone_path": "/infra/dns-forwarder-zones/nope"}), 400, 500012)
    api_error(nsx.patch(P + "/infra/tier-0s/nope/static-routes/r", json={
        "network": "10.0.0.0/8", "next_hops": [{"ip_address": "192.0.2.1"}]}), 404, 500012)


def test_stale_revision_is_412(nsx: httpx.Client) -> None:
    seg = P + "/infra/segments/s"
    ok(nsx.patch(seg, json={}))
    ok(nsx.patch(seg, json={"description": "one", "_revision": 0}))
    body = api_error(nsx.patch(seg, json={"description": "two", "_revision": 0}), 412, 604)
    assert "Fetch the latest copy of the object and retry" in body["error_message"]
    api_error(nsx.put(seg, json={"_revision": 0}), 412, 604)
    ok(nsx.patch(seg, json={"description": "no revision, no check"}))


def test_delete_blocked_by_children_or_references(nsx: httpx.Client) -> None:
    body = api_error(nsx.delete(T0), 400, 500030)
    assert "path=[/infra/tier-0s/vcf-t0]" in body["error_message"]
    zone = P + "/infra/dns-forwarder-zones/corp"
    ok(nsx.patch(zone, json={"upstream_servers": ["10.0.0.53"]}))
    ok(nsx.patch(P + "/infra/tier-1s/app", json={}))
    ok(nsx.patch(P + "/infra/tier-1s/app/dns-forwarder", json={
        "listener_ip": "10.96.10.53",
        "default_forwarder_zone_path": "/infra/dns-forwarder-zones/corp"}))
    api_error(nsx.delete(zone), 400, 500030)
    api_error(nsx.delete(P + "/infra/tier-1s/app"), 400, 500030)  # has its forwarder
    ok(nsx.delete(P + "/infra/tier-1s/app/dns-forwarder"))
    ok(nsx.delete(zone))


# --- protection -----------------------------------------------------------------------------------


def test_protected_objects_need_x_allow_overwrite(nsx: httpx.Client) -> None:
    assert ok(nsx.get(NCP_T1)).json()["_protection"] == "REQUIRE_OVERRIDE"
    api_error(nsx.patch(NCP_T1, json={"description": "x"}), 403)
    api_error(nsx.delete(NCP_T1 + "/nat/USER/nat-rules/snat-supervisor-egress"), 403)
    ok(nsx.patch(NCP_T1, json={"description": "x"}, headers={"X-Allow-Overwrite": "true"}))
    assert ok(nsx.get(NCP_T1)).json()["description"] == "x"


def test_protected_rejects_even_with_the_header() -> None:
    state = demo_state()
    for wrapper in state["children"]:
        if wrapper["resource_type"] == "ChildTier1":
            wrapper["Tier1"]["_protection"] = "PROTECTED"
    with sim_server(state) as (_, server), client_for(server) as client:
        api_error(client.patch(NCP_T1, json={"description": "x"},
                               headers={"X-Allow-Overwrite": "true"}), 403)
        api_error(client.delete(NCP_T1, headers={"X-Allow-Overwrite": "true"}), 403)


def test_the_owning_principal_identity_sees_its_objects_unprotected() -> None:
    with sim_server("demo", username=NCP_USER, password="pi") as (_, server), \
            client_for(server, auth=(NCP_USER, "pi")) as client:
        assert ok(client.get(NCP_T1)).json()["_protection"] == "NOT_PROTECTED"
        ok(client.patch(NCP_T1, json={"description": "NCP updates its own Tier-1"}))


# --- lists ----------------------------------------------------------------------------------------


def test_lists_paginate_with_cursor_and_sort(empty: httpx.Client) -> None:
    for name in ["c", "a", "e", "b", "d"]:
        ok(empty.patch(f"{P}/infra/segments/{name}", json={}))
    seen: list[str] = []
    params: dict[str, Any] = {"page_size": 2}
    pages = 0
    while True:
        page = ok(empty.get(P + "/infra/segments", params=params)).json()
        assert page["result_count"] == 5 and page["sort_by"] == "display_name"
        seen += [s["id"] for s in page["results"]]
        pages += 1
        if "cursor" not in page:
            break
        params["cursor"] = page["cursor"]
    assert seen == ["a", "b", "c", "d", "e"] and pages == 3
    desc = ok(empty.get(P + "/infra/segments", params={"sort_ascending": "false"})).json()
    assert [s["id"] for s in desc["results"]] == ["e", "d", "c", "b", "a"]
    assert desc["sort_ascending"] is False and "cursor" not in desc
    big = ok(empty.get(P + "/infra/segments", params={"page_size": 5000})).json()
    assert len(big["results"]) == 5
    marked = ok(empty.get(P + "/infra/segments",
                          params={"include_mark_for_delete_objects": "true"})).json()
    assert marked["result_count"] == 5


# --- hierarchical API -----------------------------------------------------------------------------


def child(rt: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resource_type": f"Child{rt}", rt: {"resource_type": rt, **obj}, **extra}


def test_hierarchical_get_filters_and_base_path(nsx: httpx.Client) -> None:
    assert "children" not in ok(nsx.get(INFRA)).json()
    tree = ok(nsx.get(INFRA, params={"filter": "Type-Tier0|LocaleServices"})).json()
    t0s = [w["Tier0"] for w in tree["children"] if w["resource_type"] == "ChildTier0"]
    assert [t["id"] for t in t0s] == ["vcf-t0"]
    assert t0s[0]["children"][0]["resource_type"] == "ChildLocaleServices"
    sub = ok(nsx.get(INFRA, params={"base_path": "/infra/tier-1s/domain-c8",
                                    "type_filter": "Tier1;PolicyNat;PolicyNatRule"})).json()
    assert [w["Tier1"]["id"] for w in sub["children"]] == ["domain-c8"]


def test_hierarchical_patch_is_validated_whole_and_cascades(nsx: httpx.Client) -> None:
    bad = {"resource_type": "Infra", "children": [
        child("Tier1", {"id": "good", "tier0_path": "/infra/tier-0s/vcf-t0"}),
        child("Tier1", {"id": "bad", "tier0_path": "/infra/tier-0s/missing"})]}
    api_error(nsx.patch(INFRA, json=bad), 400, 500012)
    api_error(nsx.get(P + "/infra/tier-1s/good"), 404)  # nothing was written
    good = {"resource_type": "Infra", "children": [
        child("Tier1", {"id": "good", "tier0_path": "/infra/tier-0s/vcf-t0", "children": [
            child("StaticRoutes", {"id": "r", "network": "10.0.0.0/8",
                                   "next_hops": [{"ip_address": "192.0.2.1"}]})]}),
        {"resource_type": "ChildResourceReference", "id": "vcf-t0", "target_type": "Tier0",
         "children": [child("StaticRoutes", {"id": "dflt", "network": "0.0.0.0/0",
                                             "next_hops": [{"ip_address": "10.27.51.1"}]})]}]}
    before_t0 = ok(nsx.get(T0)).json()
    assert ok(nsx.patch(INFRA, json=good)).content == b""
    assert ok(nsx.get(T0)).json() == before_t0  # the reference did not update the Tier-0
    ok(nsx.get(T0 + "/static-routes/dflt"))
    ok(nsx.get(P + "/infra/tier-1s/good/static-routes/r"))
    cascade = {"resource_type": "Infra", "children": [
        child("Tier1", {"id": "good"}, marked_for_delete=True)]}
    ok(nsx.patch(INFRA, json=cascade))
    api_error(nsx.get(P + "/infra/tier-1s/good/static-routes/r"), 404)
    api_error(nsx.patch(INFRA, json={"resource_type": "Infra", "children": [
        child("StaticRoutes", {"id": "r"})]}), 400, 500165)


# --- realization ----------------------------------------------------------------------------------


def realized(client: httpx.Client, intent: str) -> list[dict[str, Any]]:
    body = ok(client.get(INFRA + "/realized-state/realized-entities",
                         params={"intent_path": intent})).json()
    results: list[dict[str, Any]] = body["results"]
    return results


def status_of(client: httpx.Client, intent: str) -> dict[str, Any]:
    body: dict[str, Any] = ok(client.get(INFRA + "/realized-state/status",
                                         params={"intent_path": intent})).json()
    return body


def test_realization_after_the_delay_and_injected_errors() -> None:
    clock = FakeClock()
    faults = [{"match": {"path": "*/static-routes/*"}, "realization": "ERROR"}]
    with sim_server("demo", realization_delay=3, clock=clock, faults=faults) as (_, server), \
            client_for(server) as client:
        seg = "/infra/segments/s1"
        ok(client.patch(P + seg, json={}))
        assert [e["state"] for e in realized(client, seg)] == ["UNREALIZED"]
        status = ok(client.get(INFRA + "/realized-state/status",
                               params={"intent_path": seg})).json()
        assert status["consolidated_status"]["consolidated_status"] == "IN_PROGRESS"
        clock.now += 3.5
        assert [e["state"] for e in realized(client, seg)] == ["REALIZED"]
        status = ok(client.get(INFRA + "/realized-state/status",
                               params={"intent_path": seg})).json()
        assert status["consolidated_status"]["consolidated_status"] == "SUCCESS"
        route = "/infra/tier-0s/vcf-t0/static-routes/r"
        ok(client.patch(P + route, json={"network": "10.0.0.0/8",
                                         "next_hops": [{"ip_address": "10.27.51.1"}]}))
        clock.now += 3.5
        assert realized(client, route) == []  # no entity type of its own; the status says it
        per_ep = status_of(client, route)["consolidated_status_per_enforcement_point"][0]
        assert per_ep["consolidated_status"]["consolidated_status"] == "ERROR"
        assert per_ep["alarm"]["message"]
        hapi = {"resource_type": "Infra", "children": [
            {"resource_type": "ChildResourceReference", "id": "vcf-t0", "target_type": "Tier0",
             "children": [child("StaticRoutes", {"id": "h", "network": "10.1.0.0/16",
                                                 "next_hops": [{"ip_address": "10.27.51.1"}]})]}]}
        ok(client.patch(INFRA, json=hapi))  # the path-only rule covers H-API writes too
        clock.now += 3.5
        assert status_of(client, "/infra/tier-0s/vcf-t0/static-routes/h")["publish_status"] == (
            "ERROR")
        ok(client.delete(P + seg))
        assert realized(client, seg) == []


# --- snapshots ------------------------------------------------------------------------------------


def test_snapshot_file_is_served_and_saved_state_reloads(tmp_path: Path) -> None:
    lab = json.loads((DATA / "tanzu-bgp-lab.json").read_text())
    with sim_server(lab) as (sim, server), client_for(server) as client:
        tree = ok(client.get(INFRA, params={"filter": "Type-.*"})).json()
        assert tree == sim.snapshot()
        assert tree["resource_type"] == "Infra" and tree["children"]
        ok(client.patch(P + "/infra/dns-forwarder-zones/added", json={
            "upstream_servers": ["10.0.0.53"]}))
        sim.save(tmp_path / "state.json")
    with sim_server(str(tmp_path / "state.json")) as (_, server), client_for(server) as client:
        assert ok(client.get(P + "/infra/dns-forwarder-zones/added")).json()[
            "upstream_servers"] == ["10.0.0.53"]


# --- auth, limits, faults -------------------------------------------------------------------------


def test_basic_and_session_auth_against_the_simulator() -> None:
    with sim_server("demo", username="admin", password="VMware1!VMware1!") as (_, server), \
            client_for(server) as client:
        api_error(client.get(T0), 401)
        api_error(client.get(T0, auth=("admin", "wrong")), 401)
        ok(client.get(T0, auth=("admin", "VMware1!VMware1!")))
        login = ok(client.post("/api/session/create", data={
            "j_username": "admin", "j_password": "VMware1!VMware1!"}))
        cookie = login.headers["set-cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
        headers = {"Cookie": cookie.split(";", 1)[0],
                   "X-XSRF-TOKEN": login.headers["x-xsrf-token"]}
        client.cookies.clear()
        ok(client.patch(P + "/infra/segments/s", json={}, headers=headers))
        api_error(client.get(T0, headers={"Cookie": headers["Cookie"]}), 403)
        ok(client.post("/api/session/destroy", headers=headers))
        api_error(client.get(T0, headers=headers), 401)


def test_session_cookie_rides_the_client_cookie_jar_over_tls() -> None:
    # The cookie is `Secure`: a cookie jar sends it back only over HTTPS, as with a real manager.
    with sim_server("demo", tls=True, username="admin", password="pw") as (_, server), \
            client_for(server) as client:
        login = ok(client.post("/api/session/create",
                               data={"j_username": "admin", "j_password": "pw"}))
        assert "JSESSIONID" in client.cookies
        client.headers["X-XSRF-TOKEN"] = login.headers["x-xsrf-token"]
        ok(client.get(T0))
        ok(client.patch(P + "/infra/segments/by-session", json={}))
        assert ok(client.get(P + "/infra/segments/by-session")).json()["_create_user"] == "admin"


def test_parallel_writes_over_the_threaded_server() -> None:
    seg = P + "/infra/segments/shared"
    errors: list[str] = []

    def writer(n: int) -> None:
        with client_for(server) as client:
            for i in range(10):
                for url in (f"{P}/infra/segments/w{n}-{i}", seg):
                    r = client.patch(url, json={"description": f"{n}-{i}"})
                    if r.status_code != 200:
                        errors.append(r.text)

    with sim_server() as (_, server), client_for(server) as client:
        ok(client.patch(seg, json={}))
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert ok(client.get(seg)).json()["_revision"] == 60  # no lost update
        listed = ok(client.get(P + "/infra/segments")).json()
        assert listed["result_count"] == 61


def test_rate_and_concurrency_limits_against_the_simulator() -> None:
    clock = FakeClock()
    with sim_server("demo", rate_limit=100, clock=clock) as (_, server), \
            client_for(server) as client:
        codes = [client.get(T0).status_code for _ in range(101)]
        assert codes[:100] == [200] * 100
        body = api_error(client.get(T0), 429, "102")
        assert body["error_message"] == "Client 'admin' exceeded request rate of 100 per second"
        assert codes[100] == 429
        clock.now += 1
        ok(client.get(T0))


def test_concurrency_limit_against_the_simulator() -> None:
    entered, release = threading.Event(), threading.Event()
    core = Simulator(demo_state())

    def hold_gets(environ: dict[str, Any], start_response: Any) -> Any:
        # Keeps one request inside the simulator until the test has seen the 503.
        if environ["QUERY_STRING"] == "hold=1":
            entered.set()
            release.wait(10)
        return core(environ, start_response)

    held: list[int] = []
    with sim_server(sim=hold_gets, concurrency_limit=1) as (_, server), \
            client_for(server) as client:
        worker = threading.Thread(target=lambda: held.append(
            client.get(T0, params={"hold": "1"}).status_code))
        worker.start()
        assert entered.wait(10)
        with client_for(server) as other:
            refused = other.get(T0)
        release.set()
        worker.join()
        body = api_error(refused, 503)
        assert "concurrent request limit of 1" in body["error_message"]
        assert held == [200]
        ok(client.get(T0))


def test_faults_file_against_the_simulator(tmp_path: Path) -> None:
    faults = tmp_path / "faults.yaml"
    faults.write_text(
        '- match: {method: PATCH, path: "/policy/api/v1/infra/tier-1s/*/dns-forwarder"}\n'
        '  respond: {status: 500, error_code: 99, message: "injected"}\n'
        "  times: 1\n"
        "- match: {method: GET, path: /policy/api/v1/infra/tier-0s/vcf-t0}\n"
        "  drop_connection: true\n"
        "  after: 1\n"
        "  times: 1\n")
    with sim_server("demo", faults=str(faults)) as (_, server), client_for(server) as client:
        ok(client.patch(P + "/infra/dns-forwarder-zones/z", json={"upstream_servers": ["1.1.1.1"]}))
        ok(client.patch(P + "/infra/tier-1s/app", json={}))
        fwd = {"listener_ip": "10.96.10.53",
               "default_forwarder_zone_path": "/infra/dns-forwarder-zones/z"}
        body = api_error(client.patch(P + "/infra/tier-1s/app/dns-forwarder", json=fwd), 500, 99)
        assert body["error_message"] == "injected"
        api_error(client.get(P + "/infra/tier-1s/app/dns-forwarder"), 404)  # not written
        ok(client.patch(P + "/infra/tier-1s/app/dns-forwarder", json=fwd))
        ok(client.get(T0))
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(T0)
        ok(client.get(T0))


def test_seeded_rate_fault_against_the_simulator() -> None:
    faults = [{"rate": 0.2, "seed": 7, "respond": {"status": 503}}]

    def statuses() -> list[int]:
        with sim_server("demo", faults=faults) as (_, server), client_for(server) as client:
            return [client.get(T0).status_code for _ in range(40)]

    first = statuses()
    assert first == statuses() and {200, 503} == set(first)


# --- TLS and `nsxplan sim serve` ------------------------------------------------------------------


def test_tls_with_the_ca_file() -> None:
    with sim_server("demo", tls=True) as (_, server):
        assert server.url.startswith("https://") and server.ca_file
        with client_for(server) as client:
            ok(client.get(T0))
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url + T0)


def test_nsxplan_sim_serve_prints_its_url(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(Simulator(demo_state()).snapshot()))
    nsxplan = [sys.executable, "-c", "import sys; from nsxplan.cli import main; sys.exit(main())",
               "sim", "serve", "--port", "0"]
    with sim_process("--tls", "--state", str(state), "--save-on-exit",
                     command=nsxplan) as (proc, lines):
        url = lines.next()
        ca_line = lines.next()
        assert url.startswith("https://127.0.0.1:") and ca_line.startswith("CA bundle: ")
        verify = ssl.create_default_context(cafile=ca_line.removeprefix("CA bundle: "))
        with httpx.Client(base_url=url, verify=verify) as client:
            ok(client.get(T0))
            ok(client.patch(P + "/infra/segments/from-cli", json={}))
        code, err = stop_process(proc)
    assert code == 0 and "Traceback" not in err
    assert "/infra/segments/from-cli" in state.read_text()
