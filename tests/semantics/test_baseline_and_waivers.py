"""Checks know what the plan did, and waivers silence one known failure (issue 11).

Before: NCP handing out a new egress address overnight blocked an operator adding an unrelated
route ("blocked by dependency check egress.tier0-nat (fail)"), with no word that the failure
predated the plan; the only way past, `--fail-on-checks never`, also disabled the checks of the
change itself.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from nsxplan.checks import blocking
from nsxplan.errors import ConfigError
from nsxplan.render.markdown import render_markdown
from tests.golden import Golden
from tests.semantics.helpers import EGRESS, T0, Lab, config

GOLDEN = Path(__file__).parent / "golden"
NEW_EGRESS = "egress 30.0.0.7 of Tier-1 ns-payments"
ROUTE = """\
      - id: lab-route
        network: 192.168.50.0/24
        next_hops: [{ip: 10.27.51.2}]
"""
WAIVER = f"""\
waivers:
  - check: egress.tier0-nat
    subject: {NEW_EGRESS}
    reason: payments egress is routed upstream until CHG-1234
    expires: 2099-12-31
"""


def _ncp_adds_an_egress_address(lab: Lab) -> None:
    """Overnight, NCP creates a namespace Tier-1 SNATing to a new egress address."""
    lab.patch("/infra/tier-1s/ns-payments", {"tier0_path": "/infra/tier-0s/vcf-t0"})
    lab.patch("/infra/tier-1s/ns-payments/locale-services/default", {
        "edge_cluster_path": "/infra/sites/default/enforcement-points/default/edge-clusters/ec1"})
    lab.patch("/infra/tier-1s/ns-payments/nat/USER/nat-rules/snat-payments",
              {"action": "SNAT", "translated_network": "30.0.0.7"})


def _check(plan: object, subject: str) -> object:
    (found,) = [c for c in plan.checks if c.subject == subject]  # type: ignore[attr-defined]
    return found


def test_preexisting_failure_does_not_block_an_unrelated_change(lab: Lab,
                                                                tmp_path: Path) -> None:
    lab.apply(config(tmp_path, EGRESS))
    _ncp_adds_an_egress_address(lab)
    with_route = config(tmp_path, EGRESS.replace("    nat_rules:\n", ROUTE + "    nat_rules:\n"),
                        "v2.yaml")
    p = lab.plan(with_route)
    check = _check(p, NEW_EGRESS)
    assert (check.status, check.was, check.baseline) == ("fail", "fail", "already")
    assert blocking(p.checks) == [] and blocking(p.checks, "warn") == []
    assert check.pages, "drift still reports it"


def test_fixing_one_egress_is_not_blocked_by_another_already_failing(
        lab: Lab, tmp_path: Path) -> None:
    """Adding the Supervisor's REFLEXIVE rule changes nothing the TKG failure looked at."""
    only_tkg = EGRESS[:EGRESS.index("      - id: supervisor-egress")] + \
        EGRESS[EGRESS.index("      - id: tkg-egress"):]
    lab.apply(config(tmp_path, only_tkg))
    _ncp_adds_an_egress_address(lab)
    p = lab.plan(config(tmp_path, EGRESS, "v2.yaml"))
    assert _check(p, NEW_EGRESS).baseline == "already"
    assert _check(p, "egress 30.0.0.5 of Tier-1 domain-c8").baseline == "fixed"
    assert blocking(p.checks) == []


def test_a_plan_causing_a_failure_or_changing_a_judged_object_is_blocked(
        lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, EGRESS))
    # Deleting the TKG rule causes a new failure.
    without_tkg = EGRESS[:EGRESS.index("      - id: tkg-egress")]
    p = lab.plan(config(tmp_path, without_tkg, "v3.yaml"))
    tkg = _check(p, "egress 30.0.0.16 of Tier-1 vnet-domain-c8")
    assert (tkg.status, tkg.was, tkg.baseline) == ("fail", "ok", "new")
    assert tkg in blocking(p.checks)


def test_judge_left_when_the_plan_changes_a_judged_object_or_the_finding() -> None:
    from nsxplan.checks.baseline import judge
    from nsxplan.plan.model import Check

    before = Check(id="x.y", status="fail", subject="s", message="broken", paths=("/infra/a",))
    assert judge([before], [before], ["/infra/b"])[0].baseline == "already"
    assert judge([before], [before], ["/infra/a"])[0].baseline == "left"
    worse = dataclasses.replace(before, message="broken differently")
    assert judge([worse], [before], [])[0].baseline == "left"
    fixed = judge([], [before], [])[0]
    assert (fixed.status, fixed.was, fixed.baseline) == ("ok", "fail", "fixed")
    assert fixed.pages
    # a finding this plan resolves keeps no fix: the fix was for NSX as it is before the plan
    with_fix = dataclasses.replace(before, remediation="add a REFLEXIVE rule")
    assert judge([], [with_fix], [])[0].remediation is None


