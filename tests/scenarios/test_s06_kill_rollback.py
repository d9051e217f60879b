"""Scenario 6: `nsxplan apply` killed with SIGKILL mid-way, then `nsxplan rollback JOURNAL`.

The simulator answers slowly (--latency-ms) so that the apply is still writing when the first
step reports `ok`; at that moment it is killed (no handler runs). The journal alone must be
enough to restore the pre-apply state, and a second rollback must change nothing.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

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


@pytest.mark.parametrize(("sig", "code", "name"), [
    (signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 143, "SIGTERM")])
def test_ctrl_c_or_sigterm_mid_apply_rolls_back_by_itself(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path, sig: int, code: int,
        name: str) -> None:
    """SIGTERM (a CI job cancelled, a service stopped) is handled like Ctrl-C: no new step
    starts, the one in flight finishes, everything is rolled back; exit 128 + the signal."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    # Slower than the kill test: the signal goes through a pipe reader on a loaded 2-core
    # machine, and the apply must still be writing when it lands.
    sim = sims("--state", str(state), "--latency-ms", "150")
    before = export(sim, tmp_path / "before.json")
    exit_code, seen = signal_after_first_step(
        start_apply(sim, tmp_path, tmp_path / "journal.jsonl"), sig)
    assert exit_code == code, seen
    assert f"Apply INTERRUPTED ({name})" in seen and "Rolled back" in seen, seen
    assert "(verified)" in seen and "Traceback" not in seen, seen
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_second_signal_stops_the_rollback_and_names_the_command(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path, sig: int) -> None:
    """A second signal during the automatic rollback stops it: nothing is claimed verified,
    the journal and the exact command that finishes the job are printed, and that command
    does finish it."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--latency-ms", "150")
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    proc = start_apply(sim, tmp_path, journal)
    assert proc.stdout is not None
    seen: list[str] = []
    sent = 0
    try:
        for line in proc.stdout:
            seen.append(line)
            if sent == 0 and " ok (" in line:
                proc.send_signal(sig)
                sent = 1
            elif sent == 1 and "rolling back" in line.lower():
                proc.send_signal(sig)
                sent = 2
    finally:
        exit_code = proc.wait(timeout=60)
        proc.stdout.close()
    text = "".join(seen)
    assert sent == 2, text
    assert exit_code == 128 + sig, text
    assert "(verified)" not in text and "Traceback" not in text, text
    assert f"journal: {journal}" in text, text
    assert f"nsxplan rollback {journal}" in text, text
    finish = nsxplan("rollback", journal, sim=sim)
    assert finish.code == 0, finish.out + finish.err
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)


def test_ctrl_c_during_plan_exits_130(sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = sims("--latency-ms", "3000")
    config = write_config(tmp_path / "v2", V2)
    proc = subprocess.Popen(
        [*NSXPLAN, "plan", str(config), "--manager", sim.url],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=cli_env(sim, None),
        preexec_fn=_default_sigint)
    time.sleep(1.0)     # the bulk read is under way (each request takes 3 s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, out + err
    assert "Interrupted (Ctrl-C)." in err and "Aborted" not in err and "Traceback" not in err


def test_two_signals_back_to_back_stop_without_a_claim_and_name_the_command(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """The second Ctrl-C lands while the step in flight is still finishing (or, if none was,
    as the rollback starts): either way nothing is claimed verified, the journal and the
    command are printed, and that command restores NSX exactly."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--latency-ms", "150")
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    proc = start_apply(sim, tmp_path, journal)
    assert proc.stdout is not None
    seen: list[str] = []
    sent = False
    try:
        for line in proc.stdout:
            seen.append(line)
            if not sent and " ok (" in line:
                proc.send_signal(signal.SIGINT)
                time.sleep(0.05)          # handled by now: the second is a second one
                proc.send_signal(signal.SIGINT)
                sent = True
    finally:
        exit_code = proc.wait(timeout=60)
        proc.stdout.close()
    text = "".join(seen)
    assert sent and exit_code == 130, text
    assert "(verified)" not in text and "Traceback" not in text, text
    assert f"nsxplan rollback {journal}" in text, text
    finish = nsxplan("rollback", journal, sim=sim)
    assert finish.code == 0, finish.out + finish.err
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)
