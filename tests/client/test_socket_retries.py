"""Pagination, throttling and fault handling against the real simulator over a socket.

Retry waits run on a fake clock shared with the server's rate limiter, so a test that waits
"1 s" per Retry-After costs no wall time and is deterministic.
"""

from __future__ import annotations

import threading

import pytest

from nsxplan.errors import NsxApiError, TransportError
from tests.client.helpers import FakeClock, served


def test_list_follows_cursor_across_pages(clock: FakeClock) -> None:
    with served(clock, state=None) as (_sim, _server, conn):
        nsx = conn.client
        for i in range(25):
            nsx.patch(f"/infra/tier-1s/t1-{i:02d}", {"display_name": f"t1 {i}"})
        before = nsx.request_count
        items = nsx.list("/infra/tier-1s", {"page_size": 10})
        assert sorted(t["id"] for t in items) == [f"t1-{i:02d}" for i in range(25)]
        assert nsx.request_count - before == 3                # 10 + 10 + 5


def test_429_with_retry_after_is_honoured(clock: FakeClock) -> None:
    with served(clock, rate_limit=5) as (_sim, _server, conn):
        for _ in range(12):
            assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"
        assert conn.client.request_count > 12                 # some were throttled and retried
        assert clock.sleeps and all(s >= 1.0 for s in clock.sleeps)   # Retry-After: 1


def test_429_without_retry_after_backs_off_with_jitter(clock: FakeClock) -> None:
    with served(clock, rate_limit=5, retry_after=False) as (_sim, _server, conn):
        for _ in range(12):
            assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"
        assert clock.sleeps
        assert all(0 <= s <= conn.client.retry.cap for s in clock.sleeps)
        assert any(s < 1.0 for s in clock.sleeps)             # not a fixed 1 s: backoff


