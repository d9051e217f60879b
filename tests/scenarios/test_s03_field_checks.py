"""Scenario 3: issue 6's field scenarios, against the BGP-less demo state and the BGP lab.

1. A Tier-0 without BGP, NCP SNATing its Tier-1s' egress to 30.0.0.5 and 30.0.0.16, and no Tier-0
   REFLEXIVE rules: the checks fail naming both Tier-1s, NCP's rules, the addresses and the
   REFLEXIVE fix. A plan that does not touch the Tier-0's NAT says they were "already failing"
   and is not blocked; a plan that causes them (removing the rules) is blocked unless
   --fail-on-checks never; with the rules: ok.
2. A DNS server outside the uplink subnet with no translation of its clients: the exact
   prerequisite outside NSX; with `return_route: true`: ok.
3. The same questions on the BGP lab fixture: egress is advertised, nothing fails.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from tests.scenarios.conftest import (
    FIXTURES,
    PLAN_SCHEMA,
    Sim,
    assert_clean_error,
    export,
    nsxplan,
    write_config,
)
from tests.scenarios.helpers import EGRESS_NAT

ROUTE = """\
version: 1
owner: tanzu-egress
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.1}]
"""
REFLEXIVE = EGRESS_NAT   # the two Tier-0 REFLEXIVE rules for NCP's egress addresses
DNS = """\
dependencies:
  dns_servers:
    - address: 192.168.10.10
      clients: [30.0.0.0/24]
