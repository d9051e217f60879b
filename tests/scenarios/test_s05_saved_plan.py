"""Scenario 5: a saved plan is applied exactly, or refused (exit 3) with nothing written.

The plan changes an object that exists (an update, checked by `_revision`) and creates others
(checked by absence). Someone else's write between `plan --out` and `apply PLANFILE` - a PATCH to
the updated object, or the creation of an object the plan creates - makes the plan stale.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.scenarios.conftest import (
    NSXPLAN,
    PLAN_SCHEMA,
    POLICY,
    Sim,
    assert_clean_error,
    cli_env,
    comparable,
    export,
    nsxplan,
    nsxplan_proc,
    write_config,
)
from tests.scenarios.helpers import EGRESS_NAT, V2

NAT = EGRESS_NAT   # Tier-0 egress translation: the checks never block apply
BASE = """\
version: 1
owner: saved
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.1}]
""" + NAT
CHANGED = """\
version: 1
owner: saved
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.254}]
      - id: lab-route
        network: 192.168.50.0/24
        next_hops: [{ip: 10.27.51.2}]
""" + NAT
ROUTE = "/infra/tier-0s/vcf-t0/static-routes/default-route"
NEW = "/infra/tier-0s/vcf-t0/static-routes/lab-route"

# Out-of-band writes an operator might make with the NSX UI/API while the plan waits for review.
INTERFERENCE: dict[str, tuple[str, dict[str, Any]]] = {
    "updated-object-changed": (ROUTE, {"description": "changed by hand"}),
    "created-object-appeared": (NEW, {"network": "192.168.50.0/24",
                                      "next_hops": [{"ip_address": "10.27.51.3"}]}),
}


def contains(live: Any, want: Any) -> bool:
    """`want` is in `live`, allowing the server's defaults (e.g. admin_distance: 1) on top."""
    if isinstance(want, dict):
        return isinstance(live, dict) and all(contains(live.get(k), v) for k, v in want.items())
    if isinstance(want, list):
        return (isinstance(live, list) and len(live) == len(want)
                and all(contains(a, b) for a, b in zip(live, want, strict=True)))
    return bool(live == want)


def saved_plan(sims: Callable[..., Sim], tmp_path: Path) -> tuple[Sim, Path, Path]:
    sim = sims()
    first = nsxplan("apply", write_config(tmp_path / "base", BASE), "--manager", sim.url,
                    "--auto-approve", sim=sim)
    assert first.code == 0, first.out + first.err
    config = write_config(tmp_path / "changed", CHANGED)
    planfile = tmp_path / "plan.json"
    res = nsxplan("plan", config, "--manager", sim.url, "--out", planfile,
                  "--fail-on-checks", "never", sim=sim)
    assert res.code == 0, res.out + res.err
    assert sim.auth is not None and sim.auth[1] not in planfile.read_text()
    return sim, config, planfile


