"""The command-line contract (cli.md): exit codes, streams, colour, the main job end to end.

Runs `nsxplan.cli.main(argv)` in-process against the embedded simulator (`sim:FILE` in a temp
directory), as a user would type the commands.
"""

from __future__ import annotations

import io
import json
import re
from itertools import takewhile
from pathlib import Path

import click
import jsonschema
import pytest

from nsxplan import __version__
from nsxplan.cli import main
from nsxplan.schemas import schema_path

ROOT = Path(__file__).resolve().parent.parent
# Configuration examples (examples/ci/ holds CI pipelines, not a configuration).
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "nsxplan.yaml").is_file())
ANSI = re.compile(r"\x1b\[")


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
    assert err.splitlines()[0] == (f"refusing to apply {planfile}: 3 objects changed in NSX "
                                   "since it was planned")
    assert err.count("appeared since the plan") == 3 and "nothing was written" in err


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


# --------------------------------------------------------------------------- help and docs

COMMON_FLAGS = {"--manager", "--username", "--insecure", "--ca-bundle", "--rate-limit",
                "--record-http",
                "--no-color", "-v", "--verbose", "-h", "--help"}


def documented_commands() -> dict[str, set[str]]:
    """cli.md's command table: command name -> the flags its first cell shows."""
    rows: dict[str, set[str]] = {}
    for line in (ROOT / "docs" / "cli.md").read_text().splitlines():
        if not line.startswith("| `nsxplan "):
            continue
        cell = re.split(r"(?<!\\)\|", line)[1]
        name = " ".join(takewhile(lambda w: w.isalpha() and w.islower(),
                                  cell.strip(" `").split()[1:]))
        rows[name] = set(re.findall(r"(?<![\w-])(?:--[a-z][a-z0-9-]*|-[vq])\b", cell))
    return rows


def command_flags(name: str) -> set[str]:
    from nsxplan.cli import cli

    cmd: click.Command = cli
    for part in name.split():
        assert isinstance(cmd, click.Group)
        found = cmd.get_command(click.Context(cmd), part)   # `sim` is loaded on demand
        assert found is not None, part
        cmd = found
    return {opt for param in cmd.params for opt in (*param.opts, *param.secondary_opts)
            if opt.startswith("-")}


def test_docs_table_lists_every_command() -> None:
    from nsxplan.cli import cli

    names = set(documented_commands())
    listed = set(cli.list_commands(click.Context(cli)))
    assert names == {*(listed - {"sim"}), "sim serve", "sim replay"}


@pytest.mark.parametrize("name", sorted(documented_commands()))
def test_flags_match_docs(name: str) -> None:
    documented = documented_commands()[name]
    actual = command_flags(name)
    assert documented <= actual, f"cli.md promises flags `nsxplan {name}` lacks"
    assert actual - COMMON_FLAGS <= documented, f"`nsxplan {name}` flags cli.md does not show"


@pytest.mark.parametrize("name", sorted(documented_commands()))
def test_every_command_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *name.split(), "--help")
    assert code == 0 and err == ""
    # click words the usage line; nsxplan's part is that it names the whole command
    assert re.match(rf"(?i)usage: +nsxplan {name} ", out), out.splitlines()[0]
    for flag in command_flags(name) - {"-h", "-v"}:
        assert flag in out


def test_top_help_lists_commands_whole_and_common_invocations(
        capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    listing = out.split("Commands:")[1].split("Common invocations:")[0]
    assert "..." not in listing                      # no short help cut off by click
    invocations = out.split("Common invocations:")[1].split("\n\n")[0].strip().splitlines()
    assert len(invocations) == 3 and all(i.lstrip().startswith("nsxplan ") for i in invocations)


def test_usage_error_hint_names_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "plan", "x", "--format", "yaml")
    assert code == 1
    # the first line is click's (its words are not pinned); it names the flag at fault
    assert err.splitlines()[0].startswith("Error: ") and "'--format'" in err.splitlines()[0]
    assert err.splitlines()[1] == "  hint: see `nsxplan plan --help`"
    code, _, err = run(capsys, "sim", "serve", "--port", "x")
    assert code == 1 and "nsxplan sim serve --help" in err
    assert len(err.splitlines()) == 2


