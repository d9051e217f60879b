"""Live-aware semantic checks: what the configuration adds next to what already exists on the
same gateway (fail level).

`validate` compares the YAML with itself; here the configured rules and routes are compared with
the live ones nsxplan does not manage (made in the UI, by another team), on the state after the
plan:
- `nat.conflict`: a configured NAT rule matches exactly the traffic of another rule on the same
  gateway and translates it differently (which one wins depends on sequence numbers);
- `nat.shadow`: a rule whose match is entirely inside an earlier rule's (lower sequence number)
  never matches anything, or an earlier broad rule swallows a narrower configured one;
- `route.duplicate`: two static routes for the same network on one gateway;
- `route.next-hop`: a configured route's next hop is on no connected subnet of the gateway
  (interfaces and segments read live), so NSX cannot resolve it.
Each failure names the other object, who last changed it, and how to take it over.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from nsxplan.checks.topology import (
    InterfaceView,
    NatView,
    RouteView,
    Tier0View,
    Tier1View,
    Topology,
)
from nsxplan.nsx.addresses import IPNetwork, as_network, contains, covers, fmt_net
from nsxplan.plan.model import Check

CONFLICT_ID = "nat.conflict"
SHADOW_ID = "nat.shadow"
DUPLICATE_ROUTE_ID = "route.duplicate"
NEXT_HOP_ID = "route.next-hop"

# Rules that translate (or exempt) the source and those that translate the destination are
# matched in separate passes: a DNAT rule never hides an SNAT rule.
_SOURCE_SIDE = frozenset({"SNAT", "REFLEXIVE", "NO_SNAT"})


def conflict_checks(topo: Topology, earlier: dict[str, Any] | None = None) -> list[Check]:
    """`earlier`: a dict kept across the two runs of one plan (checks.both_runs): a gateway
    whose rule and route views are the very objects of the other run's (the baseline shares
    the views of what NSX holds as configured, topology.LiveIndex) has the same checks, taken
    from there instead of being worked out again."""
    out: list[Check] = []
    gateways: list[Tier0View | Tier1View] = [*topo.tier0s.values(), *topo.tier1s.values()]
    for gw in gateways:
        if gw.config is None:
            continue
        kind = "Tier-0" if gw.path.startswith("/infra/tier-0s/") else "Tier-1"
        connected = [s for i in gw.interfaces for _, s in i.addresses]
        if isinstance(gw, Tier1View):
            connected += list(gw.segment_subnets)
        inputs = (kind, gw.id, gw.nat, gw.routes, gw.interfaces, connected)
        known = earlier.get(gw.path) if earlier is not None else None
        if known is not None and _same_inputs(known[0], inputs):
            out += known[1]
            continue
        checks = _nat_checks(kind, gw.id, gw.nat)
        checks += _duplicate_routes(kind, gw.id, gw.routes)
        checks += _next_hops(kind, gw.id, gw.routes, gw.interfaces, connected)
        if earlier is not None:
            earlier[gw.path] = (inputs, checks)
        out += checks
    return out


def _same_inputs(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    """The same gateway, the same rule and route view objects in the same order, equal
    interfaces and connected subnets: _nat_checks and the route checks give the same."""
    return (a[0] == b[0] and a[1] == b[1] and _same_objects(a[2], b[2])
            and _same_objects(a[3], b[3]) and a[4] == b[4] and a[5] == b[5])


def _same_objects(a: Sequence[object], b: Sequence[object]) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b, strict=True))


# --- NAT ---------------------------------------------------------------------------------------

def _side(rule: NatView) -> str:
    return "source" if rule.action in _SOURCE_SIDE else "destination"


def _match(rule: NatView) -> tuple[object, ...]:
    return (_side(rule), _nets(rule.source), _nets(rule.destination), rule.service or None)


def _nets(nets: Sequence[IPNetwork] | None) -> tuple[tuple[int, int, int], ...] | None:
    """A key equal exactly when two rules name the same networks (in any order): the checks
    only compare these. (version, address, prefix) rather than the networks' text: printing
    an address is most of the work of the key, for every rule of every gateway, twice a plan."""
    if nets is None:
        return None
    if len(nets) == 1:      # most rules: nothing to sort
        n = nets[0]
        return ((n.version, int(n.network_address), n.prefixlen),)
    return tuple(sorted([(n.version, int(n.network_address), n.prefixlen) for n in nets]))


def _translation(rule: NatView) -> tuple[object, ...]:
    return (rule.action, _nets(rule.translated), rule.translated_ports or None)


def _facts(rule: NatView) -> tuple[bool, str, tuple[object, ...], tuple[object, ...]]:
    """(from_config, _side, _translation, _match) of a rule, its side worked out once."""
    side = "source" if rule.action in _SOURCE_SIDE else "destination"
    return (rule.from_config, side,
            (rule.action, _nets(rule.translated), rule.translated_ports or None),
            (side, _nets(rule.source), _nets(rule.destination), rule.service or None))


def _describe(rule: NatView) -> str:
    src = "Any" if rule.source is None else ", ".join(fmt_net(n) for n in rule.source)
    parts = [f"{rule.action} {src}"]
    if rule.destination is not None:
        parts.append(f"to {', '.join(fmt_net(n) for n in rule.destination)}")
    if rule.translated_text:
        parts.append(f"→ {rule.translated_text}")
    return " ".join(parts)


def _other(rule: NatView) -> str:
    if rule.from_config:
        return f"configured rule {rule.id}"
    who = f", last changed {rule.modified}" if rule.modified else ""
    return f"live rule {rule.id} ({rule.path}{who})"


def _adopt_hint(kind: str, gw_id: str, mine: NatView, live: NatView) -> str:
    flag = "--tier0" if kind == "Tier-0" else "--tier1"
    return (f"take the live rule over: rename {mine.id} to `id: {live.id}` with `adopt: true` "
            f"(nsxplan then updates it to your translation), or run `nsxplan import {flag} "
            f"{gw_id}` and keep what it writes; or delete {live.path} in NSX")


def _nat_checks(kind: str, gw_id: str, rules: Iterable[NatView]) -> list[Check]:
    rules = list(rules)
    facts = [_facts(r) for r in rules]
    out: list[Check] = []
    for i, j in _candidate_pairs(rules, facts):
        a, b = rules[i], rules[j]
        a_config, a_side, a_translation, a_match = facts[i]
        b_config, b_side, b_translation, b_match = facts[j]
        if not (a_config or b_config) or a_side != b_side:
            continue
        if a_translation == b_translation:
            continue
        mine, other = (a, b) if a_config else (b, a)
        if a_match == b_match:
            if other.from_config:
                continue        # two configured rules: `validate` reports it with lines
            out.append(_conflict(kind, gw_id, mine, other))
            continue
        shadow = _shadowing(a, b)
        if shadow is not None:
            out.append(_shadow(kind, gw_id, *shadow))
    return out


def _candidate_pairs(rules: list[NatView], facts: Sequence[tuple[object, ...]]
                     ) -> list[tuple[int, int]]:
    """The pairs (i < j) that can yield a check, in the order of a plain double loop: equal
    matches (a conflict) and pairs where one rule's match may lie inside the other's (a
    shadow). Comparing every pair costs seconds on gateways with hundreds of rules; a shadow
    needs the later rule's networks inside the earlier's on both sides, so candidates are
    found through the span of one side's networks (whichever side is more often specific),
    and the exact test runs on those alone."""
    pairs: set[tuple[int, int]] = set()
    by_match: dict[object, list[int]] = {}
    for i, f in enumerate(facts):
        by_match.setdefault((f[1], f[3]), []).append(i)
    for group in by_match.values():
        pairs.update((a, b) for n, a in enumerate(group) for b in group[n + 1:])
    for side in {f[1] for f in facts}:
        members = [i for i, f in enumerate(facts) if f[1] == side]
        dst = sum(1 for i in members if rules[i].destination is not None)
        src = sum(1 for i in members if rules[i].source is not None)
        spans = [_span(rules[i].destination if dst >= src else rules[i].source)
                 for i in members]
        for later, first in _containing(members, spans):
            pairs.add((min(later, first), max(later, first)))
    return sorted(pairs)


_ANY = ("any",)          # no networks: Any, contains everything
_UNKNOWN = ("unknown",)  # mixed address families or nothing parsed: always a candidate


def _span(nets: Sequence[IPNetwork] | None) -> tuple[object, ...]:
    if nets is None:
        return _ANY
    if len(nets) == 1:
        # Most rules name one network: its last address from the prefix length, not from
        # broadcast_address (a cached property that builds two address objects per network).
        n = nets[0]
        first = int(n.network_address)
        return (n.version, first, first | ((1 << (n.max_prefixlen - n.prefixlen)) - 1))
    if not nets or len({n.version for n in nets}) != 1:
        return _UNKNOWN
    return (nets[0].version, min(int(n.network_address) for n in nets),
            max(int(n.broadcast_address) for n in nets))


def _containing(members: list[int], spans: list[tuple[object, ...]]
                ) -> Iterable[tuple[int, int]]:
    """(later, first) index pairs where first's span may contain later's (a superset of the
    pairs where first's networks cover later's)."""
    exact: dict[tuple[object, ...], list[int]] = {}
    wide: list[tuple[int, tuple[object, ...]]] = []      # Any, unknown or more than one address
    for i, span in zip(members, spans, strict=True):
        if span in (_ANY, _UNKNOWN) or span[1] != span[2]:
            wide.append((i, span))
        exact.setdefault(span, []).append(i)
    for later, span in zip(members, spans, strict=True):
        if span is _UNKNOWN:
            yield from ((later, first) for first in members if first != later)
            continue
        for first in exact.get(span, ()):
            if first != later:
                yield later, first
        for first, outer in wide:
            if first != later and outer != span and _may_contain(outer, span):
                yield later, first


def _may_contain(outer: tuple[object, ...], inner: tuple[object, ...]) -> bool:
    if outer in (_ANY, _UNKNOWN):
        return True
    if inner is _ANY:
        return False
    return (outer[0] == inner[0] and outer[1] <= inner[1]  # type: ignore[operator]
            and inner[2] <= outer[2])  # type: ignore[operator]


def _conflict(kind: str, gw_id: str, mine: NatView, other: NatView) -> Check:
    return Check(
        id=CONFLICT_ID, status="fail", subject=f"NAT rule {mine.id} on {kind} {gw_id}",
        message=f"{mine.id} ({_describe(mine)}) matches the same traffic as {_other(other)}: "
        f"{_describe(other)}. NSX applies whichever has the lower sequence number, so one of "
        "the two translations silently never happens",
        remediation=_adopt_hint(kind, gw_id, mine, other),
        source=mine.config_source, paths=(mine.path, other.path))


def _shadowing(a: NatView, b: NatView) -> tuple[NatView, NatView] | None:
    """(earlier, later) when the later rule's match lies entirely inside the earlier rule's, so
    the later one never translates anything; None when the order is not decided (same
    sequence number) or the matches only overlap."""
    if a.sequence == b.sequence:
        return None
    first, later = (a, b) if a.sequence < b.sequence else (b, a)
    if first.service and first.service != later.service:
        return None
    if not contains(first.source, later.source) or not contains(first.destination,
                                                                later.destination):
        return None
    return first, later


def _shadow(kind: str, gw_id: str, first: NatView, later: NatView) -> Check:
    mine = later if later.from_config else first
    subject = f"NAT rule {mine.id} on {kind} {gw_id}"
    if mine is later:
        message = (f"{later.id} ({_describe(later)}, sequence {later.sequence}) never matches: "
                   f"{_other(first)} ({_describe(first)}, sequence {first.sequence}) comes "
                   "first and covers all of its traffic")
        fix = (f"give {later.id} a sequence lower than {first.sequence} (`sequence:`), or "
               f"narrow or remove {first.id}")
    else:
        message = (f"{first.id} ({_describe(first)}, sequence {first.sequence}) covers all the "
                   f"traffic of {_other(later)} ({_describe(later)}, sequence "
                   f"{later.sequence}), which then never matches")
        fix = (f"give {first.id} a sequence higher than {later.sequence}, narrow its match, or "
               f"take {later.id} over (`adopt: true`) and remove it")
    return Check(id=SHADOW_ID, status="fail", subject=subject, message=message, remediation=fix,
                 source=mine.config_source, paths=(first.path, later.path))


# --- routes ------------------------------------------------------------------------------------

def _route_who(route: RouteView) -> str:
    if route.from_config:
        return f"configured route {route.id}"
    who = f", last changed {route.modified}" if route.modified else ""
    return f"live route {route.id} ({route.path}{who})"


def _duplicate_routes(kind: str, gw_id: str, routes: Iterable[RouteView]) -> list[Check]:
    # Grouped by the network itself (equal networks print the same): its text only for the
    # few groups reported, not for every route.
    by_net: dict[IPNetwork, list[RouteView]] = {}
    for r in routes:
        if r.network is not None:
            by_net.setdefault(r.network, []).append(r)
    out: list[Check] = []
    for network, group in by_net.items():
        if len(group) < 2:
            continue
        mine = [r for r in group if r.from_config]
        if not mine:
            continue
        net = str(network)
        first = mine[0]
        others = [r for r in group if r is not first]
        live = [r for r in others if not r.from_config]
        if live:
            fix = (f"take the live route over: rename {first.id} to `id: {live[0].id}` with "
                   "`adopt: true` (nsxplan then sets its next hops), or delete "
                   f"{live[0].path} in NSX")
        else:
            fix = f"merge the next hops into one route ({first.id})"
        out.append(Check(
            id=DUPLICATE_ROUTE_ID, status="fail",
            subject=f"static route {first.id} on {kind} {gw_id}",
            message=f"{first.id} and {', '.join(_route_who(r) for r in others)} all route {net} on "
            f"{gw_id}: NSX installs each of them (ECMP or by admin distance), so traffic may "
            "take the next hop you did not configure",
            remediation=fix, source=first.source, paths=tuple(r.path for r in group)))
    return out


def _next_hops(kind: str, gw_id: str, routes: Iterable[RouteView],
               interfaces: Sequence[InterfaceView], connected: Sequence[IPNetwork]
               ) -> list[Check]:
    if not connected:
        return []       # no interface known (a gateway being created, or none read): undecided
    out: list[Check] = []
    for r in routes:
        if not r.from_config:
            continue
        for hop in r.next_hops:
            net = as_network(hop)
            if net is None or any(covers((s,), net) for s in connected):
                continue
            subnets = ", ".join(dict.fromkeys(
                [f"{s} ({i.id})" for i in interfaces for _, s in i.addresses]
                + [str(s) for s in connected if not any(s == t for i in interfaces
                                                        for _, t in i.addresses)]))
            out.append(Check(
                id=NEXT_HOP_ID, status="fail", subject=f"static route {r.id} on {kind} {gw_id}",
                message=f"next hop {hop} of {r.id} ({r.network_text}) is on no connected subnet of "
                        f"{gw_id} ({subnets}): NSX cannot resolve it, so the route is never used",
                remediation=f"use a next hop inside one of {subnets}, or add the interface "
                            "that reaches it first",
                source=r.source, paths=(r.path,)))
    return out


