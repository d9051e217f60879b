"""Scenario 1: the static-routing lab, planned and applied against a served simulator.

plan --detailed-exitcode says 2, the JSON plan is valid against the published schema, apply
succeeds, the next plan is empty, and NCP's objects are byte-identical before and after.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from tests.scenarios.conftest import PLAN_SCHEMA, POLICY, Sim, nsxplan

# What NCP (vSphere with Tanzu) created in the demo state: nsxplan must never write to any of it.
NCP_PATHS = (
    "/infra/tier-1s/domain-c8",
    "/infra/tier-1s/domain-c8/nat/USER/nat-rules",
    "/infra/tier-1s/domain-c8/nat/USER/nat-rules/snat-supervisor-egress",
    "/infra/tier-1s/domain-c8/nat/USER/nat-rules/no-snat-cluster",
    "/infra/tier-1s/domain-c8/locale-services/default",
    "/infra/tier-1s/vnet-domain-c8",
    "/infra/tier-1s/vnet-domain-c8/nat/USER/nat-rules",
    "/infra/tier-1s/vnet-domain-c8/nat/USER/nat-rules/snat-tkg-egress",
    "/infra/tier-1s/vnet-domain-c8/nat/USER/nat-rules/no-snat-cluster",
    "/infra/segments/seg-domain-c8-supervisor",
    "/infra/segments/seg-vnet-domain-c8-tkg",
)
NEW_PATHS = (
    "/infra/tier-0s/vcf-t0/static-routes/default-route",
    "/infra/tier-0s/vcf-t0/nat/USER/nat-rules/supervisor-egress",
    "/infra/tier-0s/vcf-t0/nat/USER/nat-rules/tkg-egress",
)


def ncp_bytes(sim: Sim) -> dict[str, bytes]:
    """The raw bodies of NCP's objects (with `_revision` and timestamps): compared byte for byte."""
    with sim.http() as c:
        bodies = {}
        for path in NCP_PATHS:
            r = c.get(POLICY + path)
            assert r.status_code == 200, (path, r.text)
            bodies[path] = r.content
    return bodies


def test_static_lab_plan_apply_converges_and_leaves_ncp_alone(
        sims: Callable[..., Sim], lab: Path) -> None:
    sim = sims()
    before = ncp_bytes(sim)
    # The config names `target.manager: sim:lab.json`; the flag must win over it.
    plan = nsxplan("plan", lab, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert plan.code == 2, plan.out + plan.err
    assert "Plan: 3 to create, 0 to update, 0 to delete." in plan.out
    for path in NEW_PATHS:
        assert path in plan.out
    assert not (lab / "lab.json").exists(), "the flag's target must win over target.manager"

    doc = nsxplan("plan", lab, "--manager", sim.url, "--format", "json", sim=sim)
    assert doc.code == 0, doc.err
    jsonschema.validate(doc.json, json.loads(PLAN_SCHEMA.read_text()))
    assert {c["path"] for c in doc.json["changes"] if c["action"] == "create"} == set(NEW_PATHS)
    assert doc.json["target"] == sim.url and doc.json["owner"] == "tanzu-egress"
    assert not any(c["path"].startswith(("/infra/tier-1s/", "/infra/segments/"))
                   for c in doc.json["changes"]), "NCP objects planned"

    applied = nsxplan("apply", lab, "--manager", sim.url, "--auto-approve", sim=sim)
    assert applied.code == 0, applied.out + applied.err
    for path in NEW_PATHS:
        obj = sim.get(path)
        assert {"scope": "nsxplan/owner", "tag": "tanzu-egress"} in obj["tags"], obj
    route = sim.get(NEW_PATHS[0])
    assert route["network"] == "0.0.0.0/0"
    assert [h["ip_address"] for h in route["next_hops"]] == ["10.27.51.1"]
    assert sim.get(NEW_PATHS[1])["action"] == "REFLEXIVE"
    assert sim.get(NEW_PATHS[2])["translated_network"] == "10.27.51.147"

    again = nsxplan("plan", lab, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out
    assert ncp_bytes(sim) == before
    # The password never reaches what nsxplan prints.
    for res in (plan, doc, applied, again):
        assert sim.auth is not None and sim.auth[1] not in res.out + res.err


def test_static_lab_apply_on_sim_file_target(lab: Path) -> None:
    """The same lab against `sim:FILE`: the state file is created, written back, then stable."""
    state = lab / "lab.json"
    first = nsxplan("apply", lab, "--auto-approve", cwd=lab.parent)
    assert first.code == 0, first.out + first.err
    assert state.exists()
    saved = json.loads(state.read_text())
    assert "default-route" in json.dumps(saved)
    again = nsxplan("plan", lab, "--detailed-exitcode", cwd=lab.parent)
    assert again.code == 0, again.out + again.err
    assert "No changes" in again.out
