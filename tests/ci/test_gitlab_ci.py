"""examples/ci/gitlab-ci.yml, its scripts run verbatim (tests/ci/helpers.py says what is
substituted) against a fake GitLab API: one merge request note updated on every push, apply of
the plan the merge request reviewed (or a refusal when NSX changed since), one drift issue."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan.cli import main
from tests.ci.helpers import GITLAB, ROOT, Forge, load, run_gitlab_job

LAB = ROOT / "examples" / "static-routing-lab"
TOKEN = "glpat-fake"


@pytest.fixture
def forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Forge:
    for name in ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return Forge(tmp_path)


def variables(forge: Forge, **extra: str) -> dict[str, str]:
    return {"NSX_MANAGER": f"sim:{forge.root / 'nsx-state.json'}", "NSX_USERNAME": "admin",
            "NSX_PASSWORD": "unused-by-the-sim", "GITLAB_API_TOKEN": TOKEN,
            "CI_MERGE_REQUEST_IID": "7", "CI_COMMIT_SHA": "sha1", **extra}


def mr_pipeline(forge: Forge, name: str, run_id: int, config: Path = LAB) -> Path:
    ws = forge.workspace(name, config)
    for job_name in ("nsxplan:validate", "nsxplan:plan"):
        job = run_gitlab_job(forge, ws, job_name, variables(forge))
        assert job.code == 0, job.log
    forge.update(runs=[{"id": run_id, "sha": "sha1", "ref": "refs/merge-requests/7/head",
                        "status": "success",
                        "artifacts": {"nsxplan:plan": str(job.artifacts["nsxplan:plan"])}}])
    return ws


def test_pipeline_structure() -> None:
    ci = load(GITLAB)
    assert ci["stages"] == ["validate", "plan", "apply", "drift"]
    jobs = {k: v for k, v in ci.items() if k.startswith("nsxplan:")}
    assert set(jobs) == {"nsxplan:validate", "nsxplan:plan", "nsxplan:apply", "nsxplan:drift"}
    assert jobs["nsxplan:apply"]["environment"] == "nsx-production"
    assert jobs["nsxplan:apply"]["resource_group"] == "nsx-production"
    assert "plan.json" in jobs["nsxplan:plan"]["artifacts"]["paths"]
    assert jobs["nsxplan:plan"]["artifacts"]["when"] == "always"


def test_merge_request_note_then_apply_on_merge(forge: Forge) -> None:
    mr_pipeline(forge, "push1", 1)
    mr_pipeline(forge, "push2", 2)
    (note,) = forge.state()["comments"]            # one note, updated by the second push
    assert note["body"].startswith("<!-- nsxplan-plan -->\n## nsxplan plan")

    forge.update(merged=[{"sha": "merge1", "iid": 7}])
    ws = forge.root / "main"
    ws.mkdir()
    job = run_gitlab_job(forge, ws, "nsxplan:apply", variables(forge, CI_COMMIT_SHA="merge1"))
    assert job.code == 0, job.log
    assert "Apply complete" in job.log
    assert list((ws / "reviewed" / ".nsxplan").glob("journal-*.jsonl"))


def test_apply_refuses_a_stale_plan(forge: Forge) -> None:
    ws = mr_pipeline(forge, "push1", 1)
    assert main(["apply", str(ws / "nsx"), "--auto-approve", "--manager",
                 variables(forge)["NSX_MANAGER"]]) == 0
    forge.update(merged=[{"sha": "merge1", "iid": 7}])
    main_ws = forge.root / "main"
    main_ws.mkdir()
    job = run_gitlab_job(forge, main_ws, "nsxplan:apply",
                         variables(forge, CI_COMMIT_SHA="merge1"))
    assert job.code == 3, job.log
    assert "reviewed plan is stale" in forge.state()["comments"][-1]["body"]


def test_scheduled_drift_issue(forge: Forge) -> None:
    manager = variables(forge)["NSX_MANAGER"]
    ws = forge.workspace("nightly", LAB)
    job = run_gitlab_job(forge, ws, "nsxplan:drift", variables(forge))
    assert job.code == 0, job.log                  # nothing applied yet: drift, one issue
    (issue,) = forge.state()["issues"]
    assert issue["labels"] == ["nsxplan-drift"] and "default-route" in issue["body"]
    job = run_gitlab_job(forge, ws, "nsxplan:drift", variables(forge))
    assert job.code == 0, job.log
    (issue,) = forge.state()["issues"]
    assert len(issue["comments"]) == 1
    assert main(["apply", str(ws / "nsx"), "--auto-approve", "--manager", manager]) == 0
    job = run_gitlab_job(forge, ws, "nsxplan:drift", variables(forge))
    assert job.code == 0, job.log
    (issue,) = forge.state()["issues"]
    assert issue["state"] == "closed"
    assert "nsxplan_" in (ws / "drift.prom").read_text()


def test_push_without_a_merged_request_applies_nothing(forge: Forge) -> None:
    ws = forge.root / "main"
    ws.mkdir()
    job = run_gitlab_job(forge, ws, "nsxplan:apply", variables(forge, CI_COMMIT_SHA="direct"))
    assert job.code == 1
    assert "nothing reviewed, nothing applied" in job.log
    assert not (forge.root / "nsx-state.json").exists()


def test_invalid_configuration_becomes_the_note(forge: Forge) -> None:
    broken = forge.root / "broken"
    broken.mkdir()
    (broken / "nsxplan.yaml").write_text("version: 1\nowner: BAD OWNER\n")
    ws = forge.workspace("mr", broken)
    assert run_gitlab_job(forge, ws, "nsxplan:validate", variables(forge)).code == 1
    job = run_gitlab_job(forge, ws, "nsxplan:plan", variables(forge))   # needs: [] runs it
    assert job.code == 1
    (note,) = forge.state()["comments"]
    assert "## nsxplan plan failed" in note["body"] and "nsx/nsxplan.yaml:2:" in note["body"]
