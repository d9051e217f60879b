"""The client's rate follows NSX's throttling: near the limit while NSX accepts, halved and held
back after a 429 (honouring Retry-After), recovered once NSX accepts again."""

from __future__ import annotations

import httpx
import pytest

from nsxplan.client import NsxClient
from nsxplan.client.ratelimit import DEFAULT_RATE, AdaptiveRate, RetryPolicy


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_starts_near_nsx_limit() -> None:
    assert 85 <= DEFAULT_RATE < 100


def test_throttle_halves_the_rate_and_holds_everyone_until_retry_after() -> None:
    t = FakeTime()
    rate = AdaptiveRate(80.0, clock=t.clock, sleep=t.sleep)
    rate.acquire()
    rate.throttled(2.0)
    assert rate.rate == 40.0 and rate.throttles == 1
    waited = rate.acquire()
    assert waited >= 2.0 and t.now >= 2.0          # nothing before the Retry-After
    rate.throttled(None)
    rate.throttled(None)
    assert rate.rate == pytest.approx(10.0, abs=1.0)


def test_rate_recovers_while_nsx_accepts_and_never_passes_the_ceiling() -> None:
    t = FakeTime()
    rate = AdaptiveRate(60.0, recover=10.0, clock=t.clock, sleep=t.sleep)
    rate.throttled(None)
    assert rate.rate == 30.0
    t.now += 1.0
    rate.acquire()
    assert rate.rate == pytest.approx(40.0)
    t.now += 10.0
    rate.acquire()
    assert rate.rate == 60.0


def test_sustained_rate_is_the_configured_one() -> None:
    t = FakeTime()
    rate = AdaptiveRate(50.0, clock=t.clock, sleep=t.sleep)
    for _ in range(550):
        rate.acquire()
    # a burst of one second's worth, then 50 per second
    assert t.now == pytest.approx(10.0, rel=0.01)


def test_floor_is_respected() -> None:
    rate = AdaptiveRate(4.0, floor=1.0)
    for _ in range(10):
        rate.throttled(None)
    assert rate.rate == 1.0


def test_client_slows_down_on_429() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "0"}, json={}),
                    httpx.Response(200, json={"ok": True})])
    slept: list[float] = []
    client = NsxClient(httpx.Client(transport=httpx.MockTransport(lambda r: next(answers)),
                                    base_url="https://nsx.example.com"),
                       retry=RetryPolicy(sleep=slept.append))
    try:
        assert client.get("/infra/tier-0s/t0") == {"ok": True}
        assert client._bucket.throttles == 1
        assert client._bucket.rate == pytest.approx(DEFAULT_RATE / 2, abs=1.0)
        assert client.request_count == 2
    finally:
        client.close()
