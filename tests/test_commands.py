"""nsxplan.commands as a second program uses it: typed values back, nothing printed, nothing
exited. Against the embedded simulator with a `sim:FILE` state in tmp_path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from nsxplan import commands
from nsxplan.commands import ConnectOptions
from nsxplan.errors import ConfigError, StalePlanError
from nsxplan.live.state import LiveState


@pytest.fixture
def silent(capsys: pytest.CaptureFixture[str]) -> Iterator[None]:
    """The API never writes to stdout or stderr; `note` lines are the only progress channel."""
    yield
    assert capsys.readouterr() == ("", "")


def test_validate_returns_the_config_and_its_summary(lab: Path, silent: None) -> None:
    result = commands.validate(lab)
    assert result.config.owner == "tanzu-egress"
    assert result.summary.startswith(f"{lab}: valid (1 file, owner tanzu-egress, ")
    shown = commands.render_checks(result.checks)
    assert all(f": {c.subject}: " in shown for c in result.checks if c.status != "ok")


def test_validate_raises_config_error_instead_of_exiting(tmp_path: Path, silent: None) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nowner: Not Valid\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        commands.validate(bad)
    assert err.value.exit_code == 1 and str(bad) in err.value.format()


def test_plan_returns_the_plan_and_the_live_state_it_read(lab: Path, silent: None) -> None:
    notes: list[str] = []
    result = commands.plan(lab, ConnectOptions(), note=notes.append)
    assert isinstance(result.live, LiveState)
    assert result.plan.has_changes and result.plan.owner == "tanzu-egress"
    assert not hasattr(result, "connection")          # nothing left open, nothing to close
    document = json.loads(commands.render(result.plan, "json"))
    assert document["target"] == f"sim:{lab / 'lab.json'}"
    assert "Plan for owner tanzu-egress" in commands.render(result.plan, "text")


def test_apply_then_plan_is_empty_and_rollback_restores(lab: Path, tmp_path: Path,
                                                         silent: None) -> None:
    saved = tmp_path / "plan.json"
    commands.save_plan(commands.plan(lab, ConnectOptions()).plan, saved)
    prepared = commands.prepare_apply(saved, ConnectOptions())
    journal = tmp_path / "journal.jsonl"
    notes: list[str] = []
    try:
        assert prepared.saved and prepared.source == saved
        outcome = commands.run_apply(prepared, parallelism=2, rollback=True, journal=journal,
                                     realization_timeout=10.0, note=notes.append)
    finally:
        prepared.close()
    assert outcome.ok and outcome.summary.startswith("Apply complete:")
    assert notes                                      # the progress lines went to `note`
    assert not commands.plan(lab, ConnectOptions()).plan.has_changes

    restored = commands.rollback(journal, ConnectOptions())
    assert restored.ok and restored.summary.startswith("Rollback complete:")
    assert commands.plan(lab, ConnectOptions()).plan.has_changes


def test_a_stale_saved_plan_is_refused_with_a_headline(lab: Path, tmp_path: Path,
                                                       silent: None) -> None:
    saved = tmp_path / "plan.json"
    commands.save_plan(commands.plan(lab, ConnectOptions()).plan, saved)
    prepared = commands.prepare_apply(lab, ConnectOptions())       # applies the same changes
    try:
        commands.run_apply(prepared, parallelism=2, rollback=True, journal=None,
                           realization_timeout=10.0)
    finally:
        prepared.close()
    stale = commands.prepare_apply(saved, ConnectOptions())
    try:
        with pytest.raises(StalePlanError) as err:
            commands.run_apply(stale, parallelism=2, rollback=True, journal=None,
                               realization_timeout=10.0)
    finally:
        stale.close()
    assert err.value.exit_code == 3
    assert err.value.problems[0].message.startswith(f"refusing to apply {saved}: ")


def test_export_and_import_return_text(lab: Path, silent: None) -> None:
    opts = ConnectOptions(manager=f"sim:{lab / 'lab.json'}")
    snapshot = json.loads(commands.export(opts))
    assert snapshot["resource_type"] == "Infra"
    text = commands.import_config(opts, owner="edge-team", tier0s=["vcf-t0"], tier1s=[],
                                  zones=[])
    assert yaml.safe_load(text)["owner"] == "edge-team"
