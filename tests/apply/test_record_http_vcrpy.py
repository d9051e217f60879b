"""A `--record-http` file is a vcrpy cassette: vcrpy itself replays it (record mode "none": a
request that is not in it fails) and the command gets the answers it recorded.

Kept apart from the simulator tests: vcrpy patches httpx globally while a cassette is in use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import vcr

from nsxplan.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_vcrpy_replays_a_recorded_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    config = tmp_path / "dns-forwarder"
    shutil.copytree(ROOT / "examples" / "dns-forwarder", config)
    cassette = tmp_path / "apply.yaml"
    state = f"sim:{tmp_path / 'state.json'}"
    argv = ["apply", str(config), "--auto-approve", "--manager", state]
    assert main([*argv, "--record-http", str(cassette)]) == 0
    recorded = capsys.readouterr().out
    assert "Apply complete: 5 created" in recorded

    # The simulator state is thrown away: only the cassette answers now.
    (tmp_path / "state.json").unlink()
    player = vcr.VCR(record_mode="none",
                     match_on=["method", "scheme", "host", "port", "path", "query"])
    with player.use_cassette(str(cassette), allow_playback_repeats=True) as played:
        assert main(argv) == 0
    replayed = capsys.readouterr().out
    assert "Apply complete: 5 created" in replayed
    assert played.play_count >= len(played.data) // 2
