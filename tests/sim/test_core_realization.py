"""Realization: UNREALIZED until the delay passes on the simulator's clock, REALIZED or ERROR."""

from __future__ import annotations

import httpx
from core_support import FakeClock, P, client_for, err, ok

from nsxplan.sim import Simulator, demo_state

ENTITIES = f"{P}/infra/realized-state/realized-entities"
STATUS = f"{P}/infra/realized-state/status"
# A Tier-1 linked to a Tier-0: two realized entities (router, router link port), one state.
ROUTE_PATH = "/infra/tier-1s/t1-r"
ROUTE = {"tier0_path": "/infra/tier-0s/vcf-t0"}


def state(c: httpx.Client, path: str) -> str:
    body = ok(c.get(ENTITIES, params={"intent_path": path})).json()
    assert body["result_count"] == len(body["results"]) >= 1
    states = {str(e["state"]) for e in body["results"]}
    assert all(e["intent_paths"] == [path] for e in body["results"]) and len(states) == 1
    return states.pop()


def test_write_is_unrealized_then_realized() -> None:
    clock = FakeClock()
    sim = Simulator(demo_state(), realization_delay=2.0, clock=clock)
    with client_for(sim) as c:
        assert state(c, "/infra/tier-0s/vcf-t0") == "REALIZED"  # loaded objects are realized
        ok(c.patch(P + ROUTE_PATH, json=ROUTE))
        assert state(c, ROUTE_PATH) == "UNREALIZED"
        status = ok(c.get(STATUS, params={"intent_path": ROUTE_PATH})).json()
        assert status["publish_status"] == "UNREALIZED"
        assert status["consolidated_status"]["consolidated_status"] == "IN_PROGRESS"
        assert status["intent_path"] == ROUTE_PATH
        clock.advance(1.9)
        assert state(c, ROUTE_PATH) == "UNREALIZED"
        clock.advance(0.1)
        assert state(c, ROUTE_PATH) == "REALIZED"
        status = c.get(STATUS, params={"intent_path": ROUTE_PATH}).json()
        assert status["consolidated_status"]["consolidated_status"] == "SUCCESS"
        # a further write makes it unrealized again
        ok(c.patch(P + ROUTE_PATH, json={"display_name": "dflt"}))
        assert state(c, ROUTE_PATH) == "UNREALIZED"


def test_zero_delay_realizes_at_once(client: httpx.Client) -> None:
    ok(client.patch(P + ROUTE_PATH, json=ROUTE))
    assert state(client, ROUTE_PATH) == "REALIZED"


def test_realization_rule_makes_error() -> None:
    sim = Simulator(demo_state())
    sim.add_realization_rule(lambda p: "/tier-1s/" in p, message="edge unreachable")
    with client_for(sim) as c:
        ok(c.patch(P + ROUTE_PATH, json=ROUTE))
        body = c.get(ENTITIES, params={"intent_path": ROUTE_PATH}).json()["results"][0]
        assert body["state"] == "ERROR"
        assert body["runtime_error"] == "edge unreachable"
        assert body["alarms"][0]["message"] == "edge unreachable"
        status = c.get(STATUS, params={"intent_path": ROUTE_PATH}).json()
        assert status["consolidated_status"]["consolidated_status"] == "ERROR"
        assert status["consolidated_status_per_enforcement_point"][0]["alarm"]["message"] == (
            "edge unreachable")
        assert state(c, "/infra/tier-0s/vcf-t0") == "REALIZED"  # rule did not match


def test_rule_state_waits_for_the_delay() -> None:
    clock = FakeClock()
    sim = Simulator(demo_state(), realization_delay=1.0, clock=clock)
    sim.add_realization_rule(lambda p: p.endswith("t1-r"))
    with client_for(sim) as c:
        ok(c.patch(P + ROUTE_PATH, json=ROUTE))
        assert state(c, ROUTE_PATH) == "UNREALIZED"
        clock.advance(1.0)
        assert state(c, ROUTE_PATH) == "ERROR"


def test_deleted_and_unknown_objects(client: httpx.Client) -> None:
    ok(client.patch(P + ROUTE_PATH, json=ROUTE))
    ok(client.delete(P + ROUTE_PATH))
    body = ok(client.get(ENTITIES, params={"intent_path": ROUTE_PATH})).json()
    assert body["results"] == []
    err(client.get(STATUS, params={"intent_path": ROUTE_PATH}), 404)
    err(client.get(ENTITIES), 400)
