"""`plan` reads NSX while it reads the configuration (prefetch.py), over a real socket: the
plan is the one the usual refresh gives, the connection used is the one the configuration asks
for (or the prefetch is thrown away), errors read as they always did and are not caused twice.

The simulator runs as `nsxplan sim serve` in a process of its own: a server thread in this
process would (rightly) stop nsxplan from forking. Which process opened a connection is
recorded through a file, since the prefetch's child has memory of its own.
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nsxplan import commands, perf
from nsxplan.config import load_config
from nsxplan.config.model import Target
from nsxplan.errors import (
    ApiErrorInfo,
    ConfigError,
    NsxApiError,
    NsxplanError,
    Problem,
    Source,
    TransportError,
    UsageError,
)
from nsxplan.prefetch import scan_target

LAB = Path(__file__).resolve().parent.parent / "examples" / "static-routing-lab"
USER, PASSWORD = "bench", "s3cret-pw"


@pytest.fixture(scope="module")
def manager() -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nsxplan", "sim", "serve", "--port", "0",
         "--username", USER, "--password", PASSWORD],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.fixture(scope="module")
def tls_manager() -> Iterator[tuple[str, str]]:
    """`sim serve --tls`: its URL and the CA bundle that verifies it."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nsxplan", "sim", "serve", "--port", "0", "--tls",
         "--username", USER, "--password", PASSWORD],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        ca = proc.stdout.readline().strip().split(": ", 1)[1]
        assert url.startswith("https://127.0.0.1:") and Path(ca).is_file(), (url, ca)
        yield url, ca
    finally:
        proc.kill()
        proc.wait(timeout=10)
        assert proc.stdout is not None
        proc.stdout.close()


@pytest.fixture
def idle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A core to spare, whatever the machine running the tests is doing."""
    monkeypatch.setattr(perf, "spare_core", lambda: True)
    monkeypatch.setattr("nsxplan.config.spare_core", lambda: True)


@pytest.fixture
def connects(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every connection opened, as the pid of the process that opened it, one per line."""
    import nsxplan.connect

    log = tmp_path / "connects"
    log.touch()
    real = nsxplan.connect.connect

    def recorded(*args: object, **kw: object) -> object:
        with log.open("a", encoding="ascii") as fh:
            fh.write(f"{os.getpid()}\n")
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(nsxplan.connect, "connect", recorded)
    return log


def _pids(log: Path) -> list[int]:
    lines = log.read_text(encoding="ascii").split()
    log.write_text("", encoding="ascii")
    return [int(line) for line in lines]


def _lab(tmp_path: Path, target: str = "") -> Path:
    lab = tmp_path / "lab"
    shutil.copytree(LAB, lab, ignore=shutil.ignore_patterns(".nsxplan", "*.json"))
    if target:
        main = sorted(lab.glob("*.yaml"))[0]
        text = main.read_text(encoding="utf-8")
        kept = [line for line in text.splitlines() if not line.startswith("target:")
                and not line.startswith("  manager:")]
        main.write_text("\n".join(kept) + "\n" + target, encoding="utf-8")
    return lab


def _opts(manager: str | None, password: str = PASSWORD) -> commands.ConnectOptions:
    return commands.ConnectOptions(manager=manager, username=USER, password=password)


def _both(lab: Path, opts: commands.ConnectOptions, log: Path
          ) -> tuple[commands.PlanResult, list[int], commands.PlanResult, list[int]]:
    early = commands.plan(lab, opts, early=True)
    early_pids = _pids(log)
    usual = commands.plan(lab, opts)
    return early, early_pids, usual, _pids(log)


def _same_plan(a: commands.PlanResult, b: commands.PlanResult) -> None:
    from dataclasses import replace

    b_plan = replace(b.plan, created_at=a.plan.created_at)     # made a moment apart
    for fmt in ("text", "markdown", "json"):
        assert commands.render(a.plan, fmt) == commands.render(b_plan, fmt)
    assert [(x.address, x.action, x.revision) for x in a.plan.actions] == \
        [(x.address, x.action, x.revision) for x in b.plan.actions]
    assert a.plan.checks == b.plan.checks
    assert a.live.objects == b.live.objects
    assert (a.live.nsx_version, a.live.requests) == (b.live.nsx_version, b.live.requests)


