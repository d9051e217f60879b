"""A body nested deeper than any policy object is bad input: 400 with NSX's error shape over the
socket, never the 500 of a RecursionError."""

from __future__ import annotations

import pytest

from tests.sim.helpers import client_for, sim_server


@pytest.mark.parametrize("depth", [100_000, 5_000])
def test_over_deep_json_is_a_400_with_an_nsx_error_body(depth: int) -> None:
    body = ("[" * depth + "]" * depth).encode()
    wrapped = b'{"description": ' + body + b"}"
    with sim_server("demo") as (_sim, server), client_for(server) as http:
        r = http.patch("/policy/api/v1/infra/tier-1s/deep", content=wrapped,
                       headers={"Content-Type": "application/json"})
        assert r.status_code == 400, r.text
        err = r.json()
        assert err["httpStatus"] == "BAD_REQUEST" and isinstance(err["error_code"], int)
        assert "nested too deeply" in err["error_message"]
        assert http.get("/policy/api/v1/infra/tier-1s/deep").status_code == 404
