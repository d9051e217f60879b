"""Scenario 8: ownership between two nsxplan stacks and hand-made objects.

- team-b cannot modify (even with --adopt) or delete what team-a created;
- an object removed from team-a's configuration is deleted (it carries team-a's tag);
- a hand-made object with the same id as a configured one is an error until adopted, and adopting
  it adds the owner tag (after which removing it from the configuration deletes it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import jsonschema

from tests.scenarios.conftest import (
    PLAN_SCHEMA,
    Sim,
    assert_clean_error,
    export,
    nsxplan,
    write_config,
)

T0 = """\
tier0s:
  - id: vcf-t0
    existing: true
    nat_rules:
      - {id: supervisor-egress, action: REFLEXIVE, source: 30.0.0.5, translated: 10.27.51.145}
      - {id: tkg-egress, action: REFLEXIVE, source: 30.0.0.16, translated: 10.27.51.147}
    static_routes:
      - {id: default-route, network: 0.0.0.0/0, next_hops: [{ip: 10.27.51.1}]}
"""
BARE_T0 = "tier0s:\n  - id: vcf-t0\n    existing: true\n"
A_ROUTE = "      - {id: a-route, network: 192.168.50.0/24, next_hops: [{ip: 10.27.51.2}]}\n"
A_T1 = """\
tier1s:
  - id: a-t1
    tier0: vcf-t0
    description: team a
"""
ROUTES = "/infra/tier-0s/vcf-t0/static-routes/"
OWNER_A = {"scope": "nsxplan/owner", "tag": "team-a"}


def config(root: Path, name: str, owner: str, body: str) -> Path:
    return write_config(root / name, f"version: 1\nowner: {owner}\n{body}")


def apply(sim: Sim, path: Path, *extra: str) -> None:
    res = nsxplan("apply", path, "--manager", sim.url, "--auto-approve", *extra, sim=sim)
    assert res.code == 0, res.out + res.err


def test_second_owner_cannot_touch_first_owners_objects(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = sims()
    apply(sim, config(tmp_path, "a", "team-a", T0 + A_ROUTE + A_T1))
    assert OWNER_A in sim.get(ROUTES + "a-route")["tags"]
    before = export(sim, tmp_path / "before.json")

    # team-b declares team-a's route and Tier-1 with other values.
    b_modify = config(tmp_path, "b-modify", "team-b", BARE_T0 + "    static_routes:\n"
                      + A_ROUTE.replace("192.168.50.0/24", "192.168.51.0/24")
                      + A_T1.replace("team a", "team b"))
    for extra in ((), ("--adopt",)):
        res = nsxplan("apply", b_modify, "--manager", sim.url, "--auto-approve",
                      "--fail-on-checks", "never", *extra, sim=sim)
        assert_clean_error(res, ROUTES + "a-route", "/infra/tier-1s/a-t1", "team-a")
    # team-b's (empty) stack on the same Tier-0: nothing of team-a's is planned for deletion.
    b_empty = config(tmp_path, "b-empty", "team-b", BARE_T0)
    plan = nsxplan("plan", b_empty, "--manager", sim.url, "--format", "json",
                   "--fail-on-checks", "never", sim=sim)
    assert plan.code == 0, plan.err
    assert [c for c in plan.json["changes"] if c["action"] != "no-op"] == []
    apply(sim, b_empty, "--fail-on-checks", "never")
    assert export(sim, tmp_path / "after.json") == before

    # team-a drops its route from the configuration: it is deleted (owned), the rest stays.
    apply(sim, config(tmp_path, "a2", "team-a", T0 + A_T1))
    assert sim.status(ROUTES + "a-route") == 404
    assert sim.get("/infra/tier-1s/a-t1")["description"] == "team a"
    assert sim.status("/infra/tier-1s/domain-c8") == 200


def test_unowned_same_id_object_needs_adopt(sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = sims()
    r = sim.patch(ROUTES + "manual", {"network": "192.168.60.0/24",
                                      "next_hops": [{"ip_address": "10.27.51.9"}]})
    assert r.status_code == 200, r.text
    manual = "      - {id: manual, network: 192.168.60.0/24, next_hops: [{ip: 10.27.51.9}]}\n"
    plain = config(tmp_path, "plain", "team-a", T0 + manual)
    res = nsxplan("plan", plain, "--manager", sim.url, sim=sim)
    assert_clean_error(res, ROUTES + "manual", "adopt")
    res = nsxplan("apply", plain, "--manager", sim.url, "--auto-approve", sim=sim)
    assert_clean_error(res, ROUTES + "manual")
    assert "tags" not in sim.get(ROUTES + "manual") or not sim.get(ROUTES + "manual")["tags"]

    adopting = config(tmp_path, "adopt", "team-a",
                      T0 + manual.replace("10.27.51.9}]}", "10.27.51.9}], adopt: true}"))
    plan = nsxplan("plan", adopting, "--manager", sim.url, "--format", "json", sim=sim)
    assert plan.code == 0, plan.err
    jsonschema.validate(plan.json, json.loads(PLAN_SCHEMA.read_text()))
    change = next(c for c in plan.json["changes"] if c["path"] == ROUTES + "manual")
    assert change["action"] == "update", change
    assert any(d["field"].startswith("tags") for d in change["diff"]), change["diff"]
    apply(sim, adopting)
    assert OWNER_A in sim.get(ROUTES + "manual")["tags"]
    # Adopted means owned: dropping it from the configuration deletes it.
    apply(sim, config(tmp_path, "dropped", "team-a", T0))
    assert sim.status(ROUTES + "manual") == 404


def test_adopt_flag_adopts_every_unowned_object(sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = sims()
    r = sim.patch(ROUTES + "manual", {"network": "192.168.60.0/24",
                                      "next_hops": [{"ip_address": "10.27.51.9"}]})
    assert r.status_code == 200, r.text
    body = T0 + "      - {id: manual, network: 192.168.60.0/24, next_hops: [{ip: 10.27.51.9}]}\n"
    apply(sim, config(tmp_path, "flag", "team-a", body), "--adopt")
    assert OWNER_A in sim.get(ROUTES + "manual")["tags"]


def test_admin_objects_tagged_for_ncp_stay_manageable_and_keep_foreign_tags(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    """An administrator's Tier-1 tagged `ncp/cluster` (so NCP can discover it) is not NCP's: it
    can be adopted and managed, and nsxplan keeps that tag, as it keeps any tag someone else
    adds to an object it owns."""
    sim = sims()
    ncp_tag = {"scope": "ncp/cluster", "tag": "domain-c8"}
    r = sim.patch("/infra/tier-1s/admin-t1", {"tier0_path": "/infra/tier-0s/vcf-t0",
                                               "tags": [ncp_tag]})
    assert r.status_code == 200, r.text
    body = """\
