"""An internal error during a session-authenticated plan writes a crash log that is private
(0600) and carries no credentials: tracebacks hold no local variables, and nothing on the path
puts the password, the Basic token, the session cookie or the XSRF token into a message."""

from __future__ import annotations

import stat
import tempfile
from pathlib import Path

import pytest

from nsxplan.plan import planner
from tests.safety.helpers import CONFIG, NASTY, NO_CHECKS, secrets_in
from tests.scenarios.conftest import Sim, nsxplan, write_config


@pytest.mark.parametrize("auth", ["basic", "session"])
def test_crash_log_is_private_and_free_of_credentials(
        nasty_sim: Sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, auth: str) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("injected planner bug")

    monkeypatch.setattr(planner, "make_plan", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    cfg = write_config(tmp_path / "cfg", CONFIG + f"target:\n  manager: {nasty_sim.url}\n"
                                                  f"  auth: {auth}\n")
    res = nsxplan("-vv", "plan", cfg, *NO_CHECKS, sim=nasty_sim)
    assert res.code == 1, res.out + res.err
    assert "internal error: RuntimeError: injected planner bug" in res.err
    (log,) = tmp_path.glob("nsxplan-crash-*.log")
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    text = log.read_text()
    assert "injected planner bug" in text and "Traceback" in text
    assert secrets_in(text, NASTY) == [] and secrets_in(res.out + res.err, NASTY) == []
