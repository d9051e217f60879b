"""Every body the simulator returns, checked against NSX's own model (tests/nsx_schemas).

One scenario drives every kind and endpoint nsxplan uses (objects, lists and paging, the H-API
tree, errors of each family, realization, session, version, health, type specs); a recorder at
the WSGI edge keeps every response, and each is validated against the schema of its route. It
runs in-process for NSX 3.2, 4.1 and 4.2 and over a real TLS socket on 127.0.0.1.
"""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import pytest
from core_support import FakeClock
from schema_check import Recorder, check, problems

from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.server import serve_in_thread

P = "/policy/api/v1"
INFRA = P + "/infra"
T0 = INFRA + "/tier-0s/t0-as"
T1 = INFRA + "/tier-1s/t1-app"
ZONE = INFRA + "/dns-forwarder-zones/corp"
SEG = INFRA + "/segments/web"
LS0 = T0 + "/locale-services/default"
T0V = INFRA + "/tier-0s/t0-vip"
T0V_LS = "/infra/tier-0s/t0-vip/locale-services/default"
POOL = INFRA + "/ip-pools/ncp-pool"
EDGE_CLUSTER = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
FAULT = {"match": {"path": INFRA + "/tier-1s/fault-*"}, "respond": {"status": 503}}


def stack(nsx_version: str) -> tuple[Simulator, Recorder]:
    sim = Simulator(demo_state(), nsx_version=nsx_version)
    sim.add_realization_rule(lambda p: p.endswith("/broken"), message="edge unreachable")
    return sim, Recorder(build_wsgi(sim, faults=[FAULT]))


def expect(resp: httpx.Response, status: int) -> Any:
    assert resp.status_code == status, f"{resp.request.method} {resp.request.url}: {resp.text}"
    return resp.json() if resp.content else None


