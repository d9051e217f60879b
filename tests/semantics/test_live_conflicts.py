"""Live-aware semantic checks: the configuration against what is already on the gateway.

Before: a UI-made REFLEXIVE rule 30.0.0.5 -> 10.27.51.145 and a UI default route already exist;
the configuration maps 30.0.0.5 -> 10.27.51.146: the plan exited 0, created a second conflicting
rule and a second 0.0.0.0/0 route, and every check said ok.
"""

from __future__ import annotations

from pathlib import Path

from nsxplan.checks import blocking
from tests.semantics.helpers import NAT, T0, Lab, config

CFG = """\
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
        translated: 10.27.51.146
"""


def _by_id(plan: object, check_id: str) -> list:
    return [c for c in plan.checks if c.id == check_id]  # type: ignore[attr-defined]


def test_hand_made_rule_and_route_with_the_same_match_fail(lab: Lab, tmp_path: Path) -> None:
    lab.patch(f"{NAT}/ui-rule", {"action": "REFLEXIVE", "source_network": "30.0.0.5",
                                 "translated_network": "10.27.51.145"})
    lab.patch(f"{T0}/static-routes/ui-default", {
        "network": "0.0.0.0/0", "next_hops": [{"ip_address": "10.27.51.1"}]})
    p = lab.plan(config(tmp_path, CFG))
    (nat,) = _by_id(p, "nat.conflict")
    assert nat.status == "fail" and nat.baseline == "new"
    assert f"live rule ui-rule ({NAT}/ui-rule, last changed by admin" in nat.message
    assert "10.27.51.145" in nat.message and "10.27.51.146" in nat.message
    assert nat.remediation is not None and "`id: ui-rule` with `adopt: true`" in nat.remediation
    assert "nsxplan import --tier0 vcf-t0" in nat.remediation
    (route,) = _by_id(p, "route.duplicate")
    assert route.status == "fail" and "live route ui-default" in route.message
    assert "0.0.0.0/0" in route.message
    assert {c.id for c in blocking(p.checks)} >= {"nat.conflict", "route.duplicate"}


def test_adopting_the_hand_made_rule_clears_the_conflict(lab: Lab, tmp_path: Path) -> None:
    lab.patch(f"{NAT}/ui-rule", {"action": "REFLEXIVE", "source_network": "30.0.0.5",
                                 "translated_network": "10.27.51.145"})
    adopted = CFG.replace("id: supervisor-egress", "id: ui-rule\n        adopt: true")
    p = lab.plan(config(tmp_path, adopted))
    assert not _by_id(p, "nat.conflict")
    (a,) = [a for a in p.changes if a.address.endswith("ui-rule")]
    assert a.adopt and ("translated_network", "10.27.51.145", "10.27.51.146") in [
        (d.field, d.before, d.after) for d in a.diff]


def test_broad_rule_with_lower_sequence_shadows_a_narrower_one(lab: Lab,
                                                               tmp_path: Path) -> None:
    lab.patch(f"{NAT}/ui-broad", {"action": "REFLEXIVE", "source_network": "30.0.0.0/24",
                                  "translated_network": "10.27.51.0/24",
                                  "sequence_number": 10})
    cfg = CFG.replace("        translated: 10.27.51.146\n",
                      "        translated: 10.27.51.146\n        sequence: 100\n")
    p = lab.plan(config(tmp_path, cfg))
    (shadow,) = _by_id(p, "nat.shadow")
    assert shadow.status == "fail"
    assert "supervisor-egress" in shadow.subject and "never matches" in shadow.message
    assert "ui-broad" in shadow.message and "sequence 10" in shadow.message
    # Given a lower sequence than the broad rule, the narrow rule comes first: fine.
    first = config(tmp_path, cfg.replace("sequence: 100", "sequence: 5"), "v2.yaml")
    assert not _by_id(lab.plan(first), "nat.shadow")