"""
PLAN_SCHEMA_DOC = json.loads(PLAN_SCHEMA.read_text())
PREREQUISITE = "DNS server 192.168.10.10 needs a route to 30.0.0.0/24 via 10.27.51.145"


def checks(sim: Sim, config: Path, *extra: str) -> list[dict[str, Any]]:
    res = nsxplan("plan", config, "--manager", sim.url, "--format", "json",
                  "--fail-on-checks", "never", *extra, sim=sim)
    assert res.code == 0, res.err
    jsonschema.validate(res.json, PLAN_SCHEMA_DOC)  # failing checks included
    return list(res.json["checks"])


def failing(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in found if c["status"] == "fail"]


def test_missing_tier0_reflexive_rules_fail_and_name_the_fix(
        shared_sim: Sim, tmp_path: Path) -> None:
    config = write_config(tmp_path / "no-reflexive", ROUTE)
    egress = [c for c in failing(checks(shared_sim, config)) if c["id"].startswith("egress")]
    assert len(egress) == 2, egress
    by_address = {c["subject"].split()[1]: c for c in egress}  # "egress 30.0.0.5 of Tier-1 .."
    expected = {"30.0.0.5": ("domain-c8", "snat-supervisor-egress"),
                "30.0.0.16": ("vnet-domain-c8", "snat-tkg-egress")}
    for address, (tier1, rule) in expected.items():
        check = by_address[address]
        text = f"{check['subject']} {check['message']}"
        assert f"Tier-1 {tier1}" in text and rule in text and address in text, check
        fix = check["remediation"] or ""
        assert "REFLEXIVE" in fix and f"source: {address}" in fix and "vcf-t0" in fix, fix

    # The failures predate this plan (NCP's SNAT, no Tier-0 NAT) and the plan only adds a
    # route: printed as already failing, not blocking (issue 11).
    text = nsxplan("plan", config, "--manager", shared_sim.url, sim=shared_sim)
    assert text.code == 0, text.out + text.err
    assert text.out.count("already failing: it failed the same way before this plan") == 2
    assert all(c["baseline"] == "already" and c["was"] == "fail" for c in egress), egress

    fixed = write_config(tmp_path / "with-reflexive", ROUTE + REFLEXIVE)
    found = checks(shared_sim, fixed)
    assert not failing(found), failing(found)
    ok = [c for c in found if c["id"].startswith("egress") and c["status"] == "ok"]
    assert {a for a in ("30.0.0.5", "30.0.0.16") for c in ok if a in c["message"]} == {
        "30.0.0.5", "30.0.0.16"}
    plan = nsxplan("plan", fixed, "--manager", shared_sim.url, "--detailed-exitcode",
                   sim=shared_sim)
    assert plan.code == 2, plan.out + plan.err


def test_failing_checks_block_apply_unless_never(sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = sims()
    fixed = write_config(tmp_path / "with-reflexive", ROUTE + REFLEXIVE)
    applied = nsxplan("apply", fixed, "--manager", sim.url, "--auto-approve", sim=sim)
    assert applied.code == 0, applied.out + applied.err
    assert sim.get("/infra/tier-0s/vcf-t0/nat/USER/nat-rules/tkg-egress")["action"] == "REFLEXIVE"
    # Removing the REFLEXIVE rules causes the egress failures: blocked, nothing written.
    config = write_config(tmp_path / "no-reflexive", ROUTE)
    before = export(sim, tmp_path / "before.json")
    blocked = nsxplan("apply", config, "--manager", sim.url, "--auto-approve", sim=sim)
    assert_clean_error(blocked, "REFLEXIVE", "30.0.0.5", "30.0.0.16")
    assert "caused by this plan" in blocked.out
    assert export(sim, tmp_path / "after.json") == before, "a blocked apply wrote something"

    forced = nsxplan("apply", config, "--manager", sim.url, "--auto-approve",
                     "--fail-on-checks", "never", sim=sim)
    assert forced.code == 0, forced.out + forced.err
    assert sim.status("/infra/tier-0s/vcf-t0/nat/USER/nat-rules/tkg-egress") == 404


def test_dns_server_without_return_route_names_the_prerequisite(
        shared_sim: Sim, tmp_path: Path) -> None:
    # Translation is what makes the return route unnecessary, so this config has none.
    config = write_config(tmp_path / "dns", ROUTE + DNS)
    dns = [c for c in checks(shared_sim, config) if c["subject"] == "DNS server 192.168.10.10"]
    bad = failing(dns)
    assert [c["message"] for c in bad] == [PREREQUISITE], dns
    assert "return_route: true" in (bad[0]["remediation"] or "")

    text = nsxplan("plan", config, "--manager", shared_sim.url, "--fail-on-checks", "never",
                   sim=shared_sim)
    assert PREREQUISITE in text.out, text.out
    markdown = nsxplan("plan", config, "--manager", shared_sim.url, "--format", "markdown",
                       "--fail-on-checks", "never", sim=shared_sim)
    assert PREREQUISITE in markdown.out

    declared = write_config(tmp_path / "dns-ok",
                            ROUTE + REFLEXIVE + DNS + "      return_route: true\n")
    dns = [c for c in checks(shared_sim, declared) if c["subject"] == "DNS server 192.168.10.10"]
    assert dns and all(c["status"] == "ok" for c in dns), dns
    assert not any(PREREQUISITE in c["message"] for c in dns)


def test_dns_return_route_alone_is_enough(shared_sim: Sim, tmp_path: Path) -> None:
    """Untranslated clients with a declared return route: the DNS check is ok (egress still
    fails on its own, which is a different check)."""
    declared = write_config(tmp_path / "dns-rr", ROUTE + DNS + "      return_route: true\n")
    dns = [c for c in checks(shared_sim, declared) if c["subject"] == "DNS server 192.168.10.10"]
    assert dns and not failing(dns), dns


BGP_CONFIG = """\
version: 1
owner: bgp-lab
tier0s:
  - id: t0-edge
    existing: true
dependencies:
  dns_servers:
    - address: 192.168.10.10
      clients: [172.16.2.0/24]
      return_route: true
"""

# The fix the failing check names: adopt the lab's routing and redistribute what the Tier-1s
# advertise (the gateway itself stays untouched).
BGP_FIXED = BGP_CONFIG.replace("    existing: true\n", """\
    existing: true
    adopt: true
    route_redistribution:
      - {name: tier1-routes, types: [TIER1_LB_VIP, TIER1_NAT]}
