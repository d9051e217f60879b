"""Scenario 18: NCP running as `admin` (`nsx_api_user = admin`, the NCP-tags field report).

Its objects carry NCP's runtime tags (ncp/version, ncp/project, ncp/created_for...) but
`_create_user: admin` and no protection. They are NCP's all the same: `import` leaves them out,
a configuration naming one is refused with the reason, an owner tag an older nsxplan put on one
does not make it deletable, and a configuration cannot forge NCP's tags onto a new object.
The discovery tags an administrator sets on a Tier-0 (ncp/cluster) leave it manageable.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tests.scenarios.conftest import Sim, nsxplan, write_config

RULES = "/infra/tier-0s/vcf-t0/nat/USER/nat-rules"
NCP_RUNTIME = [{"scope": "ncp/cluster", "tag": "pandora"}, {"scope": "ncp/version", "tag": "2.5"},
               {"scope": "ncp/project", "tag": "development"},
               {"scope": "ncp/created_for", "tag": "snat"}]


def ncp_lab(sims: Callable[..., Sim], extra_tags: list[dict[str, str]] | None = None) -> Sim:
    sim = sims()
    with sim.http() as c:     # what NCP, authenticated as admin, writes for a namespace
        r = c.patch("/policy/api/v1" + f"{RULES}/ns-development-snat", json={
            "action": "REFLEXIVE", "source_network": "10.244.1.10",
            "translated_network": "10.27.51.160", "tags": NCP_RUNTIME + (extra_tags or [])})
        assert r.status_code == 200, r.text
        # The administrator's discovery tag on the Tier-0, for NCP to find it.
        t0 = c.get("/policy/api/v1/infra/tier-0s/vcf-t0").json()
        r = c.patch("/policy/api/v1/infra/tier-0s/vcf-t0", json={
            "tags": [*t0.get("tags", []), {"scope": "ncp/cluster", "tag": "pandora"}]})
        assert r.status_code == 200, r.text
    rule = sim.get(f"{RULES}/ns-development-snat")
    assert rule["_create_user"] == "admin" and rule["_protection"] == "NOT_PROTECTED"
    return sim


def test_import_leaves_ncp_rules_out_and_keeps_the_tier0(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = ncp_lab(sims)
    out = tmp_path / "imported.yaml"
    res = nsxplan("import", "--tier0", "vcf-t0", "--manage-gateway", "--owner", "netops",
                  "--out", out, "--manager", sim.url, sim=sim)
    assert res.code == 0, res.out + res.err
    text = out.read_text()
    doc: dict[str, Any] = yaml.safe_load(text)
    (t0,) = doc["tier0s"]
    assert "ns-development-snat" not in {r["id"] for r in t0.get("nat_rules", [])}
    assert "Not imported (protected" in text and f"{RULES}/ns-development-snat" in text
    assert t0["tags"]["ncp/cluster"] == "pandora"     # discovery tag kept: T0 manageable

    plan = nsxplan("plan", out, "--manager", sim.url, "--fail-on-checks", "never", sim=sim)
    assert plan.code == 0, plan.out + plan.err


CONFIG = """\
version: 1
owner: netops
tier0s:
  - id: vcf-t0
    existing: true
    nat_rules:
      - id: {rule}
        action: REFLEXIVE
        source: 10.244.1.10
        translated: 10.27.51.160
        adopt: true
{tags}"""


def test_a_configuration_naming_an_ncp_object_is_refused_with_the_reason(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = ncp_lab(sims)
    cfg = write_config(tmp_path / "c", CONFIG.format(rule="ns-development-snat", tags=""))
    res = nsxplan("plan", cfg, "--manager", sim.url, "--fail-on-checks", "never", sim=sim)
    assert res.code == 1, res.out + res.err
    assert (f"would change {RULES}/ns-development-snat, which is NCP's: tagged "
            "ncp/created_for, created by admin") in res.err, res.err


def test_a_configuration_cannot_forge_ncp_tags(sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = ncp_lab(sims)
    tags = "        tags: {ncp/project: development, ncp/version: '2.5'}\n"
    cfg = write_config(tmp_path / "c", CONFIG.format(rule="recreated", tags=tags))
    res = nsxplan("plan", cfg, "--manager", sim.url, "--fail-on-checks", "never", sim=sim)
    assert res.code == 1, res.out + res.err
    assert "its tags mark it as NCP's (tagged ncp/project)" in res.err, res.err


def test_an_owner_tag_on_an_ncp_rule_does_not_make_it_deletable(
        sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim = ncp_lab(sims, extra_tags=[{"scope": "nsxplan/owner", "tag": "netops"}])
    cfg = write_config(tmp_path / "c", "version: 1\nowner: netops\ntier0s:\n"
                                       "  - id: vcf-t0\n    existing: true\n")
    res = nsxplan("plan", cfg, "--manager", sim.url, "--fail-on-checks", "never", sim=sim)
    assert res.code == 1, res.out + res.err
    assert f"{RULES}/ns-development-snat carries nsxplan/owner=netops" in res.err
    assert "will not delete it" in res.err