def scenario(c: httpx.Client, sim: Simulator) -> None:
    # manager node, session, type specs
    expect(c.get("/api/v1/node/version"), 200)
    expect(c.get("/api/v1/node"), 200)
    expect(c.get("/api/v1/reverse-proxy/node/health"), 200)
    for name in ("Tag", "ManagedResource"):
        expect(c.get(f"/api/v1/spec/vmware/types/{name}"), 200)
        expect(c.get(f"{P}/spec/vmware/types/{name}"), 200)  # policy clients ask here
    expect(c.get("/api/v1/spec/vmware/types/Nope"), 404)
    expect(c.post("/api/session/create", data={"j_username": "admin", "j_password": "x"}), 200)
    expect(c.post("/api/session/destroy"), 200)

    # every kind, created one by one
    writes: list[tuple[str, dict[str, Any]]] = [
        (ZONE, {"upstream_servers": ["10.0.0.53"], "dns_domain_names": ["corp.example.com"]}),
        (INFRA + "/dns-forwarder-zones/default", {"upstream_servers": ["10.0.1.53"]}),
        (T0, {"ha_mode": "ACTIVE_STANDBY", "failover_mode": "PREEMPTIVE",
              "tags": [{"scope": "owner", "tag": "netops"}]}),
        (T0 + "/locale-services/default", {"edge_cluster_path": EDGE_CLUSTER}),
        (SEG, {"vlan_ids": ["2760"], "transport_zone_path":
               "/infra/sites/default/enforcement-points/default/transport-zones/vlan-tz"}),
        (T0 + "/locale-services/default/interfaces/up1",
         {"type": "EXTERNAL", "segment_path": "/infra/segments/web",
          "edge_path": EDGE_CLUSTER + "/edge-nodes/0",
          "subnets": [{"ip_addresses": ["10.27.60.2"], "prefix_len": 24}]}),
        (T0 + "/locale-services/default/bgp", {"local_as_num": "65001", "ecmp": False,
                                               "graceful_restart_config": {"mode": "HELPER_ONLY"}}),
        (T0 + "/locale-services/default/bgp/neighbors/tor",
         {"neighbor_address": "10.27.60.1", "remote_as_num": "65000", "password": "s3cret",
          "bfd": {"enabled": True}}),
        (T0 + "/prefix-lists/egress", {"prefixes": [{"network": "10.27.60.0/24", "le": 32},
                                                    {"network": "ANY", "action": "DENY"}]}),
        (T0 + "/route-maps/out", {"entries": [
            {"action": "PERMIT",
             "prefix_list_matches": ["/infra/tier-0s/t0-as/prefix-lists/egress"],
             "set": {"as_path_prepend": "65001 65001"}}]}),
        (INFRA + "/ip-blocks/ext", {"cidr": "10.28.0.0/16", "visibility": "EXTERNAL",
                                    "tags": [{"scope": "ncp/no_snat", "tag": "true"}]}),
        (POOL, {"tags": [{"scope": "ncp/external", "tag": "true"}]}),
        (POOL + "/ip-subnets/static", {"resource_type": "IpAddressPoolStaticSubnet",
                                       "cidr": "10.29.0.0/24", "gateway_ip": "10.29.0.1",
                                       "allocation_ranges": [{"start": "10.29.0.10",
                                                              "end": "10.29.0.99"}]}),
        (POOL + "/ip-subnets/carved", {"resource_type": "IpAddressPoolBlockSubnet",
                                       "ip_block_path": "/infra/ip-blocks/ext", "size": 64,
                                       "auto_assign_gateway": True}),
        (T0 + "/static-routes/default", {"network": "0.0.0.0/0",
                                         "next_hops": [{"ip_address": "10.27.60.1"}]}),
        (T0 + "/nat/USER/nat-rules/snat", {"action": "SNAT", "source_network": "10.1.0.0/16",
                                           "translated_network": "10.27.60.10"}),
        (T1, {"tier0_path": "/infra/tier-0s/t0-as",
              "route_advertisement_types": ["TIER1_CONNECTED", "TIER1_NAT"]}),
        (T1 + "/locale-services/default", {"edge_cluster_path": EDGE_CLUSTER}),
        (T1 + "/static-routes/r1", {"network": "10.9.0.0/16",
                                    "next_hops": [{"ip_address": "10.1.0.1"}]}),
        (T1 + "/nat/USER/nat-rules/dnat", {"action": "DNAT", "destination_network": "10.27.60.20",
                                           "translated_network": "10.1.0.20"}),
        (T1 + "/nat/USER/nat-rules/reflexive", {"action": "REFLEXIVE",
                                                "source_network": "10.1.0.7",
                                                "translated_network": "10.27.60.21"}),
        (T1 + "/nat/USER/nat-rules/no-snat", {"action": "NO_SNAT",
                                              "source_network": "10.1.0.0/16"}),
        (T1 + "/dns-forwarder", {"listener_ip": "10.1.0.53",
                                 "default_forwarder_zone_path":
                                     "/infra/dns-forwarder-zones/default",
                                 "conditional_forwarder_zone_paths":
                                     ["/infra/dns-forwarder-zones/corp"]}),
        # an ACTIVE_STANDBY Tier-0 without BGP: two uplinks sharing an HA VIP
        (T0V, {"ha_mode": "ACTIVE_STANDBY"}),
        (T0V + "/locale-services/default", {"edge_cluster_path": EDGE_CLUSTER, "ha_vip_configs": [{
            "external_interface_paths": [f"{T0V_LS}/interfaces/a", f"{T0V_LS}/interfaces/b"],
            "vip_subnets": [{"ip_addresses": ["10.27.60.50"], "prefix_len": 24}]}]}),
        *((T0V + f"/locale-services/default/interfaces/{name}",
           {"segment_path": "/infra/segments/web", "edge_path": f"{EDGE_CLUSTER}/edge-nodes/{n}",
            "subnets": [{"ip_addresses": [f"10.27.60.{51 + n}"], "prefix_len": 24}]})
          for n, name in enumerate("ab")),
        (INFRA + "/tier-1s/broken", {}),
    ]
    for path, body in writes:
        expect(c.patch(path, json=body), 200)
    for path, _ in writes:
        expect(c.get(path), 200)
    # route redistribution through the route map, then the runtime views `nsxplan verify` reads
    expect(c.patch(LS0, json={"route_redistribution_config": {"redistribution_rules": [
        {"name": "t1", "route_redistribution_types": ["TIER1_NAT", "TIER1_CONNECTED"],
         "route_map_path": "/infra/tier-0s/t0-as/route-maps/out"},
        {"route_redistribution_types": ["TIER0_STATIC"]}]}}), 200)
    expect(c.get(LS0), 200)
    expect(c.patch(INFRA + "/segments/app", json={
        "connectivity_path": "/infra/tier-1s/t1-app",
        "subnets": [{"gateway_address": "10.1.0.1/24"}]}), 200)
    expect(c.get(LS0 + "/bgp/neighbors/status"), 200)
    expect(c.get(T0 + "/routing-table"), 200)
    expect(c.patch(LS0 + "/bgp", json={"enabled": False}), 200)
    expect(c.get(LS0 + "/bgp/neighbors/status"), 200)  # IDLE
    expect(c.patch(LS0 + "/bgp", json={"enabled": True}), 200)
    expect(c.get(INFRA + "/tier-0s/vcf-t0/routing-table"), 200)
    expect(c.get(INFRA + "/tier-0s/nope/routing-table"), 404)
    if sim.profile.stateful_active_active:
        stateful = {"stateful_services": {"enabled": True}}
        expect(c.patch(INFRA + "/tier-0s/vcf-t0", json=stateful), 200)

    # PUT: replace with the revision, refused without it or stale
    t1 = expect(c.get(T1), 200)
    expect(c.put(T1, json={**t1, "description": "replaced"}), 200)
    expect(c.put(T1, json={"description": "no revision"}), 400)
    expect(c.put(T1, json={"description": "stale", "_revision": 0}), 412)
    expect(c.put(INFRA + "/tier-1s/fresh", json={"tier0_path": "/infra/tier-0s/t0-as"}), 200)

    # lists: every collection, paged, sorted, trimmed, NAT sections
    for coll in ("/tier-0s", "/tier-1s", "/segments", "/dns-forwarder-zones",
                 "/tier-0s/t0-as/static-routes", "/tier-0s/t0-as/locale-services",
                 "/tier-0s/t0-as/locale-services/default/interfaces",
                 "/tier-0s/t0-as/locale-services/default/bgp/neighbors",
                 "/tier-1s/t1-app/nat", "/tier-1s/t1-app/nat/USER/nat-rules",
                 "/tier-0s/t0-as/prefix-lists", "/tier-0s/t0-as/route-maps", "/ip-blocks",
                 "/ip-pools", "/ip-pools/ncp-pool/ip-subnets"):
        expect(c.get(INFRA + coll), 200)
    page = expect(c.get(INFRA + "/tier-1s", params={"page_size": 1}), 200)
    while "cursor" in page:
        page = expect(c.get(INFRA + "/tier-1s", params={"page_size": 1, "cursor": page["cursor"]}),
                      200)
    expect(c.get(INFRA + "/tier-1s", params={"sort_by": "_create_time", "sort_ascending": "false"}),
           200)
    expect(c.get(INFRA + "/tier-1s", params={"included_fields": "id,path"}), 200)

    # the H-API: read (whole, filtered, rooted) and write (create, walk into, cascade delete)
    expect(c.get(INFRA), 200)
    expect(c.get(INFRA, params={"filter": "Type-Tier0|LocaleServices|BgpRoutingConfig"}), 200)
    expect(c.get(INFRA, params={"filter": "PrefixList|Tier0RouteMap|BgpNeighborConfig|"
                                          "Tier0Interface|IpAddressBlock|IpAddressPool.*"}), 200)
    expect(c.get(INFRA, params={"base_path": "/infra/ip-pools/ncp-pool"}), 200)
    expect(c.get(INFRA, params={"base_path": "/infra/tier-1s/t1-app"}), 200)
    expect(c.get(INFRA, params={"base_path": "/infra/tier-0s/t0-as",
                            "type_filter": "StaticRoutes"}), 200)
    expect(c.patch(INFRA, json={"resource_type": "Infra", "children": [
        {"resource_type": "ChildTier1", "Tier1": {
            "resource_type": "Tier1", "id": "hapi-t1", "children": [
                {"resource_type": "ChildStaticRoutes", "StaticRoutes": {
                    "resource_type": "StaticRoutes", "id": "r", "network": "10.8.0.0/16",
                    "next_hops": [{"ip_address": "10.1.0.1"}]}}]}},
        {"resource_type": "ChildResourceReference", "id": "t0-as", "target_type": "Tier0",
         "children": [{"resource_type": "ChildStaticRoutes", "marked_for_delete": True,
                       "StaticRoutes": {"resource_type": "StaticRoutes", "id": "default"}},
                      {"resource_type": "ChildPrefixList", "PrefixList": {
                          "resource_type": "PrefixList", "id": "hapi-pl",
                          "prefixes": [{"network": "10.8.0.0/16", "ge": 24}]}}]},
        {"resource_type": "ChildIpAddressBlock", "IpAddressBlock": {
            "resource_type": "IpAddressBlock", "id": "hapi-block", "cidr": "10.30.0.0/16"}},
        {"resource_type": "ChildIpAddressPool", "IpAddressPool": {
            "resource_type": "IpAddressPool", "id": "hapi-pool", "children": [
                {"resource_type": "ChildIpAddressPoolSubnet", "IpAddressPoolSubnet": {
                    "resource_type": "IpAddressPoolBlockSubnet", "id": "s",
                    "ip_block_path": "/infra/ip-blocks/hapi-block", "size": 256}}]}},
    ]}), 200)
    expect(c.get(INFRA, params={"base_path": "/infra/ip-pools/hapi-pool"}), 200)
    expect(c.patch(INFRA, json={"resource_type": "Infra", "children": [
        {"resource_type": "ChildTier1", "marked_for_delete": True,
         "Tier1": {"resource_type": "Tier1", "id": "hapi-t1"}},
        {"resource_type": "ChildResourceReference", "id": "t0-as", "target_type": "Tier0",
         "children": [{"resource_type": "ChildPrefixList", "marked_for_delete": True,
                       "PrefixList": {"resource_type": "PrefixList", "id": "hapi-pl"}}]},
        {"resource_type": "ChildIpAddressPool", "marked_for_delete": True,
         "IpAddressPool": {"resource_type": "IpAddressPool", "id": "hapi-pool"}},
        {"resource_type": "ChildIpAddressBlock", "marked_for_delete": True,
         "IpAddressBlock": {"resource_type": "IpAddressBlock", "id": "hapi-block"}}]}), 200)

    # realization: NSX's entity types, the consolidated status, an error with its alarm
    for intent in ("/infra/tier-0s/t0-as", "/infra/tier-1s/t1-app", "/infra/segments/web",
                   "/infra/tier-0s/t0-as/locale-services/default/interfaces/up1",
                   "/infra/tier-1s/t1-app/static-routes/r1", "/infra/tier-1s/broken",
                   "/infra/ip-blocks/ext", "/infra/ip-pools/ncp-pool/ip-subnets/carved",
                   "/infra/tier-0s/t0-as/prefix-lists/egress",
                   "/infra/tier-1s/never-written"):
        expect(c.get(INFRA + "/realized-state/realized-entities", params={"intent_path": intent}),
               200)
    for intent in ("/infra/tier-1s/t1-app", "/infra/tier-1s/broken", "/infra/ip-pools/ncp-pool",
                   "/infra/tier-0s/t0-as/route-maps/out",
                   "/infra/tier-1s/t1-app/nat/USER/nat-rules/dnat"):
        expect(c.get(INFRA + "/realized-state/status", params={"intent_path": intent}), 200)
    expect(c.get(INFRA + "/realized-state/status",
                 params={"intent_path": "/infra/tier-1s/no"}), 404)
    # search: every object (each of its kind) with its consolidated status, in pages
    expect(c.get("/policy/api/v1/search/query", params={"query": r"path:\/infra\/*"}), 200)
    expect(c.get("/policy/api/v1/search/query",
                 params={"query": "resource_type:(Tier1 OR PolicyNatRule)", "page_size": "3"}),
           200)
    expect(c.get("/policy/api/v1/search/query", params={"query": "path:("}), 400)

    # each error family
    expect(c.get(INFRA + "/tier-1s/absent"), 404)
    expect(c.get(INFRA + "/no-such-collection"), 404)
    expect(c.patch(T1, json={"failover_mode": "SOMETIMES"}), 400)
    expect(c.patch(T1, content=b"{not json", headers={"Content-Type": "application/json"}), 400)
    expect(c.delete(ZONE), 400)  # still referenced by the forwarder
    expect(c.patch(INFRA + "/tier-1s/t1-app/nat/USER", json={}), 400)  # system-managed section
    expect(c.post(T1), 405)
    expect(c.patch(INFRA + "/tier-0s/vcf-t0/nat/USER/nat-rules/aa", json={
        "action": "DNAT" if not sim.profile.stateful_active_active else "NAT64",
        "destination_network": "10.27.60.30", "translated_network": "10.1.0.30"}), 400)
    expect(c.patch(INFRA + "/tier-1s/domain-c8", json={"description": "ncp's"}), 403)
    expect(c.patch(INFRA, json={"resource_type": "Infra", "children": [
        {"resource_type": "ChildStaticRoutes", "StaticRoutes": {"id": "x"}}]}), 400)
    expect(c.get(INFRA + "/tier-1s/fault-1"), 503)  # an injected proxy error
    expect(c.patch(POOL + "/ip-subnets/odd", json={"resource_type": "IpAddressPoolBlockSubnet",
                                                   "ip_block_path": "/infra/ip-blocks/ext",
                                                   "size": 48}), 400)
    expect(c.delete(T0 + "/route-maps/out"), 400)  # a redistribution rule uses it
    expect(c.patch(T0 + "/route-maps/bad", json={"entries": [
        {"action": "PERMIT", "prefix_list_matches": ["/infra/tier-0s/t0-as/prefix-lists/no"]}]}),
        400)

    # deletes, leaves first; absent objects are fine
    expect(c.delete(INFRA + "/tier-1s/fresh"), 200)
    expect(c.delete(INFRA + "/segments/app"), 200)
    expect(c.patch(LS0, json={"route_redistribution_config": {"redistribution_rules": []}}), 200)
    for path, _ in reversed(writes):
        if path.endswith("/locale-services/default/bgp"):
            expect(c.delete(path + "/neighbors/tor"), 200)
        expect(c.delete(path), 200)
    expect(c.delete(INFRA + "/tier-1s/fresh"), 200)