""")


def test_bgp_lab_fixture_egress_needs_redistribution_not_tier0_nat(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "bgp.json"
    shutil.copy(FIXTURES / "tanzu-bgp-lab.json", state)
    sim = sims("--state", str(state))
    config = write_config(tmp_path / "bgp", BGP_CONFIG)
    res = nsxplan("plan", config, "--manager", sim.url, "--format", "json",
                  "--detailed-exitcode", sim=sim)
    # Peering alone does not advertise the egress addresses: the Tier-0 redistributes nothing.
    # (It failed before this plan too, which changes nothing: reported, not blocking.)
    assert res.code == 0, res.out + res.err
    found = res.json["checks"]
    bad = [c for c in found if c["status"] == "fail"]
    assert [c["id"] for c in bad] == ["egress.bgp-redistribution"], found
    assert "does not redistribute TIER1_NAT" in bad[0]["message"]
    assert "- {name: tier1-routes, types: [TIER1_LB_VIP, TIER1_NAT]}" in bad[0]["remediation"]
    # never a REFLEXIVE rule onto the address the ToR peers with
    assert "192.168.105.2}" not in json.dumps(found) and "REFLEXIVE" not in json.dumps(found)
    # The same fixture as a `sim:FILE` target gives the same checks.
    offline = nsxplan("plan", config, "--manager", f"sim:{state}", "--format", "json", sim=sim)
    assert json.dumps(offline.json["checks"], sort_keys=True) == json.dumps(found, sort_keys=True)

    fixed = write_config(tmp_path / "fixed", BGP_FIXED)
    res = nsxplan("apply", fixed, "--manager", sim.url, "--auto-approve", sim=sim)
    assert res.code == 0, res.out + res.err
    res = nsxplan("plan", fixed, "--manager", sim.url, "--format", "json",
                  "--detailed-exitcode", sim=sim)
    assert res.code == 0, res.out + res.err     # converged, and nothing failing
    egress = [c for c in res.json["checks"] if c["id"].startswith("egress")]
    assert egress and all(c["status"] == "ok" for c in egress), egress
    assert any("redistributes TIER1_NAT" in c["message"] for c in egress), egress


OVERLAP = """\
version: 1
owner: dns
tier0s:
  - id: vcf-t0
    existing: true
dns_zones:
  - {id: corp-dns, upstream_servers: [192.168.10.10]}
  - {id: lab-zone, domains: [rainpole.com], upstream_servers: [192.168.10.11]}
  - {id: sub-zone, domains: [lab.rainpole.com], upstream_servers: [192.168.10.12]}
tier1s:
  - id: apps-t1
    tier0: vcf-t0
    edge_cluster: /infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01
    route_advertisement: [TIER1_CONNECTED, TIER1_DNS_FORWARDER_IP]
    dns_forwarder:
      listener_ip: 10.96.10.53
      default_zone: corp-dns
      conditional_zones: [lab-zone, sub-zone]
"""


def test_validate_fails_on_a_failing_offline_check(tmp_path: Path) -> None:
    """Overlapping conditional zones need no live state: `validate` in CI must fail on them, as
    apply would (it used to print `fail` and still say "valid", exit 0)."""
    config = write_config(tmp_path / "overlap", OVERLAP)
    res = nsxplan("validate", config)
    assert_clean_error(res, "lab-zone", "sub-zone", "overlap", "nsxplan.yaml:")
    assert "valid (" not in res.out
    lenient = nsxplan("validate", config, "--fail-on-checks", "never")
    assert lenient.code == 0 and "valid" in lenient.out, lenient.err
    fixed = write_config(tmp_path / "fixed", OVERLAP.replace("lab.rainpole.com", "vmware.com"))
    ok = nsxplan("validate", fixed)
    assert ok.code == 0 and "valid" in ok.out, ok.err
