"""redact.scrub_all: the last line of defence for crash logs and internal-error messages."""

from __future__ import annotations

import base64

from nsxplan.redact import known_secrets, scrub_all

PASSWORD = "p@ss:w/rd?#&;$(id) é"
ENV = {"NSX_USERNAME": "admin", "NSX_PASSWORD": PASSWORD}
TOKEN = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()


def test_known_secrets_are_the_password_and_its_basic_token() -> None:
    assert known_secrets(ENV) == [PASSWORD, TOKEN]
    assert known_secrets({"NSX_USERNAME": "admin"}) == []


def test_a_library_error_quoting_a_whole_request_is_scrubbed() -> None:
    text = (f"RuntimeError: request failed: {{'Authorization': 'Basic {TOKEN}', "
            f"'Cookie': 'JSESSIONID=8B1F0C2A9E', 'X-XSRF-TOKEN': 'a1b2c3d4e5f6'}} "
            f"form j_password={PASSWORD}\nSet-Cookie: JSESSIONID=77AA; Path=/; HttpOnly")
    out = scrub_all(text, ENV)
    for secret in (PASSWORD, TOKEN, "8B1F0C2A9E", "a1b2c3d4e5f6", "77AA"):
        assert secret not in out, (secret, out)
    assert "RuntimeError: request failed" in out and "REDACTED" in out


def test_unknown_session_values_are_scrubbed_without_the_environment() -> None:
    out = scrub_all("x-xsrf-token: 0f9e8d7c6b5a; cookie=JSESSIONID=DEADBEEF01", {})
    assert "0f9e8d7c6b5a" not in out and "DEADBEEF01" not in out


def test_ordinary_text_is_left_alone() -> None:
    text = "NSX 404 error_code 500090 on GET /infra/tier-0s/vcf-t0: not found"
    assert scrub_all(text, ENV) == text