@pytest.mark.parametrize("nsx_version", ["3.2", "4.1", "4.2"])
def test_every_in_process_body_matches_nsx_model(nsx_version: str) -> None:
    sim, recorder = stack(nsx_version)
    with httpx.Client(transport=httpx.WSGITransport(app=recorder), base_url="http://nsx") as c:
        scenario(c, sim)
    assert len(recorder.exchanges) > 100
    found = problems(recorder.exchanges)
    assert not found, "\n".join(found)


def test_every_body_over_a_tls_socket_matches_nsx_model() -> None:
    sim, recorder = stack("4.2")
    with serve_in_thread(recorder, tls=True) as server:
        assert server.ca_file is not None
        ctx = ssl.create_default_context(cafile=server.ca_file)
        with httpx.Client(base_url=server.url, verify=ctx, timeout=10.0) as c:
            scenario(c, sim)
    found = problems(recorder.exchanges)
    assert not found, "\n".join(found)


def test_the_checker_catches_what_nsx_does_not_send() -> None:
    """The schemas are not vacuous: an invented field, a wrong enum or a missing required field
    in a body is reported."""
    sim, recorder = stack("4.2")
    with httpx.Client(transport=httpx.WSGITransport(app=recorder), base_url="http://nsx") as c:
        expect(c.get(INFRA + "/tier-1s/domain-c8"), 200)
        expect(c.get(INFRA + "/realized-state/status",
                     params={"intent_path": "/infra/tier-1s/domain-c8"}), 200)
    obj, status = recorder.exchanges
    bad_obj = obj.json() | {"enforced_status": {}, "failover_mode": "SOMETIMES"}
    obj.body = _dump(bad_obj)
    assert len(check(obj)) == 2
    bad_status = status.json() | {"enforced_status": {"status": {}}}
    del bad_status["intent_path"]
    status.body = _dump(bad_status)
    found = check(status)
    assert any("enforced_status" in f for f in found)
    assert any("intent_path" in f for f in found)


