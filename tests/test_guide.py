"""docs/guide.md, followed as a new user would: every `sh` block's commands, in order, in a temp
copy of examples/ as the working directory, with the files its `yaml` blocks name
(`# file: PATH` on their first line) written where they say, when the text reaches them.

The guide states what each command should exit with: `# exit N` at the end of the line (no
such comment: 0). `cmd > FILE` keeps stdout in FILE; `export`/`unset` change the environment of
the commands after them. What cannot run here as written is substituted, and only that:
- a server started in the background (`nsxplan sim ... --port 8411 &`) runs on a free port;
  `http://127.0.0.1:8411` in later commands means it, and `kill %1` stops it (Ctrl-C);
- `eval "$(_NSXPLAN_COMPLETE=bash_source nsxplan)"` is checked to produce bash that parses;
- `rm -f FILE` removes FILE (inside the copy only).
A line the runner does not understand fails the test: a guide command cannot go unchecked.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nsxplan.cli import main
from tests.sim.helpers import sim_process, stop_process

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "guide.md"
FIXED_URL = "http://127.0.0.1:8411"
EXIT = re.compile(r"#\s*exit (\d+)")

#: What some commands must print (stdout + stderr), beyond their exit code: the guide's
#: promises about the output, keyed by the command line as written.
PROMISES: dict[str, list[str]] = {
    "nsxplan plan tutorial/no-reflexive": [
        "fail egress 30.0.0.5 of Tier-1 domain-c8", "already failing",
        "action: REFLEXIVE, source: 30.0.0.5"],
    "nsxplan plan examples/static-routing-lab --detailed-exitcode": ["Plan: 3 to create"],
    "nsxplan drift examples/static-routing-lab": ["No changes."],
    "nsxplan plan tutorial/dns-far": [
        "DNS server 192.168.10.10 needs a route to 30.0.0.0/24 via 10.27.51.145"],
    "nsxplan apply reviewed.json": ["refusing to apply reviewed.json:",
                                    "changed in NSX since it was planned"],
    "nsxplan plan tutorial/ncp-touch": ["which is protected (REQUIRE_OVERRIDE)",
                                        "nsxplan never changes it"],
    "nsxplan plan tutorial/ncp-tags": ['"scope": "ncp/cluster", "tag": "pandora"'],
    "nsxplan plan tutorial/adopt": ["to update", '"scope": "ncp/cluster"'],
    "nsxplan plan examples/bgp-lab --detailed-exitcode": ["tier0s.t0-edge.bgp.neighbors.tor-a"],
    "nsxplan verify examples/bgp-lab": ["BGP neighbor 192.168.105.253 (tor-a) Established",
                                        "172.16.2.10 is in t0-edge's routing table"],
}


def blocks() -> Iterator[tuple[str, str]]:
    yield from re.findall(r"```(\w*)\n(.*?)```", GUIDE.read_text(), re.S)


def commands(body: str) -> list[str]:
    joined = body.replace("\\\n", " ")
    return [ln.strip() for ln in joined.splitlines()
            if ln.strip() and not ln.lstrip().startswith("#")]


@dataclass
class Session:
    cwd: Path
    capsys: pytest.CaptureFixture[str]
    monkeypatch: pytest.MonkeyPatch
    servers: list[tuple[subprocess.Popen[str], Iterator[object]]] = field(default_factory=list)
    url: str | None = None
    ran: list[str] = field(default_factory=list)

    def run(self, line: str) -> None:
        expect = int(m.group(1)) if (m := EXIT.search(line)) else 0
        words = shlex.split(line, comments=True)
        if self.url:
            words = [w.replace(FIXED_URL, self.url) for w in words]
        if words[:1] == ["export"]:
            name, _, value = words[1].partition("=")
            self.monkeypatch.setenv(name, value)
        elif words[:1] == ["unset"]:
            self.monkeypatch.delenv(words[1], raising=False)
        elif words[:2] == ["rm", "-f"]:
            for name in words[2:]:
                target = (self.cwd / name).resolve()
                assert self.cwd in target.parents, f"the guide removes {name}, outside the clone"
                target.unlink(missing_ok=True)
        elif line.startswith('eval "$(_NSXPLAN_COMPLETE=bash_source nsxplan)"'):
            self.completion()
        elif words and words[-1] == "&":
            self.background(words[:-1])
        elif words == ["kill", "%1"]:
            proc, _ = self.servers.pop()
            code, err = stop_process(proc, signal.SIGINT)
            assert code == 0 and "Traceback" not in err, err
        else:
            env = {}
            while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
                name, _, value = words.pop(0).partition("=")
                env[name] = value
            assert words[:1] == ["nsxplan"], f"the guide test cannot run: {line}"
            self.nsxplan(line, words[1:], env, expect)
        self.ran.append(line)

    def nsxplan(self, line: str, argv: list[str], env: dict[str, str], expect: int) -> None:
        out_file = None
        if ">" in argv:
            at = argv.index(">")
            argv, out_file = argv[:at], argv[at + 1]
        with pytest.MonkeyPatch.context() as mp:
            for name, value in env.items():
                mp.setenv(name, value)
            code = main(argv)
        out, err = self.capsys.readouterr()
        assert code == expect, f"`{line}` exited {code}, not {expect}:\n{out}\n{err}"
        assert "Traceback" not in err and "internal error" not in err, err
        if out_file:
            (self.cwd / out_file).write_text(out)
        key = line.split("#")[0].strip()
        for promise in PROMISES.get(key, []):
            assert promise in out + err, f"`{line}` does not say {promise!r}:\n{out}\n{err}"

    def background(self, words: list[str]) -> None:
        assert words[:2] == ["nsxplan", "sim"] and "--port" in words, words
        argv = [w if w != "8411" else "0" for w in words[1:]]
        context = sim_process(*argv[2:], command=[sys.executable, "-m", "nsxplan", *argv[:2]])
        proc, lines = context.__enter__()
        self.url = lines.next()
        self.servers.append((proc, context))  # type: ignore[arg-type]

    def completion(self) -> None:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("_NSXPLAN_COMPLETE", "bash_source")
            with pytest.raises(SystemExit):
                main([])
        script = self.capsys.readouterr().out
        assert "complete -o nosort -F _nsxplan_completion nsxplan" in script
        subprocess.run(["bash", "-n", "-c", script], check=True)

    def close(self) -> None:
        for proc, context in self.servers:
            proc.kill()
            context.__exit__(None, None, None)  # type: ignore[attr-defined]


@pytest.fixture
def session(tmp_path: Path, capsys: pytest.CaptureFixture[str],
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Session]:
    shutil.copytree(ROOT / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    for name in list(os.environ):
        if name.startswith(("NSX_", "NSXPLAN_", "NSXSIM_")) or name == "NO_COLOR":
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    s = Session(tmp_path, capsys, monkeypatch)
    yield s
    s.close()


def test_guide_commands_in_order(session: Session) -> None:
    for tag, body in blocks():
        first, _, rest = body.partition("\n")
        if tag == "yaml" and first.startswith("# file: "):
            path = session.cwd / first.removeprefix("# file: ").strip()
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rest)
        elif tag == "sh":
            for line in commands(body):
                session.run(line)
    assert len(session.ran) >= 30, session.ran
    missing = [k for k in PROMISES if not any(r.split("#")[0].strip() == k
                                              for r in session.ran)]
    assert not missing, f"promises about commands the guide no longer shows: {missing}"


def test_guide_names_files_that_exist() -> None:
    text = GUIDE.read_text()
    named = set(re.findall(r"`((?:docs|examples|schemas|tests)/[\w./-]+)`", text))
    made_on_first_use = {"examples/static-routing-lab/lab.json",
                         "examples/static-routing-lab/.nsxplan/"}
    missing = sorted(p for p in named - made_on_first_use if not (ROOT / p).exists())
    assert not missing, f"the guide names files that do not exist: {missing}"
