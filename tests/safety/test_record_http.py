"""`--record-http FILE` on plan, apply, drift, import and export: a cassette of every exchange
that carries no secret, whether the login was basic or a session, the password full of
metacharacters, and NSX answering with a BGP neighbor's password; and what it records replays
(`nsxplan sim replay FILE`) to the same result."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml

from nsxplan.client.recording import HttpRecorder
from tests.safety.helpers import NASTY, secrets_in
from tests.scenarios.conftest import EXAMPLES, USER, Sim, nsxplan
from tests.sim.helpers import sim_process

BGP_SECRET = "bgp-Secr3t!neighbour"
XSRF_VALUE = "xsrf-7f3c9a1b2c4d"
COOKIE_VALUE = "c0ffee-session-4b1d"


def config_with_auth(tmp_path: Path, auth: str) -> Path:
    config = tmp_path / f"tanzu-nat-{auth}"
    shutil.copytree(EXAMPLES / "tanzu-nat", config)
    text = (config / "nsxplan.yaml").read_text()
    (config / "nsxplan.yaml").write_text(text.replace("  manager: sim\n",
                                                      f"  auth: {auth}\n"))
    return config


def assert_clean(cassette: Path) -> str:
    text = cassette.read_text()
    assert stat.S_IMODE(cassette.stat().st_mode) == 0o600
    assert secrets_in(text, NASTY) == []
    for needle in (BGP_SECRET, XSRF_VALUE, COOKIE_VALUE):
        assert needle not in text
    for interaction in yaml.safe_load(text)["interactions"]:
        for part in ("request", "response"):
            names = {n.lower() for n in interaction[part]["headers"]}
            assert not names & {"authorization", "cookie", "set-cookie", "x-xsrf-token"}
    return text


@pytest.mark.parametrize("auth", ["basic", "session"])
def test_every_recording_command_leaves_no_secret(nasty_sim: Sim, tmp_path: Path,
                                                  auth: str) -> None:
    config = config_with_auth(tmp_path, auth)
    runs: dict[str, list[str]] = {
        "plan": ["plan", str(config)],
        "apply": ["apply", str(config), "--auto-approve"],
        "drift": ["drift", str(config)],
        "import": ["import", "--tier1", "tanzu-t1", "--owner", "support"],
        "export": ["export"],
    }
    for name, argv in runs.items():
        cassette = tmp_path / f"{name}-{auth}.yaml"
        res = nsxplan(*argv, "--manager", nasty_sim.url, "--record-http", cassette,
                      sim=nasty_sim)
        assert res.code == 0, (name, res.err)
        text = assert_clean(cassette)
        if name == "apply":
            assert "PUT" in text and "/nat-rules/snat-egress" in text      # a create
        if auth == "session" and name in ("plan", "apply", "drift"):    # their YAML says so
            assert "/api/session/create" in text, "no login recorded: the test proves nothing"
            assert "j_password=REDACTED" in text


def test_recorder_scrubs_what_nsx_and_the_client_send() -> None:
    """A manager answering with a session cookie, an XSRF token and a BGP neighbor whose
    password NSX (unlike the documented API) echoes back; the client sending a password in a
    body and the Basic token in its header."""
    neighbor = {"resource_type": "BgpNeighborConfig", "neighbor_address": "192.168.105.253",
                "remote_as_num": "65000", "password": BGP_SECRET,
                "bfd": {"enabled": True, "shared_secret": BGP_SECRET}}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=neighbor, headers=[
            ("Set-Cookie", f"JSESSIONID={COOKIE_VALUE}; Path=/; HttpOnly"),
            ("X-XSRF-TOKEN", XSRF_VALUE)])

    http = httpx.Client(transport=httpx.MockTransport(answer), base_url="https://nsx.test")
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"recorder-{os.getpid()}.yaml"
    recorder = HttpRecorder(path, secrets=[NASTY], username=USER)
    recorder.attach(http)
    basic = httpx.BasicAuth(USER, NASTY)
    http.patch("/policy/api/v1/infra/tier-0s/t0/locale-services/default/bgp/neighbors/tor",
               json=neighbor, auth=basic, headers={"Cookie": f"JSESSIONID={COOKIE_VALUE}",
                                                     "X-XSRF-TOKEN": XSRF_VALUE})
    http.post("/api/session/create", data={"j_username": USER, "j_password": NASTY})
    recorder.save()
    try:
        text = assert_clean(path)
        assert recorder.count == 2
        recorded = yaml.safe_load(text)["interactions"]
        assert json.loads(recorded[0]["request"]["body"])["password"] == "REDACTED"
        body = json.loads(recorded[0]["response"]["body"]["string"])
        assert body["password"] == "REDACTED" and body["bfd"]["shared_secret"] == "REDACTED"
        assert body["neighbor_address"] == "192.168.105.253"     # everything else kept
    finally:
        path.unlink()


def test_recording_replays_to_the_same_apply(tmp_path: Path) -> None:
    """An apply recorded against the simulator, served back by `nsxplan sim replay`: the same
    command against the replay gets the same answers, step by step, and the same result."""
    config = tmp_path / "tanzu-nat"
    shutil.copytree(EXAMPLES / "tanzu-nat", config)
    cassette = tmp_path / "apply.yaml"
    recorded = nsxplan("apply", config, "--auto-approve", "--manager",
                       f"sim:{tmp_path / 'state.json'}", "--record-http", cassette)
    assert recorded.code == 0, recorded.err
    with sim_process(str(cassette), command=[
            *_python_m(), "replay", "--port", "0"]) as (proc, lines):
        url = lines.next()
        replayed = nsxplan("apply", config, "--auto-approve", "--manager", url,
                           env={"NSX_USERNAME": "support", "NSX_PASSWORD": "not-recorded"})
        proc.terminate()
    assert replayed.code == 0, replayed.err
    summary = re.compile(r"Apply complete: 6 created.*")
    assert summary.search(replayed.out) and summary.search(recorded.out)


def test_replay_says_what_was_not_recorded(tmp_path: Path,
                                           sims: Callable[..., Sim]) -> None:
    cassette = tmp_path / "export.yaml"
    assert nsxplan("export", "--manager", "sim", "--record-http", cassette).code == 0
    with sim_process(str(cassette), command=[*_python_m(), "replay", "--port", "0"]) as (
            proc, lines):
        url = lines.next()
        res = nsxplan("plan", EXAMPLES / "tanzu-nat", "--manager", url,
                      env={"NSX_USERNAME": "support", "NSX_PASSWORD": "x"})
        proc.terminate()
    # export read the policy tree with a different filter than plan: not in the recording.
    assert res.code == 1
    assert "is not in the recording" in res.err and "hint:" in res.err


def _python_m() -> list[str]:
    import sys

    return [sys.executable, "-m", "nsxplan.sim.cli"]


def test_bgp_neighbor_password_never_reaches_the_recording(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    """examples/bgp-lab sends its neighbor's password on create: the recording of that apply
    shows the write (a create: PUT) of the neighbor with the password field redacted, and the
    value nowhere."""
    monkeypatch.setenv("BGP_TOR_A_PASSWORD", BGP_SECRET)
    config = tmp_path / "bgp-lab"
    shutil.copytree(EXAMPLES / "bgp-lab", config, ignore=shutil.ignore_patterns("lab.json"))
    cassette = tmp_path / "bgp.yaml"
    res = nsxplan("apply", config, "--auto-approve", "--manager", f"sim:{tmp_path / 's.json'}",
                  "--record-http", cassette, env={"BGP_TOR_A_PASSWORD": BGP_SECRET})
    assert res.code == 0, res.err
    text = assert_clean(cassette)
    neighbor = [i for i in yaml.safe_load(text)["interactions"]
                if i["request"]["method"] == "PUT" and "/bgp/neighbors/tor-a" in
                i["request"]["uri"]]
    assert neighbor, "the neighbor's write was not recorded: the test proves nothing"
    assert json.loads(neighbor[0]["request"]["body"])["password"] == "REDACTED"
