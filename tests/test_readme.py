"""README.md, run as a new user would: every shell command in its code blocks, in order.

The commands run in a temp copy of `examples/` (the repo's own lab state is never touched), with
`nsxplan` as `nsxplan.cli.main` in-process (or `python -m nsxplan.cli` for servers). Every command
README shows must be in STEPS below, or the test fails: a new README command cannot go
unchecked. What cannot run here as written is substituted, and each step says how:

- https://nsx.example.com (a real NSX Manager)      -> `--manager sim` (the demo state)
- /var/lib/node_exporter/nsxplan.prom               -> a file in the temp directory
- .../.nsxplan/journal-....jsonl (a placeholder)   -> the journal the Quickstart apply wrote
- faults.yaml                                       -> README's own faults example, written out
- `nsxplan sim serve` (runs until stopped)          -> served on 127.0.0.1, asked for a plan
                                                       through it, then stopped with SIGINT
- Quickstart: venv creation and `pip install` are not run (the lead checks them in a fresh
  clone); the installed `.venv/bin/nsxplan apply ...` is run as `nsxplan apply ...`. The test
  Quickstart is this suite itself (running it here would recurse); CI runs it verbatim.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import shutil
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from nsxplan.cli import main
from tests.sim.helpers import sim_process, stop_process

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

# CI and the lead's fresh-clone check depend on these two lines exactly.
QUICKSTART_APPLY = ("python3 -m venv .venv && "
                    ".venv/bin/pip install -q --require-hashes -r requirements.lock && "
                    ".venv/bin/pip install -q --no-deps --no-build-isolation . && "
                    ".venv/bin/nsxplan apply examples/static-routing-lab --auto-approve")
QUICKSTART_TESTS = ("python3 -m venv .venv && "
                    ".venv/bin/pip install -q --require-hashes -r requirements-test.lock && "
                    ".venv/bin/pip install -q --no-deps --no-build-isolation . && "
                    ".venv/bin/python -m pytest -q -p no:cacheprovider")


def code_blocks(lang: str) -> list[str]:
    return [body for tag, body in re.findall(r"```(\w*)\n(.*?)```", README.read_text(), re.S)
            if tag == lang]


def shell_lines() -> list[str]:
    """Each command line of the sh blocks, continuation lines joined, as typed (lines holding
    only a comment are not commands)."""
    lines: list[str] = []
    for block in code_blocks("sh"):
        lines.extend(line for line in block.replace("\\\n", " ").splitlines()
                     if not line.lstrip().startswith("#") and line.strip())
    return lines


def words(line: str) -> tuple[str, ...]:
    """The line as the shell splits it, comments dropped: the key into STEPS."""
    return tuple(shlex.split(line, comments=True))


# --------------------------------------------------------------------------- running


@dataclass
class Session:
    """A user's shell: its working directory, and `nsxplan` run in-process there."""

    cwd: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch

    def nsxplan(self, *argv: str, expect: int) -> tuple[str, str]:
        code = main(list(argv))
        out, err = self.capsys.readouterr()
        assert code == expect, f"nsxplan {' '.join(argv)} exited {code}, not {expect}:\n{err}"
        assert "Traceback" not in err
        return out, err

    @property
    def lab(self) -> Path:
        return self.cwd / "examples" / "static-routing-lab"


