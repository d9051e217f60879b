"""Configuration rules that need the live state (`validate` checks the rest offline): an
`existing` gateway that is not there, stateful NAT on a live ACTIVE_ACTIVE Tier-0, a Tier-1's
Tier-0 path that does not exist, NAT on a Tier-1 without a service router."""

from __future__ import annotations

from nsxplan.config.model import Config, Tier0, Tier1
from nsxplan.errors import Problem
from nsxplan.live.state import LiveState
from nsxplan.plan.live_routing_rules import routing_problems

_STATEFUL = frozenset({"SNAT", "DNAT"})


def live_problems(config: Config, live: LiveState) -> list[Problem]:
    """Configuration rules that need the live state (validate checks the rest offline)."""
    problems: list[Problem] = []
    gateways: list[Tier0 | Tier1] = [*config.tier0s, *config.tier1s]
    for gw in gateways:
        if gw.existing and gw.path not in live:
            kind = "Tier-0" if isinstance(gw, Tier0) else "Tier-1"
            problems.append(Problem(
                f"{kind} {gw.id!r} is marked `existing: true` but {gw.path} does not exist",
                gw.source, "fix the id, check the target manager, or remove `existing: true` "
                "to let nsxplan create it"))
    for t0 in config.tier0s:
        problems.extend(_stateful_nat(t0, live))
    for t1 in config.tier1s:
        if t1.tier0 is None and t1.tier0_path and t1.tier0_path not in live:
            problems.append(Problem(
                f"Tier-1 {t1.id!r}: tier0 {t1.tier0_path} does not exist", t1.source,
                "use the id of a Tier-0 in this configuration or the policy path of a live one"))
        problems.extend(_nat_without_edge(t1, live))
    problems.extend(routing_problems(config, live))
    return problems


def _stateful_nat(t0: Tier0, live: LiveState) -> list[Problem]:
    obj = live.get(t0.path)
    if obj is None:
        return []   # a Tier-0 nsxplan creates: `validate` checks its configured ha_mode
    ha = (t0.ha_mode if not t0.existing and t0.ha_mode else None) or obj.get("ha_mode") \
        or "ACTIVE_ACTIVE"
    stateful = (obj.get("stateful_services") or {}).get("enabled") is True
    if str(ha).upper() != "ACTIVE_ACTIVE" or stateful:
        return []
    return [Problem(
        f"NAT rule {r.id!r}: {r.action.upper()} on Tier-0 {t0.id!r}, which is ACTIVE_ACTIVE on "
        "the manager; NSX allows only stateless REFLEXIVE NAT there", r.source,
        "use `action: REFLEXIVE` (needs source and translated), put the rule on a Tier-1, or "
        "enable stateful active-active services on the Tier-0 (NSX 4.1+)")
        for r in t0.nat_rules if r.action.upper() in _STATEFUL]


def _nat_without_edge(t1: Tier1, live: LiveState) -> list[Problem]:
    if not t1.nat_rules or t1.edge_cluster is not None:
        return []
    if any(ls.get("edge_cluster_path") for ls in live.children(t1.path, "LocaleServices")):
        return []
    first = t1.nat_rules[0]
    return [Problem(
        f"Tier-1 {t1.id!r} has NAT rules but no edge cluster (no locale-services with "
        "edge_cluster_path on the manager); NAT needs a service router", first.source,
        f"set `edge_cluster:` on Tier-1 {t1.id!r}")]
