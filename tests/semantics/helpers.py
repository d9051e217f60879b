"""Field scenarios against the in-process simulator (demo state: VCF Tier-0 vcf-t0 with uplink
10.27.51.145/24, NCP's Tier-1s SNATing to 30.0.0.5 and 30.0.0.16): load YAML as an operator
writes it, plan, write the plan's bodies, change NSX out of band, plan again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nsxplan.checks import plan_checks
from nsxplan.client import NsxClient
from nsxplan.config import load_config
from nsxplan.config.model import Config
from nsxplan.live.read import read_live
from nsxplan.plan.model import Plan
from nsxplan.sim import demo_state
from tests.plan.helpers import plan_live, sim_client, write_plan

T0 = "/infra/tier-0s/vcf-t0"
NAT = f"{T0}/nat/USER/nat-rules"
HEAD = """\
version: 1
owner: tanzu-egress
"""
EGRESS = """\
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.1}]
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
      - id: tkg-egress
        action: REFLEXIVE
        source: 30.0.0.16
        translated: 10.27.51.147
"""


def config(tmp_path: Path, body: str, name: str = "stack.yaml") -> Config:
    path = tmp_path / name
    path.write_text(HEAD + body)
    return load_config(path)


class Lab:
    """One simulator for a whole scenario."""

    def __init__(self) -> None:
        self.client: NsxClient = sim_client(demo_state())

    def plan(self, config: Config) -> Plan:
        """A plan with its checks judged as `nsxplan plan` judges them."""
        import dataclasses

        live = read_live(self.client)
        made = plan_live(config, live)
        return dataclasses.replace(
            made, checks=plan_checks(config, live, made.actions))

    def apply(self, config: Config) -> Plan:
        made = self.plan(config)
        write_plan(self.client, made)
        return made

    def get(self, path: str) -> dict[str, Any]:
        return self.client.get(path)

    def patch(self, path: str, body: dict[str, Any]) -> None:
        """An out-of-band change, as the UI would make it (a merge PATCH)."""
        self.client.patch(path, body)

    def close(self) -> None:
        self.client.close()


def changes(plan: Plan) -> dict[str, tuple[str, list[tuple[str, Any, Any]]]]:
    return {a.address: (a.action, [(d.field, d.before, d.after) for d in a.diff])
            for a in plan.changes}
