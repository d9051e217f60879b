"""The benchmarks' generated workloads are what they claim: a valid configuration and the state an
apply of it leaves, so a plan of one against the other has no changes (benchmarks/workload.py).
No timing here: benchmarks time, tests check."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.workload import write
from nsxplan.config import load_config
from nsxplan.live.read import live_from_objects
from nsxplan.plan.planner import make_plan
from nsxplan.sim import Simulator


@pytest.mark.parametrize("objects", [2, 300, 800])
def test_generated_workload_validates_and_plans_without_changes(tmp_path: Path,
                                                                 objects: int) -> None:
    work = write(tmp_path, objects)
    config = load_config(work.config)
    live = live_from_objects(Simulator.from_file(work.state).snapshot())
    plan = make_plan(config, live, target="bench")
    assert not plan.has_changes, [a.address for a in plan.changes][:5]
    assert len(plan.actions) == work.objects
    assert sorted(work.paths.read_text().split()) == sorted(a.path for a in plan.actions)


def test_greenfield_plan_creates_every_object(tmp_path: Path) -> None:
    work = write(tmp_path, 300)
    plan = make_plan(load_config(work.config), live_from_objects([]), target="bench")
    assert {a.action for a in plan.actions} == {"create"}
    assert len(plan.actions) == work.objects
