"""`nsxplan verify`: after apply, the BGP lab's neighbor Established, its default route learnt
through BGP and the Tier-1's egress address in the Tier-0's table; a broken session fails."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nsxplan.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_verify_the_bgp_lab_after_apply(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    lab = tmp_path / "bgp-lab"
    shutil.copytree(ROOT / "examples" / "bgp-lab", lab,
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    assert main(["apply", str(lab), "--auto-approve"]) == 0
    capsys.readouterr()
    assert main(["verify", str(lab)]) == 0
    out = capsys.readouterr().out
    assert "BGP neighbor 192.168.105.253 (tor-a) Established from 192.168.105.2" in out
    assert "0.0.0.0/0 present via 192.168.105.253 (BGP)" in out
    assert "172.16.2.10 is in t0-edge's routing table" in out

    config = lab / "nsxplan.yaml"
    config.write_text(config.read_text().replace("      ecmp: true\n",
                                                 "      ecmp: true\n      enabled: false\n"))
    assert main(["apply", str(lab), "--auto-approve", "--fail-on-checks", "never"]) == 0
    capsys.readouterr()
    assert main(["verify", str(lab)]) == 1
    out = capsys.readouterr().out
    assert "BGP neighbor 192.168.105.253 (tor-a) is IDLE" in out
    assert "t0-edge's routing table has no default route" in out
