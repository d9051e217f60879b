"""Credential scrubbing: header maps for logs, and vcrpy cassettes recorded from a real session
login against the simulator over a socket."""

from __future__ import annotations

import json
from pathlib import Path

import vcr

from nsxplan.redact import REDACTED, scrub_body, scrub_headers, scrub_text, vcr_config
from tests.client.helpers import PASSWORD, USER, FakeClock, served


def test_scrub_headers_keeps_names_hides_values() -> None:
    out = scrub_headers({"Authorization": "Basic abc", "cookie": "JSESSIONID=1",
                         "X-XSRF-TOKEN": "t", "Accept": "application/json"})
    assert out == {"Authorization": REDACTED, "cookie": REDACTED, "X-XSRF-TOKEN": REDACTED,
                   "Accept": "application/json"}


def test_scrub_bodies_form_and_json() -> None:
    form = scrub_body(b"j_username=admin&j_password=s3cr%21t")
    assert isinstance(form, bytes) and b"s3cr" not in form and b"j_username=admin" in form
    neighbor = scrub_body(json.dumps({"neighbor_address": "10.0.0.1", "password": "bgp-secret",
                                      "children": [{"password": "x"}]}))
    assert isinstance(neighbor, str) and "bgp-secret" not in neighbor and '"x"' not in neighbor
    assert scrub_body(b"plain text") == b"plain text"
    assert scrub_text("login as admin with s3cret", ["s3cret", None]) == (
        f"login as admin with {REDACTED}")


def test_cassette_of_session_login_holds_no_credentials(tmp_path: Path,
                                                        clock: FakeClock) -> None:
    cassette = tmp_path / "session.yaml"
    recorder = vcr.VCR(**vcr_config())
    with served(clock, auth="session") as (_sim, _server, conn):
        with recorder.use_cassette(str(cassette)):
            conn.client.get("/infra/tier-0s/vcf-t0")
            token = conn.client.auth._xsrf  # type: ignore[attr-defined]
            cookie = conn.client.auth._cookie  # type: ignore[attr-defined]
    text = cassette.read_text()
    assert "/api/session/create" in text and "vcf-t0" in text   # it did record the exchange
    assert token and cookie
    for secret in (PASSWORD, token, cookie):
        assert secret not in text
    assert "j_username" in text and USER in text
