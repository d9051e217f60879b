"""Dependency checks: what NSX objects alone do not show (issue 6).

`run_checks` judges the state AFTER the plan (live objects overridden by the configuration, see
checks/topology.py) and returns checks in a fixed order: DNS servers (config order), egress through
Tier-0s without BGP (by path), DNS forwarders (config order). With `live=None` (offline, for
`nsxplan validate`) only what the configuration alone decides is reported.
"""

from __future__ import annotations

from collections.abc import Iterable

from nsxplan.checks.dns import dns_checks
from nsxplan.checks.egress import egress_checks
from nsxplan.checks.fixes import ReflexiveAddressPool
from nsxplan.checks.forwarder import forwarder_checks
from nsxplan.checks.topology import build_topology
from nsxplan.config.model import Config
from nsxplan.errors import UsageError
from nsxplan.live.state import LiveState
from nsxplan.plan.model import Check

LEVELS = ("fail", "warn", "never")
_BLOCKING = {"fail": {"fail"}, "warn": {"warn", "fail"}, "never": set[str]()}


def run_checks(config: Config, live: LiveState | None) -> tuple[Check, ...]:
    topo = build_topology(config, live)
    # One planner for all checks: the egress and DNS checks must suggest the same REFLEXIVE rule
    # (same translated address) for the same egress address.
    planner = ReflexiveAddressPool(topo)
    egress = egress_checks(topo, planner)
    dns = dns_checks(config, topo, planner)
    return (*dns, *egress, *forwarder_checks(config, topo))


def blocking(checks: Iterable[Check], level: str = "fail") -> list[Check]:
    """The checks that block apply under `--fail-on-checks LEVEL` (fail | warn | never)."""
    if level not in _BLOCKING:
        raise UsageError(f"--fail-on-checks: unknown level {level!r}",
                         hint=f"use one of: {', '.join(LEVELS)}")
    return [c for c in checks if c.status in _BLOCKING[level]]
