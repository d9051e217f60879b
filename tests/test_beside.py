"""perf.Beside: a step computed in a forked child gives exactly what computing it here gives."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from nsxplan import perf
from nsxplan.perf import NO_FORK_ENV, Beside

LINUX = sys.platform == "linux"


@pytest.fixture(autouse=True)
def idle_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the child's answer, whatever the test machine's load."""
    monkeypatch.setattr(perf, "spare_core", lambda: True)


def test_the_answer_comes_back_from_the_child() -> None:
    parent = os.getpid()
    with Beside(lambda: (os.getpid(), {"a": [1, 2.5, None]}, ("x",) * 3)) as job:
        pid, data, names = job.result()
    assert job.forked is LINUX
    assert (pid != parent) is LINUX
    assert data == {"a": [1, 2.5, None]} and names == ("x", "x", "x")


def test_a_failing_step_raises_here_with_the_same_error() -> None:
    calls: list[int] = []

    def fail() -> None:
        calls.append(os.getpid())
        raise ValueError("bad input 42")

    with Beside(fail) as job, pytest.raises(ValueError, match="bad input 42"):
        job.result()
    # Computed again in this process (the child's attempt is not visible here).
    assert calls == [os.getpid()]


def test_a_child_that_dies_is_replaced_by_computing_here() -> None:
    parent = os.getpid()

    def die_in_child() -> str:
        if os.getpid() != parent:
            os._exit(3)
        return "computed here"

    with Beside(die_in_child) as job:
        assert job.result() == "computed here"


def test_a_large_answer_comes_back_whole() -> None:
    # Megabytes (a prefetched live tree): through the in-memory file, not a pipe's 64 KB turns.
    blob = bytes(range(256)) * (80 * 1024)
    with Beside(lambda: (os.getpid(), blob)) as job:
        pid, back = job.result()
    assert back == blob and (pid != os.getpid()) is LINUX


def test_a_child_killed_while_answering_is_replaced_by_computing_here() -> None:
    import signal

    parent = os.getpid()

    def killed_in_child() -> str:
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return "computed here"

    with Beside(killed_in_child) as job:
        assert job.result() == "computed here"
    assert not perf._MINE


def test_an_unpicklable_answer_is_computed_here() -> None:
    lock = threading.Lock()
    with Beside(lambda: lock) as job:
        assert job.result() is lock


def test_switched_off_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NO_FORK_ENV, "1")
    with Beside(os.getpid) as job:
        assert job.result() == os.getpid()
    assert not job.forked


def test_never_forks_beside_another_thread() -> None:
    stop = threading.Event()
    t = threading.Thread(target=stop.wait)
    t.start()
    try:
        with Beside(os.getpid) as job:
            assert job.result() == os.getpid()
        assert not job.forked
    finally:
        stop.set()
        t.join()


def test_a_caller_that_fails_first_leaves_no_child_behind(tmp_path: Path) -> None:
    marker = tmp_path / "child-finished"

    def slow() -> None:
        import time
        time.sleep(30)
        marker.write_text("done")

    with pytest.raises(RuntimeError), Beside(slow) as job:
        pid = job._pid
        raise RuntimeError("planning failed")
    assert (pid is not None) is LINUX
    if pid is not None:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)       # already reaped: not a zombie, not running
    assert not marker.exists()                # killed, not left to finish


def test_may_fork_only_on_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(perf.sys, "platform", "darwin")
    assert not perf._may_fork()


@pytest.mark.parametrize(("cores", "running", "spare"), [
    (2, 1, True), (2, 2, False), (2, 5, False), (1, 1, False), (8, 7, True), (8, 8, False)])
