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

from tests.scenarios.conftest import (
    NSXPLAN,
    Sim,
    cli_env,
    comparable,
    export,
    nsxplan,
    write_config,
)
from tests.scenarios.helpers import V2


def _default_sigint() -> None:
    # The child must handle Ctrl-C as an operator's shell would deliver it, even when this test
    # process was started with SIGINT ignored (a CI runner, a background job): a process that
    # inherits SIG_IGN never gets Python's KeyboardInterrupt handler.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_apply(sim: Sim, tmp_path: Path, journal: Path) -> subprocess.Popen[str]:
    config = write_config(tmp_path / "v2", V2)
    return subprocess.Popen(
        [*NSXPLAN, "apply", str(config), "--manager", sim.url, "--auto-approve",
         "--parallelism", "1", "--journal", str(journal)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(sim, None),
        preexec_fn=_default_sigint)


def signal_after_first_step(proc: subprocess.Popen[str], sig: int) -> tuple[int, str]:
    """Send `sig` when the first step reports `ok`; return (exit code, output)."""
    assert proc.stdout is not None
    seen, sent = [], False
    try:
        for line in proc.stdout:  # progress lines; the first finished step is our cue
            seen.append(line)
            if not sent and " ok (" in line:
                proc.send_signal(sig)
                sent = True
    finally:
        code = proc.wait(timeout=60)
        proc.stdout.close()
    assert sent, "".join(seen)
    return code, "".join(seen)


def test_kill_9_mid_apply_then_rollback_restores(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--latency-ms", "60")
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    code, seen = signal_after_first_step(start_apply(sim, tmp_path, journal), signal.SIGKILL)
    assert code == -signal.SIGKILL, seen
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


def test_ctrl_c_mid_apply_rolls_back_by_itself(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    # Slower than the kill test: SIGINT goes through a pipe reader on a loaded 2-core machine,
    # and the apply must still be writing when it lands.
    sim = sims("--state", str(state), "--latency-ms", "150")
    before = export(sim, tmp_path / "before.json")
    code, seen = signal_after_first_step(
        start_apply(sim, tmp_path, tmp_path / "journal.jsonl"), signal.SIGINT)
    assert code == 1, seen
    assert "Traceback" not in seen and "Rolled back" in seen, seen
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)
