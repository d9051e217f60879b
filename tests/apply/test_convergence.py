"""Convergence (habit 7): for every example and every planner case, plan -> apply -> plan again
must be empty, against the simulator over a socket. And a planner-made plan that fails at its
last step rolls back to the exact pre-state."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nsxplan.apply import apply_plan
from nsxplan.apply.executor import build_steps
from nsxplan.apply.records import APPLIED, NOTHING, ROLLED_BACK
from nsxplan.config import load_config
from nsxplan.errors import PlanError
from nsxplan.live.read import read_live
from nsxplan.plan.planner import make_plan
from tests.apply.helpers import FAST, P, managed, nsx

ROOT = Path(__file__).resolve().parents[2]
# Configuration examples (examples/ci/ holds CI pipelines, not a configuration).
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "nsxplan.yaml").is_file())
CASES = sorted(p for p in (ROOT / "tests" / "cases").iterdir()
               if (p / "desired.yaml").is_file() and (p / "live.json").is_file())
# Cases whose configuration the planner must refuse (they carry an expected error.txt): apply
# never sees a plan for them.
REFUSED = {p.name for p in CASES if (p / "error.txt").is_file()}


def _config_path(d: Path) -> Path:
    return d / "desired.yaml" if (d / "desired.yaml").is_file() else d


def _state(d: Path) -> Any:
    live = d / "live.json"
    return json.loads(live.read_text()) if live.is_file() else "demo"


@pytest.mark.parametrize("case", EXAMPLES + CASES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_apply_then_plan_is_empty(case: Path, tmp_path: Path) -> None:
    config = load_config(_config_path(case))
    with nsx(_state(case)) as (_, client):
        if case.name in REFUSED:
            with pytest.raises(PlanError):
                make_plan(config, read_live(client), target="sim")
            return
        plan = make_plan(config, read_live(client), target="sim")
        result = apply_plan(plan, client, journal_path=tmp_path / "j.jsonl", read_live=read_live,
                            **FAST)
        assert result.status == (APPLIED if plan.has_changes else NOTHING), result.lines()
        again = make_plan(config, read_live(client), target="sim")
        assert [(a.address, a.action, a.diff) for a in again.changes] == []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_planner_plan_failing_at_last_step_restores_exactly(example: Path, tmp_path: Path
                                                            ) -> None:
    config = load_config(example)
    with nsx() as (sim, client):
        plan = make_plan(config, read_live(client), target="sim")
        last = build_steps(plan)[-1]
        before = managed(sim.snapshot())
        fault = {"match": {"method": last.method, "path": P + last.path},
                 "respond": {"status": 400, "error_code": 500012, "message": "injected"}}
        with nsx(sim=sim, faults=[fault]) as (_, faulty):
            result = apply_plan(plan, faulty, parallelism=1, journal_path=tmp_path / "j.jsonl",
                                read_live=read_live, **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        assert managed(sim.snapshot()) == before


def test_stale_saved_plan_refused_with_nothing_written(tmp_path: Path) -> None:
    from nsxplan.errors import StalePlanError
    from nsxplan.plan.planfile import load_plan, save_plan
    from tests.apply.helpers import revisions

    case = ROOT / "tests" / "cases" / "update"
    config = load_config(case / "desired.yaml")
    with nsx(_state(case)) as (sim, client):
        plan = make_plan(config, read_live(client), target="sim")
        assert plan.has_changes
        save_plan(plan, tmp_path / "plan.json")
        target = next(a for a in plan.changes if a.revision is not None)
        client.patch(target.path, {"description": "edited in the NSX UI"})
        edited = sim.snapshot()
        with pytest.raises(StalePlanError) as err:
            apply_plan(load_plan(tmp_path / "plan.json"), client,
                       journal_path=tmp_path / "j.jsonl", read_live=read_live, **FAST)
        assert f"{target.address} ({target.path}): _revision {target.revision} -> " \
               f"{target.revision + 1}, modified by admin" in str(err.value)
        assert revisions(sim.snapshot()) == revisions(edited)
        assert managed(sim.snapshot()) == managed(edited)
        assert not (tmp_path / "j.jsonl").exists()