@pytest.mark.parametrize("case", list(INTERFERENCE))
def test_stale_saved_plan_is_refused_with_nothing_written(
        case: str, sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim, _, planfile = saved_plan(sims, tmp_path)
    path, body = INTERFERENCE[case]
    r = sim.patch(path, body)
    assert r.status_code == 200, r.text
    before = export(sim, tmp_path / "before.json")

    res = nsxplan("apply", planfile, "--auto-approve", sim=sim)
    text = res.out + res.err
    assert res.code == 3, text
    assert path in text, text
    assert "Traceback" not in text
    if case == "updated-object-changed":  # who changed it, so the operator can ask them
        assert "modified by admin" in text, text
    assert export(sim, tmp_path / "after.json") == before, "a stale plan wrote something"


def test_unchanged_saved_plan_applies_exactly_once(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim, config, planfile = saved_plan(sims, tmp_path)
    plan = json.loads(planfile.read_text())
    shown = nsxplan("show", planfile)
    assert shown.code == 0 and ROUTE in shown.out and NEW in shown.out, shown.out + shown.err
    as_json = nsxplan("show", planfile, "--format", "json")
    assert as_json.code == 0 and as_json.json["changes"] == plan["changes"]
    jsonschema.validate(plan, json.loads(PLAN_SCHEMA.read_text()))

    res = nsxplan("apply", planfile, "--auto-approve", sim=sim)
    assert res.code == 0, res.out + res.err
    for change in plan["changes"]:
        if change["action"] in ("create", "update"):
            live = sim.get(change["path"])
            want = {k: v for k, v in change["after"].items() if not k.startswith("_")}
            assert contains(live, want), (change["path"], want, live)
    assert [h["ip_address"] for h in sim.get(ROUTE)["next_hops"]] == ["10.27.51.254"]
    again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert again.code == 0, again.out + again.err

    # The plan was made against revisions that its own apply has since moved on: replaying it is
    # refused, never applied twice.
    before = export(sim, tmp_path / "before.json")
    replay = nsxplan("apply", planfile, "--auto-approve", sim=sim)
    assert replay.code == 3, replay.out + replay.err
    assert export(sim, tmp_path / "after.json") == before


def test_change_during_apply_is_caught_by_revision_and_kept(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """Someone edits an object after apply's checks but before its write lands (the simulator
    holds that PATCH for a moment): NSX answers 412, apply rolls back its own writes, and the
    other person's edit survives (nsxplan never overwrites what it did not plan against)."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"match": {"method": "PATCH",
                                             "path": "/policy/api/v1/infra/tier-1s/apps-t1"},
                                   "delay_ms": 1500, "times": 1}]))
    sim = sims("--state", str(state), "--faults", str(faults))
    before = export(sim, tmp_path / "before.json")
    config = write_config(tmp_path / "v2", V2)
    proc = subprocess.Popen(
        [*NSXPLAN, "apply", str(config), "--manager", sim.url, "--auto-approve",
         "--parallelism", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(sim, None))
    assert proc.stdout is not None
    output, edited = [], False
    for line in proc.stdout:
        output.append(line)
        if not edited and line.rstrip().endswith("~ tier1s.apps-t1 ..."):
            edited = True  # the step started: its PATCH is on its way and held
            with sim.http() as c:
                obj = c.get(POLICY + "/infra/tier-1s/apps-t1").json()
                obj["description"] = "hand edit"
                assert c.put(POLICY + "/infra/tier-1s/apps-t1", json=obj).status_code == 200
    proc.stdout.close()
    text = "".join(output)
    assert proc.wait(timeout=60) == 1 and edited, text
    assert "412" in text and "Rolled back" in text and ".. Rolled" not in text, text
    assert sim.get("/infra/tier-1s/apps-t1")["description"] == "hand edit"
    expected = comparable(before)
    after = comparable(export(sim, tmp_path / "after.json"))
    assert json.dumps(after).replace("hand edit", "apps v1") == json.dumps(expected)


def test_saved_plan_applies_without_a_terminal(sims: Callable[..., Sim], tmp_path: Path) -> None:
    """CI runs `nsxplan apply plan.json` with no terminal (README, and the hint of the refusal
    for configurations): the plan was reviewed when it was saved, so nothing is asked."""
    sim, _, planfile = saved_plan(sims, tmp_path)
    res = nsxplan_proc("apply", planfile, sim=sim)
    assert res.code == 0, res.out + res.err
    assert [h["ip_address"] for h in sim.get(ROUTE)["next_hops"]] == ["10.27.51.254"]
    # A configuration still needs --auto-approve (or a terminal).
    refused = nsxplan_proc("apply", write_config(tmp_path / "base", BASE), "--manager", sim.url,
                           sim=sim)
    assert refused.code == 1 and "--auto-approve" in refused.err


def test_saved_plan_and_journal_are_bound_to_their_manager(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    """A plan reviewed against the lab must not be applied to production by adding --manager
    (both demo states are identical, so every revision check would pass); nor may a journal
    "restore" another manager. They used to go through."""
    lab_sim, prod = sims(), sims()
    config = write_config(tmp_path / "base", BASE)
    planfile = tmp_path / "plan.json"
    assert nsxplan("plan", config, "--manager", lab_sim.url, "--out", planfile,
                   sim=lab_sim).code == 0
    before = export(prod, tmp_path / "prod-before.json")
    for how in (["--manager", prod.url], []):
        env = {} if how else {"NSX_MANAGER": prod.url}
        res = nsxplan("apply", planfile, "--auto-approve", *how, sim=prod, env=env)
        assert_clean_error(res, lab_sim.url, prod.url, "nothing was written")
    assert export(prod, tmp_path / "prod-after.json") == before

    journal = tmp_path / "journal.jsonl"
    applied = nsxplan("apply", planfile, "--journal", journal, sim=lab_sim)
    assert applied.code == 0, applied.out + applied.err
    res = nsxplan("rollback", journal, "--manager", prod.url, sim=prod)
    assert_clean_error(res, lab_sim.url, prod.url)
    assert export(prod, tmp_path / "prod-after2.json") == before
    # The same URL spelled differently is the same manager.
    assert nsxplan("rollback", journal, "--manager", lab_sim.url + "/", sim=lab_sim).code == 0
