"""Every recorded field, and the structural ones, removed from the YAML: planned back, applied,
and the next plan is empty (convergence for every removal)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.semantics.helpers import Lab, config

EC = "/infra/sites/default/enforcement-points/default/edge-clusters/ec1"
T1 = "/infra/tier-1s/apps"


def _t1(extra: str = "", nat: str = "", forwarder: str = "") -> str:
    return (f"dns_zones:\n  - {{id: corp, upstream_servers: [10.27.51.10]}}\n"
            f"  - {{id: lab, upstream_servers: [10.27.51.11], domains: [lab.example.com]"
            f"{', source_ip: 10.27.51.150' if 'SOURCE' in extra else ''}}}\n"
            f"tier1s:\n  - id: apps\n    edge_cluster: {EC}\n"
            + "".join(f"    {line}\n" for line in extra.replace("SOURCE", "").split(";")
                      if line)
            + (f"    nat_rules:\n      - {{id: r, action: DNAT, destination: 203.0.113.5, "
               f"translated: 10.96.0.5{nat}}}\n")
            + f"    dns_forwarder: {{listener_ip: 10.96.10.53, default_zone: corp{forwarder}}}\n")


CASES: list[tuple[str, str, str, str, str, Any]] = [
    # (name, v1, v2, path, NSX field, value in NSX after the removal)
    ("display_name", _t1("display_name: Apps"), _t1(), T1, "display_name", "apps"),
    ("tier0", _t1("tier0: /infra/tier-0s/vcf-t0"), _t1(), T1, "tier0_path", None),
    ("route_advertisement", _t1("route_advertisement: [TIER1_NAT]"), _t1(), T1,
     "route_advertisement_types", None),
    ("failover_mode", _t1("failover_mode: PREEMPTIVE"), _t1(), T1, "failover_mode",
     "NON_PREEMPTIVE"),
    ("nat service", _t1(nat=", service: /infra/services/HTTP, translated_ports: '8080'"),
     _t1(), f"{T1}/nat/USER/nat-rules/r", "service", None),
    ("nat logging", _t1(nat=", logging: true"), _t1(), f"{T1}/nat/USER/nat-rules/r",
     "logging", False),
    ("forwarder log_level", _t1(forwarder=", log_level: DEBUG"), _t1(), f"{T1}/dns-forwarder",
     "log_level", "INFO"),
    ("forwarder conditional zone", _t1(forwarder=", conditional_zones: [lab]"), _t1(),
     f"{T1}/dns-forwarder", "conditional_forwarder_zone_paths", None),
    ("zone source_ip", _t1("SOURCE"), _t1(), "/infra/dns-forwarder-zones/lab", "source_ip",
     None),
    ("tier0 ha_mode", "tier0s:\n  - {id: new-t0, ha_mode: ACTIVE_STANDBY, description: x}\n",
     "tier0s:\n  - {id: new-t0}\n", "/infra/tier-0s/new-t0", "ha_mode", "ACTIVE_ACTIVE"),
    ("route description and tag",
     "tier0s:\n  - id: vcf-t0\n    existing: true\n    static_routes:\n      - {id: r, "
     "network: 10.9.0.0/16, next_hops: [{ip: 10.27.51.1}], description: d, tags: {a: b}}\n",
     "tier0s:\n  - id: vcf-t0\n    existing: true\n    static_routes:\n      - {id: r, "
     "network: 10.9.0.0/16, next_hops: [{ip: 10.27.51.1}]}\n",
     "/infra/tier-0s/vcf-t0/static-routes/r", "description", None),
]


@pytest.mark.parametrize(("name", "v1", "v2", "path", "field", "after"), CASES,
                         ids=[c[0] for c in CASES])
def test_removed_field_is_planned_back_and_converges(
        lab: Lab, tmp_path: Path, name: str, v1: str, v2: str, path: str, field: str,
        after: Any) -> None:
    lab.apply(config(tmp_path, v1))
    assert not lab.plan(config(tmp_path, v1, "again.yaml")).has_changes
    removed = config(tmp_path, v2, "v2.yaml")
    plan = lab.plan(removed)
    changed = {a.path: a for a in plan.changes}
    assert path in changed, (name, [a.address for a in plan.changes])
    assert field in {d.field.split("[")[0].split(".")[0] for d in changed[path].diff}
    lab.apply(removed)
    value = lab.get(path).get(field)
    assert value == after or (after is None and value in (None, [], "")), (name, value)
    assert not lab.plan(removed).has_changes, f"{name}: apply then plan must be empty"
