"""Client-side throttling and retry timing for the NSX client.

NSX throttles per client: 100 requests/s (429) and 40 concurrent requests (429 or 503 depending
on the source). nsxplan starts just under the rate limit and adapts (AdaptiveRate): a 429 halves
the rate and holds every worker until its Retry-After, then the rate climbs back while NSX
accepts. A manager configured below the default limit (or shared with other clients) is thus
followed down instead of hammered, and the default one is used at ~95 %. Everything here is
thread-safe: apply runs parallel workers on one client.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RATE = 95.0        # req/s to start at (and the ceiling): NSX's default limit is 100
DEFAULT_IN_FLIGHT = 20     # half of NSX's default client_api_concurrency_limit


class TokenBucket:
    """Blocks callers so that at most `rate` acquisitions happen per second on average,
    with bursts up to `burst`. `rate` None or <= 0 disables the limit."""

    def __init__(self, rate: float | None = DEFAULT_RATE, burst: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.rate = rate if rate and rate > 0 else None
        self.capacity = float(burst if burst is not None else max(1.0, self.rate or 1.0))
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is available; returns the time waited."""
        if self.rate is None:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                # Tolerance: refills are float products and must not leave 0.9999999 tokens
                # that ask for a sleep too short to move the clock.
                if self._tokens >= 1.0 - 1e-9:
                    self._tokens = max(0.0, self._tokens - 1.0)
                    return waited
                wait = max((1.0 - self._tokens) / self.rate, 1e-4)
            # Sleep outside the lock so other threads can refill-check; they will queue up
            # behind the same deficit and each sleep their share.
            self._sleep(wait)
            waited += wait


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, bounded by attempts and by total waiting time.

    Full jitter (sleep uniform(0, min(cap, base * 2**n))) spreads out parallel workers that were
    throttled at the same instant, instead of having them retry in lock-step.
    """

    max_attempts: int = 6
    base: float = 0.25
    cap: float = 8.0
    max_total_wait: float = 30.0
    rng: random.Random = field(default_factory=random.Random)
    # Injectable so tests can drive a fake clock shared with the simulator.
    sleep: Callable[[float], None] = time.sleep

    def delay(self, retry_number: int, retry_after: float | None) -> float:
        """Seconds to wait before retry `retry_number` (0-based)."""
        if retry_after is not None:
            # The server said when; a little jitter on top avoids a thundering herd at that moment.
            return retry_after + self.rng.uniform(0, self.base)
        return self.rng.uniform(0, min(self.cap, self.base * (2 ** retry_number)))


def parse_retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds; HTTP-date forms and garbage are ignored (backoff applies)."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    return seconds if seconds >= 0 else None


class AdaptiveRate(TokenBucket):
    """A TokenBucket whose rate follows the manager's throttling (additive increase,
    multiplicative decrease, as TCP does):

    - `throttled(retry_after)` (the client saw a 429/503): the rate halves (never below `floor`)
      and no token is handed out before the Retry-After has passed, to any worker;
    - then the rate grows by `recover` req/s for every second without a throttle, back up to the
      ceiling it started at.
    """

    def __init__(self, rate: float | None = DEFAULT_RATE, *, floor: float = 1.0,
                 recover: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        super().__init__(rate, clock=clock, sleep=sleep)
        self.ceiling = self.rate
        self.floor = min(floor, self.rate or floor)
        self.recover = recover
        self._paused_until = 0.0
        self.throttles = 0

    def throttled(self, retry_after: float | None) -> None:
        if self.rate is None or self.ceiling is None:
            return
        with self._lock:
            now = self._clock()
            self.throttles += 1
            self.rate = max(self.floor, self.rate / 2)
            self.capacity = max(1.0, self.rate)
            self._tokens = min(self._tokens, self.capacity)
            if retry_after:
                self._paused_until = max(self._paused_until, now + retry_after)

    def acquire(self) -> float:
        if self.rate is None:
            return 0.0
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                pause = self._paused_until - now
                if pause <= 0 and self._last < self._paused_until:
                    # Neither tokens nor recovery accrue while NSX asked us to wait.
                    self._last = self._paused_until
                if pause <= 0 and self.ceiling is not None and self.rate < self.ceiling:
                    grown = self.rate + self.recover * max(0.0, now - self._last)
                    self.rate = min(self.ceiling, grown)
                    self.capacity = max(1.0, self.rate)
            if pause > 0:
                self._sleep(pause)
                waited += pause
                continue
            return waited + super().acquire()
