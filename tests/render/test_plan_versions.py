"""Plan files of format_version 1 (written by nsxplan before 0.2: every no-op in full, indented)
and 2 (no-ops summarized, compact) both load, and both feed the stale check the same way."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from nsxplan.live.state import LiveState
from nsxplan.plan.model import NOOP
from nsxplan.plan.planfile import load_plan, plan_from_dict, plan_to_dict, save_plan
from nsxplan.plan.stale import stale_changes
from tests.render.helpers import sample_plan

V1 = Path(__file__).parent / "data" / "plan-v1.json"


def test_a_version_1_file_loads_as_the_plan_it_was_written_from() -> None:
    assert json.loads(V1.read_text(encoding="utf-8"))["format_version"] == 1
    loaded = load_plan(V1)
    expected = dataclasses.replace(sample_plan(), format_version=1)
    assert loaded.actions == expected.actions
    assert loaded.checks == expected.checks and loaded.unmanaged == expected.unmanaged


def test_a_version_2_file_loads_with_summarized_no_ops(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format_version"] == 2
    noops = [c for c in data["changes"] if c["action"] == NOOP]
    assert noops and all(set(c) == {"address", "kind", "path", "action", "revision"}
                         for c in noops)
    loaded = load_plan(path)
    assert loaded.changes == sample_plan().changes
    assert [(a.path, a.revision) for a in loaded.actions] == \
        [(a.path, a.revision) for a in sample_plan().actions]


def test_full_keeps_the_no_op_bodies(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path, full=True)
    assert load_plan(path).actions == sample_plan().actions


def test_both_versions_catch_the_same_stale_no_op(tmp_path: Path) -> None:
    plan = sample_plan()
    noop = next(a for a in plan.actions if a.action == NOOP)
    live = LiveState(objects={a.path: {**(a.before or {}), "_revision": a.revision}
                              for a in plan.actions if a.before is not None})
    moved = LiveState(objects={**live.objects,
                               noop.path: {**live.objects[noop.path],
                                           "_revision": (noop.revision or 0) + 1}})
    v2 = tmp_path / "v2.json"
    save_plan(plan, v2)
    for loaded in (load_plan(V1), load_plan(v2)):
        assert any(noop.address in line for line in stale_changes(loaded, moved))
        assert not any(noop.address in line for line in stale_changes(loaded, live))


def test_a_summarized_document_round_trips_through_the_dict() -> None:
    data = plan_to_dict(sample_plan())
    assert plan_to_dict(plan_from_dict(data)) == data
