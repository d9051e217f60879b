"""No-op actions carry their `after` body only where it is shown: a `--full` JSON plan."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nsxplan import commands
from nsxplan.cli import main
from nsxplan.plan.model import NOOP

LAB = Path(__file__).resolve().parents[2] / "examples" / "static-routing-lab"


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    work = tmp_path / "lab"
    shutil.copytree(LAB, work, ignore=shutil.ignore_patterns(".nsxplan", "lab.json"))
    assert main(["apply", str(work), "--auto-approve"]) == 0
    return work


def test_the_plan_api_keeps_them_by_default_and_drops_them_when_asked(applied: Path) -> None:
    kept = commands.plan(applied, commands.ConnectOptions()).plan
    dropped = commands.plan(applied, commands.ConnectOptions(), unchanged_bodies=False).plan
    noops = [a for a in kept.actions if a.action == NOOP]
    assert noops and all(a.after for a in noops)
    assert all(a.after is None for a in dropped.actions if a.action == NOOP)
    # Nothing else differs.
    strip = [(a.address, a.action, a.revision, a.before) for a in kept.actions]
    assert strip == [(a.address, a.action, a.revision, a.before) for a in dropped.actions]


def test_full_json_still_shows_unchanged_bodies(applied: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["plan", str(applied), "--format", "json", "--full"]) == 0
    full = json.loads(capsys.readouterr().out)
    unchanged = [a for a in full["changes"] if a["action"] == NOOP]
    assert unchanged and all(a["after"]["tags"] for a in unchanged)
    assert main(["plan", str(applied), "--format", "json"]) == 0
    summarized = json.loads(capsys.readouterr().out)
    assert {a["address"] for a in summarized["changes"]} == {a["address"] for a in unchanged}
    assert all("after" not in a for a in summarized["changes"])
