"""Assemble the simulator's edge: faults -> auth -> rate/concurrency limits -> latency -> core.

The order mirrors a manager: an injected fault (a proxy error, a dropped connection) hits before
anything else; NSX authenticates before it rate-limits, because its limits are per authenticated
user; latency is the manager's processing time, so it sits inside the limits and holds a
concurrency slot while it lasts. Consequence: `POST /api/session/create` is answered by the auth
layer and is never rate-limited (there is no authenticated user to charge it to yet).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from nsxplan.sim.auth import SESSION_TIMEOUT, AuthMiddleware
from nsxplan.sim.faults import (
    ConcurrencyLimit,
    FaultInjector,
    Latency,
    RateLimit,
    WSGIApp,
    load_faults,
    validate_faults,
)

__all__ = ["build_wsgi", "load_faults", "WSGIApp"]


def build_wsgi(sim: Any, *, username: str | None = None, password: str | None = None,
               rate_limit: float | None = None, concurrency_limit: int | None = None,
               latency_ms: float = 0, faults: list[dict[str, Any]] | str | os.PathLike[str]
               | None = None, seed: int | None = None,
               session_timeout: float = SESSION_TIMEOUT, retry_after: bool = True,
               clock: Callable[[], float] = time.monotonic,
               principal_identities: Mapping[str, str] | None = None) -> WSGIApp:
    """Wrap a Simulator (any WSGI app; `sim.add_realization_rule` is needed only for
    `realization:` faults) in the edge middlewares. `faults`: a rule list or a faults file path;
    `seed` seeds `rate:` rules without their own seed; `retry_after=False` omits Retry-After on
    429/503; `clock` drives the rate limiter and session expiry (tests pass a fake one);
    `principal_identities` maps client-certificate CNs to principal identity names.
    Raises ValueError (FaultsError for faults) for inconsistent arguments."""
    app: WSGIApp = sim
    if latency_ms < 0:
        raise ValueError("latency must be >= 0 ms")
    if latency_ms:
        app = Latency(app, latency_ms)
    if concurrency_limit is not None:
        app = ConcurrencyLimit(app, concurrency_limit, retry_after=retry_after)
    if rate_limit is not None:
        app = RateLimit(app, rate_limit, retry_after=retry_after, clock=clock)
    app = AuthMiddleware(app, username, password, session_timeout=session_timeout, clock=clock,
                         principal_identities=principal_identities)
    if faults is not None:
        rules = (load_faults(faults) if isinstance(faults, (str, os.PathLike))
                 else validate_faults(faults))
        if rules:
            app = FaultInjector(app, rules, sim=sim, seed=seed)
    return app
