"""A vcrpy recording made with nsxplan.redact's hooks carries no credential: session login
(form password, JSESSIONID, X-XSRF-TOKEN) and basic auth, a password full of metacharacters,
against `nsxplan sim serve` with credentials on."""

from __future__ import annotations

from pathlib import Path

import pytest
import vcr

from nsxplan.connect import connect
from nsxplan.redact import vcr_config
from tests.safety.helpers import NASTY, T0, secrets_in
from tests.scenarios.conftest import USER, Sim


@pytest.mark.parametrize("auth", ["basic", "session"])
def test_cassette_of_a_login_read_and_write_has_no_credentials(
        nasty_sim: Sim, tmp_path: Path, auth: str) -> None:
    cassette = tmp_path / "c.yaml"
    recorder = vcr.VCR(record_mode="all", **vcr_config())
    with recorder.use_cassette(str(cassette)):
        with connect(nasty_sim.url, username=USER, password=NASTY, auth=auth) as conn:
            conn.client.get(T0)
            conn.client.patch(f"{T0}/static-routes/rec", {
                "resource_type": "StaticRoutes", "network": "192.0.2.0/24",
                "next_hops": [{"ip_address": "10.27.51.1"}]})
    text = cassette.read_text()
    assert "/static-routes/rec" in text
    if auth == "session":
        assert "session/create" in text, "the login was not recorded: the test proves nothing"
    assert secrets_in(text, NASTY) == []
    assert "j_username" not in text or "j_password=REDACTED" in text
