"""`apply --atomic`: every example and planner case converges to the same state as the
per-object apply; a wave NSX refuses changes nothing and earlier waves are rolled back; the
per-object refusals hold; deletes never go through the Hierarchical API (no cascade)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan.apply import apply_plan
from nsxplan.apply.atomic import chain, hierarchical_body, waves
from nsxplan.apply.executor import build_steps
from nsxplan.apply.records import APPLIED, FAILED, NOTHING, ROLLED_BACK
from nsxplan.config import load_config
from nsxplan.live.read import read_live
from nsxplan.plan.planner import make_plan
from tests.apply.helpers import FAST, P, managed, nsx
from tests.apply.test_convergence import CASES, EXAMPLES, REFUSED, _config_path, _state

CONVERGING = [c for c in EXAMPLES + CASES if c.name not in REFUSED]


def _apply(case: Path, tmp_path: Path, *, atomic: bool) -> dict[str, object]:
    config = load_config(_config_path(case))
    with nsx(_state(case)) as (sim, client):
        plan = make_plan(config, read_live(client), target="sim")
        result = apply_plan(plan, client, atomic=atomic, journal_path=tmp_path / "j.jsonl",
                            read_live=read_live, **FAST)
        assert result.status == (APPLIED if plan.has_changes else NOTHING), result.lines()
        again = make_plan(config, read_live(client), target="sim")
        assert [(a.address, a.action, a.diff) for a in again.changes] == []
        return managed(sim.snapshot())


@pytest.mark.parametrize("case", CONVERGING, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_atomic_and_per_object_apply_converge_to_the_same_state(case: Path,
                                                                 tmp_path: Path) -> None:
    atomic = _apply(case, tmp_path / "a", atomic=True)
    per_object = _apply(case, tmp_path / "p", atomic=False)
    assert atomic == per_object


def test_a_refused_wave_changes_nothing_and_earlier_waves_roll_back(tmp_path: Path) -> None:
    example = next(e for e in EXAMPLES if e.name == "tanzu-nat")
    config = load_config(example)
    with nsx() as (sim, client):
        plan = make_plan(config, read_live(client), target="sim")
        steps = build_steps(plan)
        assert len(waves(steps)) >= 2
        before = managed(sim.snapshot())
        fault = {"match": {"method": "PATCH", "path": P + "/infra"}, "after": 1,
                 "respond": {"status": 400, "error_code": 500012, "message": "injected"}}
        with nsx(sim=sim, faults=[fault]) as (_, faulty):
            result = apply_plan(plan, faulty, atomic=True, journal_path=tmp_path / "j.jsonl",
                                read_live=read_live, **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        assert "injected" in result.headline()
        assert managed(sim.snapshot()) == before


def test_without_rollback_the_refused_wave_is_not_half_applied(tmp_path: Path) -> None:
    example = next(e for e in EXAMPLES if e.name == "tanzu-nat")
    with nsx() as (sim, client):
        plan = make_plan(load_config(example), read_live(client), target="sim")
        first, second = waves(build_steps(plan))[:2]
        fault = {"match": {"method": "PATCH", "path": P + "/infra"}, "after": 1,
                 "respond": {"status": 400, "error_code": 500012, "message": "injected"}}
        with nsx(sim=sim, faults=[fault]) as (_, faulty):
            result = apply_plan(plan, faulty, atomic=True, rollback=False,
                                journal_path=tmp_path / "j.jsonl", read_live=read_live, **FAST)
        assert result.status == FAILED
        live = read_live(client)
        assert all(s.path in live for s in first if s.method != "DELETE")
        assert not any(s.path in live for s in second if s.op == "create")


def test_an_object_that_appeared_since_the_plan_stops_the_wave(tmp_path: Path) -> None:
    example = next(e for e in EXAMPLES if e.name == "tanzu-nat")
    with nsx() as (sim, client):
        plan = make_plan(load_config(example), read_live(client), target="sim")
        create = next(a for a in plan.changes if a.action == "create"
                      and a.kind == "PolicyNatRule")
        client.patch(create.path, {**(create.after or {}), "tags": []})   # someone else's
        # The bulk stale check before the first write is given an empty read, as if the object
        # appeared right after it: the wave's own read must still refuse to write over it.
        result = apply_plan(plan, client, atomic=True, journal_path=tmp_path / "j.jsonl",
                            read_live=lambda c: read_live(c).__class__(), **FAST)
        assert result.status == ROLLED_BACK
        assert any("appeared since the plan" in (r.error or "") for r in result.failures)
        assert read_live(client).get(create.path) is not None      # left as the other made it


def test_hierarchical_body_nests_through_references() -> None:
    from nsxplan.apply.records import Step
    from nsxplan.plan.model import Action

    path = "/infra/tier-1s/t1/nat/USER/nat-rules/r1"
    assert chain(path) == [("Tier1", "t1"), ("PolicyNat", "USER"), ("PolicyNatRule", "r1")]
    action = Action(address="tier1s.t1.nat_rules.r1", kind="PolicyNatRule", path=path,
                    action="create",
                    after={"resource_type": "PolicyNatRule", "id": "r1", "action": "SNAT"})
    body = hierarchical_body([Step(seq=1, action=action, op="create", method="PATCH",
                                   body=dict(action.after or {}))])
    t1 = body["children"][0]
    assert t1 == {"resource_type": "ChildResourceReference", "id": "t1", "target_type": "Tier1",
                  "children": [{"resource_type": "ChildResourceReference", "id": "USER",
                                "target_type": "PolicyNat", "children": [
                                    {"resource_type": "ChildPolicyNatRule",
                                     "PolicyNatRule": action.after}]}]}