def test_429_error_code_string_after_retries_exhausted(clock: FakeClock) -> None:
    faults = [{"match": {"method": "GET", "path": "/policy/api/v1/infra/tier-0s*"},
               "respond": {"status": 429, "error_code": "102",
                           "message": "Client 'admin' exceeded request rate of 100 per second"}}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        with pytest.raises(NsxApiError) as info:
            conn.client.get("/infra/tier-0s/vcf-t0")
        assert (info.value.status, info.value.error_code) == (429, "102")
        assert conn.client.request_count == conn.client.retry.max_attempts
        assert "429" in str(info.value) and "/infra/tier-0s/vcf-t0" in str(info.value)


def test_503_is_retried_then_write_succeeds(clock: FakeClock) -> None:
    faults = [{"match": {"method": "PATCH", "path": "/policy/api/v1/infra/tier-1s/*"},
               "respond": {"status": 503, "message": "busy"}, "times": 2}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        conn.client.patch("/infra/tier-1s/t1-new", {"tier0_path": "/infra/tier-0s/vcf-t0"})
        assert conn.client.request_count == 3
        assert conn.client.get("/infra/tier-1s/t1-new")["tier0_path"] == "/infra/tier-0s/vcf-t0"


def test_retry_budget_bounds_total_wait(clock: FakeClock) -> None:
    faults = [{"match": {"method": "GET", "path": "*"},
               "respond": {"status": 503, "message": "busy", "headers": {"Retry-After": "20"}}}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        with pytest.raises(NsxApiError) as info:
            conn.client.get("/infra/tier-0s")
        assert info.value.status == 503
        assert sum(clock.sleeps) <= conn.client.retry.max_total_wait
        assert conn.client.request_count == 2                 # a second 20 s wait would exceed 30 s


def test_dropped_connection_is_retried(clock: FakeClock) -> None:
    faults = [{"match": {"method": "GET", "path": "/policy/api/v1/infra/tier-0s/*"},
               "drop_connection": True, "times": 2}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        assert conn.client.get("/infra/tier-0s/vcf-t0")["id"] == "vcf-t0"
        assert conn.client.request_count == 3


def test_always_dropped_connection_is_a_transport_error(clock: FakeClock) -> None:
    faults = [{"match": {"method": "GET", "path": "*"}, "drop_connection": True}]
    with served(clock, faults=faults) as (_sim, server, conn):
        with pytest.raises(TransportError) as info:
            conn.client.get("/infra/tier-0s")
        assert server.url.split("//")[1] in str(info.value)
        assert conn.client.request_count == conn.client.retry.max_attempts


def test_delete_of_missing_object_is_success(clock: FakeClock) -> None:
    faults = [{"match": {"method": "DELETE", "path": "*"},
               "respond": {"status": 404, "message": "not found"}}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        conn.client.delete("/infra/tier-1s/never-existed")
        assert conn.client.request_count == 1


def test_api_error_from_validation_is_mapped(clock: FakeClock) -> None:
    with served(clock) as (_sim, _server, conn):
        with pytest.raises(NsxApiError) as info:
            conn.client.patch("/infra/tier-0s/vcf-t0", {"ha_mode": "SIDEWAYS"})
        err = info.value
        assert err.status == 400 and err.error_code and err.error_code.isdigit()
        assert err.info.module_name
        assert str(err).startswith(f"NSX 400 error_code {err.error_code} on PATCH /infra/tier-0s")


def test_concurrency_cap_keeps_parallel_workers_under_server_limit(clock: FakeClock) -> None:
    # Server admits 3 in flight (503 beyond); 16 threads on a client capped at 3 never see 503.
    with served(clock, concurrency_limit=3, latency_ms=5,
                connect_kw={"max_in_flight": 3}) as (_sim, _server, conn):
        errors: list[BaseException] = []

        def worker() -> None:
            try:
                conn.client.get("/infra/tier-0s/vcf-t0")
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert conn.client.request_count == 16                # no 503, so no retries


def test_connection_refused_is_retried_then_a_transport_error(clock: FakeClock) -> None:
    import socket

    from nsxplan.connect import connect
    from tests.client.helpers import retry_policy

    with socket.socket() as probe:                        # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    conn = connect(f"http://127.0.0.1:{port}", retry=retry_policy(clock))
    try:
        with pytest.raises(TransportError) as info:
            conn.client.get("/infra/tier-0s")
        assert f"127.0.0.1:{port}" in str(info.value) and "connection failed" in str(info.value)
        assert conn.client.request_count == conn.client.retry.max_attempts
        assert len(clock.sleeps) == conn.client.retry.max_attempts - 1
    finally:
        conn.close()


def test_realization_falls_back_to_consolidated_status(clock: FakeClock) -> None:
    faults = [{"match": {"method": "GET",
                         "path": "/policy/api/v1/infra/realized-state/realized-entities"},
               "respond": {"status": 404, "message": "no such API"}}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        conn.client.patch("/infra/tier-1s/t1-r", {"tier0_path": "/infra/tier-0s/vcf-t0"})
        assert conn.client.realization("/infra/tier-1s/t1-r") == ("REALIZED", None)


def test_realization_falls_back_to_entities_without_the_status_endpoint(clock: FakeClock
                                                                         ) -> None:
    faults = [{"match": {"method": "GET", "path": "/policy/api/v1/infra/realized-state/status"},
               "respond": {"status": 400, "message": "no such API"}}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        conn.client.patch("/infra/tier-1s/t1-r", {"tier0_path": "/infra/tier-0s/vcf-t0"})
        assert conn.client.realization("/infra/tier-1s/t1-r") == ("REALIZED", None)
        # a route lists no entity of its own: without the status, nothing is known about it
        assert conn.client.realization("/infra/tier-0s/vcf-t0/static-routes/none") == (
            "UNKNOWN", None)


def test_post_is_not_retried_after_a_dropped_connection(clock: FakeClock) -> None:
    # The action may have run before the connection dropped: repeating it is not safe.
    faults = [{"match": {"method": "POST", "path": "/policy/api/v1/infra/tier-0s/*"},
               "drop_connection": True}]
    with served(clock, faults=faults) as (_sim, _server, conn):
        with pytest.raises(TransportError):
            conn.client.post("/infra/tier-0s/vcf-t0", params={"action": "reprocess"})
        assert conn.client.request_count == 1
