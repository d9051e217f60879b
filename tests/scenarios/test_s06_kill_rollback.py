"""Scenario 6: `nsxplan apply` killed with SIGKILL mid-way, then `nsxplan rollback JOURNAL`.

The simulator answers slowly (--latency-ms) so that the apply is still writing when the first
step reports `ok`; at that moment it is killed (no handler runs). The journal alone must be
enough to restore the pre-apply state, and a second rollback must change nothing.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.scenarios.configs import V2
from tests.scenarios.conftest import (
    NSXPLAN,
    Sim,
    cli_env,
    comparable,
    export,
    nsxplan,
    write_config,
)


def test_kill_9_mid_apply_then_rollback_restores(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--latency-ms", "60")
    before = export(sim, tmp_path / "before.json")
    config = write_config(tmp_path / "v2", V2)
    journal = tmp_path / "journal.jsonl"

    proc = subprocess.Popen(
        [*NSXPLAN, "apply", str(config), "--manager", sim.url, "--auto-approve",
         "--parallelism", "1", "--journal", str(journal)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=cli_env(sim, None))
    assert proc.stderr is not None
    seen = []
    try:
        for line in proc.stderr:  # progress lines; the first finished step is our cue
            seen.append(line)
            if " ok (" in line:
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        code = proc.wait(timeout=60)
        proc.stderr.close()
    assert code == -signal.SIGKILL, "".join(seen)
    assert journal.exists()
    mid = export(sim, tmp_path / "mid.json")
    assert comparable(mid) != comparable(before), "killed before anything was written"

    first = nsxplan("rollback", journal, sim=sim)
    assert first.code == 0, first.out + first.err
    after = export(sim, tmp_path / "after.json")
    assert comparable(after) == comparable(before), first.out + first.err

    second = nsxplan("rollback", journal, sim=sim)
    text = second.out + second.err
    assert second.code == 0, text
    assert "Traceback" not in text
    assert export(sim, tmp_path / "again.json") == after, "a second rollback wrote something"
