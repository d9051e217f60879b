"""Faults file: validation, respond/times/after, seeded rate, drop_connection, realization."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from nsxplan.sim.compose import build_wsgi, load_faults
from nsxplan.sim.faults import DropConnection, FaultsError, validate_faults
from nsxplan.sim.server import serve_in_thread

ISSUE_EXAMPLE = """\
- match: {method: PATCH, path: "/policy/api/v1/infra/tier-1s/*/dns-forwarder"}
  respond: {status: 500, error_code: 99, message: "injected"}
  times: 1                      # omit = always; `after: N` skips the first N matches
- match: {path: "*/static-routes/*"}
  realization: ERROR            # accepted, but realizes to ERROR
- rate: 0.05                    # this fraction of all requests, seeded
  seed: 7
  respond: {status: 503}
- match: {method: GET}
  drop_connection: true         # the socket closes without a response
  times: 2
"""
FWD = "/policy/api/v1/infra/tier-1s/t1/dns-forwarder"


class FakeSim:
    """Stands in for the core: answers 200 and records realization rules."""

    def __init__(self) -> None:
        self.rules: list[tuple[Callable[[str], bool], str]] = []

    def add_realization_rule(self, predicate: Callable[[str], bool], state: str = "ERROR",
                             message: str = "injected realization error") -> None:
        self.rules.append((predicate, state))

    def realizes(self, intent_path: str) -> str:
        return next((s for p, s in self.rules if p(intent_path)), "REALIZED")

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b"{}"]


def test_the_issue_example_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text(ISSUE_EXAMPLE)
    rules = load_faults(path)
    assert [sorted(r) for r in rules] == [
        ["match", "respond", "times"], ["match", "realization"],
        ["match", "rate", "respond", "seed"], ["drop_connection", "match", "times"]]
    assert rules[0]["respond"]["error_code"] == 99 and rules[3]["match"] == {"method": "GET"}


def test_respond_times_after_over_the_socket() -> None:
    faults: list[dict[str, Any]] = [
        {"match": {"method": "patch", "path": "/policy/api/v1/infra/tier-1s/*/dns-forwarder"},
         "respond": {"status": 500, "error_code": 99, "message": "injected"}, "times": 1},
        {"match": {"method": "DELETE"}, "after": 2,
         "respond": {"status": 400, "error_code": "500030", "headers": {"X-Fault": "yes"}}},
    ]
    with serve_in_thread(build_wsgi(FakeSim(), faults=faults)) as server, \
            httpx.Client(base_url=server.url) as client:
        r = client.patch(FWD, json={})
        assert r.status_code == 500
        assert r.json() == {"httpStatus": "INTERNAL_SERVER_ERROR", "error_code": 99,
                            "module_name": "Policy", "error_message": "injected",
                            "related_errors": []}
        assert client.patch(FWD, json={}).status_code == 200  # times: 1
        assert client.get(FWD).status_code == 200  # method does not match
        assert [client.delete(FWD).status_code for _ in range(4)] == [200, 200, 400, 400]
        r = client.delete(FWD)
        assert r.headers["x-fault"] == "yes" and r.json()["error_code"] == "500030"


def test_rate_faults_are_seeded_and_reproducible() -> None:
    faults = [{"rate": 0.05, "seed": 7, "respond": {"status": 503}}]

    def failing_indexes() -> list[int]:
        with serve_in_thread(build_wsgi(FakeSim(), faults=faults)) as server, \
                httpx.Client(base_url=server.url) as client:
            return [i for i in range(200) if client.get(f"/x/{i}").status_code == 503]

    first = failing_indexes()
    assert first == failing_indexes()
    assert 1 <= len(first) <= 30  # about 5% of 200


def test_drop_connection_over_the_socket_closes_without_a_response() -> None:
    faults = [{"match": {"method": "GET"}, "drop_connection": True, "times": 2}]
    with serve_in_thread(build_wsgi(FakeSim(), faults=faults)) as server, \
            httpx.Client(base_url=server.url) as client:
        for _ in range(2):
            with pytest.raises(httpx.RemoteProtocolError):
                client.get("/policy/api/v1/infra/tier-0s")
        assert client.get("/policy/api/v1/infra/tier-0s").status_code == 200


def test_drop_connection_in_process_is_an_httpx_transport_error() -> None:
    app = build_wsgi(FakeSim(), faults=[{"drop_connection": True, "times": 1}])
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://nsx") as client:
        with pytest.raises(httpx.TransportError) as info:
            client.get("/policy/api/v1/infra")
        assert isinstance(info.value, DropConnection)
        assert info.value.request.url.path == "/policy/api/v1/infra"
        assert client.get("/policy/api/v1/infra").status_code == 200


class RecordingSim(FakeSim):
    """Counts the requests that reached the simulator (the lose_response faults pass them on)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        self.seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return super().__call__(environ, start_response)


@pytest.mark.parametrize(("how", "error"), [("drop", httpx.RemoteProtocolError),
                                            ("timeout", httpx.ReadTimeout)])
def test_lose_response_processes_the_request_then_loses_the_answer(
        how: str, error: type[Exception]) -> None:
    sim = RecordingSim()
    app = build_wsgi(sim, faults=[{"match": {"method": "PATCH"}, "lose_response": how,
                                   "times": 1}])
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://nsx") as client:
        with pytest.raises(error):
            client.patch("/policy/api/v1/infra/tier-1s/t", json={})
        assert sim.seen == ["PATCH /policy/api/v1/infra/tier-1s/t"]   # it was processed
        assert client.patch("/policy/api/v1/infra/tier-1s/t", json={}).status_code == 200


