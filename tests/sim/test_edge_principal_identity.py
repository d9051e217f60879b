"""Client certificates map to principal identities; what a PI creates is PROTECTED for others."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.server import RunningServer, serve_in_thread
from tests.sim.helpers import ClientCert, TestCA

P = "/policy/api/v1"
T1 = P + "/infra/tier-1s/ns-t1"
WCP = "wcp-cluster-user-domain-c8-8a3d-4c1e"


@contextmanager
def pi_server(ca: TestCA, **kw: Any) -> Iterator[tuple[Simulator, RunningServer]]:
    sim = Simulator(demo_state())
    app = build_wsgi(sim, **kw)
    with serve_in_thread(app, client_ca=ca.ca_file) as server:
        yield sim, server


def client(server: RunningServer, cert: ClientCert | None = None, **kw: Any) -> httpx.Client:
    assert server.ca_file is not None
    ctx = ssl.create_default_context(cafile=server.ca_file)
    if cert is not None:
        ctx.load_cert_chain(cert.cert, cert.key)
    return httpx.Client(base_url=server.url, verify=ctx, timeout=10.0, **kw)


@pytest.fixture
def ca(tmp_path: Path) -> TestCA:
    return TestCA(tmp_path)


def test_pi_objects_are_protected_for_everybody_else(ca: TestCA) -> None:
    ncp = ca.issue("ncp-cert")
    with pi_server(ca, username="admin", password="pw",
                   principal_identities={"ncp-cert": WCP}) as (_sim, server):
        with client(server, ncp) as pi:
            assert pi.patch(T1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}).status_code == 200
            own = pi.get(T1).json()
            assert own["_create_user"] == WCP and own["_protection"] == "NOT_PROTECTED"
            # the owner keeps full control of its own objects, and sees them unprotected in
            # the H-API tree too
            assert pi.patch(T1, json={"description": "ncp"}).status_code == 200
            tree = pi.get(P + "/infra", params={"base_path": "/infra/tier-1s/ns-t1"}).json()
            assert tree["children"][0]["Tier1"]["_protection"] == "NOT_PROTECTED"
        with client(server, auth=("admin", "pw")) as admin:
            seen = admin.get(T1).json()
            assert seen["_protection"] == "PROTECTED" and seen["_create_user"] == WCP
            tree = admin.get(P + "/infra", params={"base_path": "/infra/tier-1s/ns-t1"}).json()
            assert tree["children"][0]["Tier1"]["_protection"] == "PROTECTED"
            refused = admin.patch(T1, json={"description": "mine"})
            assert refused.status_code == 403 and WCP in refused.json()["error_message"]
            forced = admin.delete(T1, headers={"X-Allow-Overwrite": "true"})
            assert forced.status_code == 403  # PROTECTED: no override
            assert admin.get(T1).json()["description"] == "ncp"


def test_cn_is_the_pi_name_without_a_mapping(ca: TestCA) -> None:
    with pi_server(ca) as (_sim, server), client(server, ca.issue(WCP)) as pi:
        assert pi.patch(T1, json={}).status_code == 200
        assert pi.get(T1).json()["_create_user"] == WCP


def test_unmapped_cn_is_refused_and_password_users_need_no_cert(ca: TestCA) -> None:
    with pi_server(ca, username="admin", password="pw",
                   principal_identities={"ncp-cert": WCP}) as (_sim, server):
        with client(server, ca.issue("stranger")) as other:
            resp = other.get(T1)
            assert resp.status_code == 403 and "stranger" in resp.json()["error_message"]
        with client(server, auth=("admin", "pw")) as admin:
            assert admin.patch(T1, json={}).status_code == 200
            assert admin.get(T1).json()["_protection"] == "NOT_PROTECTED"
        with client(server) as nobody:
            assert nobody.get(T1).status_code == 401


def test_certificate_of_another_ca_fails_the_handshake(ca: TestCA, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    rogue = TestCA(tmp_path / "other", "rogue CA").issue("ncp-cert")
    with pi_server(ca) as (_sim, server), client(server, rogue) as c:
        with pytest.raises(httpx.TransportError):
            c.get(T1)
