"""The simulator refuses client writes to `_system_owned` objects like NSX does (403 ApiError),
even with X-Allow-Overwrite, while children may still be created under them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from nsxplan.sim import Simulator
from nsxplan.sim.apierror import SYSTEM_OWNED
from tests.safety.helpers import T0, route, with_routes

P = "/policy/api/v1"
SYS_ROUTE = f"{T0}/static-routes/sys-route"
OVERRIDE = {"X-Allow-Overwrite": "true"}


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    sim = Simulator(with_routes(route("sys-route", _system_owned=True)))
    transport = httpx.WSGITransport(app=sim)
    with httpx.Client(transport=transport, base_url="http://nsx") as c:
        yield c


def api_error(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 403, resp.text
    body: dict[str, Any] = resp.json()
    assert body["httpStatus"] == "FORBIDDEN" and body["module_name"] == "Policy"
    assert body["error_code"] == SYSTEM_OWNED
    assert SYS_ROUTE in body["error_message"] and "system owned" in body["error_message"]
    return body


@pytest.mark.parametrize("headers", [{}, OVERRIDE], ids=["plain", "allow-overwrite"])
@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
def test_writes_to_a_system_owned_object_are_refused(client: httpx.Client, method: str,
                                                     headers: dict[str, str]) -> None:
    before = client.get(P + SYS_ROUTE).json()
    assert before["_system_owned"] is True
    kw: dict[str, Any] = {} if method == "DELETE" else {"json": {
        "network": "192.168.78.0/24", "next_hops": [{"ip_address": "10.27.51.9"}]}}
    api_error(client.request(method, P + SYS_ROUTE, headers=headers, **kw))
    assert client.get(P + SYS_ROUTE).json() == before


def test_hierarchical_writes_to_a_system_owned_object_are_refused(client: httpx.Client) -> None:
    before = client.get(P + SYS_ROUTE).json()
    body = {"resource_type": "Infra", "children": [{"resource_type": "ChildTier0", "Tier0": {
        "resource_type": "Tier0", "id": "vcf-t0", "children": [
            {"resource_type": "ChildStaticRoutes", "marked_for_delete": True,
             "StaticRoutes": {"resource_type": "StaticRoutes", "id": "sys-route"}}]}}]}
    api_error(client.patch(P + "/infra", json=body))
    assert client.get(P + SYS_ROUTE).json() == before


def test_cascading_delete_over_a_system_owned_child_is_refused() -> None:
    state = with_routes(route("sys-route", _system_owned=True))
    state["children"].append({"resource_type": "ChildTier1", "Tier1": {
        "resource_type": "Tier1", "id": "t1-x", "_create_user": "admin",
        "children": [route("sys-route", _system_owned=True)]}})
    transport = httpx.WSGITransport(app=Simulator(state))
    with httpx.Client(transport=transport, base_url="http://nsx") as c:
        body = {"resource_type": "Infra", "children": [{"resource_type": "ChildTier1",
                "marked_for_delete": True, "Tier1": {"resource_type": "Tier1", "id": "t1-x"}}]}
        resp = c.patch(P + "/infra", json=body)
        assert resp.status_code == 403, resp.text
        assert "/infra/tier-1s/t1-x/static-routes/sys-route" in resp.json()["error_message"]
        assert c.get(P + "/infra/tier-1s/t1-x").status_code == 200


def test_children_may_still_be_created_under_a_system_owned_parent() -> None:
    state = with_routes()
    state["children"].append({"resource_type": "ChildTier1", "Tier1": {
        "resource_type": "Tier1", "id": "t1-sys", "_create_user": "system",
        "_system_owned": True}})
    transport = httpx.WSGITransport(app=Simulator(state))
    with httpx.Client(transport=transport, base_url="http://nsx") as c:
        path = P + "/infra/tier-1s/t1-sys/static-routes/mine"
        resp = c.patch(path, json={"network": "10.9.0.0/16",
                                   "next_hops": [{"ip_address": "10.27.51.1"}]})
        assert resp.status_code == 200, resp.text
        assert c.get(path).json()["_system_owned"] is False
