"""read_live flattens one Hierarchical API answer; request count independent of size."""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from nsxplan.live.read import flatten_infra, live_from_objects, read_live
from nsxplan.nsx.kinds import LIVE_TYPES, address_for_path, gateway_of

LAB = json.loads((Path(__file__).parent / "data" / "tanzu-bgp-lab.json").read_text())
SUP = "/infra/tier-1s/t1-domain-c1006-supervisor"


class FakeClient:
    """Counts requests like NsxClient; answers the H-API GET from a tree."""

    def __init__(self, tree: dict[str, Any]) -> None:
        self.tree = tree
        self.request_count = 0
        self.calls: list[tuple[str, ...]] = []

    def get_infra(self, types: Sequence[str], base_path: str | None = None) -> dict[str, Any]:
        self.request_count += 1
        self.calls.append(tuple(types))
        return copy.deepcopy(self.tree)

    def version(self) -> str:
        self.request_count += 1
        return "3.2.3.0.0"


def _tree(n_rules: int) -> dict[str, Any]:
    rules = [{"resource_type": "ChildPolicyNatRule",
              "PolicyNatRule": {"resource_type": "PolicyNatRule", "id": f"r{i}",
                                "action": "REFLEXIVE"}} for i in range(n_rules)]
    nat = {"resource_type": "ChildPolicyNat",
           "PolicyNat": {"resource_type": "PolicyNat", "id": "USER", "children": rules}}
    return {"resource_type": "Infra", "id": "infra", "children": [
        {"resource_type": "ChildTier0",
         "Tier0": {"resource_type": "Tier0", "id": "t0", "children": [nat]}}]}


def test_read_live_is_one_hapi_get_plus_version_whatever_the_size() -> None:
    small, big = FakeClient(_tree(1)), FakeClient(_tree(500))
    a, b = read_live(small), read_live(big)
    assert a.requests == b.requests == 2
    assert small.calls == [LIVE_TYPES]
    assert len(b.of_type("PolicyNatRule")) == 500
    assert b.nsx_version == "3.2.3.0.0"


class _Failing(FakeClient):
    def __init__(self, tree: dict[str, Any], *, tree_error: str | None = None,
                 version_error: str | None = None) -> None:
        super().__init__(tree)
        self.tree_error, self.version_error = tree_error, version_error

    def get_infra(self, types: Sequence[str], base_path: str | None = None) -> dict[str, Any]:
        if self.tree_error:
            raise RuntimeError(self.tree_error)
        return super().get_infra(types, base_path)

    def version(self) -> str:
        if self.version_error:
            raise RuntimeError(self.version_error)
        return super().version()


def test_the_version_read_beside_the_tree_reports_its_own_error() -> None:
    with pytest.raises(RuntimeError, match="version refused"):
        read_live(_Failing(_tree(1), version_error="version refused"))


def test_the_trees_error_wins_over_the_versions() -> None:
    with pytest.raises(RuntimeError, match="tree refused"):
        read_live(_Failing(_tree(1), tree_error="tree refused", version_error="version refused"))


def test_the_callers_preparation_runs_beside_the_tree_and_its_failure_is_its_own() -> None:
    import threading

    ran: list[str] = []
    read_live(FakeClient(_tree(1)), alongside=lambda: ran.append(threading.current_thread().name))
    assert ran == ["nsxplan-version"]

    def broken() -> None:
        raise ImportError("a module that failed to load")

    live = read_live(FakeClient(_tree(2)), alongside=broken)   # the caller redoes it itself
    assert len(live.of_type("PolicyNatRule")) == 2


def test_no_thread_is_left_running_after_the_refresh() -> None:
    import threading

    before = threading.active_count()
    read_live(FakeClient(_tree(3)))
    assert threading.active_count() == before


def test_flatten_fills_paths_and_drops_children() -> None:
    flat = flatten_infra(_tree(2))
    rule = flat["/infra/tier-0s/t0/nat/USER/nat-rules/r1"]
    assert rule["parent_path"] == "/infra/tier-0s/t0/nat/USER"
    assert "children" not in flat["/infra/tier-0s/t0/nat/USER"]
    assert sorted(flat) == ["/infra/tier-0s/t0", "/infra/tier-0s/t0/nat/USER",
                            "/infra/tier-0s/t0/nat/USER/nat-rules/r0",
                            "/infra/tier-0s/t0/nat/USER/nat-rules/r1"]


def test_flatten_keeps_paths_the_manager_sends_and_skips_marked_for_delete() -> None:
    tree = _tree(2)
    t0 = tree["children"][0]["Tier0"]
    t0["path"] = "/infra/tier-0s/t0"
    t0["children"][0]["PolicyNat"]["children"][0]["marked_for_delete"] = True
    flat = flatten_infra(tree)
    assert "/infra/tier-0s/t0/nat/USER/nat-rules/r0" not in flat
    assert "/infra/tier-0s/t0/nat/USER/nat-rules/r1" in flat


def test_fixture_flattens_with_singletons_and_ncp_metadata() -> None:
    flat = flatten_infra(LAB)
    assert "/infra/tier-0s/t0-edge/locale-services/default/bgp/neighbors/tor-a" in flat
    rule = flat[f"{SUP}/nat/USER/nat-rules/snat-egress"]
    assert rule["_protection"] == "REQUIRE_OVERRIDE"
    assert rule["_create_user"].startswith("wcp-cluster-user-")


def test_live_from_flat_list_derives_parent_paths() -> None:
    state = live_from_objects([
        {"resource_type": "PolicyDnsForwarder", "id": "dns-forwarder",
         "path": "/infra/tier-1s/a/dns-forwarder"},
        {"resource_type": "StaticRoutes", "id": "r", "path": "/infra/tier-1s/a/static-routes/r"},
    ])
    assert [o["id"] for o in state.children("/infra/tier-1s/a")] == ["dns-forwarder", "r"]


def test_resource_references_are_walked_not_recorded() -> None:
    tree = {"resource_type": "Infra", "children": [{
        "resource_type": "ChildResourceReference", "id": "t1", "target_type": "Tier1",
        "children": [{"resource_type": "ChildStaticRoutes", "StaticRoutes": {
            "resource_type": "StaticRoutes", "id": "r", "network": "1.0.0.0/8"}}]}]}
    flat = flatten_infra(tree)
    assert list(flat) == ["/infra/tier-1s/t1/static-routes/r"]
    assert flat["/infra/tier-1s/t1/static-routes/r"]["parent_path"] == "/infra/tier-1s/t1"


@pytest.mark.parametrize("path,address", [
    ("/infra/tier-0s/t0", "tier0s.t0"),
    ("/infra/tier-0s/t0/nat/USER/nat-rules/r", "tier0s.t0.nat_rules.r"),
    ("/infra/tier-1s/a/static-routes/r", "tier1s.a.static_routes.r"),
    ("/infra/tier-1s/a/locale-services/default", "tier1s.a.locale_services.default"),
    ("/infra/tier-1s/a/dns-forwarder", "tier1s.a.dns_forwarder"),
    ("/infra/dns-forwarder-zones/z", "dns_zones.z"),
])
def test_addresses_of_live_only_objects(path: str, address: str) -> None:
    assert address_for_path(path) == address


def test_gateway_of() -> None:
    assert gateway_of("/infra/tier-1s/a/nat/USER/nat-rules/r") == "/infra/tier-1s/a"
    assert gateway_of("/infra/tier-0s/t0") == "/infra/tier-0s/t0"
    assert gateway_of("/infra/dns-forwarder-zones/z") is None
