""".pre-commit-hooks.yaml: the hook pre-commit installs runs `nsxplan validate` on the
configuration named by its args, and fails the commit on an invalid one."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest
import yaml

from nsxplan.cli import main
from tests.ci.helpers import ROOT

HOOKS = ROOT / ".pre-commit-hooks.yaml"


def hook_argv() -> list[str]:
    (hook,) = yaml.safe_load(HOOKS.read_text())
    assert hook["id"] == "nsxplan-validate" and hook["language"] == "python"
    assert hook["pass_filenames"] is False
    argv = shlex.split(hook["entry"]) + list(hook["args"])
    assert argv[0] == "nsxplan"
    return argv[1:]


def test_hook_validates_the_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(ROOT / "examples" / "static-routing-lab", tmp_path / "nsx",
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    monkeypatch.chdir(tmp_path)
    assert main(hook_argv()) == 0
    assert "valid" in capsys.readouterr().out
    config = tmp_path / "nsx" / "nsxplan.yaml"
    config.write_text(config.read_text().replace("0.0.0.0/0", "0.0.0.0/33"))
    assert main(hook_argv()) == 1          # an invalid CIDR: the commit stops
    assert "nsxplan.yaml:" in capsys.readouterr().err