def test_a_core_to_spare(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cores: int,
                         running: int, spare: bool) -> None:
    monkeypatch.undo()                       # the real spare_core, fed these numbers
    monkeypatch.setattr(perf.os, "sched_getaffinity", lambda _pid: set(range(cores)),
                        raising=False)
    loadavg = tmp_path / "loadavg"
    loadavg.write_text(f"3.10 2.50 1.90 {running}/412 9999\n", encoding="ascii")
    real_open = open
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: real_open(
        loadavg if f == "/proc/loadavg" else f, *a, **k))
    assert perf.spare_core() is spare
    # A child of this command's own that is running does not count: it is this command's work.
    stat = tmp_path / "stat"
    stat.write_text("4242 (python (x)) R 1 2 3\n", encoding="ascii")
    monkeypatch.setattr("builtins.open", lambda f, *a, **k: real_open(
        loadavg if f == "/proc/loadavg" else stat if f == "/proc/4242/stat" else f, *a, **k))
    monkeypatch.setattr(perf, "_MINE", {4242})
    assert perf.spare_core() is (running - 1 < cores and cores >= 2)
    stat.write_text("4242 (python) S 1 2 3\n", encoding="ascii")     # asleep: it counts as not
    assert perf.spare_core() is spare                                  # running anyway
    monkeypatch.undo()
    monkeypatch.setattr(perf, "spare_core", lambda: False)
    with Beside(os.getpid) as job:
        assert job.result() == os.getpid()
    assert not job.forked


@pytest.mark.parametrize("example", ["static-routing-lab", "tanzu-nat", "bgp-lab",
                                     "ncp-prerequisites"])
def test_a_plan_is_the_same_with_its_checks_forked_or_not(
        example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses
    import shutil

    from nsxplan import commands
    from nsxplan.plan.planfile import plan_to_dict

    root = Path(__file__).resolve().parents[1] / "examples" / example
    work = tmp_path / example
    shutil.copytree(root, work, ignore=shutil.ignore_patterns(".nsxplan"))
    rendered = []
    for no_fork in ("0", "1"):
        monkeypatch.setenv(NO_FORK_ENV, no_fork)
        result = commands.plan(work, commands.ConnectOptions())
        plan = dataclasses.replace(result.plan, created_at="(the time)")
        made = plan_to_dict(plan)
        rendered.append((made, result.baseline_checks,
                         commands.render(plan, "markdown")))
    assert rendered[0][0]["checks"], "the example has checks to compare"
    assert rendered[0] == rendered[1]


def test_plan_and_validate_in_a_process_of_their_own_write_all_their_output(
        tmp_path: Path) -> None:
    """They leave without freeing what they built (cli._exit): what they printed, to a pipe,
    must all be there, and the exit code must be theirs."""
    import shutil
    import subprocess

    work = tmp_path / "lab"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "static-routing-lab",
                    work, ignore=shutil.ignore_patterns(".nsxplan", "lab.json"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NSX_", "NSXPLAN_"))}
    run = [sys.executable, "-m", "nsxplan"]
    plan = subprocess.run([*run, "plan", str(work), "--format", "json", "--detailed-exitcode"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert plan.returncode == 2, plan.stderr          # 2: changes to make
    import json
    document = json.loads(plan.stdout)                 # complete: it parses
    assert document["summary"]["create"] > 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nowner: Not Valid\n", encoding="utf-8")
    validate = subprocess.run([*run, "validate", str(bad)], capture_output=True, text=True,
                              env=env, timeout=120)
    assert validate.returncode == 1
    assert f"{bad}:2:" in validate.stderr and "hint:" in validate.stderr
    good = subprocess.run([*run, "validate", str(work)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert good.returncode == 0 and good.stdout.startswith(f"{work}: valid")


def test_in_process_callers_do_not_accumulate_what_commands_built(tmp_path: Path) -> None:
    import shutil

    from nsxplan import cli

    work = tmp_path / "lab"
    shutil.copytree(Path(__file__).resolve().parents[1] / "examples" / "static-routing-lab",
                    work, ignore=shutil.ignore_patterns(".nsxplan", "lab.json"))
    for _ in range(3):
        assert cli.main(["plan", str(work)]) == 0
        assert cli.main(["validate", str(work)]) == 0
    assert cli._KEEP == []


def test_an_interrupt_while_waiting_stops_the_child_at_once(tmp_path: Path) -> None:
    import signal
    import time

    marker = tmp_path / "child-finished"

    def slow() -> str:
        time.sleep(30)
        marker.write_text("done")
        return "late"

    def interrupt(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with Beside(slow) as job:
            assert job.forked is LINUX
            if not job.forked:
                return
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            with pytest.raises(KeyboardInterrupt):
                job.result()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert job._pid is None                   # reaped, and
    assert not marker.exists()                # killed, not waited for