def test_waiver_silences_exactly_one_failure(lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, EGRESS))
    _ncp_adds_an_egress_address(lab)
    without_tkg = EGRESS[:EGRESS.index("      - id: tkg-egress")]
    p = lab.plan(config(tmp_path, without_tkg + WAIVER, "v2.yaml"))
    waived = _check(p, NEW_EGRESS)
    assert waived.waiver == "payments egress is routed upstream until CHG-1234 (until 2099-12-31)"
    assert not waived.pages and waived not in blocking(p.checks)
    # The waiver names one subject: the failure this plan causes still blocks.
    assert [c.subject for c in blocking(p.checks)] == [
        "egress 30.0.0.16 of Tier-1 vnet-domain-c8"]


def test_expired_waiver_fails_validation_at_its_date(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text("version: 1\nowner: tanzu-egress\n" + EGRESS
                    + WAIVER.replace("2099-12-31", "2026-01-31"))
    with pytest.raises(ConfigError) as exc:
        from nsxplan.config import load_config
        load_config(path, today=date(2026, 2, 1))
    text = exc.value.format()
    assert f"{path}:23:14: waiver for check `egress.tier0-nat` on `{NEW_EGRESS}` expired on " \
           "2026-01-31" in text
    assert "hint: fix the failure and remove the waiver, or renew it" in text
    from nsxplan.config import load_config
    assert load_config(path, today=date(2026, 1, 31)).waivers[0].check == "egress.tier0-nat"


def test_golden_markdown_with_already_failing_and_waived_checks(
        lab: Lab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        golden_files: Golden) -> None:
    monkeypatch.chdir(tmp_path)     # sources relative: the golden holds no temporary path
    lab.apply(config(Path("."), EGRESS))
    _ncp_adds_an_egress_address(lab)
    lab.client.delete(f"{T0}/static-routes/default-route")
    lab.patch("/infra/tier-1s/ns-web", {"tier0_path": "/infra/tier-0s/vcf-t0"})
    lab.patch("/infra/tier-1s/ns-web/nat/USER/nat-rules/snat-web",
              {"action": "SNAT", "translated_network": "30.0.0.9"})
    cfg = config(Path("."), EGRESS + WAIVER)
    p = dataclasses.replace(lab.plan(cfg), nsxplan_version="0.0.0+golden", target="sim")
    text = render_markdown(p)
    golden_files.check(GOLDEN / "baseline-plan.md", text)
    assert "already failing" in text and "waived" in text and "fixed by this plan" in text


def test_a_waiver_that_accepts_nothing_is_a_warning(lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, EGRESS))
    p = lab.plan(config(tmp_path, EGRESS + WAIVER, "v2.yaml"))    # no 30.0.0.7 failure yet
    (unused,) = [c for c in p.checks if c.id == "waiver.unused"]
    assert unused.status == "warn" and NEW_EGRESS in unused.subject
    assert unused.source is not None and unused.source.line == 20
    assert blocking(p.checks) == [] and blocking(p.checks, "warn") == [unused]


def test_validate_honours_a_waiver(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from nsxplan.cli import main

    body = """\
version: 1
owner: t
dns_zones:
  - {id: corp, upstream_servers: [10.0.0.53]}
  - {id: a, domains: [x.example.com], upstream_servers: [10.0.0.53]}
  - {id: b, domains: [x.example.com], upstream_servers: [10.0.0.54]}
tier1s:
  - id: apps
    dns_forwarder: {listener_ip: 10.96.10.53, default_zone: corp, conditional_zones: [a, b]}
"""
    path = tmp_path / "stack.yaml"
    path.write_text(body)
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "`waivers:` with check dns-forwarder.zone-overlap, subject 'DNS forwarder on " \
           "Tier-1 apps'" in err
    path.write_text(body + """\
waivers:
  - check: dns-forwarder.zone-overlap
    subject: DNS forwarder on Tier-1 apps
    reason: both corporate resolvers answer for x.example.com
    expires: 2099-01-01
""")
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "waived: both corporate resolvers answer for x.example.com (until 2099-01-01)" in err


def test_judge_pairs_checks_sharing_a_subject_in_order() -> None:
    """One DNS server, two client ranges: two checks with one id and subject."""
    from nsxplan.checks.baseline import judge
    from nsxplan.plan.model import Check

    before = [Check(id="dns.return-route", status="fail", subject="DNS server 10.0.0.53",
                    message="range A broken"),
              Check(id="dns.return-route", status="ok", subject="DNS server 10.0.0.53",
                    message="range B fine")]
    after = [Check(id="dns.return-route", status="fail", subject="DNS server 10.0.0.53",
                   message="range A broken"),
             Check(id="dns.return-route", status="fail", subject="DNS server 10.0.0.53",
                   message="range B broken")]
    assert [c.baseline for c in judge(after, before, [])] == ["already", "new"]
