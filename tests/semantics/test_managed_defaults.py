"""Fields the language documents with a default are managed at it when left out (issue 11).

Before: only an explicit `enabled: true` was managed, so the Supervisor's egress rule disabled in
the UI was "No changes" and the egress check said ok (a silent image-pull outage).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.semantics.helpers import EGRESS, NAT, T0, Lab, changes, config

RULE = "tier0s.vcf-t0.nat_rules.supervisor-egress"


def test_ui_disabled_reflexive_rule_is_drift_and_fails_the_egress_check(
        lab: Lab, tmp_path: Path) -> None:
    cfg = config(tmp_path, EGRESS)
    lab.apply(cfg)
    assert not lab.plan(cfg).has_changes
    lab.patch(f"{NAT}/supervisor-egress", {"enabled": False})

    p = lab.plan(cfg)
    assert changes(p) == {RULE: ("update", [("enabled", False, True)])}
    egress = [c for c in p.checks if c.id == "egress.tier0-nat"
              and c.subject == "egress 30.0.0.5 of Tier-1 domain-c8"]
    # On NSX now it fails; the plan (re-enabling the rule) fixes it; drift pages on it.
    assert [(c.was, c.status, c.baseline) for c in egress] == [("fail", "ok", "fixed")]
    assert egress[0].pages
    lab.apply(cfg)
    assert not lab.plan(cfg).has_changes
    assert lab.get(f"{NAT}/supervisor-egress")["enabled"] is True


@pytest.mark.parametrize(("field", "wrong", "right"), [
    ("logging", True, False),
    ("firewall_match", "BYPASS", "MATCH_INTERNAL_ADDRESS"),
    ("enabled", False, True),
])
def test_nat_defaults_are_managed_and_converge(lab: Lab, tmp_path: Path, field: str,
                                               wrong: object, right: object) -> None:
    cfg = config(tmp_path, EGRESS)
    lab.apply(cfg)
    lab.patch(f"{NAT}/tkg-egress", {field: wrong})
    assert changes(lab.plan(cfg)) == {
        "tier0s.vcf-t0.nat_rules.tkg-egress": ("update", [(field, wrong, right)])}
    lab.apply(cfg)
    assert not lab.plan(cfg).has_changes, "apply then plan must be empty"


def test_no_snat_defaults_to_bypass(lab: Lab, tmp_path: Path) -> None:
    cfg = config(tmp_path, """\
tier1s:
  - id: apps
    tier0: /infra/tier-0s/vcf-t0
    edge_cluster: /infra/sites/default/enforcement-points/default/edge-clusters/ec1
    nat_rules:
      - id: inside
        action: NO_SNAT
        source: 10.10.0.0/16
""")
    first = lab.apply(cfg)
    rule = next(a for a in first.changes if a.address.endswith("inside"))
    assert rule.after is not None and rule.after["firewall_match"] == "BYPASS"
    assert not lab.plan(cfg).has_changes


def test_route_admin_distance_left_out_is_managed_at_1(lab: Lab, tmp_path: Path) -> None:
    cfg = config(tmp_path, EGRESS)
    lab.apply(cfg)
    lab.patch(f"{T0}/static-routes/default-route",
              {"next_hops": [{"ip_address": "10.27.51.1", "admin_distance": 5}]})
    assert changes(lab.plan(cfg)) == {"tier0s.vcf-t0.static_routes.default-route": (
        "update", [("next_hops[0].admin_distance", 5, 1)])}
    lab.apply(cfg)
    assert not lab.plan(cfg).has_changes


def test_forwarder_defaults_are_managed(lab: Lab, tmp_path: Path) -> None:
    cfg = config(tmp_path, """\
dns_zones:
  - id: corp
    upstream_servers: [10.27.51.10]
tier1s:
  - id: apps
    tier0: /infra/tier-0s/vcf-t0
    edge_cluster: /infra/sites/default/enforcement-points/default/edge-clusters/ec1
    dns_forwarder:
      listener_ip: 10.96.10.53
      default_zone: corp
""")
    lab.apply(cfg)
    lab.patch("/infra/tier-1s/apps/dns-forwarder", {"enabled": False, "log_level": "DEBUG"})
    assert changes(lab.plan(cfg)) == {"tier1s.apps.dns_forwarder": (
        "update", [("enabled", False, True), ("log_level", "DEBUG", "INFO")])}
    lab.apply(cfg)
    assert not lab.plan(cfg).has_changes
