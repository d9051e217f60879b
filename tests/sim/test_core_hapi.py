"""Hierarchical API: GET /infra with filters, PATCH /infra validated whole, cascades, references."""

from __future__ import annotations

from typing import Any

import httpx
from core_support import P, err, ok

from nsxplan.sim import Simulator

INFRA = f"{P}/infra"


def child(rt: str, obj: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"resource_type": f"Child{rt}", rt: {"resource_type": rt, **obj}, **extra}


def infra(*children: dict[str, Any]) -> dict[str, Any]:
    return {"resource_type": "Infra", "children": list(children)}


def ids(wrappers: list[dict[str, Any]], rt: str) -> list[str]:
    return [w[rt]["id"] for w in wrappers if w["resource_type"] == f"Child{rt}"]


def test_get_infra_without_filter_returns_only_infra(client: httpx.Client) -> None:
    body = ok(client.get(INFRA)).json()
    assert body["resource_type"] == "Infra" and body["id"] == "infra"
    assert "children" not in body


def test_get_infra_filter_returns_wrapped_tree(client: httpx.Client) -> None:
    body = ok(
        client.get(INFRA, params={"filter": "Type-Tier0|LocaleServices|Tier0Interface"})
    ).json()
    t0s = [w["Tier0"] for w in body["children"] if w["resource_type"] == "ChildTier0"]
    assert len(t0s) == 1
    # the Tier-1s' locale services match too: their Tier-1s appear as references on the way
    refs = {w["id"] for w in body["children"] if w["resource_type"] == "ChildResourceReference"}
    assert refs == {"domain-c8", "vnet-domain-c8"}
    t0 = t0s[0]
    assert t0["id"] == "vcf-t0" and t0["_revision"] == 0
    ls = t0["children"][0]
    assert ls["resource_type"] == "ChildLocaleServices"
    assert ls["LocaleServices"]["edge_cluster_path"].endswith("edge-cluster-01")
    iface = ls["LocaleServices"]["children"][0]["Tier0Interface"]
    assert iface["subnets"] == [{"ip_addresses": ["10.27.51.145"], "prefix_len": 24}]


def test_filter_reaches_nested_types_through_references(client: httpx.Client) -> None:
    body = ok(client.get(INFRA, params={"filter": "Type-PolicyNatRule"})).json()
    tier1_refs = [w for w in body["children"] if w.get("target_type") == "Tier1"]
    assert {w["id"] for w in tier1_refs} == {"domain-c8", "vnet-domain-c8"}
    assert all(w["resource_type"] == "ChildResourceReference" for w in body["children"])
    nat = tier1_refs[0]["children"][0]
    assert nat["target_type"] == "PolicyNat" and nat["id"] == "USER"
    rules = [w["PolicyNatRule"] for w in nat["children"]]
    assert {r["action"] for r in rules} == {"SNAT", "NO_SNAT"}


def test_type_filter_and_base_path(client: httpx.Client) -> None:
    body = ok(
        client.get(
            INFRA,
            params={
                "base_path": "/infra/tier-1s/domain-c8",
                "type_filter": "Tier1;PolicyNat;PolicyNatRule",
            },
        )
    ).json()
    assert len(body["children"]) == 1
    t1 = body["children"][0]["Tier1"]
    assert t1["id"] == "domain-c8"
    sections = ids(t1["children"], "PolicyNat")
    assert sections == ["USER", "DEFAULT", "INTERNAL"] or set(sections) == {
        "USER",
        "DEFAULT",
        "INTERNAL",
    }
    deep = ok(
        client.get(INFRA, params={"base_path": "/infra/tier-0s/vcf-t0/locale-services/default"})
    ).json()
    ref = deep["children"][0]
    assert ref["resource_type"] == "ChildResourceReference" and ref["target_type"] == "Tier0"
    assert ref["children"][0]["LocaleServices"]["id"] == "default"
    err(client.get(INFRA, params={"base_path": "/infra/tier-0s/nope"}), 404)


