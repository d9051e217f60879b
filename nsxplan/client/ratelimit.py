"""Client-side throttling and retry timing for the NSX client.

NSX throttles per client: 100 requests/s (429) and 40 concurrent requests (429 or 503 depending
on the source). Staying below both on our side means a parallel apply never spends its retry
budget on self-inflicted throttling. Everything here is thread-safe: apply runs parallel workers
on one client.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

DEFAULT_RATE = 50.0        # req/s, half of NSX's default client_api_rate_limit
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
