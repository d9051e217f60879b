"""Case directories: desired.yaml + live.json -> expected plan.{txt,json,md} or error.txt.

Adding a regression test means adding a directory, not Python. Goldens are rendered with colour
off, a fixed `now` and the nsxplan version substituted; regenerate them only with
`pytest tests/cases --update-golden`. Every case that plans also converges: writing the plan
into the simulator and planning again shows no changes.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from nsxplan.config import load_config
from nsxplan.errors import PlanError
from nsxplan.live.read import live_from_objects
from nsxplan.plan.model import Plan
from nsxplan.plan.planner import make_plan
from nsxplan.render import render_json, render_markdown, render_text
from nsxplan.schemas import schema_path
from tests.golden import Golden
from tests.plan.helpers import NOW, converge

CASES = sorted(p for p in Path(__file__).parent.iterdir() if (p / "desired.yaml").exists())
GOLDEN_VERSION = "0.0.0+golden"


def _load(case: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, dict]:
    # Relative paths keep sources and file names in the goldens independent of the checkout.
    monkeypatch.chdir(case)
    return load_config("desired.yaml"), json.loads(Path("live.json").read_text())


def _plan(case: Path, monkeypatch: pytest.MonkeyPatch) -> Plan:
    config, tree = _load(case, monkeypatch)
    plan = make_plan(config, live_from_objects(tree, nsx_version="3.2.3.0.0"),  # type: ignore[arg-type]
                     target="sim:live.json", now=NOW)
    return dataclasses.replace(plan, nsxplan_version=GOLDEN_VERSION)


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case_golden(case: Path, monkeypatch: pytest.MonkeyPatch, golden_files: Golden) -> None:
    if (case / "error.txt").exists():
        with pytest.raises(PlanError) as exc:
            _plan(case, monkeypatch)
        golden_files.check(case / "error.txt", exc.value.format() + "\n")
        return
    plan = _plan(case, monkeypatch)
    golden_files.check(case / "plan.txt", render_text(plan, color=False))
    rendered = render_json(plan)
    jsonschema.validate(json.loads(rendered), json.loads(schema_path("plan.schema.json")
                                                        .read_text(encoding="utf-8")))
    golden_files.check(case / "plan.json", rendered)
    golden_files.check(case / "plan.md", render_markdown(plan))


@pytest.mark.parametrize("case", [c for c in CASES if not (c / "error.txt").exists()],
                         ids=lambda p: p.name)
def test_case_converges(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config, tree = _load(case, monkeypatch)
    first, second = converge(config, tree)  # type: ignore[arg-type]
    assert [(a.address, a.action, a.diff) for a in second.changes] == []
    assert len(second.actions) == len(first.actions) - sum(
        1 for a in first.actions if a.action == "delete")