tier1s:
  - id: admin-t1
    tier0: /infra/tier-0s/vcf-t0
    description: managed now
    adopt: true
    static_routes:
      - {id: r1, network: 192.0.2.0/24, next_hops: [{ip: 10.96.0.1}]}
dependencies:
  routed_upstream: [30.0.0.0/24]
"""
    cfg = config(tmp_path, "admin", "team-a", body)
    apply(sim, cfg)
    t1 = sim.get("/infra/tier-1s/admin-t1")
    assert t1["description"] == "managed now"
    assert ncp_tag in t1["tags"] and OWNER_A in t1["tags"], t1["tags"]

    route = "/infra/tier-1s/admin-t1/static-routes/r1"
    foreign = {"scope": "backup", "tag": "daily"}
    assert sim.patch(route, {"tags": sim.get(route)["tags"] + [foreign]}).status_code == 200
    quiet = nsxplan("plan", cfg, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert quiet.code == 0, quiet.out + quiet.err
    apply(sim, config(tmp_path, "admin2", "team-a", body.replace("10.96.0.1", "10.96.0.2")))
    after = sim.get(route)
    assert after["next_hops"][0]["ip_address"] == "10.96.0.2"
    assert foreign in after["tags"] and OWNER_A in after["tags"], after["tags"]
    assert ncp_tag in sim.get("/infra/tier-1s/admin-t1")["tags"]


def test_replace_when_nsx_cannot_change_in_place(sims: Callable[..., Sim], tmp_path: Path) -> None:
    """A NAT rule's action cannot change in place: the plan says replace (valid JSON), apply
    deletes and re-creates it, and the next plan is empty."""
    sim = sims()
    rule = ("    nat_rules:\n      - {id: n1, action: %s, source: 10.96.0.0/16, %s}\n")
    head = ("tier1s:\n  - id: t1\n    tier0: /infra/tier-0s/vcf-t0\n    edge_cluster: "
            "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01\n")
    tail = "dependencies:\n  routed_upstream: [30.0.0.0/24, 10.27.51.0/24]\n"
    apply(sim, config(tmp_path, "snat", "team-a",
                      head + rule % ("SNAT", "translated: 10.27.51.170") + tail))
    changed = config(tmp_path, "nosnat", "team-a",
                     head + rule % ("NO_SNAT", "destination: 10.97.0.0/16") + tail)
    plan = nsxplan("plan", changed, "--manager", sim.url, "--format", "json", sim=sim)
    assert plan.code == 0, plan.err
    jsonschema.validate(plan.json, json.loads(PLAN_SCHEMA.read_text()))
    acts = {c["path"]: c["action"] for c in plan.json["changes"] if c["action"] != "no-op"}
    assert acts == {"/infra/tier-1s/t1/nat/USER/nat-rules/n1": "replace"}, acts
    apply(sim, changed)
    live = sim.get("/infra/tier-1s/t1/nat/USER/nat-rules/n1")
    assert live["action"] == "NO_SNAT" and not live.get("translated_network"), live
    assert nsxplan("plan", changed, "--manager", sim.url, "--detailed-exitcode",
                   sim=sim).code == 0
