"""Progress: a live status line redrawn in place on a terminal, plain lines otherwise, nothing
with --quiet. The status reporter is driven event by event with a fake clock; the command line
is run under a pseudo-terminal and through a pipe against `nsxplan sim serve
--realization-delay`, so realization waits really happen."""

from __future__ import annotations

import io
import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nsxplan.apply.records import Step, StepResult
from nsxplan.apply.report import LineReporter
from nsxplan.apply.status import CLEAR, StatusReporter
from nsxplan.plan.model import CREATE, Action
from tests.sim.helpers import sim_process

ROOT = Path(__file__).resolve().parents[2]


def step(seq: int, name: str) -> Step:
    action = Action(address=f"tier0s.t0.static_routes.{name}", kind="StaticRoutes",
                    path=f"/infra/tier-0s/t0/static-routes/{name}", action=CREATE)
    return Step(seq=seq, action=action, op=CREATE, method="PATCH", body={})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_status_line_frames() -> None:
    out, clock = io.StringIO(), Clock()
    rep = StatusReporter(out, clock=clock, width=200, ticker=False)
    rep.refresh_started("https://nsx.example.com")
    assert rep.status_text() == "reading the live state of https://nsx.example.com · 0:00"
    clock.now += 2.5
    rep.refresh_finished(1234, 2, 2.5)
    rep.start({"target": "https://nsx.example.com"}, 2)
    a, b = step(1, "a"), step(2, "b")
    rep.step_started(a, None)
    rep.step_started(b, None)
    assert rep.status_text() == ("[0/2] + writing tier0s.t0.static_routes.a (+1 more in flight)"
                                 " · 0:02")
    clock.now += 40
    rep.step_waiting(a, "UNREALIZED", 40.2)
    assert rep.status_text() == ("[0/2] + waiting for realization of tier0s.t0.static_routes.a "
                                 "(UNREALIZED), 40 s (+1 more in flight) · 0:42")
    rep.step_finished(StepResult(a, ok=True, elapsed=40.3))
    assert rep.status_text().startswith("[1/2] + writing tier0s.t0.static_routes.b · 0:42")
    rep.step_finished(StepResult(b, ok=True, elapsed=41.0))
    rep.summary(None)
    text = out.getvalue()
    # Each frame starts by erasing the line; finished steps stay as permanent lines.
    assert text.count(CLEAR) >= 8
    assert CLEAR + "Read 1234 objects in 2.5s (2 requests)\n" in text
    assert CLEAR + "[1/2] + tier0s.t0.static_routes.a ... ok (40.3s)\n" in text
    assert text.endswith(CLEAR)                         # the status line is gone at the end
    assert "waiting for realization of tier0s.t0.static_routes.a (UNREALIZED), 40 s" in text


def test_no_ticker_between_the_refresh_and_the_writes() -> None:
    """Planning runs between them single-threaded (so it may fork, perf.Beside)."""
    import threading

    out = io.StringIO()
    r = StatusReporter(out, clock=Clock())
    before = threading.active_count()
    r.refresh_started("sim")
    assert threading.active_count() == before + 1
    r.refresh_finished(3, 2, 0.1)
    assert threading.active_count() == before
    assert "Read 3 objects" in out.getvalue()
    r.start({"target": "sim"}, 1)                 # apply goes on: the ticker is back
    assert threading.active_count() == before + 1
    r.close()
    assert threading.active_count() == before


def test_status_line_fits_the_terminal() -> None:
    out = io.StringIO()
    rep = StatusReporter(out, clock=Clock(), width=40, ticker=False)
    rep.refresh_started("https://a-very-long-manager-name.example.com")
    last = out.getvalue().rsplit(CLEAR, 1)[1]
    assert len(last) <= 39 and last.endswith("…")


def test_plain_lines_note_long_realization_waits() -> None:
    lines: list[str] = []
    rep = LineReporter(lines.append, summary=False)
    rep.start({"target": "sim"}, 1)
    s = step(1, "a")
    for waited in (0.2, 10.0, 29.9, 30.1, 45.0, 61.0):
        rep.step_waiting(s, "UNREALIZED", waited)
    assert lines[1:] == [
        "[1/1] + tier0s.t0.static_routes.a ... still waiting for realization of "
        "/infra/tier-0s/t0/static-routes/a (UNREALIZED, 30 s)",
        "[1/1] + tier0s.t0.static_routes.a ... still waiting for realization of "
        "/infra/tier-0s/t0/static-routes/a (UNREALIZED, 61 s)",
    ]


# --------------------------------------------------------------------------- the CLI


def _apply_argv(tmp_path: Path, url: str, *extra: str) -> list[str]:
    config = tmp_path / "tanzu-nat"
    config.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "examples" / "tanzu-nat", config)
    return [sys.executable, "-m", "nsxplan", "apply", str(config), "--manager", url,
            "--auto-approve", *extra]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NSX", "NO_COLOR"))}
    return {**env, "NSX_USERNAME": "admin", "NSX_PASSWORD": "unused", "TERM": "xterm"}


def run_in_pty(argv: list[str]) -> tuple[int, str]:
    """Run with stdin/stdout/stderr on a pseudo-terminal; everything it wrote, and its code."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower,
                            env=_env(), close_fds=True)
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            proc.kill()
            break
        try:
            data = os.read(leader, 65536)
        except OSError:            # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.slow
def test_apply_on_a_terminal_redraws_a_status_line(tmp_path: Path) -> None:
    with sim_process("--realization-delay", "1.5") as (_, lines):
        code, text = run_in_pty(_apply_argv(tmp_path, lines.next()))
    assert code == 0, text
    assert CLEAR + "reading the live state of http://127.0.0.1:" in text
    assert "waiting for realization of tier0s.vcf-t0.nat_rules.reflexive-tanzu-egress" in text
    assert CLEAR + "[1/6] + tier0s.vcf-t0.nat_rules.reflexive-tanzu-egress ... ok" in text
    assert "Apply complete: 6 created" in text


@pytest.mark.slow
def test_apply_through_a_pipe_prints_plain_lines(tmp_path: Path) -> None:
    runs = []
    for extra in ((), ("--quiet",)):
        with sim_process("--realization-delay", "0.3") as (_, lines):
            argv = _apply_argv(tmp_path / str(len(runs)), lines.next(), *extra)
            runs.append(subprocess.run(argv, capture_output=True, text=True, env=_env(),
                                       timeout=120, check=False))
    done, quiet = runs
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr and "\r" not in done.stderr
    assert "[1/6] + tier0s.vcf-t0.nat_rules.reflexive-tanzu-egress ... ok" in done.stderr
    assert quiet.returncode == 0, quiet.stderr
    assert "[1/6]" not in quiet.stderr and "Applying" not in quiet.stderr
    assert "Apply complete: 6 created" in quiet.stdout
