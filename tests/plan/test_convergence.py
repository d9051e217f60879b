"""Convergence: plan, write the plan's bodies into the simulator, plan again -> no changes.
And the refresh costs the same number of requests for 1 gateway as for 20 x 50 rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan.config import load_config
from nsxplan.config.model import NatRule, NextHop, StaticRoute, Tier0, Tier1
from nsxplan.live.read import read_live
from nsxplan.sim import demo_state
from tests.plan.helpers import config, converge, plan_live, sim_client, src, write_plan

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "nsxplan.yaml").exists())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_converges_against_the_demo_state(example: Path) -> None:
    cfg = load_config(example / "nsxplan.yaml")
    first, second = converge(cfg, demo_state())
    assert first.has_changes
    assert [(a.address, a.action, a.diff) for a in second.changes] == []
    assert second.summary()["unchanged"] == len(first.actions)


def _gateways(n_t1: int, rules: int) -> tuple[Tier0, tuple[Tier1, ...]]:
    t0 = Tier0("t0", ha_mode="ACTIVE_STANDBY", edge_cluster="/infra/sites/default/"
               "enforcement-points/default/edge-clusters/edge-cluster-01", source=src(1))
    t1s = tuple(
        Tier1(f"t1-{g:02d}", tier0=t0, tier0_path=t0.path, source=src(10 + g),
              edge_cluster=t0.edge_cluster, route_advertisement=("TIER1_NAT",),
              static_routes=(StaticRoute("r", "10.99.0.0/16", (NextHop("192.168.0.1"),)),),
              nat_rules=tuple(NatRule(f"n{i:02d}", "SNAT", f"10.{g}.{i}.0/24",
                                      translated_network=f"172.16.{g}.{i}", sequence_number=i)
                              for i in range(rules)))
        for g in range(n_t1))
    return t0, t1s


def test_update_and_delete_converge_too() -> None:
    t0, t1s = _gateways(2, 3)
    client = sim_client(None)
    try:
        write_plan(client, plan_live(config(tier0s=(t0,), tier1s=t1s), read_live(client)))
        # drop one gateway, change a rule, flip an action (replace)
        changed = Tier1(**{**t1s[0].__dict__, "nat_rules": (
            NatRule("n00", "NO_SNAT", "10.0.0.0/24", destination_network="10.1.0.0/16"),
            NatRule("n01", "SNAT", "10.0.1.0/24", translated_network="172.16.0.99"))})
        cfg = config(tier0s=(t0,), tier1s=(changed,))
        p = plan_live(cfg, read_live(client))
        kinds = {a.action for a in p.changes}
        assert kinds == {"update", "delete", "replace"}
        write_plan(client, p)
        again = plan_live(cfg, read_live(client))
        assert again.changes == ()
    finally:
        client.close()


def test_refresh_requests_do_not_grow_with_gateways_and_rules() -> None:
    counts = []
    for n_t1, rules in ((1, 1), (20, 50)):
        t0, t1s = _gateways(n_t1, rules)
        cfg = config(tier0s=(t0,), tier1s=t1s)
        client = sim_client(None)
        try:
            write_plan(client, plan_live(cfg, read_live(client)))
            live = read_live(client)
            assert len(live.of_type("PolicyNatRule")) == n_t1 * rules
            assert not plan_live(cfg, live).has_changes
            counts.append(live.requests)
        finally:
            client.close()
    # one H-API GET (+ the version GET, cached by the client after its first answer)
    assert counts[0] == counts[1] <= 2


@pytest.mark.parametrize("source", ["Any", "any", "0.0.0.0/0", "10.0.0.1-10.0.0.9"])
def test_nat_match_spellings_converge(tmp_path: Path, source: str) -> None:
    # Any is sent as null (what NSX stores for it); 0.0.0.0/0 is a network and stays one
    (tmp_path / "nsxplan.yaml").write_text(
        "version: 1\nowner: conv\ntier1s:\n  - id: t1\n"
        "    edge_cluster: /infra/sites/default/enforcement-points/default/edge-clusters/"
        "edge-cluster-01\n    nat_rules:\n"
        f"      - {{id: n, action: SNAT, source: '{source}', destination: ANY, "
        "translated: 30.0.0.5}\n", encoding="utf-8")
    first, second = converge(load_config(tmp_path / "nsxplan.yaml"), None)
    (rule,) = [a for a in first.actions if a.kind == "PolicyNatRule"]
    assert rule.after is not None and rule.after.get("destination_network") is None
    assert rule.after.get("source_network") == (None if source.lower() == "any" else source)
    assert second.changes == ()
