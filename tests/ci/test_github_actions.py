"""examples/ci/github-actions.yml, run as GitHub would run it (tests/ci/helpers.py says what is
substituted): a pull request gets one plan comment, updated on every push; the merge applies the
reviewed plan and nothing else, or refuses it when NSX changed since; the nightly drift job opens
one issue, updates it, and closes it once NSX is back in sync."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nsxplan.cli import main
from tests.ci.helpers import GITHUB, ROOT, Forge, load, run_github_job

LAB = ROOT / "examples" / "static-routing-lab"
MARKER = "<!-- nsxplan-plan -->"


@pytest.fixture
def forge(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Forge:
    for name in ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    return Forge(tmp_path)


def context(forge: Forge, **extra: str) -> dict[str, str]:
    return {"vars.NSX_MANAGER": f"sim:{forge.root / 'nsx-state.json'}",
            "secrets.NSX_USERNAME": "admin", "secrets.NSX_PASSWORD": "unused-by-the-sim",
            "github.token": "gh-token", "github.event.pull_request.number": "7",
            "github.event.pull_request.head.sha": extra.get("sha", "sha1"), **extra}


def open_pr(forge: Forge, name: str, sha: str, run_id: str, config: Path = LAB) -> Path:
    """The plan job of one push to pull request #7; the run is recorded with its artifact."""
    ws = forge.workspace(name, config)
    job = run_github_job(forge, ws, "plan", context(forge, sha=sha, run_id=run_id))
    forge.update(runs=[{"id": int(run_id), "sha": sha, "ref": "refs/pull/7/head",
                        "status": "success" if job.code == 0 else "failure",
                        "artifacts": {k: str(v) for k, v in job.artifacts.items()}}])
    assert job.code == 0, job.log
    assert (job.artifacts["nsxplan-plan"] / "plan.json").is_file(), job.log
    return ws


