"""Brownfield adoption with `nsxplan import`, on the BGP lab fixture.

The imported configuration's next plan only adds ownership tags; once applied (and `adopt`
removed) the stack is in sync. Regression: importing from a relative `sim:FILE` wrote that
relative path into the configuration, where it is read relative to the configuration's directory:
the configuration then silently targeted a fresh demo state instead of the imported one.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import yaml

from tests.scenarios.conftest import FIXTURES, PLAN_SCHEMA, Sim, nsxplan


def test_import_then_plan_adds_only_owner_tags(sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "bgp.json"
    shutil.copy(FIXTURES / "tanzu-bgp-lab.json", state)
    sim = sims("--state", str(state))
    out = tmp_path / "adopted" / "nsxplan.yaml"
    out.parent.mkdir()
    # Default (VCF/NCP estates): the Tier-0 stays its owner's, `existing: true`.
    res = nsxplan("import", "--tier0", "t0-edge", "--owner", "edge-team", "--out", out,
                  "--manager", sim.url, sim=sim)
    assert res.code == 0, res.err
    (t0,) = yaml.safe_load(out.read_text())["tier0s"]
    assert (t0["id"], t0["existing"]) == ("t0-edge", True) and "ha_mode" not in t0
    # its routing children are imported (adopted), the password asked for: NSX never returns it
    assert t0["interfaces"][0]["subnets"] == ["192.168.105.2/24"]
    assert t0["bgp"]["local_as"] == "65001"
    assert t0["bgp"]["neighbors"][0]["address"] == "192.168.105.253"
    assert "add `password_env: VAR` to it: t0-edge/tor-a" in out.read_text()
    # Taking the gateway itself over is explicit.
    res = nsxplan("import", "--tier0", "t0-edge", "--owner", "edge-team", "--out", out,
                  "--manage-gateway", "--manager", sim.url, sim=sim)
    assert res.code == 0, res.err
    doc = yaml.safe_load(out.read_text())
    assert doc["owner"] == "edge-team" and doc["tier0s"][0]["id"] == "t0-edge"
    assert doc["tier0s"][0]["adopt"] is True and "existing" not in doc["tier0s"][0]

    # The lab redistributes nothing into BGP (a failing egress check, tests/scenarios/s03):
    # beside the point here.
    plan = nsxplan("plan", out.parent, "--manager", sim.url, "--format", "json",
                   "--fail-on-checks", "never", sim=sim)
    assert plan.code == 0, plan.err
    jsonschema.validate(plan.json, json.loads(PLAN_SCHEMA.read_text()))
    changed = [c for c in plan.json["changes"] if c["action"] != "no-op"]
    assert changed and all(c["action"] == "update" for c in changed), changed
    for change in changed:
        assert {d["field"].split("[")[0].split(".")[0] for d in change["diff"]} == {"tags"}, change

    assert nsxplan("apply", out.parent, "--manager", sim.url, "--auto-approve",
                   "--fail-on-checks", "never", sim=sim).code == 0
    out.write_text(re.sub(r"(?m)^\s*adopt: true\n", "", out.read_text()))
    again = nsxplan("plan", out.parent, "--manager", sim.url, "--detailed-exitcode",
                    "--fail-on-checks", "never", sim=sim)
    assert again.code == 0, again.out + again.err
    # NCP's Tier-1 cannot be imported: it is protected.
    ncp = nsxplan("import", "--tier1", "t1-domain-c1006-supervisor", "--owner", "edge-team",
                  "--manager", sim.url, sim=sim)
    assert ncp.code == 1 and "protected" in ncp.err and "Traceback" not in ncp.err


def test_import_from_relative_sim_file_targets_that_file(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "tanzu-bgp-lab.json", tmp_path / "bgp.json")
    (tmp_path / "stack").mkdir()
    res = nsxplan("import", "--tier0", "t0-edge", "--owner", "edge-team", "--manager",
                  "sim:bgp.json", "--out", "stack/nsxplan.yaml", cwd=tmp_path)
    assert res.code == 0, res.err
    # No --manager: the configuration's own target must be the file it was imported from.
    plan = nsxplan("plan", tmp_path / "stack", "--format", "json", "--fail-on-checks", "never")
    assert plan.code == 0, plan.err
    assert plan.json["target"] == f"sim:{tmp_path / 'bgp.json'}", plan.json["target"]
    assert not (tmp_path / "stack" / "bgp.json").exists()
