"""Targets `sim` and `sim:FILE`: the same client over httpx.WSGITransport, no socket."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nsxplan.brownfield.export import EXPORT_TYPES, export_snapshot
from nsxplan.connect import connect
from nsxplan.errors import NsxApiError, UsageError


def test_sim_target_serves_demo_state() -> None:
    with connect("sim") as conn:
        assert conn.label.startswith("sim")
        assert conn.client.get("/infra/tier-0s/vcf-t0")["ha_mode"] == "ACTIVE_ACTIVE"
        ids = {t["id"] for t in conn.client.list("/infra/tier-1s")}
        assert {"domain-c8", "vnet-domain-c8"} <= ids
        conn.persist()                                        # no file: a no-op
        assert conn.state_file is None


def test_sim_file_missing_starts_from_demo_and_persists(tmp_path: Path) -> None:
    with connect("sim:lab.json", base_dir=tmp_path) as conn:
        # The label is a reusable target (absolute), written into saved plans and journals.
        assert conn.label == f"sim:{(tmp_path / 'lab.json').resolve()}"
        conn.client.patch("/infra/tier-1s/t1-persisted",
                          {"tier0_path": "/infra/tier-0s/vcf-t0"})
        conn.persist()
    saved = json.loads((tmp_path / "lab.json").read_text())
    assert saved["resource_type"] == "Infra"
    with connect(f"sim:{tmp_path / 'lab.json'}") as again:
        assert again.client.get("/infra/tier-1s/t1-persisted")["tier0_path"] == (
            "/infra/tier-0s/vcf-t0")
        assert again.label == conn.label


def test_sim_file_unreadable_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="cannot load simulator state"):
        connect(f"sim:{bad}")
    with pytest.raises(UsageError, match="needs a state file"):
        connect("sim:")


def test_crud_roundtrip_and_errors_in_process() -> None:
    with connect("sim") as conn:
        nsx = conn.client
        nsx.patch("/infra/tier-1s/t1-x", {"tier0_path": "/infra/tier-0s/vcf-t0"})
        body = nsx.put("/infra/tier-1s/t1-x", {"tier0_path": "/infra/tier-0s/vcf-t0",
                                               "description": "replaced", "_revision": 0})
        assert body["description"] == "replaced" and body["_revision"] == 1
        nsx.delete("/infra/tier-1s/t1-x")
        nsx.delete("/infra/tier-1s/t1-x")                     # absent: still fine
        with pytest.raises(NsxApiError) as info:
            nsx.get("/infra/tier-1s/t1-x")
        assert info.value.status == 404


def test_realization_in_process() -> None:
    with connect("sim") as conn:
        nsx = conn.client
        nsx.patch("/infra/tier-1s/t1-ok", {"tier0_path": "/infra/tier-0s/vcf-t0"})
        assert nsx.realization("/infra/tier-1s/t1-ok") == ("REALIZED", None)
        conn.sim.add_realization_rule(lambda p: p.endswith("/t1-bad"), "ERROR", "edge exploded")
        nsx.patch("/infra/tier-1s/t1-bad", {"tier0_path": "/infra/tier-0s/vcf-t0"})
        state, message = nsx.realization("/infra/tier-1s/t1-bad")
        assert state == "ERROR" and message and "edge exploded" in message
        assert nsx.realization("/infra/tier-1s/never")[0] == "UNKNOWN"


def test_get_infra_is_one_request_and_export_round_trips() -> None:
    from nsxplan.sim import Simulator

    with connect("sim") as conn:
        before = conn.client.request_count
        tree = conn.client.get_infra(["Tier0", "Tier1"])
        assert conn.client.request_count == before + 1
        kinds = {c["resource_type"] for c in tree["children"]}
        assert kinds <= {"ChildTier0", "ChildTier1"} and "ChildTier0" in kinds
        snapshot = export_snapshot(conn.client)
    assert snapshot["resource_type"] == "Infra"
    text = json.dumps(snapshot)
    assert "_links" not in text
    # The export is the simulator's state format: loading it and exporting again is stable.
    sim = Simulator(snapshot)
    with connect("sim") as conn2:
        conn2.client.http._transport.app = sim  # type: ignore[attr-defined]
        assert export_snapshot(conn2.client) == snapshot
    # every kind nsxplan reads, IP blocks and pools (both subnet types, and their H-API
    # wrapper name) included
    assert len(EXPORT_TYPES) == 20
    assert {"IpAddressBlock", "IpAddressPool", "IpAddressPoolSubnet"} <= set(EXPORT_TYPES)


def test_simulator_crash_is_an_api_error_not_a_traceback() -> None:
    with connect("sim") as conn:
        def broken(environ: object, start_response: object) -> object:
            raise KeyError("internal")

        conn.client.http._transport.app = broken  # type: ignore[attr-defined]
        with pytest.raises(NsxApiError) as info:
            conn.client.get("/infra/tier-0s")
        assert info.value.status == 500 and "simulator internal error" in str(info.value)