def test_patch_creates_nested_tree(empty_client: httpx.Client) -> None:
    body = infra(
        child(
            "Tier1",
            {
                "id": "t1",
                "tier0_path": "/infra/tier-0s/t0",
                "children": [
                    child(
                        "StaticRoutes",
                        {
                            "id": "r",
                            "network": "10.0.0.0/8",
                            "next_hops": [{"ip_address": "192.0.2.1"}],
                        },
                    )
                ],
            },
        ),
        child(
            "Tier0",
            {
                "id": "t0",
                "ha_mode": "ACTIVE_STANDBY",
                "children": [
                    child(
                        "LocaleServices",
                        {
                            "id": "default",
                            "children": [
                                child(
                                    "BgpRoutingConfig",
                                    {
                                        "local_as_num": "65001",
                                        "children": [
                                            child(
                                                "BgpNeighborConfig",
                                                {
                                                    "id": "tor",
                                                    "neighbor_address": "192.0.2.1",
                                                    "remote_as_num": "65000",
                                                },
                                            )
                                        ],
                                    },
                                )
                            ],
                        },
                    ),
                    child(
                        "PolicyNat",
                        {
                            "id": "USER",
                            "children": [
                                child(
                                    "PolicyNatRule",
                                    {
                                        "id": "snat",
                                        "action": "SNAT",
                                        "source_network": "10.0.0.0/8",
                                        "translated_network": "192.0.2.10",
                                    },
                                )
                            ],
                        },
                    ),
                ],
            },
        ),
    )
    resp = ok(empty_client.patch(INFRA, json=body))
    assert resp.content == b""
    # the Tier-1 came first in the body and references the Tier-0 created after it
    assert (
        empty_client.get(f"{P}/infra/tier-1s/t1/static-routes/r").json()["network"] == "10.0.0.0/8"
    )
    nb = empty_client.get(f"{P}/infra/tier-0s/t0/locale-services/default/bgp/neighbors/tor")
    assert ok(nb).json()["remote_as_num"] == "65000"
    assert (
        ok(empty_client.get(f"{P}/infra/tier-0s/t0/nat/USER/nat-rules/snat")).json()["action"]
        == "SNAT"
    )


def test_patch_is_all_or_nothing(empty_client: httpx.Client) -> None:
    body = infra(
        child("Tier0", {"id": "good"}),
        child("Tier1", {"id": "bad", "tier0_path": "/infra/tier-0s/missing"}),
    )
    e = err(empty_client.patch(INFRA, json=body), 400, 500012)
    assert "/infra/tier-0s/missing" in e["error_message"]
    err(empty_client.get(f"{P}/infra/tier-0s/good"), 404)
    bad_field = infra(
        child("Tier0", {"id": "good"}), child("Tier0", {"id": "x", "ha_mode": "BOTH"})
    )
    err(empty_client.patch(INFRA, json=bad_field), 400)
    err(empty_client.get(f"{P}/infra/tier-0s/good"), 404)


def test_failed_patch_restores_updated_and_deleted_objects(empty_client: httpx.Client) -> None:
    ok(empty_client.patch(f"{P}/infra/tier-0s/a", json={"description": "before"}))
    ok(empty_client.patch(f"{P}/infra/tier-0s/b", json={}))
    before = empty_client.get(INFRA, params={"filter": "Type-.*"}).json()
    body = infra(
        child("Tier0", {"id": "a", "description": "after"}),
        child("Tier0", {"id": "b"}, marked_for_delete=True),
        child("Tier0", {"id": "c", "ha_mode": "NOPE"}),
    )
    err(empty_client.patch(INFRA, json=body), 400)
    assert empty_client.get(INFRA, params={"filter": "Type-.*"}).json() == before