def test_the_checker_catches_deviations_in_the_routing_kinds_and_runtime_views() -> None:
    """The Tier-0 routing schemas are not vacuous either: the manager API's field in the policy
    neighbor status, an unknown session state, a route entry field NSX lacks, a route map entry
    without its action, a static pool subnet without ranges, an EXTERNAL uplink without its edge,
    a VLAN segment without its transport zone and a leaked password are reported."""
    sim, recorder = stack("4.2")
    with httpx.Client(transport=httpx.WSGITransport(app=recorder), base_url="http://nsx") as c:
        scenario_routing_lab(c)
    by_path = {x.path.removeprefix(P): x for x in recorder.exchanges if x.method == "GET"}
    assert not problems(by_path.values())
    status = by_path["/infra/tier-0s/t0-as/locale-services/default/bgp/neighbors/status"]
    body = status.json()
    body["logical_router_name"] = "t0-as"
    body["results"][0]["connection_state"] = "UP"
    status.body = _dump(body)
    assert len(check(status)) == 2
    table = by_path["/infra/tier-0s/t0-as/routing-table"]
    body = table.json()
    body["results"][0]["route_entries"][0]["metric"] = 0
    table.body = _dump(body)
    assert any("metric" in f for f in check(table))
    route_map = by_path["/infra/tier-0s/t0-as/route-maps/out"]
    body = route_map.json()
    del body["entries"][0]["action"]
    route_map.body = _dump(body)
    assert any("action" in f for f in check(route_map))
    subnet = by_path["/infra/ip-pools/ncp-pool/ip-subnets/static"]
    body = subnet.json()
    del body["allocation_ranges"]
    subnet.body = _dump(body)
    assert check(subnet)
    for path, field in (("/infra/tier-0s/t0-as/locale-services/default/interfaces/up1",
                         "edge_path"), ("/infra/segments/web", "transport_zone_path")):
        x = by_path[path]
        body = x.json()
        del body[field]  # an EXTERNAL uplink without its edge, a VLAN segment without its TZ
        x.body = _dump(body)
        assert any(field in f for f in check(x)), field
    neighbor = by_path["/infra/tier-0s/t0-as/locale-services/default/bgp/neighbors/tor"]
    neighbor.body = _dump(neighbor.json() | {"password": "s3cret"})
    assert any("password" in f for f in problems([neighbor]))


