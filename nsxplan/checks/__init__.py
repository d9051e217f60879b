"""Dependency checks: what NSX objects alone do not show (issue 6).

`run_checks` judges the state AFTER the plan (live objects overridden by the configuration, see
checks/topology.py) and returns checks in a fixed order: DNS servers (config order), egress through
Tier-0s (by path), Tier-0 routing (next hops, NAT onto BGP peering addresses), DNS forwarders
(config order). With `live=None` (offline, for
`nsxplan validate`) only what the configuration alone decides is reported. Live-aware semantic
checks (checks/conflicts.py) come last.

`plan_checks` judges a plan: the checks after it, each compared with the same check on the live
state before it (checks/baseline.py), then the configuration's waivers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from nsxplan.checks.baseline import apply_waivers, changed_paths, judge, unused_waivers
from nsxplan.checks.conflicts import conflict_checks
from nsxplan.checks.dns import dns_checks
from nsxplan.checks.egress import egress_checks
from nsxplan.checks.fixes import ReflexiveAddressPool
from nsxplan.checks.forwarder import forwarder_checks
from nsxplan.checks.routing import routing_checks
from nsxplan.checks.topology import LiveIndex, build_topology, live_index
from nsxplan.config.model import Config
from nsxplan.errors import UsageError
from nsxplan.live.state import LiveState
from nsxplan.perf import paused_gc
from nsxplan.plan.model import Action, Check

LEVELS = ("fail", "warn", "never")
_BLOCKING = {"fail": {"fail"}, "warn": {"warn", "fail"}, "never": set[str]()}


def run_checks(config: Config, live: LiveState | None, *,
               baseline: bool = False) -> tuple[Check, ...]:
    """The checks on the state after the plan, or (`baseline=True`) on the live state alone."""
    with paused_gc():
        # Tens of thousands of views and parsed networks, none of them garbage until the checks
        # return: with the collector on, its rescans of the heap cost more than the checks.
        return _run_checks(config, live, baseline, live_index(config, live))


def _run_checks(config: Config, live: LiveState | None, baseline: bool,
                index: LiveIndex) -> tuple[Check, ...]:
    topo = build_topology(config, live, baseline=baseline, index=index)
    # One planner for all checks: the egress and DNS checks must suggest the same REFLEXIVE rule
    # (same translated address) for the same egress address.
    planner = ReflexiveAddressPool(topo)
    scope = topo.named_tier0s()
    if config.dependencies.dns_servers:
        # The Tier-0s the dependencies' clients egress through are referenced too.
        scope |= {t.path for t in topo.relevant_tier0s()}
    egress = egress_checks(topo, planner, scope if live is not None else None)
    dns = dns_checks(config, topo, planner)
    conflicts = conflict_checks(topo, index.conflicts) if live is not None else []
    routing = routing_checks(topo, scope if live is not None else None)
    return (*dns, *egress, *routing, *forwarder_checks(config, topo), *conflicts)


def plan_checks(config: Config, live: LiveState, actions: Sequence[Action]
                ) -> tuple[Check, ...]:
    """A plan's checks: after the plan, classified against the live state, waivers applied."""
    return judge_plan(config, both_runs(config, live), actions)


Runs = tuple[tuple[Check, ...], tuple[Check, ...]]


def both_runs(config: Config, live: LiveState) -> Runs:
    """The checks after the plan and on NSX as it is. They depend on the configuration and the
    live state only, not on the plan's actions: the command computes them beside the planner."""
    with paused_gc():   # as run_checks
        # One grouping of the live objects for both runs: they read the same live state.
        index = live_index(config, live)
        return (_run_checks(config, live, False, index), _run_checks(config, live, True, index))


def judge_plan(config: Config, runs: Runs, actions: Sequence[Action]) -> tuple[Check, ...]:
    """Each check after the plan classified against its baseline run, waivers applied."""
    after, before = runs
    judged = apply_waivers(judge(after, before, changed_paths(actions)), config.waivers)
    return (*judged, *unused_waivers(judged, config.waivers))


def blocking(checks: Iterable[Check], level: str = "fail") -> list[Check]:
    """The checks that block apply under `--fail-on-checks LEVEL` (fail | warn | never): a
    failure this plan causes or leaves; never one that was already there exactly so and that
    the plan does not touch ("already failing"), nor a waived one."""
    if level not in _BLOCKING:
        raise UsageError(f"--fail-on-checks: unknown level {level!r}",
                         hint=f"use one of: {', '.join(LEVELS)}")
    return [c for c in checks if c.blocks_at in _BLOCKING[level]]
