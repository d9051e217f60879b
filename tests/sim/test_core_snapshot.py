"""Snapshots: load (filling server fields), save atomically, round trip, the demo state."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import httpx
import pytest
from core_support import P, client_for, ok, tanzu_lab

from nsxplan.sim import Simulator, SnapshotError, demo_state

NCP_USER = "wcp-cluster-user-domain-c1006-8b1f0a2e-3c44-4bd2-9a0e-51c1d7e2f9aa"


def test_fixture_loads_with_server_fields_filled() -> None:
    with client_for(Simulator(tanzu_lab())) as c:
        t1 = ok(c.get(f"{P}/infra/tier-1s/t1-domain-c1006-supervisor")).json()
        assert t1["_protection"] == "REQUIRE_OVERRIDE" and t1["_create_user"] == NCP_USER
        assert t1["path"] == "/infra/tier-1s/t1-domain-c1006-supervisor"
        assert t1["_revision"] == 0 and t1["unique_id"] and t1["marked_for_delete"] is False
        assert t1["failover_mode"] == "NON_PREEMPTIVE"  # default filled in
        rule = c.get(f"{P}/infra/tier-1s/t1-domain-c1006-supervisor/nat/USER/nat-rules/snat-egress")
        assert "source_network" not in ok(rule).json()  # SNAT Any kept as is
        nb = c.get(f"{P}/infra/tier-0s/t0-edge/locale-services/default/bgp/neighbors/tor-a").json()
        assert nb["remote_as_num"] == "65000" and nb["parent_path"].endswith("/bgp")
        sections = c.get(f"{P}/infra/tier-0s/t0-edge/nat").json()["results"]
        assert {s["id"] for s in sections} == {"USER", "DEFAULT", "INTERNAL"}
        seg = c.get(f"{P}/infra/segments/vlan105-uplink").json()
        assert seg["_create_user"] == "admin" and seg["_protection"] == "NOT_PROTECTED"


def test_loaded_values_are_kept() -> None:
    state = {
        "resource_type": "Infra",
        "children": [
            {
                "resource_type": "ChildTier0",
                "Tier0": {
                    "resource_type": "Tier0",
                    "id": "t0",
                    "_revision": 553,
                    "_system_owned": True,
                    "unique_id": "5b7e3c2a-0d1f-4f7e-9a41-2c0e6f4b9a10",
                    "_create_time": 1716980105000,
                    "path": "/wrong/path",
                },
            }
        ],
    }
    snap = Simulator(state).snapshot()
    t0 = snap["children"][0]["Tier0"]
    assert t0["_revision"] == 553 and t0["_system_owned"] is True
    assert t0["unique_id"] == t0["realization_id"] == "5b7e3c2a-0d1f-4f7e-9a41-2c0e6f4b9a10"
    assert t0["_create_time"] == 1716980105000 and t0["path"] == "/infra/tier-0s/t0"


def test_round_trip_is_stable() -> None:
    first = Simulator(tanzu_lab()).snapshot()
    assert Simulator(first).snapshot() == first


def test_snapshot_is_detached_from_the_store(sim: Simulator) -> None:
    snap = sim.snapshot()
    snap["children"][0]["Segment"]["vlan_ids"].append("canary-vlan")
    assert "canary-vlan" not in json.dumps(sim.snapshot())
    state = demo_state()
    mine = Simulator(state)
    state["children"][0]["Segment"]["vlan_ids"].append("canary-vlan")
    assert "canary-vlan" not in json.dumps(mine.snapshot())


def test_save_and_from_file(tmp_path: Path, sim: Simulator, client: httpx.Client) -> None:
    ok(
        client.patch(
            f"{P}/infra/tier-0s/vcf-t0/static-routes/r",
            json={"network": "0.0.0.0/0", "next_hops": [{"ip_address": "10.27.51.1"}]},
        )
    )
    target = tmp_path / "lab.json"
    sim.save(target)
    assert [p.name for p in tmp_path.iterdir()] == ["lab.json"]  # no temporary file left
    again = Simulator.from_file(target, realization_delay=1.0)
    assert again.snapshot() == sim.snapshot()
    assert again.realization_delay == 1.0
    with client_for(again) as c:
        assert ok(c.get(f"{P}/infra/tier-0s/vcf-t0/static-routes/r")).json()["_revision"] == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("{not json", "invalid JSON"),
        ("[]", "JSON object"),
        (
            '{"resource_type": "Infra", "children": [{"resource_type": "ChildStaticRoutes", '
            '"StaticRoutes": {"id": "r"}}]}',
            "StaticRoutes",
        ),
        (
            '{"resource_type": "Infra", "children": [{"resource_type": "ChildResourceReference", '
            '"id": "t0", "target_type": "Tier0"}]}',
            "/infra/tier-0s/t0",
        ),
    ],
)
def test_bad_snapshot_files(tmp_path: Path, content: str, needle: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(SnapshotError, match=needle.replace("[", r"\[")):
        Simulator.from_file(path)
    with pytest.raises(SnapshotError, match="cannot read"):
        Simulator.from_file(tmp_path / "absent.json")


def test_demo_state_mirrors_the_static_routing_lab(client: httpx.Client) -> None:
    assert demo_state() == demo_state() and demo_state() is not demo_state()
    t0 = client.get(f"{P}/infra/tier-0s/vcf-t0").json()
    assert t0["ha_mode"] == "ACTIVE_ACTIVE" and t0["_create_user"] == "admin"
    ls = client.get(f"{P}/infra/tier-0s/vcf-t0/locale-services/default").json()
    assert ls["edge_cluster_path"] == (
        "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
    )
    iface = client.get(f"{P}/infra/tier-0s/vcf-t0/locale-services/default/interfaces").json()
    assert iface["results"][0]["subnets"][0]["ip_addresses"] == ["10.27.51.145"]
    seg = client.get(P + iface["results"][0]["segment_path"]).json()
    assert seg["vlan_ids"]
    assert client.get(f"{P}/infra/tier-0s/vcf-t0/static-routes").json()["result_count"] == 0
    assert client.get(f"{P}/infra/tier-0s/vcf-t0/locale-services/default/bgp").status_code == 404
    egress = {}
    for t1 in client.get(f"{P}/infra/tier-1s").json()["results"]:
        assert t1["_protection"] == "REQUIRE_OVERRIDE"
        assert t1["_create_user"].startswith("wcp-cluster-user-domain-c8-")
        assert {"scope": "ncp/cluster", "tag": "domain-c8"} in t1["tags"]
        assert t1["tier0_path"] == "/infra/tier-0s/vcf-t0"
        rules = client.get(f"{P}{t1['path']}/nat/USER/nat-rules").json()["results"]
        snat = [r for r in rules if r["action"] == "SNAT"]
        assert len(snat) == 1 and "source_network" not in snat[0]
        egress[t1["id"]] = snat[0]["translated_network"]
        assert any(
            r["action"] == "NO_SNAT" and r["source_network"] == "10.244.0.0/20" for r in rules
        )
    assert egress == {"domain-c8": "30.0.0.5", "vnet-domain-c8": "30.0.0.16"}


def test_concurrent_writes_are_serialized(sim: Simulator) -> None:
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with client_for(sim) as c:
                for i in range(20):
                    ok(
                        c.patch(
                            f"{P}/infra/tier-0s/vcf-t0/static-routes/r{n}-{i}",
                            json={
                                "network": f"10.{n}.{i}.0/24",
                                "next_hops": [{"ip_address": "10.27.51.1"}],
                            },
                        )
                    )
                    ok(c.patch(f"{P}/infra/tier-0s/vcf-t0", json={"description": f"{n}-{i}"}))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with client_for(sim) as c:
        routes = c.get(f"{P}/infra/tier-0s/vcf-t0/static-routes").json()
        assert routes["result_count"] == 80
        assert c.get(f"{P}/infra/tier-0s/vcf-t0").json()["_revision"] == 80