def test_the_refresh_runs_beside_the_configuration_and_plans_the_same(
        tmp_path: Path, manager: str, idle: None, connects: Path) -> None:
    lab = _lab(tmp_path)
    early, early_pids, usual, usual_pids = _both(lab, _opts(manager), connects)
    _same_plan(early, usual)
    assert early.plan.has_changes and early.plan.target == manager
    # Read by a child, once; the usual path connects here.
    assert len(early_pids) == 1 and early_pids[0] != os.getpid()
    assert usual_pids == [os.getpid()]
    # The digest is hashed beside too, and is the configuration's.
    assert early.config.digest == load_config(lab).digest != ""
    assert early.plan.config_digest == early.config.digest == usual.plan.config_digest
    assert not perf._MINE                        # every child reaped


def test_the_configurations_own_target_is_found_by_the_scan(
        tmp_path: Path, manager: str, idle: None, connects: Path) -> None:
    lab = _lab(tmp_path, target=f"target:\n  manager: {manager}\n  auth: session\n")
    found = scan_target(lab)
    assert found is not None and (found.manager, found.auth) == (manager, "session")
    early, early_pids, usual, _ = _both(lab, _opts(None), connects)
    _same_plan(early, usual)
    assert len(early_pids) == 1 and early_pids[0] != os.getpid()


def test_a_ca_bundle_in_the_target_block_is_the_trust_the_prefetch_uses(
        tmp_path: Path, tls_manager: tuple[str, str], idle: None, connects: Path) -> None:
    url, ca = tls_manager
    shutil.copy(ca, tmp_path / "nsx-ca.pem")
    # Relative to the file that names it, as the loader resolves it.
    lab = _lab(tmp_path, target=f"target:\n  manager: {url}\n  ca_bundle: ../nsx-ca.pem\n")
    early, early_pids, usual, usual_pids = _both(lab, _opts(None), connects)
    _same_plan(early, usual)
    assert len(early_pids) == 1 and early_pids[0] != os.getpid()
    # Without it, the manager's certificate is not trusted: the prefetch fails the handshake
    # exactly as the usual refresh does.
    bare = _lab(tmp_path / "bare", target=f"target:\n  manager: {url}\n")
    _same_error(bare, _opts(None), TransportError, connects)


def test_a_ca_bundle_the_scan_cannot_read_means_no_prefetch(
        tmp_path: Path, tls_manager: tuple[str, str], idle: None, connects: Path) -> None:
    url, ca = tls_manager
    # Through an alias defined outside the block: only the whole YAML knows the trust.
    lab = _lab(tmp_path, target=f"x-ca: &ca {ca}\ntarget:\n  manager: {url}\n  ca_bundle: *ca\n")
    assert scan_target(lab) is None
    early, early_pids, usual, _ = _both(lab, _opts(None), connects)
    _same_plan(early, usual)
    assert early_pids == [os.getpid()]        # read after the configuration, as usual


def test_a_connection_the_configuration_does_not_ask_for_is_thrown_away(
        tmp_path: Path, manager: str, idle: None, connects: Path) -> None:
    # A quoted key the line scan does not read: the prefetch guessed basic authentication,
    # the configuration asks for a session; its answer is not used.
    lab = _lab(tmp_path, target='"target":\n  auth: session\n')
    early, early_pids, usual, _ = _both(lab, _opts(manager), connects)
    _same_plan(early, usual)
    assert len(early_pids) == 2 and early_pids[-1] == os.getpid()
    assert not perf._MINE


def _same_error(lab: Path, opts: commands.ConnectOptions, kind: type[NsxplanError],
                log: Path) -> NsxplanError:
    """The error of a plan read early is the usual refresh's, word for word, and NSX was asked
    once, by the child (the log of connections says which process)."""
    with pytest.raises(kind) as early:
        commands.plan(lab, opts, early=True)
    early_pids = _pids(log)
    with pytest.raises(kind) as usual:
        commands.plan(lab, opts)
    assert early.value.format() == usual.value.format()
    assert len(early_pids) == 1 and early_pids[0] != os.getpid()
    assert not perf._MINE
    return early.value


def test_a_wrong_password_is_reported_as_usual_and_tried_once(
        tmp_path: Path, manager: str, idle: None, connects: Path) -> None:
    # Once, in the child: a second try would count twice against NSX's account lockout.
    error = _same_error(_lab(tmp_path), _opts(manager, password="wrong"), NsxApiError, connects)
    assert isinstance(error, NsxApiError) and error.status == 401
    assert "NSX 401" in error.format()


