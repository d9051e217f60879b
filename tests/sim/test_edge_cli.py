"""`nsxplan sim serve` (run as `python -m nsxplan.sim.cli serve`): URL on stdout, clean exits,
one-line errors for bad input."""

from __future__ import annotations

import json
import os
import signal
import ssl
from pathlib import Path

import httpx
import pytest

from nsxplan.sim import demo_state
from nsxplan.sim.cli import main
from nsxplan.sim.server import serve_in_thread
from tests.sim.helpers import sim_process, stop_process

P = "/policy/api/v1"


def test_serves_the_demo_state_and_exits_cleanly_on_sigterm() -> None:
    with sim_process("--version", "4.1.2.0.0.1") as (proc, lines):
        url = lines.next()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(url + "/api/v1/node/version").json()["product_version"] == "4.1.2.0.0.1"
        ids = {t["id"] for t in httpx.get(url + P + "/infra/tier-1s").json()["results"]}
        assert {"domain-c8", "vnet-domain-c8"} <= ids
        code, err = stop_process(proc)
    assert code == 0
    assert "Traceback" not in err


def test_tls_auth_and_rate_limit_from_flags_then_sigint() -> None:
    env = {"NSXSIM_PASSWORD": "pw-from-env"}
    with sim_process("--tls", "--username", "admin", "--rate-limit", "0.001",
                     env=env) as (proc, lines):
        url = lines.next()
        assert url.startswith("https://127.0.0.1:")
        line = lines.next()
        assert line.startswith("CA bundle: ")
        ca_file = line.removeprefix("CA bundle: ")
        verify = ssl.create_default_context(cafile=ca_file)
        with httpx.Client(base_url=url, verify=verify) as client:
            assert client.get(P + "/infra/tier-0s", auth=("admin", "nope")).status_code == 401
            assert client.get(P + "/infra/tier-0s",
                              auth=("admin", "pw-from-env")).status_code == 200
            r = client.get(P + "/infra/tier-0s", auth=("admin", "pw-from-env"))
            assert r.status_code == 429 and r.json()["error_code"] == "102"
        code, err = stop_process(proc, signal.SIGINT)
    assert code == 0 and "Traceback" not in err and "pw-from-env" not in err
    assert not os.path.exists(ca_file)


def test_state_file_is_served_and_saved_on_exit(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    state.write_text(json.dumps(demo_state()))
    with sim_process("--state", str(state), "--save-on-exit") as (proc, lines):
        url = lines.next()
        r = httpx.patch(url + P + "/infra/dns-forwarder-zones/corp",
                        json={"upstream_servers": ["10.0.0.53"]})
        assert r.status_code == 200
        code, _ = stop_process(proc)
    assert code == 0
    saved = json.dumps(json.loads(state.read_text()))
    assert "/infra/dns-forwarder-zones/corp" in saved


@pytest.mark.parametrize(("args", "fragment"), [
    (["--username", "admin"], "--username and --password go together"),
    (["--cert", "c.pem"], "--cert and --key go together"),
    (["--save-on-exit"], "--save-on-exit needs --state"),
    (["--state", "/nonexistent/state.json"], "cannot read state file"),
    (["--port", "-1"], "--port"),
    (["--rate-limit", "0"], "--rate-limit"),
    (["--bogus"], "--bogus"),  # click words the refusal; nsxplan's part: one line naming it
    (["--nsx-version", "5.0"], "--nsx-version"),
    (["--principal-identity", "ncp=wcp"], "--principal-identity needs --client-ca"),
    (["--client-ca", "/nonexistent/ca.pem"], "cannot read client-ca"),
])
def test_bad_flags_are_one_line_errors_with_exit_1(
        args: list[str], fragment: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--port", "0", *args]) == 1
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[0].startswith("error: ") and fragment in lines[0]
    assert lines[1].startswith("  hint: ") and len(lines) == 2


def test_bad_files_are_one_line_errors(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    bad_state = tmp_path / "state.json"
    bad_state.write_text("{not json")
    faults = tmp_path / "faults.yaml"
    faults.write_text("- match: {path: /x}\n  respnd: {status: 500}\n")
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    for args, fragment in [
        (["--state", str(bad_state)], "not a valid simulator state"),
        (["--faults", str(faults)], "rule 1: unknown key 'respnd'"),
        (["--faults", str(tmp_path / "missing.yaml")], "cannot read faults file"),
        (["--cert", str(junk), "--key", str(junk)], "cannot use --cert/--key"),
        (["--cert", str(tmp_path / "no.pem"), "--key", str(junk)], "no.pem"),
        (["--client-ca", str(junk)], "cannot use --cert/--key/--client-ca"),
        (["--client-ca", str(junk), "--principal-identity", "no-equals-sign"],
         "is not CN=NAME"),
    ]:
        assert main(["serve", "--port", "0", *args]) == 1
        lines = capsys.readouterr().err.strip().splitlines()
        assert lines[0].startswith("error: ") and fragment in lines[0], lines
        assert lines[1].startswith("  hint: ") and "Traceback" not in "\n".join(lines)


def test_port_in_use_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    def app(environ: object, start_response: object) -> list[bytes]:
        return []

    with serve_in_thread(app) as server:
        assert main(["serve", "--port", str(server.port)]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[0].startswith(f"error: cannot listen on 127.0.0.1:{server.port}")
    assert "--port" in lines[1]
