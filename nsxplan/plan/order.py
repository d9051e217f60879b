"""The order of a plan's actions: dependency edges, then a deterministic topological order.

Edges: a child after its parent, a referrer after what it points at, a parent's delete after
the deletes below it (any depth), and the service router (locale-services) deleted after the NAT
rules and DNS forwarder that need it. Among ready actions: creates and updates before deletes,
then by path, so the same configuration and live state always give the same plan.
"""

from __future__ import annotations

import heapq
from graphlib import TopologicalSorter

from nsxplan.live.state import LiveState
from nsxplan.nsx.kinds import gateway_of, locale_services_path, reference_paths
from nsxplan.plan.desired import Desired
from nsxplan.plan.model import DELETE, NOOP, Action, evolve


def order_actions(drafts: dict[str, Action], desired: list[Desired],
                  live: LiveState) -> tuple[Action, ...]:
    """The actions (by address) with their `depends_on` set, in apply order."""
    return _order(_with_dependencies(drafts, desired, live))


def _with_dependencies(drafts: dict[str, Action], desired: list[Desired],
                       live: LiveState) -> dict[str, tuple[Action, tuple[str, ...]]]:
    """Each action with (depends_on for apply, order edges incl. no-ops for sorting)."""
    by_path = {a.path: a for a in drafts.values()}
    desired_by_addr = {d.address: d for d in desired}
    # Who points at what matters only to deletes: a plan without any reads no references.
    referrers: dict[str, set[str]] = {}
    deletes = [a for a in drafts.values() if a.action == DELETE]
    if deletes:
        for path, obj in live.objects.items():
            for ref in reference_paths(obj):
                referrers.setdefault(ref, set()).add(path)
    # A parent's delete waits for the deletes of everything below it (any depth: a NAT rule
    # sits under the section, not directly under the gateway).
    child_deletes: dict[str, set[str]] = {}
    for a in deletes:
        p = a.path.rsplit("/", 1)[0]
        while p.count("/") > 1:
            if p in by_path and by_path[p].action == DELETE:
                child_deletes.setdefault(p, set()).add(a.address)
            p = p.rsplit("/", 1)[0]
    # Removing the edge cluster (locale-services) under NAT rules or a DNS forwarder would be
    # refused: on the way out, the service router goes last.
    for a in deletes:
        if a.kind in ("PolicyNatRule", "PolicyDnsForwarder"):
            gw = gateway_of(a.path)
            ls = by_path.get(locale_services_path(gw)) if gw is not None else None
            if ls is not None and ls.action == DELETE:
                child_deletes.setdefault(ls.path, set()).add(a.address)
    out: dict[str, tuple[Action, tuple[str, ...]]] = {}
    for addr, a in drafts.items():
        edges: set[str] = set()
        if a.action == DELETE:
            edges |= child_deletes.get(a.path, set())
            edges |= {by_path[r].address for r in referrers.get(a.path, ())
                      if r in by_path}
        else:
            d = desired_by_addr[addr]
            if d.parent_address and d.parent_address in drafts:
                edges.add(d.parent_address)
            for ref in d.references:
                target = by_path.get(ref)
                if target is not None and target.action != DELETE:
                    edges.add(target.address)
        edges.discard(addr)
        if not edges:
            out[addr] = (_replace_deps(a, ()), ())
            continue
        # Most actions have one edge (their parent): nothing to sort then.
        ordered = tuple(sorted(edges)) if len(edges) > 1 else tuple(edges)
        depends = tuple([e for e in ordered if drafts[e].action != NOOP])
        out[addr] = (_replace_deps(a, depends), ordered)
    return out


def _replace_deps(a: Action, depends: tuple[str, ...]) -> Action:
    # Most actions of a large plan depend on nothing (no-ops): no copy for them.
    return a if a.depends_on == depends else evolve(a, depends_on=depends)


def _key(a: Action, addr: str) -> tuple[bool, str, str]:
    """The order among ready actions: non-deletes first, then by path, then by address."""
    return (a.action == DELETE, a.path, addr)


def _sorted_if_topological(graph: dict[str, tuple[Action, tuple[str, ...]]]
                           ) -> tuple[Action, ...] | None:
    """All actions sorted by `_key`, when that order already puts every action after its
    edges (else None). It then is the order _order's walk makes: the smallest action left is
    always ready, so the walk takes it next. Children sit below their parents' paths, so most
    plans (a no-change plan among them) come out here, with one sort instead of a heap
    operation per action (tests/plan/test_fast_paths.py holds it to the walk)."""
    ordered = sorted(_key(a, addr) for addr, (a, _) in graph.items())
    position = {key[2]: i for i, key in enumerate(ordered)}
    for addr, (_, edges) in graph.items():
        here = position[addr]
        for e in edges:
            if position.get(e, here) >= here:     # after it, itself, or not in the plan
                return None
    return tuple(graph[key[2]][0] for key in ordered)


def _order(graph: dict[str, tuple[Action, tuple[str, ...]]]) -> tuple[Action, ...]:
    """Topological order; among ready actions: non-deletes first, then by path (stable).
    Sorted outright when the sorted order is one (most plans), else walked."""
    presorted = _sorted_if_topological(graph)
    return presorted if presorted is not None else _walk(graph)


def _walk(graph: dict[str, tuple[Action, tuple[str, ...]]]) -> tuple[Action, ...]:
    """_order's rule: Kahn's algorithm over a heap, written out. graphlib's sorter does the
    same walk but also searches the whole graph for cycles up front, a third of the ordering
    time of a large plan. A cycle (the planner's edges never make one) is left to graphlib to
    report."""
    actions = {addr: a for addr, (a, _) in graph.items()}
    waiting: dict[str, int] = {}            # actions with edges left: how many
    dependents: dict[str, list[str]] = {}
    for addr, (_, edges) in graph.items():
        if edges:
            waiting[addr] = len(edges)
            for e in edges:
                dependents.setdefault(e, []).append(addr)
    heap = [_key(a, addr) for addr, (a, edges) in graph.items() if not edges]
    heapq.heapify(heap)
    out: list[Action] = []
    while heap:
        _, _, addr = heapq.heappop(heap)
        out.append(actions[addr])
        for n in dependents.get(addr, ()):
            left = waiting[n] - 1
            waiting[n] = left
            if left == 0:
                heapq.heappush(heap, _key(actions[n], n))
    if len(out) != len(graph):
        ts: TopologicalSorter[str] = TopologicalSorter()
        for addr, (_, edges) in graph.items():
            ts.add(addr, *edges)
        ts.prepare()                  # raises CycleError naming the cycle
        raise AssertionError("an ordering edge names an action the plan does not have")
    return tuple(out)