def test_an_unreachable_manager_is_reported_as_usual(tmp_path: Path, idle: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     connects: Path) -> None:
    import socket

    from nsxplan.client.ratelimit import RetryPolicy

    # Retried as usual, without the backoff's waiting (the policy is the client's, tested there).
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, n, after: 0.0)

    with socket.socket() as s:          # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _same_error(_lab(tmp_path), _opts(f"http://127.0.0.1:{port}"), TransportError, connects)


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_the_cli_plan_and_drift_read_early(tmp_path: Path, manager: str, idle: None,
                                            connects: Path, command: str,
                                            monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from nsxplan.cli import main

    monkeypatch.setenv("NSX_USERNAME", USER)
    monkeypatch.setenv("NSX_PASSWORD", PASSWORD)
    lab = _lab(tmp_path)
    args = [command, str(lab), "--manager", manager]
    assert main([*args, *(["--detailed-exitcode"] if command == "plan" else [])]) == 2
    out = capsys.readouterr()
    assert "static_route" in out.out and PASSWORD not in out.out + out.err
    pids = _pids(connects)
    assert len(pids) == 1 and pids[0] != os.getpid()


def test_the_configurations_errors_come_first_and_the_child_is_reaped(
        tmp_path: Path, manager: str, idle: None, connects: Path) -> None:
    lab = _lab(tmp_path)
    (lab / "broken.yaml").write_text("tier1s:\n  - id: t1\n    nat_rules: 5\n",
                                     encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(lab)
    with pytest.raises(ConfigError) as early:
        commands.plan(lab, _opts(manager), early=True)
    assert early.value.format() == err.value.format()
    assert not perf._MINE


# --- the scan ----------------------------------------------------------------------------------


def _write(tmp_path: Path, text: str, name: str = "a.yaml") -> Path:
    """A configuration directory with one file of `text`."""
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_the_scan_reads_a_plain_target_block(tmp_path: Path) -> None:
    found = scan_target(_write(tmp_path, "version: 1\ntarget:\n  manager: https://nsx.lab\n"
                                         "  # a comment\n\n  ca_bundle: ca.pem\nowner: x\n"))
    assert found == Target(manager="https://nsx.lab", ca_bundle="ca.pem",
                           source=Source(str(tmp_path / "a.yaml"), 2, 1))


def test_no_target_means_the_defaults(tmp_path: Path) -> None:
    assert scan_target(_write(tmp_path, "version: 1\nowner: x\n")) == Target()


@pytest.mark.parametrize("text", [
    "ca_bundle: x\ntarget:\n  manager: https://nsx.lab\n",     # a CA bundle outside the block
    "version: 1\nnotes: ca_bundle\n",                          # a CA bundle it cannot place
    "target:\n  manager: https://a\ntarget:\n  manager: https://b\n",     # two targets
    "target:\n  manager: https://nsx.lab\n  verify_tls: false\n",         # no verification
    "target:\n  manager: [1, 2\n",                                         # not YAML
    "target: https://nsx.lab\n",                                           # not a mapping
    "target:\n  manager: 5\n",                                             # not a string
])
def test_the_scan_gives_up_where_it_cannot_be_sure(tmp_path: Path, text: str) -> None:
    assert scan_target(_write(tmp_path, text)) is None


def test_the_scan_gives_up_on_utf16_and_missing_paths(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes("target:\n  manager: https://nsx.lab\n".encode("utf-16"))
    assert scan_target(tmp_path) is None
    assert scan_target(tmp_path / "missing") is None


def test_two_files_with_a_target_each_are_not_guessed(tmp_path: Path) -> None:
    _write(tmp_path, "target:\n  manager: https://a\n", "a.yaml")
    _write(tmp_path, "target:\n  manager: https://b\n", "b.yaml")
    assert scan_target(tmp_path) is None


# --- errors cross processes whole -------------------------------------------------------------


@pytest.mark.parametrize("error", [
    NsxApiError(ApiErrorInfo(401, "GET", "/infra", "403", "bad credentials")),
    TransportError([Problem("cannot reach https://nsx.lab", hint="check the network")]),
    UsageError("no password", hint="set NSX_PASSWORD"),
    ConfigError([Problem("bad", Source("a.yaml", 1, 2), "fix it")]),
])
def test_errors_survive_pickling(error: NsxplanError) -> None:
    back = pickle.loads(pickle.dumps(error))
    assert type(back) is type(error)
    assert back.format() == error.format() and str(back) == str(error)
    assert back.exit_code == error.exit_code and back.__dict__ == error.__dict__
