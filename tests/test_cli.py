"""The command-line contract (cli.md): exit codes, streams, colour, the main job end to end.

Runs `nsxplan.cli.main(argv)` in-process against the embedded simulator (`sim:FILE` in a temp
directory), as a user would type the commands.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from nsxplan import __version__
from nsxplan.cli import main
from nsxplan.schemas import schema_path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir())
ANSI = re.compile(r"\x1b\[")


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """The static-routing lab copied aside, so its `sim:lab.json` state lives in tmp_path."""
    dest = tmp_path / "lab"
    shutil.copytree(ROOT / "examples" / "static-routing-lab", dest,
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    return dest


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert __version__ in out


def test_usage_error_exits_1_with_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan")          # missing PATH
    assert code == 1
    assert out == ""
    assert "Error:" in err and "hint:" in err
    assert "Traceback" not in err
    code, _, err = run(capsys, "no-such-command")
    assert code == 1 and "hint:" in err


def test_validate_examples(capsys: pytest.CaptureFixture[str]) -> None:
    for example in EXAMPLES:
        code, out, err = run(capsys, "validate", str(example))
        assert code == 0, err
        assert "valid" in out and out.count("\n") == 1


def test_validate_reports_every_error_located(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "version: 1\n"
        "owner: demo\n"
        "tier0s:\n"
        "  - id: t0\n"
        "    nat_rules:\n"
        "      - id: r1\n"
        "        action: SNAT\n"          # SNAT on an ACTIVE_ACTIVE Tier-0
        "        translated: 10.0.0.1\n"
        "      - id: r2\n"
        "        action: NO_SNAT\n"
        "        source: 10.0.0.0/33\n"   # invalid CIDR
        "        translated: 1.2.3.4\n"   # forbidden for NO_SNAT
    )
    code, out, err = run(capsys, "validate", str(bad))
    assert code == 1
    assert out == ""
    located = re.findall(rf"^{re.escape(str(bad))}:(\d+):(\d+): ", err, re.M)
    assert len(located) >= 3, err
    assert {int(line) for line, _ in located} >= {7, 11, 12}   # action, source, translated
    assert "hint:" in err and "Traceback" not in err


def test_plan_json_is_clean_and_valid(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", str(lab), "--format", "json", "--detailed-exitcode")
    assert code == 2, err
    doc = json.loads(out)                                   # stdout is only the JSON
    schema = json.loads(schema_path("plan.schema.json").read_text())
    jsonschema.validate(doc, schema)
    addresses = {c["address"] for c in doc["changes"] if c["action"] == "create"}
    assert "tier0s.vcf-t0.static_routes.default-route" in addresses
    assert "tier0s.vcf-t0.nat_rules.supervisor-egress" in addresses


def test_apply_then_plan_is_empty_and_persists(lab: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "apply", str(lab), "--auto-approve", "--no-color")
    assert code == 0, err
    assert "journal:" in err
    assert (lab / "lab.json").is_file()                    # sim:FILE written back
    assert not ANSI.search(out)
    code, out, err = run(capsys, "plan", str(lab), "--detailed-exitcode")
    assert code == 0, out + err
    assert "No changes" in out


def test_apply_refuses_without_tty_or_auto_approve(lab: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "apply", str(lab))
    assert code == 1
    assert "--auto-approve" in err
    assert not (lab / "lab.json").exists() or "nsxplan/owner" not in (lab / "lab.json").read_text()


def test_saved_plan_show_apply_and_stale_refusal(lab: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    planfile = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", str(lab), "--out", str(planfile))
    assert code == 0, err
    code, out, _ = run(capsys, "show", str(planfile), "--format", "markdown")
    assert code == 0 and "<details>" in out
    code, _, err = run(capsys, "apply", str(planfile), "--auto-approve")
    assert code == 0, err
    # The plan's objects now exist: applying the same plan again must be refused as stale.
    code, _, err = run(capsys, "apply", str(planfile), "--auto-approve")
    assert code == 3, err


def test_drift_exit_codes_and_metrics(lab: Path, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    metrics = tmp_path / "nsxplan.prom"
    code, _, _ = run(capsys, "drift", str(lab), "--metrics", str(metrics))
    assert code == 2
    assert "nsxplan_" in metrics.read_text()
    assert run(capsys, "apply", str(lab), "--auto-approve")[0] == 0
    code, _, _ = run(capsys, "drift", str(lab))
    assert code == 0


def test_no_color_env(lab: Path, capsys: pytest.CaptureFixture[str],
                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = run(capsys, "plan", str(lab))
    assert code == 0
    assert not ANSI.search(out)
    assert "Plan:" in out


def test_missing_path_is_one_line_error(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", str(tmp_path / "nope.yaml"))
    assert code == 1 and out == ""
    assert "nope.yaml" in err and "Traceback" not in err


def test_export_import_round_trip(lab: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Objects made by one stack, imported by another owner, plan as tag-only adoptions."""
    assert run(capsys, "apply", str(lab), "--auto-approve")[0] == 0
    state = f"sim:{lab / 'lab.json'}"
    code, out, _ = run(capsys, "export", "--manager", state)
    assert code == 0 and json.loads(out)["resource_type"] == "Infra"
    imported = tmp_path / "imported.yaml"
    code, _, err = run(capsys, "import", "--manager", state, "--tier0", "vcf-t0", "--owner",
                       "brownfield", "--out", str(imported))
    assert code == 0, err
    text = imported.read_text()
    assert "adopt: true" in text and "default-route" in text
    code, out, err = run(capsys, "validate", str(imported))
    assert code == 0, err


def test_graph_is_dot(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "graph", str(lab))
    assert code == 0
    assert out.startswith("digraph nsxplan {")
    assert '"tier0s.vcf-t0.static_routes.default-route"' in out
