"""Rate limit (429, error_code "102" as a string), concurrency limit (503), latency."""

from __future__ import annotations

import threading
from typing import Any

import httpx

from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.faults import Latency, RateLimit
from nsxplan.sim.server import serve_in_thread

URL = "/policy/api/v1/infra/tier-1s"


def ok_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_answers_429_with_nsx_body_and_retry_after() -> None:
    clock = FakeClock()
    app = build_wsgi(ok_app, rate_limit=2, clock=clock)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        assert [client.get(URL).status_code for _ in range(2)] == [200, 200]
        r = client.get(URL)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "1"
        body = r.json()
        assert body["error_code"] == "102"  # a STRING, as NSX sends it
        assert body["error_message"] == "Client 'admin' exceeded request rate of 2 per second"
        assert body["httpStatus"] == "TOO_MANY_REQUESTS"
        clock.now += 0.5  # one token back at 2/s
        assert client.get(URL).status_code == 200
        assert client.get(URL).status_code == 429


def test_rate_limit_is_per_authenticated_user_and_retry_after_can_be_omitted() -> None:
    clock = FakeClock()
    app = build_wsgi(ok_app, rate_limit=1, clock=clock, retry_after=False,
                     username="admin", password="pw")
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get(URL, auth=("admin", "pw")).status_code == 200
        r = client.get(URL, auth=("admin", "pw"))
        assert r.status_code == 429 and "retry-after" not in r.headers
        # Refused logins are not charged to the user's bucket: auth runs first.
        assert client.get(URL, auth=("admin", "bad")).status_code == 401


def test_rate_limit_without_a_user_is_per_source_ip() -> None:
    clock = FakeClock()
    with serve_in_thread(RateLimit(ok_app, 1.5, clock=clock)) as server:
        assert httpx.get(server.url).status_code == 200
        r = httpx.get(server.url)
        assert r.status_code == 429
        assert r.json()["error_message"] == \
            "Client '127.0.0.1' exceeded request rate of 1.5 per second"


def test_concurrency_limit_answers_503_while_the_slot_is_held() -> None:
    entered = threading.Event()
    release = threading.Event()

    def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/slow":
            entered.set()
            release.wait(10)
        return ok_app(environ, start_response)

    app = build_wsgi(slow_app, concurrency_limit=1)
    statuses: list[int] = []
    with serve_in_thread(app) as server:
        holder = threading.Thread(target=lambda: statuses.append(
            httpx.get(server.url + "/slow", timeout=10).status_code))
        holder.start()
        assert entered.wait(10)
        r = httpx.get(server.url + "/fast")
        release.set()
        holder.join()
        assert r.status_code == 503
        assert r.headers["retry-after"] == "1"
        assert r.json()["httpStatus"] == "SERVICE_UNAVAILABLE"
        assert "concurrent request limit of 1" in r.json()["error_message"]
        assert statuses == [200]
        assert httpx.get(server.url + "/fast").status_code == 200  # slot released


def test_latency_sleeps_before_every_request() -> None:
    slept: list[float] = []
    app = Latency(ok_app, 250, sleep=slept.append)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get(URL).status_code == 200
        assert client.get(URL).status_code == 200
    assert slept == [0.25, 0.25]


def test_build_wsgi_with_latency_serves_normally() -> None:
    with serve_in_thread(build_wsgi(ok_app, latency_ms=1)) as server:
        assert httpx.get(server.url + URL).json() == {}
