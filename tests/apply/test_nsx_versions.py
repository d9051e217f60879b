"""apply against the simulator playing NSX 3.2, 4.1 and 4.2: each version's realization shapes
(gateways listing a RealizedLogicalRouter and router ports, routes and zones no entity of their
own, the status items of 4.2) must end in the same outcomes, because apply keys on the
consolidated status and never on entity types."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan.apply import apply_plan
from nsxplan.apply.records import APPLIED, ROLLED_BACK
from nsxplan.sim import Simulator, demo_state
from tests.apply.helpers import FAST, T0, make, managed, mixed_plan, nsx, route

VERSIONS = ["3.2", "4.1", "4.2"]


@pytest.mark.parametrize("nsx_version", VERSIONS)
def test_apply_waits_on_each_versions_realization(tmp_path: Path, nsx_version: str) -> None:
    sim = Simulator(demo_state(), nsx_version=nsx_version, realization_delay=0.05)
    with nsx(sim=sim) as (_, client):
        plan = mixed_plan(client)
        result = apply_plan(plan, client, journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == APPLIED, result.lines()
        # every write waited for SUCCESS, every delete until NSX forgot the intent
        states = {r.step.path: r.realized for r in result.results}
        assert set(states.values()) <= {"REALIZED", "DELETED"}, states
        assert "DELETED" in states.values() and "REALIZED" in states.values()


@pytest.mark.parametrize("nsx_version", VERSIONS)
def test_realization_error_text_reaches_the_user_on_each_version(tmp_path: Path,
                                                                  nsx_version: str) -> None:
    sim = Simulator(demo_state(), nsx_version=nsx_version)
    sim.add_realization_rule(lambda p: p.endswith("/static-routes/r2"), "ERROR",
                             "edge-node-2 unreachable")
    with nsx(sim=sim) as (_, client):
        before = managed(sim.snapshot())
        plan = make([route("r1", "10.1.0.0/16"), route("r2", "10.2.0.0/16")])
        result = apply_plan(plan, client, parallelism=1, journal_path=tmp_path / "j.jsonl",
                            **FAST)
        assert result.status == ROLLED_BACK
        failure = result.failures[0]
        assert failure.step.path == T0 + "/static-routes/r2" and failure.realized == "ERROR"
        assert "edge-node-2 unreachable" in (failure.error or "")
        assert managed(sim.snapshot()) == before
