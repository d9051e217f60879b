"""Emulate apply against an in-process simulator: write each action's `after` body in plan
order, read live again, plan again. Independent of nsxplan.apply on purpose: convergence must
hold for the bodies the planner produces, whatever the apply engine adds on top."""

from __future__ import annotations

from typing import Any

import httpx

from nsxplan.client import NsxClient
from nsxplan.config.model import Config
from nsxplan.live.read import read_live
from nsxplan.live.state import LiveState
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Plan
from nsxplan.plan.planner import make_plan
from tests.plan.helpers import NOW


def sim_client(state: dict[str, Any] | None) -> NsxClient:
    from nsxplan.sim import Simulator

    http = httpx.Client(transport=httpx.WSGITransport(app=Simulator(state)),
                        base_url="http://nsx-sim.invalid")
    return NsxClient(http, rate_limit=None)


def write_plan(client: NsxClient, plan: Plan) -> None:
    for a in plan.actions:
        if a.action in (DELETE, REPLACE):
            client.delete(a.path)
        if a.action in (CREATE, UPDATE, REPLACE):
            assert a.after is not None
            client.patch(a.path, a.after)


def plan_live(config: Config, live: LiveState) -> Plan:
    return make_plan(config, live, target="sim", now=NOW)


def converge(config: Config, state: dict[str, Any] | None) -> tuple[Plan, Plan]:
    """(first plan, plan after writing it); the second must have no changes."""
    client = sim_client(state)
    try:
        first = plan_live(config, read_live(client))
        write_plan(client, first)
        second = plan_live(config, read_live(client))
    finally:
        client.close()
    return first, second
