"""render_text: symbols, fields, summary line, colour, checks, determinism."""

from __future__ import annotations

import dataclasses
import re

from nsxplan.plan.model import Action, Check, FieldDiff, Plan, Unmanaged
from nsxplan.render import render_text
from tests.render.helpers import empty_plan, sample_plan

GREEN, YELLOW, RED, MAGENTA = "\x1b[32m", "\x1b[33m", "\x1b[31m", "\x1b[35m"


def _only(*actions: Action) -> Plan:
    return dataclasses.replace(sample_plan(), actions=actions, unmanaged=(), checks=())


def _action(kind: str, address: str = "dns_zones.z", **kw) -> Action:
    return Action(address=address, kind="PolicyDnsForwarderZone",
                  path=f"/infra/dns-forwarder-zones/{address.rsplit('.', 1)[-1]}",
                  action=kind, **kw)


def test_summary_line_is_exact_and_counts_a_replace_as_create_plus_delete():
    text = render_text(sample_plan())
    # sample: 1 create, 2 update, 2 delete, 1 replace, 1 no-op, 2 unmanaged
    assert ("\nPlan: 2 to create, 2 to update, 3 to delete. 1 unchanged. "
            "2 unmanaged objects left alone.\n") in text


def test_no_changes_variant():
    text = render_text(empty_plan())
    assert "No changes. 1 unchanged. 0 unmanaged objects left alone.\n" in text
    assert "Plan:" not in text
    assert "will perform" not in text


def test_one_line_per_change_with_symbol_address_kind_and_path_and_no_noops():
    lines = render_text(sample_plan()).splitlines()
    heads = [line for line in lines if line[:3] in ("  +", "  ~", "  -", "-/+")]
    assert heads == [
        "  ~ tier0s.vcf-t0 (Tier0) /infra/tier-0s/vcf-t0 [adopt: adds the owner tag]",
        "  + tier0s.vcf-t0.nat_rules.supervisor-egress (PolicyNatRule) "
        "/infra/tier-0s/vcf-t0/nat/USER/nat-rules/supervisor-egress",
        "-/+ tier0s.vcf-t0.nat_rules.dmz-dnat (PolicyNatRule) "
        "/infra/tier-0s/vcf-t0/nat/USER/nat-rules/dmz-dnat [replace: delete, then create]",
        "  ~ tier0s.vcf-t0.static_routes.default (StaticRoutes) "
        "/infra/tier-0s/vcf-t0/static-routes/default",
        "  - tier1s.tkg-t1.dns_forwarder (PolicyDnsForwarder) /infra/tier-1s/tkg-t1/dns-forwarder",
        "  - dns_zones.corp (PolicyDnsForwarderZone) /infra/dns-forwarder-zones/corp",
    ]
    assert "locale_services.default" not in "\n".join(lines)


def test_fields_update_arrow_create_sets_delete_goes():
    text = render_text(sample_plan())
    assert '      next_hops[0].ip_address: "10.0.0.1" → "10.0.0.254"\n' in text
    assert '      destination_network: (unset) → "192.168.50.11"\n' in text
    # create: the fields it sets, without resource_type/id (already on the header line)
    assert '      translated_network: "192.168.50.10"\n' in text
    assert "resource_type" not in text
    # delete: what goes
    assert '      listener_ip: "100.100.1.1"\n' in text


def test_unmanaged_section_lists_reason_and_creator():
    text = render_text(sample_plan())
    assert "Unmanaged, left alone:\n" in text
    assert ("/infra/tier-0s/vcf-t0/nat/USER/nat-rules/ncp-snat-1a2b (PolicyNatRule): created by "
            "NCP (principal identity), protected "
            "[created by wcp-cluster-user-domain-c8-1234]") in text


def test_checks_after_summary_with_symbols_and_remediation():
    text = render_text(sample_plan())
    summary_at = text.index("Plan: ")
    checks = text[summary_at:]
    assert "  ✓ ok   DNS server 10.27.51.10: reachable" in checks
    assert "  ! warn Tier-0 vcf-t0: SNAT" in checks
    assert "  ✗ fail DNS server 10.99.0.53: no route" in checks
    # a multi-line remediation keeps the block's indentation
    assert ("      fix: add a static route for 10.99.0.0/16 on vcf-t0:\n"
            "             - {id: dns-99, network: 10.99.0.0/16}\n") in checks


def test_colour_off_has_no_escape_codes():
    assert "\x1b" not in render_text(sample_plan())
    assert "\x1b" not in render_text(sample_plan(), color=False)


def test_colour_on_paints_each_symbol():
    text = render_text(_only(_action("create", "dns_zones.a", after={"x": 1}),
                             _action("update", "dns_zones.b"), _action("delete", "dns_zones.c"),
                             _action("replace", "dns_zones.d")), color=True)
    assert f"{GREEN}  +\x1b[0m dns_zones.a" in text
    assert f"{YELLOW}  ~\x1b[0m dns_zones.b" in text
    assert f"{RED}  -\x1b[0m dns_zones.c" in text
    assert f"{MAGENTA}-/+\x1b[0m dns_zones.d" in text
    plain = render_text(_only(_action("create", "dns_zones.a", after={"x": 1}),
                              _action("update", "dns_zones.b"), _action("delete", "dns_zones.c"),
                              _action("replace", "dns_zones.d")))
    # stripping the codes gives exactly the uncoloured text
    assert re.sub(r"\x1b\[[0-9;]*m", "", text) == plain


def test_deterministic_and_ends_with_newline():
    a, b = render_text(sample_plan()), render_text(sample_plan())
    assert a == b
    assert a.endswith("\n") and not a.endswith("\n\n")


def test_target_credentials_never_rendered():
    plan = dataclasses.replace(sample_plan(), target="https://admin:s3cret@nsx.example.com")
    text = render_text(plan)
    assert "s3cret" not in text and "admin:" not in text
    assert "https://nsx.example.com" in text


def test_control_characters_from_live_data_cannot_drive_the_terminal():
    evil = "x\x1b[2J\x9b31m\ry"
    plan = dataclasses.replace(
        sample_plan(), owner=evil,
        actions=(_action("update", "dns_zones.z", reason=evil,
                         diff=(FieldDiff(evil, evil, "\x7f"),)),),
        unmanaged=(Unmanaged(path=f"/infra/{evil}", kind="K", reason=evil, created_by=evil),),
        checks=(Check(id="c", status="warn", subject=evil, message=evil, remediation=evil),),
    )
    for text in (render_text(plan), render_text(plan, color=True)):
        stripped = re.sub(r"\x1b\[(?:0|1|3[1-5])m", "", text)  # our own colour codes only
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", stripped)
        assert "x\\x1b[2J\\x9b31m\\x0dy" in text
