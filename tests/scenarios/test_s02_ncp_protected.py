"""Scenario 2: configurations that would touch NCP's protected Tier-1 domain-c8.

Adding a NAT rule under it, rewriting one of NCP's rules, or changing the gateway itself (even with
--adopt) is an error that names the object and its creator; nothing is written (the export,
revisions included, is identical before and after).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.scenarios.conftest import Sim, assert_clean_error, export, nsxplan, write_config

NCP_USER = "wcp-cluster-user-domain-c8-4f2b9c1e-7a3d-4e8f-b6a1-2d9e5c7f0a13"

ADD_RULE = """\
version: 1
owner: intruder
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: harmless
        network: 192.0.2.0/24
        next_hops: [{ip: 10.27.51.1}]
tier1s:
  - id: domain-c8
    existing: true
    nat_rules:
      - id: sneaky
        action: SNAT
        source: 10.0.0.0/24
        translated: 10.27.51.200
"""
CHANGE_RULE = """\
version: 1
owner: intruder
tier1s:
  - id: domain-c8
    existing: true
    nat_rules:
      - id: snat-supervisor-egress
        action: SNAT
        translated: 30.0.0.99
"""
CHANGE_GATEWAY = """\
version: 1
owner: intruder
tier1s:
  - id: domain-c8
    tier0: /infra/tier-0s/vcf-t0
    description: mine now
"""
CASES = {
    "add-nat-rule": (ADD_RULE, "/infra/tier-1s/domain-c8/nat/USER/nat-rules/sneaky"),
    "change-ncp-rule": (CHANGE_RULE,
                        "/infra/tier-1s/domain-c8/nat/USER/nat-rules/snat-supervisor-egress"),
    "change-gateway": (CHANGE_GATEWAY, "/infra/tier-1s/domain-c8"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_touching_ncp_tier1_is_refused_and_writes_nothing(
        case: str, shared_sim: Sim, tmp_path: Path) -> None:
    text, path = CASES[case]
    config = write_config(tmp_path / case, text)
    before = export(shared_sim, tmp_path / "before.json")
    for extra in ((), ("--adopt",)):
        plan = nsxplan("plan", config, "--manager", shared_sim.url, *extra, sim=shared_sim)
        assert_clean_error(plan, path, NCP_USER, "NCP")
        applied = nsxplan("apply", config, "--manager", shared_sim.url, "--auto-approve", *extra,
                          sim=shared_sim)
        assert_clean_error(applied, path, NCP_USER)
    # The error is located in the configuration, where the operator must fix it.
    assert f"{config / 'nsxplan.yaml'}:" in plan.err, plan.err
    assert export(shared_sim, tmp_path / "after.json") == before