def test_marked_for_delete_cascades(client: httpx.Client) -> None:
    t1 = "/infra/tier-1s/own"
    ok(client.patch(P + t1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
    ok(
        client.patch(
            f"{P}{t1}/static-routes/r",
            json={"network": "10.0.0.0/8", "next_hops": [{"ip_address": "1.1.1.1"}]},
        )
    )
    err(client.delete(P + t1), 400, 500030)  # direct delete: has children
    ok(client.patch(INFRA, json=infra(child("Tier1", {"id": "own"}, marked_for_delete=True))))
    err(client.get(P + t1), 404)
    err(client.get(f"{P}{t1}/static-routes/r"), 404)


def test_cascade_respects_references(client: httpx.Client) -> None:
    body = infra(child("Tier0", {"id": "vcf-t0"}, marked_for_delete=True))
    e = err(client.patch(INFRA, json=body), 400, 500030)
    assert "path=[/infra/tier-0s/vcf-t0]" in e["error_message"]
    assert "/infra/tier-1s/" in e["error_message"]  # the NCP Tier-1s still point at it
    ok(client.get(f"{P}/infra/tier-0s/vcf-t0/locale-services/default"))


def test_child_resource_reference_walks_without_update(client: httpx.Client) -> None:
    before = client.get(f"{P}/infra/tier-0s/vcf-t0").json()
    body = infra(
        {
            "resource_type": "ChildResourceReference",
            "id": "vcf-t0",
            "target_type": "Tier0",
            "children": [
                child(
                    "StaticRoutes",
                    {
                        "id": "dflt",
                        "network": "0.0.0.0/0",
                        "next_hops": [{"ip_address": "10.27.51.1"}],
                    },
                )
            ],
        }
    )
    ok(client.patch(INFRA, json=body))
    assert client.get(f"{P}/infra/tier-0s/vcf-t0").json() == before
    assert ok(client.get(f"{P}/infra/tier-0s/vcf-t0/static-routes/dflt")).json()["_revision"] == 0
    missing = infra(
        {"resource_type": "ChildResourceReference", "id": "nope", "target_type": "Tier0"}
    )
    err(client.patch(INFRA, json=missing), 400, 500012)


def test_invalid_nesting_is_500165(empty_client: httpx.Client) -> None:
    cases = [
        infra(child("StaticRoutes", {"id": "r"})),  # static route directly under Infra
        infra(child("Tier1", {"id": "t1", "children": [child("BgpRoutingConfig", {})]})),
        infra({"resource_type": "ChildTier0", "Tier1": {"id": "x"}}),
        infra({"resource_type": "ChildResourceReference", "id": "x", "target_type": "Segmentz"}),
        {"resource_type": "Tier0", "children": []},
    ]
    for body in cases:
        err(empty_client.patch(INFRA, json=body), 400, 500165)


def test_revision_checked_only_with_enforce_revision_check(client: httpx.Client) -> None:
    body = infra(child("Tier0", {"id": "vcf-t0", "description": "x", "_revision": 5}))
    err(client.patch(INFRA, params={"enforce_revision_check": "true"}, json=body), 412, 604)
    ok(client.patch(INFRA, json=body))
    assert client.get(f"{P}/infra/tier-0s/vcf-t0").json()["_revision"] == 1


def test_snapshot_round_trips_through_get(sim: Simulator, client: httpx.Client) -> None:
    tree = client.get(INFRA, params={"filter": "Type-.*"}).json()
    assert tree == sim.snapshot()


def test_patch_updates_merge_and_bump_revisions(client: httpx.Client) -> None:
    body = infra(child("Tier0", {"id": "vcf-t0", "description": "managed by H-API"}))
    ok(client.patch(INFRA, json=body))
    t0 = client.get(f"{P}/infra/tier-0s/vcf-t0").json()
    assert t0["description"] == "managed by H-API" and t0["_revision"] == 1
    assert t0["ha_mode"] == "ACTIVE_ACTIVE"  # untouched fields kept (top-level merge)


def test_patch_singletons_and_sections(empty_client: httpx.Client) -> None:
    c = empty_client
    ok(c.patch(f"{P}/infra/tier-0s/t0", json={"ha_mode": "ACTIVE_STANDBY"}))
    ok(c.patch(f"{P}/infra/tier-0s/t0/locale-services/default", json={}))
    bgp_ref = {"resource_type": "ChildResourceReference", "target_type": "BgpRoutingConfig"}

    def bgp_body(bgp: dict[str, Any]) -> dict[str, Any]:
        ls = child(
            "LocaleServices", {"id": "default", "children": [child("BgpRoutingConfig", bgp)]}
        )
        return infra(child("Tier0", {"id": "t0", "children": [ls]}))

    err(c.patch(INFRA, json=bgp_body({"id": "routing"})), 400)  # a singleton's id is fixed
    ok(c.patch(INFRA, json=bgp_body({"local_as_num": "65001"})))
    assert c.get(f"{P}/infra/tier-0s/t0/locale-services/default/bgp").json()["id"] == "bgp"
    # a reference to the singleton needs no id
    nb = infra(
        {
            "resource_type": "ChildResourceReference",
            "id": "t0",
            "target_type": "Tier0",
            "children": [
                {
                    "resource_type": "ChildResourceReference",
                    "id": "default",
                    "target_type": "LocaleServices",
                    "children": [
                        {
                            **bgp_ref,
                            "children": [
                                child(
                                    "BgpNeighborConfig",
                                    {
                                        "id": "n1",
                                        "neighbor_address": "192.0.2.1",
                                        "remote_as_num": "65000",
                                    },
                                )
                            ],
                        }
                    ],
                }
            ],
        }
    )
    ok(c.patch(INFRA, json=nb))
    ok(c.get(f"{P}/infra/tier-0s/t0/locale-services/default/bgp/neighbors/n1"))
    bad_section = infra(
        child("Tier0", {"id": "t0", "children": [child("PolicyNat", {"id": "MINE"})]})
    )
    err(c.patch(INFRA, json=bad_section), 400, 500170)
    del_section = infra(
        child(
            "Tier0",
            {"id": "t0", "children": [child("PolicyNat", {"id": "USER"}, marked_for_delete=True)]},
        )
    )
    err(c.patch(INFRA, json=del_section), 400, 500170)
    ok(c.get(f"{P}/infra/tier-0s/t0/nat/USER"))


def test_patch_wrapper_errors(empty_client: httpx.Client) -> None:
    err(empty_client.patch(INFRA, json=infra({"resource_type": "ChildTier0"})), 400, 500165)
    err(empty_client.patch(INFRA, json=infra(child("Tier0", {}))), 400)  # no id
    err(empty_client.patch(INFRA, json={"resource_type": "Infra", "children": {}}), 400, 500165)


def test_patch_deleting_absent_object_is_a_no_op(empty_client: httpx.Client) -> None:
    ok(
        empty_client.patch(
            INFRA, json=infra(child("Tier0", {"id": "ghost"}, marked_for_delete=True))
        )
    )
    err(empty_client.get(f"{P}/infra/tier-0s/ghost"), 404)


def test_delete_order_inside_one_patch_does_not_matter(client: httpx.Client) -> None:
    ok(client.patch(f"{P}/infra/tier-0s/t0x", json={}))
    ok(client.patch(f"{P}/infra/tier-1s/t1x", json={"tier0_path": "/infra/tier-0s/t0x"}))
    body = infra(
        child("Tier0", {"id": "t0x"}, marked_for_delete=True),  # still referenced at this point
        child("Tier1", {"id": "t1x"}, marked_for_delete=True),
    )
    ok(client.patch(INFRA, json=body))
    err(client.get(f"{P}/infra/tier-0s/t0x"), 404)


def test_too_many_intents(empty_client: httpx.Client) -> None:
    zones = [
        child("PolicyDnsForwarderZone", {"id": f"z{i}", "upstream_servers": ["10.0.0.53"]})
        for i in range(5001)
    ]
    err(empty_client.patch(INFRA, json=infra(*zones)), 400, 500173)
    err(empty_client.get(f"{P}/infra/dns-forwarder-zones/z0"), 404)