def test_next_hop_on_no_connected_subnet(lab: Lab, tmp_path: Path) -> None:
    bad = CFG.replace("next_hops: [{ip: 10.27.51.1}]", "next_hops: [{ip: 192.0.2.1}]")
    p = lab.plan(config(tmp_path, bad))
    (hop,) = _by_id(p, "route.next-hop")
    assert hop.status == "fail" and "192.0.2.1" in hop.message
    assert "10.27.51.0/24 (uplink-edge-01)" in hop.message
    assert hop.source is not None and hop.source.line == 7
    assert not _by_id(lab.plan(config(tmp_path, CFG, "ok.yaml")), "route.next-hop")


def test_shadow_index_finds_broad_any_and_multi_block_rules() -> None:
    from nsxplan.checks.conflicts import _nat_checks
    from nsxplan.checks.topology import NatView
    from nsxplan.nsx.addresses import as_networks

    def rule(rid: str, action: str, source: str | None, translated: str, seq: int,
             mine: bool) -> NatView:
        return NatView(id=rid, gateway_path="/infra/tier-1s/t1",
                       path=f"/infra/tier-1s/t1/nat/USER/nat-rules/{rid}", action=action,
                       source=as_networks(source), destination=None,
                       translated_text=translated, translated=as_networks(translated),
                       from_config=mine, sequence=seq)

    rules = [rule("ui-any", "SNAT", None, "10.27.51.9", 1, False),
             rule("mine-8", "SNAT", "10.0.0.0/8", "10.27.51.10", 5, True),
             rule("ui-24", "REFLEXIVE", "30.0.0.0/24", "10.27.51.0/24", 2, False),
             rule("mine-two", "SNAT", "30.0.0.5,30.0.0.6", "10.27.51.11", 9, True),
             rule("mine-first", "SNAT", "40.0.0.0/24", "10.27.51.12", 0, True),
             rule("ui-later", "SNAT", "40.0.0.7", "10.27.51.13", 3, False)]
    found = {(c.id, c.subject.split()[2]) for c in _nat_checks("Tier-1", "t1", rules)}
    assert ("nat.shadow", "mine-8") in found          # Any comes first
    assert ("nat.shadow", "mine-two") in found        # both addresses inside 30.0.0.0/24
    assert ("nat.shadow", "mine-first") in found      # mine swallows a hand-made rule
    # Only configured rules are subjects: ui-later is named in mine-first's message.
    assert {s for _, s in found} == {"mine-8", "mine-two", "mine-first"}


def test_rogue_objects_are_the_kinds_the_configuration_manages_there(
        lab: Lab, tmp_path: Path) -> None:
    """On VCF's `existing` Tier-0 this configuration manages NAT rules only: a hand-made NAT
    rule there is rogue, VCF's own route is not. On a Tier-1 nsxplan manages itself, any
    hand-made route or rule is."""
    nat_only = CFG[:CFG.index("    static_routes:")] + CFG[CFG.index("    nat_rules:"):] + (
        "tier1s:\n  - id: apps\n    tier0: /infra/tier-0s/vcf-t0\n")
    cfg = config(tmp_path, nat_only)
    lab.apply(cfg)
    lab.patch(f"{T0}/static-routes/vcf-default", {
        "network": "0.0.0.0/0", "next_hops": [{"ip_address": "10.27.51.1"}]})
    lab.patch(f"{NAT}/ui-rule", {"action": "REFLEXIVE", "source_network": "30.0.0.99",
                                 "translated_network": "10.27.51.199"})
    lab.patch("/infra/tier-1s/apps/static-routes/ui-route", {
        "network": "10.50.0.0/16", "next_hops": [{"ip_address": "100.64.0.1"}]})
    rogue = {u.path: u.rogue for u in lab.plan(cfg).unmanaged}
    assert rogue[f"{NAT}/ui-rule"] is True
    assert rogue["/infra/tier-1s/apps/static-routes/ui-route"] is True
    assert rogue[f"{T0}/static-routes/vcf-default"] is False
