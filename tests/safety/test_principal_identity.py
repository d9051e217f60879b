"""Principal identities end to end: nsxplan authenticates with a client certificate
(NSX_CLIENT_CERT/NSX_CLIENT_KEY) against the simulator's --client-ca, and objects NCP's principal
identity created (PROTECTED for everybody else) are never touched by nsxplan."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from nsxplan.cli import main
from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.server import RunningServer, serve_in_thread
from tests.sim.helpers import ClientCert, TestCA

P = "/policy/api/v1"
T0 = "/infra/tier-0s/vcf-t0"
WCP = "wcp-cluster-user-domain-c8-5e2a1c7e-3a6b-4c57-9d1e-0f1b2c3d4e5f"
NSXPLAN_PI = "nsxplan-ci"
NCP_ROUTE = T0 + "/static-routes/ncp-route"
NCP_RULE = T0 + "/nat/USER/nat-rules/ncp-egress"


@contextmanager
def lab(tmp_path: Path) -> Iterator[tuple[RunningServer, ClientCert, ClientCert]]:
    ca = TestCA(tmp_path)
    ncp, ours = ca.issue("ncp-cert"), ca.issue("nsxplan-cert")
    sim = Simulator(demo_state())
    app = build_wsgi(sim, principal_identities={"ncp-cert": WCP, "nsxplan-cert": NSXPLAN_PI})
    with serve_in_thread(app, client_ca=ca.ca_file) as server:
        yield server, ncp, ours


def http(server: RunningServer, cert: ClientCert) -> httpx.Client:
    assert server.ca_file is not None
    ctx = ssl.create_default_context(cafile=server.ca_file)
    ctx.load_cert_chain(cert.cert, cert.key)
    return httpx.Client(base_url=server.url + P, verify=ctx, timeout=10.0)


def config(tmp_path: Path, name: str, routes: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "nsxplan.yaml").write_text(
        "version: 1\nowner: ci-edge\ntier0s:\n  - id: vcf-t0\n    existing: true\n"
        "    static_routes:\n" + routes)
    return d


def nsxplan(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out + err


@pytest.fixture
def as_nsxplan(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ("NSX_MANAGER", "NSX_USERNAME", "NSX_PASSWORD", "NSX_CLIENT_CERT",
                 "NSX_CLIENT_KEY"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_client_certificate_apply_end_to_end_and_ncp_objects_untouched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        as_nsxplan: pytest.MonkeyPatch) -> None:
    with lab(tmp_path) as (server, ncp, ours):
        assert server.ca_file is not None
        # NCP's principal identity creates its objects (no ncp/* tags: protection alone)
        with http(server, ncp) as c:
            assert c.patch(NCP_ROUTE, json={"network": "10.99.0.0/16",
                                            "next_hops": [{"ip_address": "10.27.51.1"}]}
                           ).status_code == 200
            assert c.patch(NCP_RULE, json={"action": "REFLEXIVE", "source_network": "30.0.0.9",
                                           "translated_network": "10.27.51.199"}
                           ).status_code == 200
            ncp_before = {p: c.get(p).json() for p in (NCP_ROUTE, NCP_RULE)}
        as_nsxplan.setenv("NSX_CLIENT_CERT", ours.cert)
        as_nsxplan.setenv("NSX_CLIENT_KEY", ours.key)
        # the demo lab fails egress checks unrelated to this test
        target = ("--manager", server.url, "--ca-bundle", server.ca_file,
                  "--fail-on-checks", "never")

        # 1. nsxplan authenticates by certificate and applies its own route
        own = config(tmp_path, "own", "      - id: ci-route\n        network: 10.50.0.0/16\n"
                                      "        next_hops: [{ip: 10.27.51.1}]\n")
        code, text = nsxplan(capsys, "apply", str(own), *target, "--auto-approve")
        assert code == 0, text
        with http(server, ours) as c:
            created = c.get(T0 + "/static-routes/ci-route").json()
        assert created["_create_user"] == NSXPLAN_PI and created["network"] == "10.50.0.0/16"
        code, text = nsxplan(capsys, "plan", str(own), *target)
        assert code == 0 and "No changes." in text, text

        # 2. the same nsxplan refuses to change NCP's route, even when told to adopt it
        theirs = config(tmp_path, "theirs", "      - id: ncp-route\n        adopt: true\n"
                                            "        network: 10.99.0.0/16\n"
                                            "        next_hops: [{ip: 10.27.51.254}]\n")
        for command in (("plan",), ("apply", "--auto-approve")):
            code, text = nsxplan(capsys, *command, str(theirs), *target, "--adopt")
            assert code == 1, text
            assert NCP_ROUTE in text and "never changes it" in text, text
        with http(server, ncp) as c:
            assert {p: c.get(p).json() for p in (NCP_ROUTE, NCP_RULE)} == ncp_before
            # and what nsxplan's identity created is PROTECTED for NCP in turn
            assert c.get(T0 + "/static-routes/ci-route").json()["_protection"] == "PROTECTED"
