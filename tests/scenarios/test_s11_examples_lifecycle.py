"""Every shipped example, through its whole life against a served simulator.

apply -> the next plan is empty -> an empty configuration for the same owner deletes everything
the example created -> the tree is what it was before (see conftest.comparable), and NCP's
objects were never written at all (their `_revision`s included).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import EXAMPLE_PASSWORDS as ENV
from tests.scenarios.conftest import (
    EXAMPLES,
    PLAN_SCHEMA,
    Sim,
    comparable,
    export,
    nsxplan,
    write_config,
)

NCP_MARK = "ncp/cluster"


def ncp_objects(tree: object) -> list[dict[str, object]]:
    """Every object in an export tagged by NCP, exactly as exported."""
    found: list[dict[str, object]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if any(isinstance(t, dict) and t.get("scope") == NCP_MARK
                   for t in node.get("tags", []) or []):
                found.append({k: v for k, v in node.items() if k != "children"})
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return found


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir()
                                            if (p / "nsxplan.yaml").is_file()))
def test_example_applies_converges_and_is_removed_cleanly(
        example: str, sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = sims()
    config = tmp_path / example
    shutil.copytree(EXAMPLES / example, config, ignore=shutil.ignore_patterns("*.json", ".nsxplan"))
    owner = yaml.safe_load((config / "nsxplan.yaml").read_text())["owner"]
    before = export(sim, tmp_path / "before.json")
    assert ncp_objects(before), "the demo state has NCP objects to protect"

    plan = nsxplan("plan", config, "--manager", sim.url, "--format", "json", sim=sim, env=ENV)
    assert plan.code == 0, plan.err
    jsonschema.validate(plan.json, json.loads(PLAN_SCHEMA.read_text()))
    assert plan.json["owner"] == owner
    assert any(c["action"] == "create" for c in plan.json["changes"])

    applied = nsxplan("apply", config, "--manager", sim.url, "--auto-approve", sim=sim, env=ENV)
    assert applied.code == 0, applied.out + applied.err
    again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode", sim=sim, env=ENV)
    assert again.code == 0, again.out + again.err

    empty = write_config(tmp_path / "empty", f"version: 1\nowner: {owner}\n")
    destroy = nsxplan("plan", empty, "--manager", sim.url, "--format", "json",
                      "--fail-on-checks", "never", sim=sim, env=ENV)
    assert destroy.code == 0, destroy.err
    jsonschema.validate(destroy.json, json.loads(PLAN_SCHEMA.read_text()))
    assert {c["action"] for c in destroy.json["changes"]} == {"delete"}
    # removing a whole stack is intended here: past the mass-delete guard on purpose
    deletes = str(len(destroy.json["changes"]))
    gone = nsxplan("apply", empty, "--manager", sim.url, "--auto-approve",
                   "--fail-on-checks", "never", "--allow-deletes", deletes, sim=sim, env=ENV)
    assert gone.code == 0, gone.out + gone.err
    after = export(sim, tmp_path / "after.json")
    assert comparable(after) == comparable(before)
    assert ncp_objects(after) == ncp_objects(before), "an NCP object was written"