def test_lose_response_over_the_socket_closes_after_processing() -> None:
    sim = RecordingSim()
    faults = [{"match": {"method": "DELETE"}, "lose_response": "timeout", "hang_ms": 10,
               "times": 1},
              {"match": {"method": "PUT"}, "lose_response": 502, "times": 1}]
    with serve_in_thread(build_wsgi(sim, faults=faults)) as server, \
            httpx.Client(base_url=server.url) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.delete("/policy/api/v1/infra/tier-1s/t")
        answer = client.put("/policy/api/v1/infra/tier-1s/t", json={})
        assert answer.status_code == 502 and "response lost" in answer.json()["error_message"]
    assert sim.seen == ["DELETE /policy/api/v1/infra/tier-1s/t",
                        "PUT /policy/api/v1/infra/tier-1s/t"]


def test_realization_faults_mark_written_objects() -> None:
    sim = FakeSim()
    faults: list[dict[str, Any]] = [
        {"match": {"path": "*/static-routes/*"}, "realization": "ERROR"},
        {"match": {"method": "PATCH", "path": "*/segments/*"}, "realization": "ERROR",
         "times": 1},
    ]
    route = "/infra/tier-0s/t0/static-routes/default"
    with serve_in_thread(build_wsgi(sim, faults=faults)) as server, \
            httpx.Client(base_url=server.url) as client:
        assert client.get("/policy/api/v1/infra/segments/a").status_code == 200  # not counted
        assert client.patch("/policy/api/v1" + route, json={}).status_code == 200
        assert client.patch("/policy/api/v1/infra/segments/a", json={}).status_code == 200
        assert client.patch("/policy/api/v1/infra/segments/b", json={}).status_code == 200
    assert sim.realizes(route) == "ERROR"
    # A path-only rule also covers objects written through the Hierarchical API.
    assert sim.realizes("/infra/tier-1s/t1/static-routes/r2") == "ERROR"
    assert sim.realizes("/infra/segments/a") == "ERROR"
    assert sim.realizes("/infra/segments/b") == "REALIZED"  # times: 1
    assert sim.realizes("/infra/tier-0s/t0") == "REALIZED"


def test_first_answering_rule_wins_and_delay_rules_pass_through() -> None:
    slept: list[float] = []
    from nsxplan.sim.faults import FaultInjector

    app = FaultInjector(FakeSim(), [
        {"match": {"path": "/a"}, "delay_ms": 20},
        {"match": {"path": "/a"}, "respond": {"status": 429, "error_code": "102"}, "times": 1},
        {"match": {"path": "/a"}, "respond": {"status": 502, "body": "bad gateway"}},
    ], sleep=slept.append)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        r = client.get("/a")
        assert r.status_code == 429 and "retry-after" not in r.headers  # client must cope
        r = client.get("/a")
        assert r.status_code == 502 and r.text == "bad gateway"
        assert client.get("/b").status_code == 200
    assert slept == [0.02, 0.02]


@pytest.mark.parametrize(("text", "fragment"), [
    ("- match: {path: /x}\n  respnd: {status: 500}\n", "rule 1: unknown key 'respnd'"),
    ("- match: {path: /x}\n", "rule 1: says what to match but not what to do"),
    ("match: {path: /x}\n", "expected a list of fault rules"),
    ("- respond: {status: 99}\n", "respond.status: expected an integer between 100 and 599"),
    ("- respond: {status: 500}\n- rate: 2\n  respond: {status: 500}\n", "rule 2: rate"),
    ("- respond: {status: 500}\n  times: -1\n", "times: expected an integer >= 0"),
    ("- realization: BROKEN\n", "realization must be one of"),
    ("- drop_connection: true\n  respond: {status: 500}\n", "choose one of"),
    ("- lose_response: maybe\n", "lose_response must be drop, timeout or a 5xx status"),
    ("- lose_response: 404\n", "lose_response must be drop, timeout or a 5xx status"),
    ("- drop_connection: true\n  hang_ms: 5\n", "hang_ms goes with lose_response"),
    ("- lose_response: drop\n  drop_connection: true\n", "choose one of"),
    ("- match: {path: [\n", "faults.yaml:2:1"),
])
def test_invalid_faults_files_give_one_line_errors(tmp_path: Path, text: str,
                                                   fragment: str) -> None:
    path = tmp_path / "faults.yaml"
    path.write_text(text)
    with pytest.raises(FaultsError) as info:
        load_faults(path)
    message = str(info.value)
    assert fragment in message and "\n" not in message
    assert info.value.hint


def test_missing_faults_file(tmp_path: Path) -> None:
    with pytest.raises(FaultsError, match="cannot read faults file"):
        load_faults(tmp_path / "nope.yaml")
    with pytest.raises(FaultsError, match="cannot read faults file"):
        build_wsgi(FakeSim(), faults=str(tmp_path / "nope.yaml"))


def test_rules_are_normalized_copies() -> None:
    original: list[dict[str, Any]] = [{"match": {"method": "get"}, "respond": {"status": 500}}]
    rules = validate_faults(original)
    assert rules[0]["match"]["method"] == "GET" and original[0]["match"]["method"] == "get"
    assert json.loads(json.dumps(rules)) == rules
