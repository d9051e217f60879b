"""Helpers for client tests: the real simulator on a 127.0.0.1 socket, a fake clock shared by the
server's limiters/sessions and the client's retry sleeps (so retry waits cost no wall time)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nsxplan.client.ratelimit import RetryPolicy
from nsxplan.connect import Connection, connect
from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.server import serve_in_thread

USER, PASSWORD = "admin", "VMware1!VMware1!"


class FakeClock:
    """Monotonic clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def retry_policy(clock: FakeClock, **kw: Any) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(7), sleep=clock.sleep, **kw)


@contextmanager
def served(clock: FakeClock, state: Any = "demo", *, tls: bool = False, auth: str = "basic",
           password: str = PASSWORD, connect_kw: dict[str, Any] | None = None,
           **build_wsgi_kw: Any) -> Iterator[tuple[Any, Any, Connection]]:
    """(simulator, running server, connection) with credentials enforced by the server."""
    build_wsgi_kw.setdefault("username", USER)
    build_wsgi_kw.setdefault("password", PASSWORD)
    # build_wsgi + serve_in_thread rather than sim_server: the edge middlewares (rate limit,
    # session expiry) must share the fake clock, and sim_server gives its clock to the core only.
    sim = make_simulator(state)
    app = build_wsgi(sim, clock=clock, **build_wsgi_kw)
    with serve_in_thread(app, tls=tls) as server:
        kw: dict[str, Any] = {"username": USER, "password": password, "auth": auth,
                              "retry": retry_policy(clock), "rate_limit": None}
        if tls:
            kw["ca_bundle"] = server.ca_file
        kw.update(connect_kw or {})
        conn = connect(server.url, **kw)
        try:
            yield sim, server, conn
        finally:
            conn.close()


def make_simulator(state: Any = "demo", **kw: Any) -> Any:
    from nsxplan.sim import Simulator, demo_state

    return Simulator(demo_state() if state == "demo" else state, **kw)