def test_target_note_once_and_in_memory_sim_warned(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("version: 1\nowner: t\ntier0s:\n  - id: vcf-t0\n    existing: true\n"
                      "    static_routes:\n"
                      "      - {id: r, network: 10.9.0.0/16, next_hops: [{ip: 10.27.51.1}]}\n")
    code, _, err = run(capsys, "plan", str(config), "--fail-on-checks", "never")
    assert code == 0
    assert err.count("target: sim (") == 1
    code, _, err = run(capsys, "apply", str(config), "--auto-approve", "--fail-on-checks",
                       "never", "--journal", str(tmp_path / "j.jsonl"))
    assert code == 0, err
    assert err.count("target: sim (") == 1
    assert "target sim keeps nothing" in err
    assert err.index("keeps nothing") < err.index("Applying ")


# A route whose next hop is on no subnet of vcf-t0: a failure this plan causes (it blocks).
UNREACHABLE_HOP = ("version: 1\nowner: t\ntier0s:\n  - id: vcf-t0\n    existing: true\n"
                   "    static_routes:\n"
                   "      - {id: r, network: 10.9.0.0/16, next_hops: [{ip: 192.0.2.1}]}\n")


def test_blocking_check_hint_stays_in_its_column(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(UNREACHABLE_HOP)
    code, _, err = run(capsys, "plan", str(config))
    assert code == 1
    assert "\n        (or pass --fail-on-checks never to proceed anyway)" in err


@pytest.mark.parametrize("argv", [[], ["sim"]])
def test_bare_group_prints_its_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    command = f"nsxplan {' '.join(argv)}".rstrip()
    assert re.match(rf"(?i)usage: +{command} ", err), err.splitlines()[0]
    assert "Error" not in err


class Terminal(io.StringIO):
    """Typed answers on a stdin that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "expect"), [("no", 1), ("yes", 0)])
def test_apply_asks_naming_the_target(answer: str, expect: int, lab: Path,
                                      capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", Terminal(answer + "\n"))
    code, out, err = run(capsys, "apply", str(lab), "--no-color")
    assert code == expect, err
    assert f"Apply these changes to sim:{lab / 'lab.json'}? Only 'yes' will be accepted" in err
    assert ("Apply cancelled." in err) == (answer == "no")
    assert ("Apply complete: 3 created" in out) == (answer == "yes")


def test_import_refuses_a_bad_owner_and_says_when_nothing_is_selected(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "import", "--owner", "Edge Team", "--tier0", "vcf-t0")
    assert code == 1 and out == ""
    assert err.startswith("--owner 'Edge Team' is not a valid owner name")
    assert "\n  hint: " in err and len(err.splitlines()) == 2
    skeleton = tmp_path / "skeleton.yaml"
    code, _, err = run(capsys, "import", "--owner", "edge-team", "--out", str(skeleton))
    assert code == 0
    assert "nothing selected" in err
    assert run(capsys, "validate", str(skeleton))[0] == 0


def test_saved_plan_blocked_by_checks_says_so(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(UNREACHABLE_HOP)
    planfile = tmp_path / "plan.json"
    code, _, err = run(capsys, "plan", str(config), "--out", str(planfile))
    assert code == 1 and planfile.is_file()
    assert f"Plan saved to {planfile}, but its dependency checks fail" in err
    assert "apply it exactly" not in err
    code, _, err = run(capsys, "plan", str(config), "--out", str(planfile),
                       "--fail-on-checks", "never")
    assert code == 0                       # printed only; `apply` would still stop there
    assert f"Plan saved to {planfile}, but its dependency checks fail" in err


BAD_INVOCATIONS = [
    ["show", "{tmp}/nope.json"],
    ["show", "{readme}"],
    ["apply", "{tmp}/nope", "--auto-approve"],
    ["rollback", "{tmp}/nope.jsonl"],
    ["rollback", "{readme}"],
    ["graph", "{tmp}"],
    ["validate", "{readme}"],
    ["plan", "{lab}", "--manager", "ftp://x"],
    ["plan", "{lab}", "--manager", "sim:"],
    ["plan", "{lab}", "--manager", "sim:{readme}"],
    ["plan", "{lab}", "--manager", "https://nsx.example.com"],          # no credentials
    ["plan", "{lab}", "--format", "yaml"],
    ["plan", "{lab}", "--rate-limit", "0"],
    ["plan", "{lab}", "--owner", "x"],
    ["drift", "{lab}", "--metrics", "{tmp}/no/such/dir/x.prom"],
    ["export", "--manager", "sim", "--out", "{tmp}/no/such/dir/x.json"],
    ["import", "--tier0", "nope", "--owner", "x", "--manager", "sim"],
    ["import", "--tier0", "vcf-t0"],                                    # no --owner
    ["sim", "serve", "--state", "{tmp}/nope.json"],
    ["sim", "serve", "--username", "admin"],                            # without --password
    ["sim", "bogus"],
]


@pytest.mark.parametrize("argv", BAD_INVOCATIONS, ids=lambda a: " ".join(a[:2]))
def test_errors_are_one_line_and_a_hint(argv: list[str], lab: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD", "NSX_CLIENT_CERT"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "no").write_text("a file, so no/such/dir cannot be created")
    fill = {"tmp": str(tmp_path), "lab": str(lab), "readme": str(ROOT / "README.md")}
    code, out, err = run(capsys, *(a.format(**fill) for a in argv))
    assert code == 1
    assert out == "" or argv[0] in ("plan", "drift")      # a plan may print before --out fails
    lines = [line for line in err.splitlines() if not line.startswith("target: sim (")]
    assert len(lines) == 2, err
    assert lines[0] and not lines[0].startswith(" ")
    assert lines[1].startswith("  hint: ")
    assert "Traceback" not in err
