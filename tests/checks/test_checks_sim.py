"""The checks over NCP's SNAT rules read from the simulator's demo state through the real refresh
path (target.connect("sim") -> NsxClient -> read_live), with configs loaded by the real loader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from nsxplan.checks import blocking, run_checks
from nsxplan.config import load_config
from nsxplan.connect import Connection, connect
from nsxplan.live.read import read_live
from tests.checks.helpers import by_id

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "static-routing-lab" / "nsxplan.yaml"


@pytest.fixture
def sim() -> Iterator[Connection]:
    conn = connect("sim")
    try:
        yield conn
    finally:
        conn.close()


def variant(tmp_path: Path, edit) -> Path:
    doc = yaml.safe_load(EXAMPLE.read_text())
    edit(doc)
    path = tmp_path / "nsxplan.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def drop_nat(doc):
    del doc["tier0s"][0]["nat_rules"]


def test_ncp_snat_rules_read_live_fail_without_tier0_reflexive_rules(sim, tmp_path):
    live = read_live(sim.client)
    ncp_rules = [o for o in live.of_type("PolicyNatRule") if o.get("action") == "SNAT"]
    assert {o["translated_network"] for o in ncp_rules} == {"30.0.0.5", "30.0.0.16"}
    assert all(o.get("_protection") == "REQUIRE_OVERRIDE" for o in ncp_rules)

    checks = run_checks(load_config(variant(tmp_path, drop_nat)), live)
    failing = [c for c in by_id(checks, "egress.tier0-nat") if c.status == "fail"]
    assert [c.subject for c in failing] == ["egress 30.0.0.5 of Tier-1 domain-c8",
                                           "egress 30.0.0.16 of Tier-1 vnet-domain-c8"]
    rule_ids = {o["id"] for o in ncp_rules}
    for check in failing:
        assert any(f"SNAT rule {rid} (read live)" in check.message for rid in rule_ids)
        assert "action: REFLEXIVE" in check.remediation
    ret = by_id(checks, "dns.return-route")
    assert [(c.status, c.message) for c in ret] == [
        ("fail", "DNS server 10.27.51.10 needs a route to 30.0.0.0/24 via 10.27.51.145")]
    assert ret[0].source is not None and ret[0].source.file.endswith("nsxplan.yaml")
    assert blocking(checks)


def test_example_config_passes_against_the_demo_state(sim):
    checks = run_checks(load_config(EXAMPLE), read_live(sim.client))
    assert checks and blocking(checks, "warn") == []
    assert "reach 10.27.51.10 as 10.27.51.145, 10.27.51.147" in \
        by_id(checks, "dns.egress-translation")[0].message


def test_reflexive_rules_written_by_someone_else_count_once_read_back(sim, tmp_path):
    written = (("sup", "30.0.0.5", "10.27.51.145"), ("tkg", "30.0.0.16", "10.27.51.147"))
    for rid, src, dst in written:
        sim.client.patch(f"/infra/tier-0s/vcf-t0/nat/USER/nat-rules/{rid}",
                         {"action": "REFLEXIVE", "source_network": src,
                          "translated_network": dst})
    checks = run_checks(load_config(variant(tmp_path, drop_nat)), read_live(sim.client))
    assert [c.status for c in by_id(checks, "egress.tier0-nat")] == ["ok", "ok"]
    assert by_id(checks, "dns.egress-translation")[0].status == "ok"


def test_validate_offline_runs_only_config_checks(tmp_path):
    checks = run_checks(load_config(variant(tmp_path, drop_nat)), None)
    assert [(c.id, c.status) for c in checks] == [("dns.route", "ok"),
                                                  ("egress.default-route", "ok")]
