"""`drift` pages, with who and when; `import` fits VCF/NCP estates (issue 11).

Before: `drift` exited 0 while dependency checks failed, listed a hand-made DNAT rule inside a
managed gateway as "unmanaged, left alone" with exit 0, and never said who changed what;
`import --tier0` took a VCF Tier-0 over (ha_mode, failover_mode, edge_cluster, adopt: true).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from nsxplan.cli import main
from nsxplan.client import NsxClient
from nsxplan.sim import demo_state
from tests.semantics.helpers import EGRESS, HEAD, NAT

Run = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A configuration directory whose target is a simulator state file."""
    state = tmp_path / "lab.json"
    state.write_text(json.dumps(demo_state()))
    (tmp_path / "stack").mkdir()
    (tmp_path / "stack" / "nsxplan.yaml").write_text(
        HEAD + f"target:\n  manager: sim:{state}\n" + EGRESS)
    return tmp_path


def _edit_state(lab: Path, path: str, body: dict[str, object]) -> None:
    """Someone changes NSX out of band (the state file is what the next run reads)."""
    import httpx

    from nsxplan.sim import Simulator

    sim = Simulator(json.loads((lab / "lab.json").read_text()))
    client = NsxClient(httpx.Client(transport=httpx.WSGITransport(app=sim),
                                    base_url="http://nsx-sim.invalid"), rate_limit=None)
    client.patch(path, body)
    (lab / "lab.json").write_text(json.dumps(sim.snapshot()))
    client.close()


