"""Auth flows and TLS against the real simulator over a 127.0.0.1 socket."""

from __future__ import annotations

import logging
import re

import pytest

from nsxplan.connect import connect
from nsxplan.errors import NsxApiError, TransportError, UsageError
from tests.client.helpers import PASSWORD, USER, FakeClock, served


def test_basic_auth_reads_and_version(clock: FakeClock,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="nsxplan.client")
    with served(clock) as (_sim, _server, conn):
        t0 = conn.client.get("/infra/tier-0s/vcf-t0")
        assert t0["resource_type"] == "Tier0" and t0["path"] == "/infra/tier-0s/vcf-t0"
        assert conn.client.version().startswith("3.2")
        assert conn.client.request_count == 2
        assert PASSWORD not in conn.label and USER not in conn.label
    assert re.search(r"GET /infra/tier-0s/vcf-t0 -> 200 \(\d+\.\d ms\)", caplog.text)
    assert "Basic " not in caplog.text and PASSWORD not in caplog.text


def test_basic_auth_wrong_password_is_one_401_without_the_password(clock: FakeClock) -> None:
    with served(clock, password="wrong-Secret-9") as (_sim, _server, conn):
        with pytest.raises(NsxApiError) as info:
            conn.client.get("/infra/tier-0s")
        assert info.value.status == 401
        assert "wrong-Secret-9" not in str(info.value)
        assert "NSX_USERNAME" in info.value.format()          # the hint says what to fix
        assert conn.client.request_count == 1                 # 401 with basic auth: no retry


def test_session_login_cookie_and_xsrf_then_relogin_on_expiry(
        clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="nsxplan.client")
    with served(clock, auth="session", session_timeout=60) as (_sim, _server, conn):
        assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"
        assert conn.client.request_count == 2                 # login + GET
        assert conn.client.list("/infra/tier-1s")             # same session, no new login
        assert conn.client.request_count == 3
        clock.now += 61                                       # idle past the session timeout
        assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"
        # GET (401, expired) + login again + GET retried
        assert conn.client.request_count == 6
        assert caplog.text.count("POST /api/session/create -> 200") == 2
        secrets = [PASSWORD, conn.client.auth._cookie, conn.client.auth._xsrf]  # type: ignore
    assert all(secrets) and not any(secret in caplog.text for secret in secrets)


def test_session_wrong_password_fails_at_login(clock: FakeClock) -> None:
    with served(clock, auth="session", password="nope-nope") as (_sim, _server, conn):
        with pytest.raises(NsxApiError) as info:
            conn.client.get("/infra/tier-0s")
        assert (info.value.status, info.value.method, info.value.path) == (
            401, "POST", "/api/session/create")
        assert "nope-nope" not in str(info.value)


def test_session_relogin_happens_only_once(clock: FakeClock) -> None:
    # The server rejects the XSRF token of every session for this path: 403 even after
    # re-login. The client must re-login exactly once and then report the 403.
    faults = [{"match": {"method": "GET", "path": "/policy/api/v1/infra/tier-1s"},
               "respond": {"status": 403, "error_code": 98, "message": "forbidden"}}]
    with served(clock, auth="session", faults=faults) as (_sim, _server, conn):
        with pytest.raises(NsxApiError) as info:
            conn.client.list("/infra/tier-1s")
        assert info.value.status == 403
        assert conn.client.request_count == 4                 # login, GET, login, GET


def test_tls_with_ca_bundle_verifies(clock: FakeClock) -> None:
    with served(clock, tls=True) as (_sim, server, conn):
        assert server.url.startswith("https://127.0.0.1:")
        assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"


def test_tls_without_ca_bundle_fails_with_hint(clock: FakeClock) -> None:
    with served(clock, tls=True, connect_kw={"ca_bundle": None}) as (_sim, _server, conn):
        with pytest.raises(TransportError) as info:
            conn.client.get("/infra/tier-0s")
        assert "TLS verification failed" in str(info.value)
        assert "--ca-bundle" in info.value.format()
        assert conn.client.request_count == 1                 # a bad certificate is not retried


def test_tls_insecure_works_and_warns(clock: FakeClock, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="nsxplan.client")
    with served(clock, tls=True, connect_kw={"ca_bundle": None, "insecure": True}) as (
            _sim, _server, conn):
        assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"
    assert "TLS verification disabled" in caplog.text


@pytest.mark.parametrize("manager,insecure,message", [
    ("http://192.0.2.10", True, "--insecure refused for plain http://"),
    ("http://nsx.example.com", False, "only allowed to a loopback"),
    ("https://admin:pw@nsx.example.com", False, "credentials in the manager URL"),
    ("ftp://nsx.example.com", False, "cannot use manager"),
    ("", False, "no NSX manager"),
])
def test_unsafe_or_bad_targets_refused(manager: str, insecure: bool, message: str) -> None:
    with pytest.raises(UsageError) as info:
        connect(manager, username="admin", password="pw", insecure=insecure)
    assert message in str(info.value)
    assert "pw@" not in str(info.value)


def test_https_without_credentials_refused() -> None:
    with pytest.raises(UsageError, match="no credentials"):
        connect("https://nsx.example.com")


def test_loopback_http_label_has_no_credentials() -> None:
    conn = connect("http://127.0.0.1:1/some/path?token=x", username="u", password="secret")
    try:
        assert conn.label == "http://127.0.0.1:1"
    finally:
        conn.close()


def test_client_certificate_loaded_into_tls_context(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from nsxplan.client.auth import CertAuth
    from nsxplan.sim.server import write_self_signed

    cert, key = write_self_signed(str(tmp_path))
    conn = connect("https://nsx.example.com", client_cert=cert, client_key=key,
                   auth="certificate")
    try:
        assert isinstance(conn.client.auth, CertAuth)
        assert conn.label == "https://nsx.example.com"
    finally:
        conn.close()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(UsageError, match="cannot load TLS material"):
        connect("https://nsx.example.com", client_cert=str(garbage), client_key=key)
    with pytest.raises(UsageError, match="does not exist"):
        connect("https://nsx.example.com", username="a", password="b",
                ca_bundle=str(tmp_path / "missing.pem"))
    with pytest.raises(UsageError, match="key was given without"):
        connect("https://nsx.example.com", client_key=key)


def test_plain_http_loads_no_ca_store_and_could_verify_nothing() -> None:
    """http:// (loopback only) makes no TLS connection; its context, should one ever be tried,
    still requires a verified certificate and trusts no CA."""
    import ssl

    from nsxplan.connect import _no_tls

    ctx = _no_tls()
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
    assert ctx.get_ca_certs() == []
    conn = connect("http://127.0.0.1:1", username="u", password="secret")
    conn.close()
