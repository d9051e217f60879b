"""Scenario 10: bad inputs give one clear error and a hint, exit 1, never a traceback.

Run as real processes: what matters is what an operator's terminal shows. Also regression tests
for three such inputs that used to crash or mislead:
- `apply --journal` in a place that cannot hold a file (internal error after the plan);
- `apply` to `sim:FILE` whose directory cannot be written (internal error AFTER applying, so
  the applied change was lost);
- `sim serve --state` with a broken file printed its hint twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.conftest import (
    Result,
    Sim,
    assert_clean_error,
    nsxplan,
    nsxplan_proc,
)

CREDS = {"NSX_USERNAME": "admin", "NSX_PASSWORD": "pw"}


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "garbage.yaml").write_text("version: 1\nowner: x\ntier0s: [ {id: a,\n  ::: {{{\n")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\x01\xff\xfe\x80")
    (tmp_path / "tabs.yaml").write_text("version: 1\n\towner: x\n")
    (tmp_path / "truncated-plan.json").write_text('{"format_version": 1, "changes": [')
    (tmp_path / "garbage.jsonl").write_text("not a journal\n")
    (tmp_path / "a-file").write_text("")
    return tmp_path


CASES: dict[str, tuple[list[str], list[str]]] = {
    "garbage-yaml": (["plan", "{d}/garbage.yaml"], ["garbage.yaml:", "hint:"]),
    "binary-yaml": (["validate", "{d}/binary.yaml"], ["binary.yaml", "hint:"]),
    "tab-indented-yaml": (["plan", "{d}/tabs.yaml"], ["tabs.yaml:2", "hint:"]),
    "missing-config": (["plan", "{d}/nope.yaml"], ["nope.yaml", "hint:"]),
    "wrong-scheme": (["plan", "{lab}", "--manager", "ftp://nsx.example.com"], ["ftp://"]),
    "empty-url": (["plan", "{lab}", "--manager", "https://"], ["hint:"]),
    "plain-http-to-remote": (["export", "--manager", "http://192.0.2.1"], ["192.0.2.1", "https"]),
    "insecure-plain-http-to-remote": (["export", "--manager", "http://192.0.2.1", "--insecure"],
                                      ["192.0.2.1", "https"]),
    "unreachable-port": (["export", "--manager", "http://127.0.0.1:1"],
                         ["127.0.0.1:1", "hint:"]),
    "unreadable-plan": (["apply", "{d}/truncated-plan.json", "--auto-approve"],
                        ["truncated-plan.json", "hint:"]),
    "show-unreadable-plan": (["show", "{d}/truncated-plan.json"], ["truncated-plan.json"]),
    "missing-journal": (["rollback", "{d}/nope.jsonl"], ["nope.jsonl", "hint:"]),
    "garbage-journal": (["rollback", "{d}/garbage.jsonl"], ["garbage.jsonl", "hint:"]),
    "journal-is-a-directory": (["rollback", "{d}"], ["hint:"]),
    "unknown-flag": (["plan", "{lab}", "--frobnicate"], ["--frobnicate", "hint:"]),
    "broken-sim-state": (["plan", "{lab}", "--manager", "sim:{d}/truncated-plan.json"],
                         ["truncated-plan.json", "hint:"]),
    "export-into-a-file": (["export", "--manager", "sim", "--out", "{d}/a-file/x.json"],
                           ["a-file", "hint:"]),
    "plan-out-into-a-file": (["plan", "{lab}", "--manager", "sim", "--out", "{d}/a-file/p.json"],
                             ["a-file", "hint:"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_clean_error(case: str, files: Path, lab: Path) -> None:
    args, needles = CASES[case]
    argv = [a.format(d=files, lab=lab) for a in args]
    res = nsxplan_proc(*argv, env=CREDS, cwd=files)
    assert_clean_error(res, *needles)
    assert res.out.strip() == "" or case.startswith("plan-out"), res.out


def lines(res: Result) -> list[str]:
    return [line for line in res.err.splitlines() if line.strip()]


def test_unwritable_journal_refuses_before_any_change(shared_sim: Sim, files: Path,
                                                      lab: Path) -> None:
    for journal in (files / "a-file" / "j.jsonl", Path("/proc/nsxplan-scenario.jsonl")):
        res = nsxplan("apply", lab, "--manager", shared_sim.url, "--auto-approve",
                      "--journal", journal, sim=shared_sim)
        assert_clean_error(res, str(journal), "nothing was changed")
    assert shared_sim.status("/infra/tier-0s/vcf-t0/static-routes/default-route") == 404


def test_unwritable_sim_state_refuses_before_applying(files: Path, lab: Path) -> None:
    state = files / "a-file" / "lab.json"
    res = nsxplan("apply", lab, "--manager", f"sim:{state}", "--auto-approve")
    assert_clean_error(res, str(state), "hint:")
    assert "Apply complete" not in res.out + res.err


def test_sim_serve_bad_state_says_it_once(files: Path) -> None:
    res = nsxplan_proc("sim", "serve", "--port", "0", "--state", files / "truncated-plan.json")
    assert_clean_error(res, "truncated-plan.json")
    assert len([x for x in lines(res) if "hint:" in x]) == 1, res.err


def test_json_plan_format_errors_stay_off_stdout(files: Path) -> None:
    """`plan --format json` scripts parse stdout: a failure must leave it empty."""
    res = nsxplan_proc("plan", files / "garbage.yaml", "--format", "json")
    assert res.code == 1 and res.out == "", res.out
    assert "garbage.yaml:" in res.err