def test_drift_pages_on_rogue_rule_and_disabled_egress_with_who_and_when(
        lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = str(lab / "stack")
    assert run(capsys, "apply", stack, "--auto-approve")[0] == 0
    assert run(capsys, "drift", stack)[0] == 0
    # A rogue DNAT rule inside the managed Tier-0's USER section.
    _edit_state(lab, f"{NAT}/rogue-dnat", {"action": "REFLEXIVE", "source_network":
                                           "30.0.0.99", "translated_network": "10.27.51.199"})
    code, out, err = run(capsys, "drift", stack)
    assert code == 2, out + err
    assert f"{NAT}/rogue-dnat (PolicyNatRule)" in out and "last changed by admin at 20" in out
    assert f"rogue PolicyNatRule {NAT}/rogue-dnat" in err
    # The Supervisor's egress rule disabled in the UI: a change, and a failing check on NSX.
    _edit_state(lab, f"{NAT}/supervisor-egress", {"enabled": False})
    prom = lab / "drift.prom"
    code, out, err = run(capsys, "drift", stack, "--format", "json", "--metrics", str(prom),
                         "--ignore", f"{NAT}/rogue-*")
    assert code == 2
    doc = json.loads(out)
    (change,) = [c for c in doc["changes"] if c["action"] != "no-op"]
    assert change["path"] == f"{NAT}/supervisor-egress"
    assert change["modified_user"] == "admin" and change["modified_time"].endswith("Z")
    # Checks are judged on NSX as it is: the disabled rule fails its egress check.
    paging = [c for c in doc["checks"] if c["status"] == "fail"]
    assert [c["subject"] for c in paging] == ["egress 30.0.0.5 of Tier-1 domain-c8"]
    assert "no SNAT/REFLEXIVE rule whose source covers 30.0.0.5" in paging[0]["message"]
    # ... and its fix is to apply: the configuration already has the rule (a generic "add a
    # REFLEXIVE rule" would have the operator write a second one beside the disabled one)
    assert "`nsxplan apply` restores what drifted" in paging[0]["remediation"]
    assert not [u for u in doc["unmanaged"] if u["rogue"]], "ignored by --ignore"
    assert (doc["summary"]["checks_paging"], doc["summary"]["rogue"]) == (1, 0)
    text = prom.read_text()
    assert 'nsxplan_checks_paging{owner="tanzu-egress"} 1' in text
    assert 'change="update",user="admin"}' in text
    assert 'nsxplan_drift_rogue_objects{owner="tanzu-egress"} 0' in text


def test_yaml_ignore_lets_a_field_drift(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = lab / "stack"
    assert run(capsys, "apply", str(stack), "--auto-approve")[0] == 0
    _edit_state(lab, f"{NAT}/tkg-egress", {"logging": True})
    assert run(capsys, "drift", str(stack))[0] == 2
    yaml_file = stack / "nsxplan.yaml"
    yaml_file.write_text(yaml_file.read_text()
                         + "ignore: ['tier0s.vcf-t0.nat_rules.tkg-egress:logging']\n")
    code, out, err = run(capsys, "drift", str(stack))
    assert code == 0, out + err


def test_import_tier0_keeps_the_gateway_existing_and_adopts_its_children(
        lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Hand-made children on the VCF Tier-0, and NCP's protected Tier-1s elsewhere.
    _edit_state(lab, "/infra/tier-0s/vcf-t0/static-routes/ui-default",
                {"network": "0.0.0.0/0", "next_hops": [{"ip_address": "10.27.51.1"}]})
    _edit_state(lab, f"{NAT}/ui-rule", {"action": "REFLEXIVE", "source_network": "30.0.0.5",
                                        "translated_network": "10.27.51.145",
                                        "logging": True})
    out_file = lab / "imported" / "nsxplan.yaml"
    out_file.parent.mkdir()
    code, _, err = run(capsys, "import", "--tier0", "vcf-t0", "--owner", "vcf-egress",
                       "--manager", f"sim:{lab / 'lab.json'}", "--out", str(out_file))
    assert code == 0, err
    doc = yaml.safe_load(out_file.read_text())
    (t0,) = doc["tier0s"]
    assert t0["existing"] is True and "adopt" not in t0 and "ha_mode" not in t0
    assert "edge_cluster" not in t0
    assert [r["id"] for r in t0["static_routes"]] == ["ui-default"]
    (rule,) = t0["nat_rules"]
    assert rule == {"id": "ui-rule", "action": "REFLEXIVE", "source": "30.0.0.5",
                    "translated": "10.27.51.145", "sequence": 0, "logging": True,
                    "adopt": True}
    code, out, err = run(capsys, "plan", str(out_file.parent), "--format", "json")
    assert code == 0, err
    changed = [c for c in json.loads(out)["changes"] if c["action"] != "no-op"]
    # the route, the rule, and the Tier-0's uplink (its routing is imported too, #12)
    assert [i["id"] for i in t0["interfaces"]] == ["uplink-edge-01"]
    assert len(changed) == 3 and all(
        [d["field"] for d in c["diff"]] == ["tags"] for c in changed), changed
    assert run(capsys, "apply", str(out_file.parent), "--auto-approve")[0] == 0
    out_file.write_text(out_file.read_text().replace("adopt: true", "adopt: false"))
    code, out, err = run(capsys, "plan", str(out_file.parent), "--detailed-exitcode")
    assert code == 0, out + err


def test_apply_refuses_a_mass_delete_without_allow_deletes(
        lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stack = lab / "stack"
    routes = "".join(f"      - {{id: r{i}, network: 192.168.{i}.0/24, next_hops: "
                     f"[{{ip: 10.27.51.1}}]}}\n" for i in range(11))
    yaml_file = stack / "nsxplan.yaml"
    full = yaml_file.read_text().replace("    static_routes:\n", "    static_routes:\n" + routes)
    yaml_file.write_text(full)
    assert run(capsys, "apply", str(stack), "--auto-approve")[0] == 0
    yaml_file.write_text(full.replace(routes, ""))
    code, out, err = run(capsys, "plan", str(stack))
    assert code == 0 and "apply will refuse this plan: it deletes or replaces 11 objects" in err
    code, out, err = run(capsys, "apply", str(stack), "--auto-approve")
    assert code == 1 and "refusing to apply: it deletes or replaces 11 objects" in err
    assert "--allow-deletes 11" in err and "Traceback" not in err
    state = (lab / "lab.json").read_text()
    assert "192.168.3.0/24" in state, "nothing was written"
    code, out, err = run(capsys, "apply", str(stack), "--auto-approve", "--allow-deletes", "11")
    assert code == 0, err
    assert "192.168.3.0/24" not in (lab / "lab.json").read_text()


def test_removals_through_apply_converge(lab: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The real apply (not a test writer): removed tag and field go, foreign tags stay."""
    stack = lab / "stack"
    yaml_file = stack / "nsxplan.yaml"
    tagged = yaml_file.read_text().replace(
        "        translated: 10.27.51.147\n",
        "        translated: 10.27.51.147\n        description: tkg\n"
        "        tags: {ticket: CHG-1}\n")
    yaml_file.write_text(tagged)
    assert run(capsys, "apply", str(stack), "--auto-approve")[0] == 0
    _edit_state(lab, f"{NAT}/tkg-egress", {"tags": [
        {"scope": "nsxplan/owner", "tag": "tanzu-egress"},
        {"scope": "nsxplan/managed", "tag": "description,tag:ticket"},
        {"scope": "ticket", "tag": "CHG-1"}, {"scope": "backup", "tag": "nightly"}]})
    yaml_file.write_text(tagged.replace("        description: tkg\n", "").replace(
        "        tags: {ticket: CHG-1}\n", ""))
    code, out, err = run(capsys, "apply", str(stack), "--auto-approve")
    assert code == 0, out + err
    assert "removed from the configuration: description, tag ticket" in out
    rule = json.loads((lab / "lab.json").read_text())
    text = json.dumps(rule)
    assert '"scope": "backup", "tag": "nightly"' in text and '"CHG-1"' not in text
    code, out, err = run(capsys, "plan", str(stack), "--detailed-exitcode")
    assert code == 0, out + err
