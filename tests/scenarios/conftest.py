"""Shared fixtures for the end-to-end scenarios: served simulators and the real CLI.

Every scenario drives `nsxplan` the way an operator does: the CLI entry point (`nsxplan.cli.main`
in-process for speed, or a real subprocess where the process boundary matters: tracebacks,
kill -9) against `nsxplan sim serve` running as a subprocess on 127.0.0.1 with credentials.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from nsxplan.cli import main as cli_main

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
# Copies of /work/shared/fixtures (a clone of the repository lacks ../shared).
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PLAN_SCHEMA = REPO / "schemas" / "plan.schema.json"
USER = "admin"
# Contains shell- and URL-special characters so quoting bugs show up.
PASSWORD = "Sc3nario pw&:/!"
POLICY = "/policy/api/v1"
#: The installed console script (what operators run); `-c` when the tree is not installed.
_SCRIPT = Path(sys.executable).parent / "nsxplan"
NSXPLAN = [str(_SCRIPT)] if _SCRIPT.exists() else [
    sys.executable, "-c", "from nsxplan.cli import main; main()"]
NSX_ENV = ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD", "NSX_CLIENT_CERT", "NSX_CLIENT_KEY")
#: The server's bookkeeping, which legitimately differs after a restore (see comparable).
SERVER_FIELDS = frozenset({"_revision", "_create_time", "_last_modified_time",
                           "_last_modified_user", "unique_id", "realization_id"})


# ------------------------------------------------------------------------------------ simulators


@dataclass
class Sim:
    """One `nsxplan sim serve` child process."""

    proc: subprocess.Popen[str]
    url: str
    ca_file: str | None
    stderr_path: Path
    auth: tuple[str, str] | None = (USER, PASSWORD)
    _lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def http(self) -> httpx.Client:
        verify: Any = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
        return httpx.Client(base_url=self.url, auth=self.auth, verify=verify, timeout=20.0)

    def get(self, path: str) -> dict[str, Any]:
        """GET a policy path (`/infra/...`); asserts success."""
        with self.http() as c:
            r = c.get(POLICY + path)
        assert r.status_code == 200, (path, r.status_code, r.text)
        return dict(r.json())

    def status(self, path: str) -> int:
        with self.http() as c:
            return c.get(POLICY + path).status_code

    def patch(self, path: str, body: dict[str, Any]) -> httpx.Response:
        with self.http() as c:
            return c.patch(POLICY + path, json=body)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line.rstrip("\n"))


def start_sim(workdir: Path, *args: str, creds: bool = True, tls: bool = False) -> Sim:
    """Start `nsxplan sim serve --port 0 ARGS` and wait for the URL on its first stdout line."""
    argv = [*NSXPLAN, "sim", "serve", "--port", "0", *args]
    env = {k: v for k, v in os.environ.items() if k not in NSX_ENV}
    if creds:
        argv += ["--username", USER]
        env["NSXSIM_PASSWORD"] = PASSWORD  # keeps the password out of `ps`
    if tls:
        argv.append("--tls")
    workdir.mkdir(parents=True, exist_ok=True)
    stderr_path = workdir / f"sim-{len(list(workdir.glob('sim-*.err')))}.err"
    with open(stderr_path, "w") as err:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
    try:
        url = lines.get(timeout=30)
        ca_file = lines.get(timeout=30).split(": ", 1)[1] if tls else None
    except queue.Empty:
        proc.kill()
        proc.wait()
        raise AssertionError(f"sim serve did not start: {stderr_path.read_text()}") from None
    assert url.startswith("https://" if tls else "http://"), url
    return Sim(proc, url, ca_file, stderr_path, (USER, PASSWORD) if creds else None, lines)


@pytest.fixture
def sims(tmp_path: Path) -> Iterator[Callable[..., Sim]]:
    """A factory for simulators private to one test; all stopped when the test ends."""
    started: list[Sim] = []

    def factory(*args: str, creds: bool = True, tls: bool = False) -> Sim:
        s = start_sim(tmp_path / "sims", *args, creds=creds, tls=tls)
        started.append(s)
        return s

    yield factory
    for s in started:
        s.stop()


@pytest.fixture(scope="module")
def shared_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sim]:
    """One demo-state simulator per module, for scenarios that never write."""
    s = start_sim(tmp_path_factory.mktemp("shared-sim"))
    yield s
    s.stop()


# ------------------------------------------------------------------------------------ the CLI


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


def cli_env(sim: Sim | None, extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NSX_ENV}
    env["NO_COLOR"] = "1"
    if sim is not None and sim.auth:
        env["NSX_USERNAME"], env["NSX_PASSWORD"] = sim.auth
    env.update(extra or {})
    return env


def nsxplan(*args: str | Path, sim: Sim | None = None, env: dict[str, str] | None = None,
            cwd: Path | None = None) -> Result:
    """Run `nsxplan ARGS` in-process (the real entry point); `sim` supplies credentials."""
    argv = [str(a) for a in args]
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    os.environ.clear()
    os.environ.update(cli_env(sim, env))
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = cli_main(argv)
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return Result(code, out.getvalue(), err.getvalue())


def nsxplan_proc(*args: str | Path, sim: Sim | None = None, env: dict[str, str] | None = None,
                 cwd: Path | None = None, timeout: float = 60) -> Result:
    """Run `nsxplan ARGS` as a real child process."""
    proc = subprocess.run([*NSXPLAN, *[str(a) for a in args]],
                          capture_output=True, text=True, env=cli_env(sim, env), cwd=cwd,
                          timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)


def assert_clean_error(res: Result, *needles: str) -> None:
    """Exit 1, a user-facing message (no traceback, no crash report), mentioning each needle."""
    text = res.out + res.err
    assert res.code == 1, (res.code, text)
    assert "Traceback" not in text, text
    assert "internal error" not in text, text
    for needle in needles:
        assert needle in text, (needle, text)


# ------------------------------------------------------------------------------------ configs


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """examples/static-routing-lab copied to a temporary directory (its lab.json left behind)."""
    dest = tmp_path / "static-routing-lab"
    shutil.copytree(EXAMPLES / "static-routing-lab", dest,
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    return dest


def write_config(directory: Path, text: str, name: str = "nsxplan.yaml") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text)
    return directory


# ------------------------------------------------------------------------------------ exports


def export(sim: Sim, dest: Path) -> dict[str, Any]:
    res = nsxplan("export", "--manager", sim.url, "--out", dest, sim=sim)
    assert res.code == 0, res.err
    return dict(json.loads(dest.read_text()))


def comparable(tree: Any) -> Any:
    """An export with what a faithful restore may still change removed.

    A restore re-creates deleted objects and writes updated ones back: NSX then assigns a new
    `_revision`, timestamps, `_last_modified_user` and `unique_id`/`realization_id` (all
    server-assigned, never user-settable). The order of children is ignored too: H-API children
    are identified by path, not position, and a re-created object may be listed last. Everything
    else - every configured field, tags, `_create_user`, `_protection`, the set of objects - must
    be exactly what it was."""
    if isinstance(tree, dict):
        out = {k: comparable(v) for k, v in tree.items() if k not in SERVER_FIELDS}
        if isinstance(out.get("children"), list):
            out["children"] = sorted(out["children"], key=lambda c: json.dumps(c, sort_keys=True))
        return out
    if isinstance(tree, list):
        return [comparable(v) for v in tree]
    return tree


@pytest.fixture(scope="session")
def v1_state(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator state after applying configs.V1 to the demo state (through `sim:FILE`)."""
    from tests.scenarios.helpers import V1

    base = tmp_path_factory.mktemp("v1-state")
    state = base / "v1-state.json"
    res = nsxplan("apply", write_config(base / "v1", V1), "--manager", f"sim:{state}",
                  "--auto-approve", "--fail-on-checks", "never")
    assert res.code == 0, res.out + res.err
    return state