def scenario_routing_lab(c: httpx.Client) -> None:
    """A BGP Tier-0 with an uplink, a neighbor, a route map and an IP pool, and its views."""
    ls = T0 + "/locale-services/default"
    for path, body in [
        (T0, {"ha_mode": "ACTIVE_STANDBY"}),
        (ls, {"edge_cluster_path": EDGE_CLUSTER}),
        (SEG, {"vlan_ids": ["2760"], "transport_zone_path":
               "/infra/sites/default/enforcement-points/default/transport-zones/vlan-tz"}),
        (ls + "/interfaces/up1", {"segment_path": "/infra/segments/web",
                                  "edge_path": EDGE_CLUSTER + "/edge-nodes/0",
                                  "subnets": [{"ip_addresses": ["10.27.60.2"],
                                               "prefix_len": 24}]}),
        (ls + "/bgp", {"local_as_num": "65001"}),
        (ls + "/bgp/neighbors/tor", {"neighbor_address": "10.27.60.1", "remote_as_num": "65000",
                                     "password": "s3cret"}),
        (T0 + "/prefix-lists/egress", {"prefixes": [{"network": "ANY"}]}),
        (T0 + "/route-maps/out", {"entries": [{"action": "PERMIT", "prefix_list_matches": [
            "/infra/tier-0s/t0-as/prefix-lists/egress"]}]}),
        (POOL, {}),
        (POOL + "/ip-subnets/static", {"resource_type": "IpAddressPoolStaticSubnet",
                                       "cidr": "10.29.0.0/24", "allocation_ranges": [
                                           {"start": "10.29.0.10", "end": "10.29.0.20"}]}),
    ]:
        expect(c.patch(path, json=body), 200)
        expect(c.get(path), 200)
    expect(c.get(ls + "/bgp/neighbors/status"), 200)
    expect(c.get(T0 + "/routing-table"), 200)


