"""kill -9 in the middle of an apply, then rollback from the journal restores the pre-state.

The apply runs in a child process against the simulator served by this process (with latency,
so that steps take long enough to be interrupted); the test kills the child as soon as the
journal shows the k-th `begin`, then restores from the journal in-process."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nsxplan.apply.journal import read_journal, rollback_journal
from tests.apply.helpers import managed, mixed_plan, nsx

pytestmark = pytest.mark.slow      # child processes killed mid-apply

ROOT = Path(__file__).resolve().parents[2]


def _begins(journal: Path) -> int:
    try:
        return journal.read_text().count('"type": "begin"')
    except FileNotFoundError:
        return 0


def _wait_for_begins(journal: Path, k: int, child: subprocess.Popen[bytes]) -> None:
    # Across processes there is no event to wait on: poll the journal (bounded).
    deadline = time.monotonic() + 20
    while _begins(journal) < k:
        assert child.poll() is None, "the apply finished before it could be killed"
        assert time.monotonic() < deadline, "the apply never reached the step"
        time.sleep(0.005)


@pytest.mark.parametrize("k", [2, 5])
def test_kill_9_mid_apply_then_rollback_journal_restores(
        tmp_path: Path, k: int, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    journal = tmp_path / "journal.jsonl"
    with nsx(latency_ms=25) as (sim, client):
        plan = mixed_plan(client)
        before = managed(sim.snapshot())
        plan_file = tmp_path / "plan.json"
        plan_file.write_text(json.dumps([dataclasses.asdict(a) for a in plan.actions],
                                        default=str))
        url = str(client.http.base_url).rstrip("/")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        child = subprocess.Popen(
            [sys.executable, str(ROOT / "tests/apply/apply_driver.py"), url, str(plan_file),
             str(journal)], cwd=ROOT, env=env)
        try:
            _wait_for_begins(journal, k, child)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        assert child.returncode == -signal.SIGKILL
        records = read_journal(journal).records
        assert not any(r["type"] == "final" for r in records)
        assert managed(sim.snapshot()) != before or k == 1

        if k == 2:
            result = rollback_journal(journal, client, poll_interval=0.01)
            assert result.restored, result.lines()
        else:   # the operator's way: `nsxplan rollback JOURNAL --manager URL`
            from nsxplan.cli import main
            monkeypatch.setenv("NSX_USERNAME", "admin")     # the simulator here accepts any
            monkeypatch.setenv("NSX_PASSWORD", "not-checked")
            assert main(["rollback", str(journal), "--manager", url]) == 0
            assert "Rollback complete" in capsys.readouterr().out
        assert managed(sim.snapshot()) == before
        again = rollback_journal(journal, client, poll_interval=0.01)
        assert again.restored and all(u.outcome == "skipped" for u in again.undone)
