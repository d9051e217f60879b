"""`plan` hears the semantic rules from another core (config.load_config_beside): it reports
exactly what load_config reports, for every bad case, on either path, and before any error of
the connection."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan import commands, perf
from nsxplan.config import load_config, load_config_beside
from nsxplan.errors import ConfigError

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir()
               if p.is_dir() and p.name.endswith("-bad"))


def _error(fn: object) -> str:
    with pytest.raises(ConfigError) as err:
        fn()  # type: ignore[operator]
    return err.value.format()


@pytest.fixture(params=[True, False], ids=["forked", "in-process"])
def idle(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    monkeypatch.setattr(perf, "spare_core", lambda: request.param)
    monkeypatch.setattr("nsxplan.config.spare_core", lambda: request.param)
    return bool(request.param)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_bad_case_fails_the_same_way(case: Path, idle: bool) -> None:
    expected = _error(lambda: load_config(case))

    def beside() -> None:
        _, rules = load_config_beside(case)
        with rules:
            rules.check()

    assert _error(beside) == expected


def _rule_error_only(tmp_path: Path) -> Path:
    """Valid YAML and schema, refused by a semantic rule (two NAT rules with one id)."""
    config = tmp_path / "stack.yaml"
    config.write_text(
        "version: 1\nowner: lab\ntarget:\n  manager: https://192.0.2.1\n"
        "tier1s:\n  - id: t1\n    existing: true\n    nat_rules:\n"
        "      - {id: r1, action: DNAT, destination: 203.0.113.5, translated: 10.0.0.5}\n"
        "      - {id: r1, action: DNAT, destination: 203.0.113.6, translated: 10.0.0.6}\n",
        encoding="utf-8")
    return config


def test_the_rules_errors_come_before_the_connections(tmp_path: Path, idle: bool) -> None:
    config = _rule_error_only(tmp_path)
    expected = _error(lambda: load_config(config))
    assert "r1" in expected and "unknown key" not in expected    # a rule's, not the schema's
    # No credentials for the manager: the connection would fail, but the configuration's own
    # problems are what the user sees first, as before.
    got = _error(lambda: commands.plan(config, commands.ConnectOptions()))
    assert got == expected


def test_a_valid_configuration_plans_on_either_path(tmp_path: Path, idle: bool) -> None:
    import shutil

    lab = tmp_path / "lab"
    shutil.copytree(Path(__file__).resolve().parents[2] / "examples" / "static-routing-lab", lab,
                    ignore=shutil.ignore_patterns(".nsxplan", "lab.json"))
    result = commands.plan(lab, commands.ConnectOptions())
    assert result.plan.has_changes and result.config.owner


def test_a_rules_child_that_dies_is_replaced_by_reading_the_files_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import nsxplan.config as config_module

    monkeypatch.setattr(perf, "spare_core", lambda: True)
    monkeypatch.setattr(config_module, "spare_core", lambda: True)
    parent = os.getpid()
    real = config_module.semantic_problems

    def dies_in_the_child(*args: object, **kw: object) -> object:
        if os.getpid() != parent:
            os._exit(3)
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(config_module, "semantic_problems", dies_in_the_child)
    config = _rule_error_only(tmp_path)
    expected = _error(lambda: load_config(config))
    _, rules = load_config_beside(config)
    assert rules._job is not None and rules._job.forked     # it did fork
    with rules:
        assert _error(rules.check) == expected


def test_no_password_prompt_for_a_configuration_the_rules_refuse(tmp_path: Path,
                                                                  idle: bool) -> None:
    asked: list[str] = []
    config = _rule_error_only(tmp_path)
    expected = _error(lambda: load_config(config))
    opts = commands.ConnectOptions(username="admin",
                                   prompt=lambda user, manager: asked.append(user) or "x")
    assert _error(lambda: commands.plan(config, opts)) == expected
    assert asked == []