def _dump(body: Any) -> bytes:
    return json.dumps(body).encode()


def test_edge_refusals_match_nsx_model() -> None:
    """What the auth and rate-limit layers answer: 401, 403 (XSRF), 429 (error_code "102" as
    a string, as NSX sends it), session create/destroy, all against the model."""
    clock = FakeClock()
    sim = Simulator(demo_state())
    recorder = Recorder(build_wsgi(sim, username="admin", password="pw", rate_limit=2,
                                   clock=clock))
    with httpx.Client(transport=httpx.WSGITransport(app=recorder),
                      base_url="https://nsx") as c:
        expect(c.get(INFRA + "/tier-0s"), 401)
        expect(c.get(INFRA + "/tier-0s", auth=("admin", "wrong")), 401)
        login = c.post("/api/session/create", data={"j_username": "admin", "j_password": "pw"})
        expect(login, 200)
        expect(c.get(INFRA + "/tier-0s", headers={"X-XSRF-TOKEN": "forged"}), 403)
        xsrf = {"X-XSRF-TOKEN": login.headers["x-xsrf-token"]}
        statuses = [c.get(INFRA + "/tier-0s", headers=xsrf).status_code for _ in range(4)]
        assert 429 in statuses and statuses[0] == 200
        clock.advance(10)
        expect(c.post("/api/session/destroy", headers=xsrf), 200)
    assert {x.status for x in recorder.exchanges} >= {200, 401, 403, 429}
    found = problems(recorder.exchanges)
    assert not found, "\n".join(found)
