"""Helpers for the simulator core tests (importable: conftest modules clash across test dirs)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from nsxplan.sim import Simulator

# copies of ../shared/fixtures (a clone lacks ../shared)
DATA = Path(__file__).resolve().parents[1] / "fixtures"
P = "/policy/api/v1"


class FakeClock:
    """A clock tests move by hand, so realization timing needs no sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def client_for(sim: Simulator, **headers: str) -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=sim), base_url="http://nsx", headers=headers
    )


def tanzu_lab() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / "tanzu-bgp-lab.json").read_text())
    return data


def err(resp: httpx.Response, status: int, code: int | str | None = None) -> dict[str, Any]:
    """Assert an NSX ApiError response and return its body."""
    assert resp.status_code == status, resp.text
    body: dict[str, Any] = resp.json()
    assert body["module_name"] == "Policy"
    assert isinstance(body["error_message"], str) and body["error_message"]
    assert body["related_errors"] == []
    assert body["httpStatus"] == httpx.codes(status).name
    if code is not None:
        assert body["error_code"] == code, body
    return body


def ok(resp: httpx.Response) -> httpx.Response:
    assert resp.status_code == 200, resp.text
    return resp
