"""Every option of every command can come from NSXPLAN_<COMMAND>_<OPTION> (named after the flag
as typed), and shell completion works through click's _NSXPLAN_COMPLETE (docs/cli.md)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from nsxplan.cli import ENV_PREFIX, cli, main

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "examples" / "static-routing-lab"


def every_option() -> Iterator[tuple[list[str], click.Command, click.Option]]:
    cli.get_command(click.Context(cli), "sim")      # loaded on first use
    def walk(path: list[str], command: click.Command) -> Iterator[
            tuple[list[str], click.Command, click.Option]]:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk([*path, name], sub)
        for param in command.params:
            if isinstance(param, click.Option) and any(o.startswith("--") for o in param.opts):
                if param.name not in ("help", "version"):
                    yield path, command, param
    yield from walk([], cli)


def env_name(path: list[str], option: click.Option) -> str:
    flag = max((o for o in option.opts if o.startswith("--")), key=len)[2:]
    return "_".join([ENV_PREFIX, *path, flag]).replace("-", "_").upper()


def test_every_option_reads_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = 0
    for path, command, option in every_option():
        ctx = click.Context(command, info_name=path[-1] if path else "nsxplan",
                            auto_envvar_prefix="_".join([ENV_PREFIX, *path]).upper())
        name = env_name(path, option)
        value = "1" if option.is_flag else ("sim" if option.name == "manager" else "7")
        monkeypatch.setenv(name, value)
        assert option.resolve_envvar_value(ctx) == value, f"{name} not read for {option.opts}"
        monkeypatch.delenv(name)
        seen += 1
    assert seen > 40, seen            # every command's flags, not a handful


def test_environment_sets_flags_as_typed(monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("NSXPLAN_PLAN_FORMAT", "json")
    monkeypatch.setenv("NSXPLAN_PLAN_MANAGER", "sim")
    assert main(["plan", str(LAB)]) == 0
    assert json.loads(capsys.readouterr().out)["target"] == "sim"
    # The flag wins over the environment, as for every click option.
    assert main(["plan", str(LAB), "--format", "text"]) == 0
    assert capsys.readouterr().out.startswith("Plan for owner tanzu-egress")
    monkeypatch.setenv("NSXPLAN_PLAN_DETAILED_EXITCODE", "1")
    assert main(["plan", str(LAB)]) == 2


def test_explicit_names_come_first(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setenv("NSX_MANAGER", f"sim:{tmp_path / 'a.json'}")
    monkeypatch.setenv("NSXPLAN_PLAN_MANAGER", "sim")
    monkeypatch.setenv("NSXPLAN_PLAN_FORMAT", "json")
    assert main(["plan", str(LAB)]) == 0
    assert json.loads(capsys.readouterr().out)["target"] == f"sim:{tmp_path / 'a.json'}"


def completions(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                words: str) -> list[str]:
    monkeypatch.setenv("_NSXPLAN_COMPLETE", "bash_complete")
    monkeypatch.setenv("COMP_WORDS", words)
    monkeypatch.setenv("COMP_CWORD", str(len(words.split()) - 1))
    with pytest.raises(SystemExit) as done:
        main([])
    assert done.value.code == 0
    return [line.split(",", 1)[1] for line in capsys.readouterr().out.splitlines()]


def test_shell_completion(monkeypatch: pytest.MonkeyPatch,
                          capsys: pytest.CaptureFixture[str]) -> None:
    assert completions(monkeypatch, capsys, "nsxplan pl") == ["plan"]
    assert "--format" in completions(monkeypatch, capsys, "nsxplan plan --fo")
    assert completions(monkeypatch, capsys, "nsxplan sim se") == ["serve"]
    monkeypatch.setenv("_NSXPLAN_COMPLETE", "bash_source")
    with pytest.raises(SystemExit):
        main([])
    assert "complete -o nosort -F _nsxplan_completion nsxplan" in capsys.readouterr().out
