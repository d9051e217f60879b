"""Search (`/search/query`): the list shape with each object's consolidated realization status."""

from __future__ import annotations

import httpx
from core_support import FakeClock, P, client_for, err, ok

from nsxplan.sim import Simulator, demo_state

SEARCH = f"{P}/search/query"
T1 = "/infra/tier-1s/t1-s"


def paths(body: dict[str, object]) -> list[str]:
    return [str(r["path"]) for r in body["results"]]  # type: ignore[attr-defined,index]


def test_search_by_paths_carries_status_per_object() -> None:
    clock = FakeClock()
    sim = Simulator(demo_state(), realization_delay=2.0, clock=clock)
    with client_for(sim) as c:
        ok(c.patch(P + T1, json={"tier0_path": "/infra/tier-0s/vcf-t0"}))
        query = f'resource_type:(Tier0 OR Tier1) AND path:("{T1}" OR "/infra/tier-0s/vcf-t0")'
        body = ok(c.get(SEARCH, params={"query": query})).json()
        assert paths(body) == ["/infra/tier-0s/vcf-t0", T1]
        assert body["result_count"] == 2 and "cursor" not in body
        fresh = body["results"][1]
        assert fresh["_revision"] == 0 and fresh["tier0_path"] == "/infra/tier-0s/vcf-t0"
        # the status block is the object's ConsolidatedRealizedStatus (reference §7, §8)
        assert fresh["status"]["intent_path"] == T1
        assert fresh["status"]["intent_version"] == "0"
        assert fresh["status"]["consolidated_status"] == {"consolidated_status": "IN_PROGRESS"}
        assert body["results"][0]["status"]["consolidated_status"] == {
            "consolidated_status": "SUCCESS"}
        clock.advance(2.0)
        again = ok(c.get(SEARCH, params={"query": f'path:"{T1}"'})).json()
        assert again["results"][0]["status"]["publish_status"] == "REALIZED"


def test_search_error_status_carries_the_message() -> None:
    sim = Simulator(demo_state())
    sim.add_realization_rule(lambda p: "/tier-1s/" in p, message="edge unreachable")
    with client_for(sim) as c:
        ok(c.patch(P + T1, json={}))
        status = ok(c.get(SEARCH, params={"query": f'path:"{T1}"'})).json()["results"][0][
            "status"]
        assert status["consolidated_status"]["consolidated_status"] == "ERROR"
        alarm = status["consolidated_status_per_enforcement_point"][0]["alarm"]
        assert alarm["message"] == "edge unreachable"


def test_search_pages_with_a_cursor(client: httpx.Client) -> None:
    for n in range(5):
        ok(client.patch(f"{P}/infra/tier-1s/pg-{n}", json={}))
    seen: list[str] = []
    params = {"query": "resource_type:Tier1 AND id:pg-*", "page_size": "2"}
    while True:
        body = ok(client.get(SEARCH, params=params)).json()
        assert body["result_count"] == 5
        seen += paths(body)
        if "cursor" not in body:
            break
        params["cursor"] = body["cursor"]
    assert seen == [f"/infra/tier-1s/pg-{n}" for n in range(5)]


def test_search_terms_operators_and_escapes(client: httpx.Client) -> None:
    ok(client.patch(f"{P}/infra/tier-1s/a-1", json={"tags": [{"scope": "env", "tag": "prod"}]}))
    ok(client.patch(f"{P}/infra/tier-1s/b-1", json={"tags": [{"scope": "env", "tag": "dev"}]}))

    def found(query: str) -> list[str]:
        return paths(ok(client.get(SEARCH, params={"query": query})).json())

    assert found("tags.tag:prod") == ["/infra/tier-1s/a-1"]
    assert found("resource_type:Tier1 AND tags.scope:env AND NOT tags.tag:prod") == [
        "/infra/tier-1s/b-1"]
    assert found(r"path:\/infra\/tier-1s\/b-1") == ["/infra/tier-1s/b-1"]
    assert found("id:(a-1 || b-1)") == ["/infra/tier-1s/a-1", "/infra/tier-1s/b-1"]
    assert found('id:("A-1" OR "b-1" OR "c-1")') == ["/infra/tier-1s/a-1", "/infra/tier-1s/b-1"]
    assert found('id:("a-1" OR NOT "a-1") AND tags.scope:env') == [
        "/infra/tier-1s/a-1", "/infra/tier-1s/b-1"]
    assert found("B-1") == ["/infra/tier-1s/b-1"]          # a bare term: any field, any case
    assert found('path:"/infra/tier-1s/nope"') == []


def test_search_refuses_what_it_cannot_read(client: httpx.Client) -> None:
    err(client.get(SEARCH), 400)
    err(client.get(SEARCH, params={"query": "path:(a OR"}), 400)
    err(client.get(SEARCH, params={"query": "AND"}), 400)
    err(client.get(SEARCH, params={"query": "id:x", "page_size": "0"}), 400)
    assert client.post(SEARCH, json={}).status_code == 405
