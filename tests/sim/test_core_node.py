"""Node endpoints (health, version, type specs), NSX versions, and realization shapes as NSX's."""

from __future__ import annotations

import httpx
import pytest
from core_support import FakeClock, P, client_for, err, ok

from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.compose import build_wsgi

HEALTH = "/api/v1/reverse-proxy/node/health"
ENTITIES = f"{P}/infra/realized-state/realized-entities"
STATUS = f"{P}/infra/realized-state/status"
T0 = f"{P}/infra/tier-0s/vcf-t0"
SNAT = {"action": "SNAT", "source_network": "10.0.0.0/24", "translated_network": "10.27.51.150"}


def test_health_is_200_healthy_then_503_when_marked_down() -> None:
    sim = Simulator(demo_state())
    with client_for(sim) as c:
        assert ok(c.get(HEALTH)).json()["healthy"] is True
        sim.healthy = False
        resp = c.get(HEALTH)
        assert resp.status_code == 503 and resp.json()["healthy"] is False


def test_health_needs_no_credentials_even_when_they_are_enforced() -> None:
    app = build_wsgi(Simulator(demo_state()), username="admin", password="pw")
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://nsx") as c:
        assert ok(c.get(HEALTH)).json() == {
            "healthy": True,
            "components_health": "POLICY:UP, SEARCH:UP, MANAGER:UP, NODE_MGMT:UP, UI:UP",
        }
        assert c.get(T0).status_code == 401


def test_tag_limits_as_clients_read_them(client: httpx.Client) -> None:
    tag = ok(client.get("/api/v1/spec/vmware/types/Tag")).json()
    assert tag["properties"]["scope"]["maxLength"] == 128
    assert tag["properties"]["tag"]["maxLength"] == 256
    managed = ok(client.get("/api/v1/spec/vmware/types/ManagedResource")).json()
    assert managed["properties"]["tags"]["maxItems"] == 30
    assert client.get("/api/v1/spec/vmware/types/NoSuchType").status_code == 404
    # OpenStack's NsxPolicyLib reads them under the policy prefix
    assert ok(client.get(P + "/spec/vmware/types/Tag")).json() == tag


@pytest.mark.parametrize(("nsx", "product"), [("3.2", "3.2."), ("4.1", "4.1."), ("4.2", "4.2.")])
def test_version_reported(nsx: str, product: str) -> None:
    with client_for(Simulator(nsx_version=nsx)) as c:
        body = ok(c.get("/api/v1/node/version")).json()
        assert body["product_version"].startswith(product)
        assert body["node_version"] == body["product_version"]


def test_product_version_alone_picks_its_profile() -> None:
    assert Simulator(version="4.1.2.3.0.1").profile.name == "4.1"
    assert Simulator(version="4.0.1.0.0.1").profile.name == "3.2"  # nearest older profile
    assert Simulator(version="9.0.0.0.0.1").profile.name == "4.2"
    with pytest.raises(ValueError, match="choose one of 3.2, 4.1, 4.2"):
        Simulator(nsx_version="5.0")


def test_stateful_active_active_nat_only_from_41() -> None:
    with client_for(Simulator(demo_state(), nsx_version="3.2")) as c:
        e = err(c.patch(T0, json={"stateful_services": {"enabled": True}}), 400, 255)
        assert "stateful_services" in e["error_message"] and "4.1" in e["error_message"]
        e = err(c.patch(T0 + "/nat/USER/nat-rules/s", json=SNAT), 400, 500163)
        assert "stateful_services" not in e["error_message"]  # no advice 3.2 cannot follow
    for nsx in ("4.1", "4.2"):
        with client_for(Simulator(demo_state(), nsx_version=nsx)) as c:
            ok(c.patch(T0, json={"stateful_services": {"enabled": True}}))
            ok(c.patch(T0 + "/nat/USER/nat-rules/s", json=SNAT))


def types_of(c: httpx.Client, path: str) -> list[str | None]:
    body = ok(c.get(ENTITIES, params={"intent_path": path})).json()
    assert body["result_count"] == len(body["results"])
    return [e.get("entity_type") for e in body["results"]]


def test_realized_entity_types_are_nsx_types(client: httpx.Client) -> None:
    assert types_of(client, "/infra/tier-0s/vcf-t0") == ["RealizedLogicalRouter"]
    ok(client.patch(P + "/infra/tier-1s/lone", json={}))
    assert types_of(client, "/infra/tier-1s/lone") == ["RealizedLogicalRouter"]
    ok(client.patch(P + "/infra/tier-1s/linked", json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    assert types_of(client, "/infra/tier-1s/linked") == [
        "RealizedLogicalRouter", "RealizedLogicalRouterPort"]
    entities = ok(client.get(ENTITIES, params={"intent_path": "/infra/tier-1s/linked"})).json()
    ids = [e["realization_specific_identifier"] for e in entities["results"]]
    assert len(set(ids)) == 2
    route = "/infra/tier-0s/vcf-t0/static-routes/r"
    ok(client.patch(P + route, json={"network": "0.0.0.0/0",
                                     "next_hops": [{"ip_address": "10.27.51.1"}]}))
    assert types_of(client, route) == []  # no entity type NSX documents for it: none made up
    status = ok(client.get(STATUS, params={"intent_path": route})).json()
    assert status["consolidated_status"] == {"consolidated_status": "SUCCESS"}


@pytest.mark.parametrize("nsx", ["3.2", "4.1", "4.2"])
def test_consolidated_status_has_only_model_fields(nsx: str) -> None:
    clock = FakeClock()
    sim = Simulator(demo_state(), nsx_version=nsx, realization_delay=1.0, clock=clock)
    sim.add_realization_rule(lambda p: p.endswith("/bad"), message="edge unreachable")
    with client_for(sim) as c:
        ok(c.patch(P + "/infra/tier-1s/bad", json={}))
        status = ok(c.get(STATUS, params={"intent_path": "/infra/tier-1s/bad"})).json()
        assert set(status) == {"intent_path", "intent_version", "publish_status",
                               "consolidated_status", "consolidated_status_per_enforcement_point"}
        assert status["consolidated_status"] == {"consolidated_status": "IN_PROGRESS"}
        clock.advance(1.0)
        status = ok(c.get(STATUS, params={"intent_path": "/infra/tier-1s/bad"})).json()
        assert status["consolidated_status"] == {"consolidated_status": "ERROR"}
        (per_ep,) = status["consolidated_status_per_enforcement_point"]
        assert per_ep["alarm"]["message"] == "edge unreachable"
        assert ("resource_type" in per_ep) == (nsx == "4.2")


@pytest.mark.parametrize(("path", "body", "since"), [
    ("/infra/tier-1s/aa", {"ha_mode": "ACTIVE_ACTIVE"}, "4.0"),
    ("/infra/tier-0s/vcf-t0/nat/USER/nat-rules/d",
     {"action": "NO_DNAT", "destination_network": "10.27.51.9",
      "policy_based_vpn_mode": "BYPASS"}, "4.0"),
    ("/infra/tier-0s/vcf-t0", {"enable_rd_per_edge": True}, "4.2"),
])
def test_fields_newer_than_the_version_are_unknown_to_it(path: str, body: dict[str, object],
                                                         since: str) -> None:
    for nsx in ("3.2", "4.1", "4.2"):
        with client_for(Simulator(demo_state(), nsx_version=nsx)) as c:
            resp = c.patch(P + path, json=body)
            if nsx >= since:
                ok(resp)
            else:
                e = err(resp, 400, 255)
                assert f"exists from NSX {since}" in e["error_message"]
