"""A plan's two runs of the checks share what they can (one live index, the views of what NSX
holds as configured, a gateway's conflict checks when all its views are shared): the answers
are those of two runs computed apart, on live states that agree with the configuration, and on
ones that differ from it in every field the views read."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.checks import both_runs, run_checks
from nsxplan.checks.topology import build_topology, live_index
from nsxplan.config.model import NatRule, NextHop, StaticRoute, Tier1
from nsxplan.live.state import LiveState
from tests.checks.helpers import at, config, lab_objects, obj

T1 = "/infra/tier-1s/apps"
OWNER = "tanzu-egress"
MINE = [{"scope": "nsxplan/owner", "tag": OWNER}]
NETS = ["10.0.0.0/24", "10.0.0.5", "10.0.0.0/8", "30.0.0.5", "30.0.0.0/24", None, "any",
        "10.0.0.1-10.0.0.9", "2001:db8::/64", "bad"]

nat_rules = st.lists(st.builds(
    lambda i, action, src, dst, translated, seq, service, enabled: NatRule(
        id=f"n{i}", action=action, source_network=src, destination_network=dst,
        translated_network=translated, sequence_number=seq, service=service, enabled=enabled,
        source=at(10 + i)),
    st.integers(0, 5), st.sampled_from(["SNAT", "DNAT", "REFLEXIVE", "NO_SNAT"]),
    st.sampled_from(NETS), st.sampled_from(NETS), st.sampled_from(["10.27.51.9", "10.1.0.0/24"]),
    st.one_of(st.none(), st.integers(0, 3)), st.sampled_from([None, "", "/infra/services/x"]),
    st.sampled_from([None, True, False])), max_size=5)
routes = st.lists(st.builds(
    lambda i, network, hops: StaticRoute(
        id=f"r{i}", network=network, next_hops=tuple(NextHop(ip=h) for h in hops),
        source=at(30 + i)),
    st.integers(0, 4), st.sampled_from(["10.0.0.0/24", "0.0.0.0/0", "10.9.0.0/16", "bad"]),
    st.lists(st.sampled_from(["10.27.51.1", "192.0.2.1"]), min_size=1, max_size=2)),
    max_size=4)

# What NSX holds of a configured object: as configured, or one field changed (or untagged).
CHANGES = [None, None, "untagged", "disabled", "action", "source", "destination", "translated",
           "sequence", "service", "ports", "network", "hops", "id"]


def _live_rule(r: NatRule, change: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "action": r.action, "source_network": r.source_network,
        "destination_network": r.destination_network,
        "translated_network": r.translated_network, "sequence_number": r.sequence_number,
        "service": r.service, "translated_ports": r.translated_ports,
        "enabled": r.enabled is not False, "tags": MINE,
        "_last_modified_user": "admin", "_last_modified_time": 1796008839314}
    body.update({"untagged": {"tags": []}, "disabled": {"enabled": False},
                 "action": {"action": "DNAT" if r.action != "DNAT" else "SNAT"},
                 "source": {"source_network": "10.0.0.7"},
                 "destination": {"destination_network": "any"},
                 "translated": {"translated_network": "10.27.51.99"},
                 "sequence": {"sequence_number": 7}, "service": {"service": "/infra/services/y"},
                 "ports": {"translated_ports": "8080"}}.get(change or "", {}))
    rid = r.id + ("x" if change == "id" else "")
    return obj(f"{T1}/nat/USER/nat-rules/{rid}", "PolicyNatRule", **body)


def _live_route(r: StaticRoute, change: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "network": "10.8.0.0/16" if change == "network" else r.network,
        "next_hops": [{"ip_address": h.ip, "admin_distance": 1} for h in r.next_hops]
        + ([{"ip_address": "10.27.51.2"}] if change == "hops" else []),
        "tags": [] if change == "untagged" else MINE, "_create_user": "admin"}
    if change == "disabled":
        body["enabled"] = False
    rid = r.id + ("x" if change == "id" else "")
    return obj(f"{T1}/static-routes/{rid}", "StaticRoutes", **body)


@settings(max_examples=150, deadline=None)
@given(nat_rules, routes, st.lists(st.sampled_from(CHANGES), min_size=10, max_size=10),
       st.booleans())
def test_both_runs_are_the_runs_computed_apart(rules: list[NatRule], rts: list[StaticRoute],
                                               changes: list[str | None],
                                               hand_made: bool) -> None:
    t1 = Tier1(id="apps", tier0_path="/infra/tier-0s/vcf-t0", nat_rules=tuple(rules),
               static_routes=tuple(rts), source=at(3))
    cfg = config(tier1s=[t1], owner=OWNER)
    objects = lab_objects()
    objects[T1] = obj(T1, "Tier1", tier0_path="/infra/tier-0s/vcf-t0", tags=MINE)
    objects[T1 + "/locale-services/default"] = obj(
        T1 + "/locale-services/default", "LocaleServices",
        edge_cluster_path="/infra/sites/default/enforcement-points/default/edge-clusters/ec")
    for r, change in zip(rules, changes, strict=False):
        o = _live_rule(r, change)
        objects[o["path"]] = o
    for r, change in zip(rts, changes[5:], strict=False):
        o = _live_route(r, change)
        objects[o["path"]] = o
    if hand_made:   # a rule nobody configured, matching the first configured one's traffic
        ui = obj(f"{T1}/nat/USER/nat-rules/ui", "PolicyNatRule", action="SNAT",
                 source_network="10.0.0.0/24", translated_network="10.27.51.7",
                 sequence_number=0, _last_modified_user="someone")
        objects[ui["path"]] = ui
    live = LiveState(objects=objects, nsx_version="4.1", requests=1)

    assert both_runs(cfg, live) == (run_checks(cfg, live), run_checks(cfg, live, baseline=True))
    shared = live_index(cfg, live)
    after = build_topology(cfg, live, index=shared)
    assert after == build_topology(cfg, live)
    assert build_topology(cfg, live, baseline=True, index=shared) == build_topology(
        cfg, live, baseline=True)