def serve(s: Session, argv: tuple[str, ...], check: Callable[[str, str | None], None]) -> None:
    """Run `nsxplan sim serve ...` as a child in the session's directory, hand its URL (and CA
    bundle) to `check`, then stop it as a user would (Ctrl-C) and expect a clean exit."""
    assert Path.cwd() == s.cwd                       # the child resolves prod.json from here
    with sim_process(*argv[1:], command=[sys.executable, "-m", "nsxplan.cli"]) as (proc, lines):
        url = lines.next()
        assert re.fullmatch(r"https?://127\.0\.0\.1:\d+", url), url
        ca = None
        if url.startswith("https://"):
            ca_line = lines.next()
            assert ca_line.startswith("CA bundle: "), ca_line
            ca = ca_line.removeprefix("CA bundle: ")
        check(url, ca)
        code, err = stop_process(proc, signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err and "listening on" in err


# --------------------------------------------------------------------------- the steps


def quickstart_apply(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: the venv and pip install are not run; `.venv/bin/nsxplan` is this package.
    nsx = argv.index(".venv/bin/nsxplan")
    out, err = s.nsxplan(*argv[nsx + 1:], expect=0)
    assert "Apply complete: 3 created" in out, out + err
    assert (s.lab / "lab.json").is_file()
    # README: "Run it again: `No changes.`"
    out, _ = s.nsxplan(*argv[nsx + 1:], expect=0)
    assert "No changes." in out


def quickstart_tests(s: Session, argv: tuple[str, ...]) -> None:
    # Not run: it is this very suite, already running (it would recurse); CI runs it verbatim.
    assert argv[-5:] == ("-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "pytest" in sys.modules


def validate(s: Session, argv: tuple[str, ...]) -> None:
    out, _ = s.nsxplan(*argv[1:], expect=0)
    assert "valid" in out


def plan_text(s: Session, argv: tuple[str, ...]) -> None:
    out, _ = s.nsxplan(*argv[1:], expect=0)
    assert "No changes." in out             # the Quickstart applied it


def plan_markdown(s: Session, argv: tuple[str, ...]) -> None:
    redirect = argv.index(">")
    out, _ = s.nsxplan(*argv[1:redirect], expect=0)
    (s.cwd / argv[redirect + 1]).write_text(out)    # the shell's `> plan.md`
    assert (s.cwd / "plan.md").read_text().startswith("## nsxplan plan")


def plan_out(s: Session, argv: tuple[str, ...]) -> None:
    _, err = s.nsxplan(*argv[1:], expect=0)
    assert json.loads((s.cwd / "plan.json").read_text())["format_version"]
    assert "nsxplan apply plan.json" in err


def apply_saved(s: Session, argv: tuple[str, ...]) -> None:
    s.nsxplan(*argv[1:], expect=0)


def drift(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: no node_exporter here; the textfile goes to the temp directory.
    metrics = s.cwd / "nsxplan.prom"
    args = [str(metrics) if a == "/var/lib/node_exporter/nsxplan.prom" else a for a in argv[1:]]
    assert str(metrics) in args
    s.nsxplan(*args, expect=0)              # in sync after the Quickstart apply
    assert "nsxplan_" in metrics.read_text()


def rollback(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: the placeholder is the journal the Quickstart's apply wrote.
    journals = sorted((s.lab / ".nsxplan").glob("journal-*.jsonl"))
    assert len(journals) == 1, journals
    assert argv[2] == "examples/static-routing-lab/.nsxplan/journal-....jsonl"
    out, _ = s.nsxplan("rollback", str(journals[0]), expect=0)
    assert "Rollback complete" in out
    s.nsxplan("drift", str(s.lab), expect=2)   # the applied objects are gone again


def export(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: --manager https://nsx.example.com -> --manager sim (no real NSX here).
    args = ["sim" if a == "https://nsx.example.com" else a for a in argv[1:]]
    assert "sim" in args
    s.nsxplan(*args, expect=0)
    assert json.loads((s.cwd / "prod.json").read_text())["resource_type"] == "Infra"


def rehearse(s: Session, argv: tuple[str, ...]) -> None:
    out, _ = s.nsxplan(*argv[1:], expect=0)
    assert "Plan: 3 to create" in out


def import_brownfield(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: --manager https://nsx.example.com -> --manager sim (no real NSX here).
    args = ["sim" if a == "https://nsx.example.com" else a for a in argv[1:]]
    assert "sim" in args
    s.nsxplan(*args, expect=0)
    assert "adopt: true" in (s.cwd / "edge.yaml").read_text()
    s.nsxplan("validate", "edge.yaml", expect=0)


def graph(s: Session, argv: tuple[str, ...]) -> None:
    redirect = argv.index(">")
    out, _ = s.nsxplan(*argv[1:redirect], expect=0)
    (s.cwd / argv[redirect + 1]).write_text(out)    # the shell's `> order.dot`
    dot = (s.cwd / "order.dot").read_text()
    assert dot.startswith("digraph nsxplan {")
    assert '"tier0s.vcf-t0.static_routes.default-route"' in dot


def serve_demo(s: Session, argv: tuple[str, ...]) -> None:
    def check(url: str, ca: str | None) -> None:
        s.monkeypatch.setenv("NSX_USERNAME", "admin")
        s.monkeypatch.setenv("NSX_PASSWORD", "any")     # unauthenticated simulator
        out, _ = s.nsxplan("export", "--manager", url, expect=0)
        assert json.loads(out)["resource_type"] == "Infra"

    serve(s, argv, check)


def serve_rehearsal(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: faults.yaml is README's own faults example, written out here.
    (faults,) = [b for b in code_blocks("yaml") if "match:" in b]
    (s.cwd / "faults.yaml").write_text(faults)

    def check(url: str, ca: str | None) -> None:
        assert ca is not None
        s.monkeypatch.setenv("NSX_USERNAME", "admin")
        s.monkeypatch.setenv("NSX_PASSWORD", argv[argv.index("--password") + 1])
        out, _ = s.nsxplan("plan", str(s.lab), "--manager", url, "--ca-bundle", ca, expect=0)
        assert "Plan: 3 to create" in out      # prod.json: the demo state, with 5 % 503s retried

    serve(s, argv, check)


def serve_principal_identity(s: Session, argv: tuple[str, ...]) -> None:
    # Substituted: pi-ca.pem is a throwaway CA made here, which also signs nsxplan's certificate.
    import ssl

    import httpx

    from tests.sim.helpers import TestCA

    ca_dir = s.cwd / "pki"
    ca_dir.mkdir()
    pki = TestCA(ca_dir)
    shutil.copy(pki.ca_file, s.cwd / "pi-ca.pem")
    ncp = pki.issue("ncp-cert")

    def check(url: str, ca: str | None) -> None:
        assert ca is not None
        s.monkeypatch.setenv("NSX_CLIENT_CERT", ncp.cert)
        s.monkeypatch.setenv("NSX_CLIENT_KEY", ncp.key)
        out, _ = s.nsxplan("plan", str(s.lab), "--manager", url, "--ca-bundle", ca, expect=0)
        assert "Plan: 3 to create" in out
        ctx = ssl.create_default_context(cafile=ca)
        ctx.load_cert_chain(ncp.cert, ncp.key)
        with httpx.Client(base_url=url, verify=ctx) as c:
            assert c.get("/api/v1/node/version").json()["product_version"].startswith("4.2.")
            t1 = "/policy/api/v1/infra/tier-1s/ncp-t1"
            assert c.patch(t1, json={}).status_code == 200
            assert c.get(t1).json()["_create_user"] == "wcp-cluster-user-domain-c8-1234"

    serve(s, argv, check)


Step = Callable[[Session, tuple[str, ...]], None]
STEPS: dict[tuple[str, ...], Step] = {
    words(QUICKSTART_APPLY): quickstart_apply,
    words(QUICKSTART_TESTS): quickstart_tests,
    words("nsxplan validate examples/static-routing-lab"): validate,
    words("nsxplan plan examples/static-routing-lab"): plan_text,
    words("nsxplan plan examples/static-routing-lab --format markdown > plan.md"): plan_markdown,
    words("nsxplan plan examples/static-routing-lab --out plan.json"): plan_out,
    words("nsxplan apply plan.json"): apply_saved,
    words("nsxplan drift examples/static-routing-lab "
          "--metrics /var/lib/node_exporter/nsxplan.prom"): drift,
    words("nsxplan rollback examples/static-routing-lab/.nsxplan/journal-....jsonl"): rollback,
    words("nsxplan export --manager https://nsx.example.com --out prod.json"): export,
    words("nsxplan plan examples/static-routing-lab --manager sim:prod.json"): rehearse,
    words("nsxplan import --manager https://nsx.example.com --tier0 vcf-t0 --owner edge-team "
          "--out edge.yaml"): import_brownfield,
    words("nsxplan graph examples/static-routing-lab > order.dot"): graph,
    words("nsxplan sim serve --port 0"): serve_demo,
    words("nsxplan sim serve --state prod.json --port 0 --tls --username admin "
          "--password '...' --latency-ms 20 --rate-limit 100 --faults faults.yaml"):
        serve_rehearsal,
    words("nsxplan sim serve --port 0 --nsx-version 4.2 --client-ca pi-ca.pem "
          "--principal-identity ncp-cert=wcp-cluster-user-domain-c8-1234"):
        serve_principal_identity,
}


@pytest.fixture
def session(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    """A fresh checkout's examples (no lab state, no journals), as the working directory."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    for name in ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD", "NSX_CLIENT_CERT",
                 "NSX_CLIENT_KEY", "NO_COLOR", "NSXSIM_USERNAME", "NSXSIM_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    yield Session(tmp_path, capsys, monkeypatch)


def test_quickstart_lines_are_unchanged() -> None:
    assert shell_lines()[:2] == [QUICKSTART_APPLY, QUICKSTART_TESTS]


def test_every_readme_command_has_a_step() -> None:
    shown = [words(line) for line in shell_lines()]
    missing = [" ".join(w) for w in shown if w not in STEPS]
    assert not missing, f"README commands this test does not run: {missing}"
    assert not set(STEPS) - set(shown), "steps for commands README no longer shows"


def test_readme_commands_in_order(session: Session) -> None:
    for line in shell_lines():
        STEPS[words(line)](session, words(line))


def test_readme_configuration_and_its_promises(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """The example configuration validates and plans; without its REFLEXIVE rules the plan fails
    its egress checks; with the DNS server off the uplink subnet it names the return route."""
    (config,) = [b for b in code_blocks("yaml") if b.startswith("version: 1")]

    def plan(name: str, text: str, expect: int) -> str:
        (tmp_path / name).mkdir()
        (tmp_path / name / "nsxplan.yaml").write_text(text)
        assert main(["validate", str(tmp_path / name)]) == 0
        code = main(["plan", str(tmp_path / name), "--no-color"])
        out, err = capsys.readouterr()
        assert code == expect, err
        return out + err

    assert "Plan: 3 to create" in plan("as-shown", config, 0)
    # The two rules and their `nat_rules:` key (whose comment names REFLEXIVE too).
    without = "".join(line for line in config.splitlines(keepends=True)
                      if "REFLEXIVE" not in line)
    assert without.count("\n") == config.count("\n") - 3
    # The demo state lacks them too: already failing, named with the fix, not blocking.
    text = plan("no-reflexive", without, 0)
    assert "already failing" in text and "action: REFLEXIVE" in text
    far = without.replace("address: 10.27.51.10", "address: 192.168.10.10")
    text = plan("dns-far", far, 0)
    assert "DNS server 192.168.10.10 needs a route to 30.0.0.0/24 via 10.27.51.145" in text
    assert "return_route: true" in text


# --------------------------------------------------------------------------- config-language.md


def test_config_language_examples_validate(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    """config-language.md: "Keep every example here valid". The complete example as written;
    each fragment placed where it belongs in it."""
    text = (ROOT / "docs" / "config-language.md").read_text()
    blocks = [yaml.safe_load(b) for tag, b in re.findall(r"```(\w*)\n(.*?)```", text, re.S)
              if tag == "yaml"]
    (complete,) = [b for b in blocks if isinstance(b, dict) and b.get("version") == 1]
    variants: dict[str, dict[str, Any]] = {"complete": complete}
    for n, block in enumerate(b for b in blocks if b is not complete):
        config = copy.deepcopy(complete)
        if isinstance(block, list):                       # the static route fragment
            config["tier0s"][0]["static_routes"] = block
        elif "dependencies" in block:
            config["dependencies"].update(block["dependencies"])
        else:                                             # DNS zones and a forwarder
            config.update(block)
        variants[f"fragment-{n}"] = config
    assert len(variants) == len(blocks) >= 4
    for name, config in variants.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        code = main(["validate", str(path)])
        out, err = capsys.readouterr()
        assert code == 0, f"{name}: {err}"
        assert "valid" in out


def test_readme_points_at_files_that_exist() -> None:
    text = README.read_text()
    named = set(re.findall(r"`([\w.-]+(?:/[\w.-]+)+/?)`", text))
    named |= set(re.findall(r"`([\w-]+/)`", text))             # `examples/`, `benchmarks/`
    made_on_first_use = {"examples/static-routing-lab/lab.json"}
    not_paths = {"ncp/cluster"}                                # an NSX tag scope
    missing = sorted(p for p in named - made_on_first_use - not_paths if not (ROOT / p).exists())
    assert not missing, f"README names files that do not exist: {missing}"
    assert {"docs/cli.md", "docs/config-language.md", "examples/"} <= named