def test_workflow_structure() -> None:
    wf = load(GITHUB)
    triggers = wf[True] if True in wf else wf["on"]     # PyYAML reads the key `on` as True
    assert set(triggers) == {"pull_request", "schedule", "workflow_dispatch"}
    assert "closed" in triggers["pull_request"]["types"]
    jobs = wf["jobs"]
    assert set(jobs) == {"plan", "apply", "drift"}
    assert jobs["apply"]["environment"] == "nsx-production"
    assert jobs["apply"]["concurrency"] == {"group": "nsxplan-apply", "cancel-in-progress": False}
    assert "merged" in jobs["apply"]["if"]
    uploads = [s["with"]["name"] for j in jobs.values() for s in j["steps"]
               if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads == ["nsxplan-plan", "nsxplan-journal", "nsxplan-drift"]
    for job in jobs.values():                 # scripts take values from env:, never ${{ }}
        for step in job["steps"]:
            assert "${{" not in str(step.get("run", ""))


def test_pull_request_gets_one_plan_comment_updated_on_each_push(forge: Forge) -> None:
    open_pr(forge, "push1", "sha1", "1001")
    (comment,) = forge.state()["comments"]
    assert comment["body"].startswith(MARKER + "\n## nsxplan plan")
    assert "3 to create" in comment["body"] or "create" in comment["body"]

    # The second push changes the configuration: the same comment now shows the new plan.
    changed = forge.root / "changed"
    shutil.copytree(LAB, changed, ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    config = changed / "nsxplan.yaml"
    config.write_text(config.read_text().replace(
        "next_hops: [{ip: 10.27.51.1}]",
        "next_hops: [{ip: 10.27.51.1}]\n      - id: mgmt-route\n        network: 192.168.10.0/24"
        "\n        next_hops: [{ip: 10.27.51.1}]"))
    open_pr(forge, "push2", "sha2", "1002", changed)
    (updated,) = forge.state()["comments"]
    assert updated["id"] == comment["id"]
    assert "mgmt-route" in updated["body"] and "mgmt-route" not in comment["body"]


def test_merge_applies_the_reviewed_plan(forge: Forge) -> None:
    open_pr(forge, "pr", "sha1", "1001")
    ws = forge.root / "merge"
    ws.mkdir()
    job = run_github_job(forge, ws, "apply", context(forge, sha="sha1", run_id="2001"))
    assert job.code == 0, job.log
    assert "Apply complete" in job.log
    journal = list((job.artifacts["nsxplan-journal"]).rglob("journal-*.jsonl"))
    assert len(journal) == 1, job.log
    # NSX now matches the configuration.
    assert main(["drift", str(forge.root / "pr" / "nsx"), "--manager",
                 context(forge)["vars.NSX_MANAGER"]]) == 0


def test_merge_refuses_a_stale_plan_and_says_so_on_the_pull_request(forge: Forge) -> None:
    open_pr(forge, "pr", "sha1", "1001")
    # Someone applies the same configuration by hand before the merge: NSX changed.
    assert main(["apply", str(forge.root / "pr" / "nsx"), "--auto-approve", "--manager",
                 context(forge)["vars.NSX_MANAGER"]]) == 0
    ws = forge.root / "merge"
    ws.mkdir()
    job = run_github_job(forge, ws, "apply", context(forge, sha="sha1", run_id="2001"))
    assert job.code == 3, job.log
    assert "refusing to apply reviewed/plan.json" in job.log
    assert "reviewed plan is stale" in forge.state()["comments"][-1]["body"]


def test_merge_without_a_successful_plan_applies_nothing(forge: Forge) -> None:
    ws = forge.root / "merge"
    ws.mkdir()
    job = run_github_job(forge, ws, "apply", context(forge, sha="never-planned"))
    assert job.code == 1
    assert "nothing reviewed, nothing applied" in job.log
    assert not (forge.root / "nsx-state.json").exists()


def test_nightly_drift_opens_updates_and_closes_one_issue(forge: Forge) -> None:
    manager = context(forge)["vars.NSX_MANAGER"]
    ws = forge.workspace("nightly", LAB)
    assert main(["apply", str(ws / "nsx"), "--auto-approve", "--manager", manager]) == 0
    job = run_github_job(forge, ws, "drift", context(forge))
    assert job.code == 0, job.log
    assert forge.state()["issues"] == []
    assert "nsxplan_" in (job.artifacts["nsxplan-drift"] / "drift.prom").read_text()

    # Someone removes the default route by hand: drift, one issue; the next night, a comment.
    journal = next((ws / "nsx" / ".nsxplan").glob("journal-*.jsonl"))
    assert main(["rollback", str(journal), "--manager", manager]) == 0
    for night in (1, 2):
        job = run_github_job(forge, ws, "drift", context(forge))
        assert job.code == 0, job.log
        (issue,) = forge.state()["issues"]
        assert issue["state"] == "open" and issue["labels"] == ["nsxplan-drift"]
        assert len(issue["comments"]) == night - 1
    assert "default-route" in issue["body"]

    assert main(["apply", str(ws / "nsx"), "--auto-approve", "--manager", manager]) == 0
    job = run_github_job(forge, ws, "drift", context(forge))
    assert job.code == 0, job.log
    (issue,) = forge.state()["issues"]
    assert issue["state"] == "closed" and issue["comments"][-1].startswith("In sync again")


def test_plan_comment_when_the_configuration_is_invalid(forge: Forge) -> None:
    broken = forge.root / "broken"
    broken.mkdir()
    (broken / "nsxplan.yaml").write_text("version: 1\nowner: BAD OWNER\n")
    ws = forge.workspace("pr", broken)
    job = run_github_job(forge, ws, "plan", context(forge, run_id="1001"))
    assert job.code == 1, job.log          # the check fails: the merge can be blocked
    (comment,) = forge.state()["comments"]
    assert "## nsxplan: the configuration is invalid" in comment["body"]
    assert "nsx/nsxplan.yaml:2:" in comment["body"]      # file:line:column, as validate says
    assert "plan.json" not in "".join(p.name for p in job.artifacts["nsxplan-plan"].iterdir())
