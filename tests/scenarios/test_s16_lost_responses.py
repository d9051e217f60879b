"""Scenario 16: NSX commits a write and the answer is lost (a load balancer reset, a timeout, a
proxy's 502). Whether the write landed is decided by reading NSX back, so:

- alone, the lost answer costs nothing: the apply completes, the next plan is empty, and the
  journal records the write as landed with the `_revision` it produced;
- followed by a failure, the rollback undoes the write whose answer was lost too, and the
  "(verified)" it prints is true of NSX (the export equals the pre-apply export).

The v1 -> v2 change of configs.py, one write at a time (--parallelism 1): creates and updates
come first, then the two deletes (lab-route, then legacy).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.conftest import Sim, comparable, export, nsxplan, write_config
from tests.scenarios.helpers import V2

POLICY = "/policy/api/v1"
LOST: dict[str, tuple[str, str]] = {
    "create": ("PUT", POLICY + "/infra/tier-1s/apps-t1/static-routes/new-route"),
    "update": ("PATCH", POLICY + "/infra/tier-1s/apps-t1"),
    "delete": ("DELETE", POLICY + "/infra/tier-0s/vcf-t0/static-routes/lab-route"),
}
# The last step of the apply: made to fail after every lost answer above.
LAST = {"match": {"method": "DELETE",
                  "path": POLICY + "/infra/tier-1s/apps-t1/static-routes/legacy"},
        "times": 1, "respond": {"status": 500, "error_code": 99, "message": "injected fault"}}


def lose(op: str, how: str | int) -> dict[str, Any]:
    method, path = LOST[op]
    rule: dict[str, Any] = {"match": {"method": method, "path": path}, "times": 1,
                            "lose_response": how}
    if how == "timeout":
        rule["hang_ms"] = 300
    return rule


def run(v1_state: Path, sims: Callable[..., Sim], tmp_path: Path, faults: list[dict[str, Any]]
        ) -> tuple[Sim, dict[str, Any], Any, Path, Path]:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    faults_file = tmp_path / "faults.json"
    faults_file.write_text(json.dumps(faults))
    sim = sims("--state", str(state), "--faults", str(faults_file))
    config = write_config(tmp_path / "v2", V2)
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    res = nsxplan("apply", config, "--manager", sim.url, "--auto-approve", "--parallelism", "1",
                  "--journal", journal, sim=sim)
    return sim, before, res, config, journal


def ends(journal: Path) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    return {r["path"]: r for r in records if r.get("type") == "end"}


@pytest.mark.parametrize("how", ["drop", "timeout", 502])
@pytest.mark.parametrize("op", list(LOST))
def test_lost_answer_alone_is_read_back_as_landed(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path, op: str,
        how: str | int) -> None:
    sim, _before, res, config, journal = run(v1_state, sims, tmp_path, [lose(op, how)])
    text = res.out + res.err
    assert res.code == 0, text
    assert "FAILED" not in text and "NSX 412" not in text, text
    again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert again.code == 0, again.out + again.err
    end = ends(journal)[LOST[op][1].removeprefix(POLICY)]
    assert end["landed"] is True and end["outcome"] == "ok", end
    if op != "delete":
        assert isinstance(end["revision"], int), end


@pytest.mark.parametrize("op", list(LOST))
def test_rollback_undoes_the_write_whose_answer_was_lost(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path, op: str) -> None:
    """The issue's first finding: an update committed, answer lost, later failure. The rollback
    must put the object back and may say "(verified)" only because it is."""
    sim, before, res, _config, journal = run(v1_state, sims, tmp_path, [lose(op, "drop"), LAST])
    text = res.out + res.err
    assert res.code == 1, text
    assert "injected fault" in text and "Rolled back" in text and "(verified)" in text, text
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before), text
    again = nsxplan("rollback", journal, sim=sim)
    assert again.code == 0 and "nothing to undo" in again.out, again.out + again.err


def test_a_502_or_504_on_a_rollback_write_is_retried_and_the_rollback_completes(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """The issue's seventh finding: one 502 (and one 504) on the rollback's own writes used to
    leave it INCOMPLETE. The apply sends 4 PUTs (its creates) and 2 PATCHes (its updates), so
    the faults skip those and hit rollback writes: the first restore PUT and the first
    re-create PATCH after the failure are answered by a proxy's 5xx before NSX saw them."""
    faults = [LAST,
              {"match": {"method": "PUT"}, "after": 4, "times": 1,
               "respond": {"status": 502, "message": "bad gateway"}},
              {"match": {"method": "PATCH"}, "after": 2, "times": 1,
               "respond": {"status": 504, "message": "gateway timeout"}}]
    sim, before, res, _config, _journal = run(v1_state, sims, tmp_path, faults)
    text = res.out + res.err
    assert res.code == 1 and "injected fault" in text, text
    assert "Rolled back" in text and "(verified)" in text and "INCOMPLETE" not in text, text
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before), text


def atomic_run(v1_state: Path, sims: Callable[..., Sim], tmp_path: Path,
               faults: list[dict[str, Any]]) -> tuple[Sim, dict[str, Any], Any, Path]:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    faults_file = tmp_path / "faults.json"
    faults_file.write_text(json.dumps(faults))
    sim = sims("--state", str(state), "--faults", str(faults_file))
    config = write_config(tmp_path / "v2", V2)
    before = export(sim, tmp_path / "before.json")
    res = nsxplan("apply", config, "--manager", sim.url, "--auto-approve", "--atomic",
                  "--journal", tmp_path / "journal.jsonl", sim=sim)
    return sim, before, res, config


LOST_WAVE = {"match": {"method": "PATCH", "path": POLICY + "/infra"}, "times": 1,
             "lose_response": "drop"}


def test_atomic_wave_whose_answer_was_lost_is_read_back_as_landed(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """`apply --atomic` sends a wave as one Hierarchical API PATCH: its lost answer must not be
    retried into a 412 that looks like "nothing landed"."""
    sim, _before, res, config = atomic_run(v1_state, sims, tmp_path, [LOST_WAVE])
    assert res.code == 0, res.out + res.err
    again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert again.code == 0, again.out + again.err


def test_atomic_wave_whose_answer_was_lost_is_rolled_back_after_a_failure(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    faults = [LOST_WAVE, {"match": {"path": "*/nat-rules/tkg-egress"}, "realization": "ERROR"}]
    sim, before, res, _config = atomic_run(v1_state, sims, tmp_path, faults)
    text = res.out + res.err
    assert res.code == 1 and "Rolled back" in text and "(verified)" in text, text
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before), text
