"""Saved plan files: atomic 0600 writes, scrubbed targets, clear errors on bad files."""

from __future__ import annotations

import dataclasses
import json
import stat

import pytest

from nsxplan.errors import EXIT_ERROR, NsxplanError, PlanError, PlanFileError
from nsxplan.plan.planfile import is_plan_file, load_plan, plan_from_dict, save_plan
from nsxplan.render import render_json
from tests.render.helpers import sample_plan


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_save_then_load_is_exact(tmp_path):
    plan = sample_plan()
    path = tmp_path / "plan.json"
    save_plan(plan, path, full=True)
    assert load_plan(path) == plan
    assert path.read_text(encoding="utf-8") == render_json(plan, full=True)
    save_plan(plan, path)          # no-ops summarized: everything else exactly
    assert load_plan(path).changes == plan.changes
    assert path.read_text(encoding="utf-8") == render_json(plan)


def test_file_is_private_even_when_overwriting_a_readable_file(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    save_plan(sample_plan(), path)
    assert _mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plan.json"]  # no temp file left


def test_credentials_in_the_target_label_are_scrubbed(tmp_path):
    plan = dataclasses.replace(sample_plan(), target="https://user:pw@nsx.example.com/")
    path = tmp_path / "plan.json"
    save_plan(plan, path)
    raw = path.read_text(encoding="utf-8")
    target = json.loads(raw)["target"]
    assert "user" not in target and "user" not in raw.split('"target":')[1].split(",")[0]
    assert "pw@" not in raw
    assert load_plan(path).target == "https://nsx.example.com/"
    assert json.loads(render_json(plan))["target"] == "https://nsx.example.com/"


def test_unwritable_destination_is_a_plan_error(tmp_path):
    with pytest.raises(PlanFileError) as err:
        save_plan(sample_plan(), tmp_path / "missing-dir" / "plan.json")
    assert "cannot write" in err.value.format()
    assert "hint:" in err.value.format()


def test_missing_file(tmp_path):
    with pytest.raises(PlanFileError) as err:
        load_plan(tmp_path / "nope.json")
    assert "no such plan file" in str(err.value)
    assert isinstance(err.value, PlanError) and isinstance(err.value, NsxplanError)
    assert err.value.exit_code == EXIT_ERROR


def test_invalid_json_is_located(tmp_path):
    path = tmp_path / "plan.json"
    path.write_text('{\n  "format_version": 1,\n  oops\n}\n', encoding="utf-8")
    with pytest.raises(PlanFileError) as err:
        load_plan(path)
    problem = err.value.problems[0]
    assert problem.source is not None and problem.source.line == 3
    assert "invalid JSON" in problem.message


def test_not_a_plan(tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"version": 1, "owner": "x"}', encoding="utf-8")
    with pytest.raises(PlanFileError) as err:
        load_plan(path)
    assert "not an nsxplan plan" in str(err.value)


@pytest.mark.parametrize(("version", "hint"), [(99, "upgrade nsxplan"), (0, "with this version"),
                                               ("1", "with this version")])
def test_unknown_format_version_has_a_hint(tmp_path, version, hint):
    data = json.loads(render_json(sample_plan()))
    data["format_version"] = version
    data["nsxplan_version"] = "9.9.9"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanFileError) as err:
        load_plan(path)
    problem = err.value.problems[0]
    assert "unsupported plan format_version" in problem.message
    assert problem.hint is not None and hint in problem.hint and "9.9.9" in problem.hint


def test_schema_violations_are_all_reported_with_their_location(tmp_path):
    data = json.loads(render_json(sample_plan()))
    data["changes"][2]["action"] = "destroy"
    data["checks"][0]["status"] = "maybe"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(PlanFileError) as err:
        load_plan(path)
    messages = [p.message for p in err.value.problems]
    assert any("/changes/2/action" in m and "destroy" in m for m in messages)
    assert any("/checks/0/status" in m and "maybe" in m for m in messages)


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(PlanFileError) as err:
        load_plan(tmp_path)
    assert "directory" in str(err.value)


@pytest.mark.parametrize(("label", "clean"), [
    ("https://user:pw@host", "https://host"),
    ("https://admin@nsx.example.com:443/", "https://nsx.example.com:443/"),
    ("http://u:p%40ss@127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("https://nsx.example.com", "https://nsx.example.com"),
    ("sim", "sim"),
    ("sim:/tmp/state@v2.json", "sim:/tmp/state@v2.json"),
])
def test_scrub_target(label, clean, tmp_path):
    path = tmp_path / "plan.json"
    save_plan(dataclasses.replace(sample_plan(), target=label), path)
    assert load_plan(path).target == clean
    assert json.loads(path.read_text(encoding="utf-8"))["target"] == clean


@pytest.mark.parametrize("document", [[1, 2], {"format_version": 1}, "plan"])
def test_garbage_documents_are_plan_errors_not_tracebacks(tmp_path, document):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(PlanFileError):
        load_plan(path)


def test_plan_from_dict_reports_a_malformed_dict_as_a_plan_error():
    with pytest.raises(PlanError) as err:
        plan_from_dict({"format_version": 1, "target": "sim"})
    assert "not a valid nsxplan plan" in str(err.value)


def test_is_plan_file_tells_plans_from_configurations(tmp_path):
    big = dataclasses.replace(sample_plan(), actions=sample_plan().actions * 40)  # > 4 KiB head
    plan = tmp_path / "plan.json"
    save_plan(big, plan)
    assert plan.stat().st_size > 8192 and is_plan_file(plan)
    empty = tmp_path / "empty-plan.json"
    save_plan(dataclasses.replace(sample_plan(), actions=()), empty)
    assert is_plan_file(empty)
    config = tmp_path / "config.json"
    config.write_text('{"version": 1, "owner": "demo", "tier0s": []}', encoding="utf-8")
    yaml_config = tmp_path / "config.yaml"
    yaml_config.write_text("version: 1\nowner: demo\n", encoding="utf-8")
    assert not is_plan_file(config)
    assert not is_plan_file(yaml_config)
    assert not is_plan_file(tmp_path)
    assert not is_plan_file(tmp_path / "missing.json")


def test_an_unknown_action_is_a_plan_error_not_a_string_passed_on():
    data = json.loads(render_json(sample_plan(), full=True))
    data["changes"][0]["action"] = "upsert"
    with pytest.raises(PlanError) as err:
        plan_from_dict(data)
    assert "unknown plan action 'upsert'; expected one of create, update, delete, replace, " \
           "no-op" in str(err.value)


def test_every_operation_has_one_symbol_and_one_verb():
    from nsxplan.plan.model import ACTIONS, SYMBOL, VERB
    assert set(SYMBOL) == set(VERB) == set(ACTIONS)
    assert [SYMBOL[a] for a in ACTIONS] == ["+", "~", "-", "-/+", " "]
