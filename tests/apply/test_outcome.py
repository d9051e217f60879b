"""The outcome of a write is decided by reading NSX back (nsxplan.outcome.settle): over a real
socket for timeouts, proxies' 5xx and refusals; with a scripted client for the orderings a
consistent simulator cannot produce (a stale read, then a 412 on the retry)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nsxplan.apply.outcome import CHANGED, LANDED, NOT_LANDED, contains, settle
from nsxplan.client import NsxClient
from nsxplan.errors import ApiErrorInfo, NsxApiError, Problem, TransportError
from tests.apply.helpers import T0, P, fast_retry
from tests.sim.helpers import client_for, sim_server

ROUTE = f"{T0}/static-routes/lost"
BODY = {"resource_type": "StaticRoutes", "network": "10.77.0.0/16",
        "next_hops": [{"ip_address": "172.27.51.1"}],
        "tags": [{"scope": "nsxplan/owner", "tag": "t"}]}


def client(server: Any, timeout: float = 10.0) -> NsxClient:
    return NsxClient(client_for(server, timeout=timeout), rate_limit=None, retry=fast_retry(),
                     label="test-sim")


def test_a_client_timeout_after_nsx_committed_is_read_back_as_landed() -> None:
    fault = {"match": {"method": "PATCH", "path": P + ROUTE}, "times": 1,
             "lose_response": "timeout", "hang_ms": 1500}
    with sim_server("demo", faults=[fault]) as (sim, server):
        nsx = client(server, timeout=0.3)       # gives up long before the fault answers
        try:
            outcome = settle(nsx, "PATCH", ROUTE, BODY, pre=None)
        finally:
            nsx.close()
        stored = sim.snapshot()
    assert outcome.state == LANDED and outcome.attempts == 1, outcome
    assert isinstance(outcome.revision, int) and outcome.unique_id
    assert "10.77.0.0/16" in str(stored)


def test_a_proxy_502_before_nsx_saw_the_write_is_retried_after_reading_back() -> None:
    fault = {"match": {"method": "PATCH", "path": P + T0}, "times": 1,
             "respond": {"status": 502, "message": "bad gateway"}}
    with sim_server("demo", faults=[fault]) as (_sim, server):
        nsx = client(server)
        try:
            pre = nsx.get(T0)
            body = {"resource_type": "Tier0", "description": "retried",
                    "_revision": pre["_revision"]}
            outcome = settle(nsx, "PATCH", T0, body, pre=pre, sleep=lambda _s: None)
            after = nsx.get(T0)
        finally:
            nsx.close()
    assert outcome.state == LANDED and outcome.attempts == 2, outcome
    assert after["description"] == "retried" and outcome.revision == after["_revision"]


def test_a_refusal_is_not_landed_and_not_retried() -> None:
    with sim_server("demo") as (_sim, server):
        nsx = client(server)
        try:
            outcome = settle(nsx, "PATCH", ROUTE, {"resource_type": "StaticRoutes",
                                                   "network": "not-a-cidr"}, pre=None)
        finally:
            nsx.close()
    assert outcome.state == NOT_LANDED and outcome.attempts == 1
    assert isinstance(outcome.error, NsxApiError) and outcome.error.status == 400


class Scripted:
    """Answers writes and reads from a script: exceptions are raised, mappings returned."""

    def __init__(self, writes: list[Any], reads: list[Any]) -> None:
        self.writes, self.reads = writes, reads
        self.sent: list[tuple[str, Mapping[str, Any] | None]] = []

    def _write(self, method: str, body: Mapping[str, Any] | None) -> Any:
        self.sent.append((method, body))
        answer = self.writes.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def patch(self, path: str, body: Mapping[str, Any], **kw: Any) -> None:
        self._write("PATCH", body)

    def put(self, path: str, body: Mapping[str, Any], **kw: Any) -> dict[str, Any]:
        return dict(self._write("PUT", body) or {})

    def delete(self, path: str, **kw: Any) -> None:
        self._write("DELETE", None)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        answer = self.reads.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


def api(status: int) -> NsxApiError:
    return NsxApiError(ApiErrorInfo(status, "PATCH", ROUTE, "1", f"status {status}"))


LOST = TransportError([Problem("cannot reach NSX: connection failed (server disconnected)")])
PRE = {**BODY, "next_hops": [{"ip_address": "172.27.51.9"}], "_revision": 4, "unique_id": "u"}
MINE = {**BODY, "_revision": 5, "unique_id": "u", "enabled_on_secondary": False}


def test_412_on_the_retry_of_our_own_write_is_landed() -> None:
    """The first attempt's answer is lost, a read from a lagging node still shows the old
    revision, the retry gets 412 because the first attempt did land: LANDED, not 'refused'."""
    nsx = Scripted(writes=[LOST, api(412)], reads=[PRE, MINE, MINE])
    outcome = settle(nsx, "PATCH", ROUTE, {**BODY, "_revision": 4}, pre=PRE,
                     sleep=lambda _s: None)
    assert outcome.state == LANDED and outcome.attempts == 2 and outcome.revision == 5


def test_someone_elses_write_meanwhile_is_changed_not_landed() -> None:
    theirs = {**PRE, "description": "hand edit", "_revision": 5}
    nsx = Scripted(writes=[api(504)], reads=[theirs])
    outcome = settle(nsx, "PATCH", ROUTE, {**BODY, "_revision": 4}, pre=PRE)
    assert outcome.state == CHANGED and outcome.landed is None
    assert "changed by someone else" in outcome.conflict_text(ROUTE)


def test_a_lost_delete_is_landed_when_the_object_is_gone() -> None:
    nsx = Scripted(writes=[LOST], reads=[api(404)])
    assert settle(nsx, "DELETE", ROUTE, None, pre=PRE).state == LANDED


def test_contains_allows_nsx_defaults_and_reordered_lists() -> None:
    stored = {"next_hops": [{"ip_address": "a", "admin_distance": 1}],
              "tags": [{"scope": "y", "tag": "2"}, {"scope": "x", "tag": "1"}], "extra": 1}
    assert contains(stored, {"next_hops": [{"ip_address": "a"}],
                             "tags": [{"scope": "x", "tag": "1"}, {"scope": "y", "tag": "2"}]})
    assert not contains(stored, {"next_hops": [{"ip_address": "b"}]})
    assert not contains(stored, {"tags": [{"scope": "x", "tag": "1"}]})
