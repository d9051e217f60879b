"""render_markdown: banner, grouping, escaping, and the 65,000-character budget."""

from __future__ import annotations

import dataclasses
import re

from nsxplan.plan.model import Action, Check, FieldDiff, Unmanaged
from nsxplan.render import render_markdown
from nsxplan.render.markdown import MAX_CHARS
from tests.render.helpers import OWNER_TAG, sample_plan

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def _table_rows(markdown: str) -> list[list[str]]:
    """Consecutive `|` lines grouped per table, so the column counts can be compared."""
    tables, current = [], []
    for line in markdown.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append(current)
            current = []
    if current:
        tables.append(current)
    return tables


def _assert_tables_well_formed(markdown: str) -> None:
    for table in _table_rows(markdown):
        widths = {len(_UNESCAPED_PIPE.findall(row)) for row in table}
        assert len(widths) == 1, table


def _nat_update(i: int, gateway: str) -> Action:
    return Action(
        address=f"tier0s.{gateway}.nat_rules.rule-{i:05d}", kind="PolicyNatRule",
        path=f"/infra/tier-0s/{gateway}/nat/USER/nat-rules/rule-{i:05d}", action="update",
        before={"translated_network": f"192.168.{i % 250}.1", "tags": [OWNER_TAG]},
        after={"translated_network": f"192.168.{i % 250}.2", "tags": [OWNER_TAG]},
        diff=(FieldDiff("translated_network", f"192.168.{i % 250}.1", f"192.168.{i % 250}.2"),),
        revision=i,
    )


def test_banner_when_something_is_destroyed():
    md = render_markdown(sample_plan())
    assert md.startswith("## nsxplan plan: owner `tanzu-egress` on `https://nsx.lab.example:443`")
    assert "> [!CAUTION]\n> This plan **deletes 2 objects** and **replaces 1 object**" in md
    assert "`dns_zones.corp`" in md.split("\n\n")[1]


def test_no_banner_without_deletes_or_replaces():
    plan = sample_plan()
    safe = dataclasses.replace(plan, actions=tuple(a for a in plan.actions
                                                   if a.action in ("create", "update", "no-op")))
    md = render_markdown(safe)
    assert "[!CAUTION]" not in md
    assert "**Plan: 1 to create, 2 to update, 0 to delete. 1 unchanged." in md


def test_summary_table_and_groups_per_gateway():
    md = render_markdown(sample_plan())
    assert "| 1 | 2 | 2 | 1 | 1 | 2 | 1 | 1 |" in md
    summaries = re.findall(r"<summary><b>([^<]+)</b>: ([^<]+)</summary>", md)
    assert summaries == [("tier0s.vcf-t0", "1 to create, 2 to update, 1 to replace"),
                         ("tier1s.tkg-t1", "1 to delete"), ("dns_zones", "1 to delete")]
    assert md.count("<details") == md.count("</details>") == 3
    # groups that destroy something are open so that reviewers see them
    assert md.count("<details open>") == 3
    _assert_tables_well_formed(md)


def test_unmanaged_and_checks_sections():
    md = render_markdown(sample_plan())
    assert "### Unmanaged, left alone" in md
    assert "- `/infra/tier-0s/vcf-t0/static-routes/manual` (StaticRoutes)" in md
    assert md.index("### Changes") < md.index("### Unmanaged") < md.index("### Checks")
    assert "| ❌ fail | `dns.upstream` |" in md


def test_pipes_and_backticks_in_cells_are_escaped():
    nasty = "a|b `c` ``d``|"
    plan = dataclasses.replace(
        sample_plan(),
        actions=(Action(address="dns_zones.z", kind="PolicyDnsForwarderZone",
                        path="/infra/dns-forwarder-zones/z", action="update",
                        diff=(FieldDiff("display_name", nasty, "x|y"),
                              FieldDiff("weird|field`", None, "v")),),),
        checks=(Check(id="c|1", status="warn", subject="s|`t`", message=nasty,
                      remediation="r|`x`"),),
        unmanaged=(Unmanaged(path="/infra/x", kind="K", reason="<script>alert(1)</script>"),),
    )
    md = render_markdown(plan)
    _assert_tables_well_formed(md)
    row = next(line for line in md.splitlines() if "`display_name`" in line)
    assert "\\|" in row
    # a backtick run inside a value gets a longer fence, so the code span cannot end early
    assert '```"a\\|b `c` ``d``\\|"```' in row
    assert "s\\|\\`t\\`" in md  # prose cells escape them
    assert "<script>" not in md


def test_five_thousand_actions_stay_under_the_limit_and_summarize_the_tail():
    gateways = [f"t0-{g:02d}" for g in range(10)]
    actions = tuple(_nat_update(i, gateways[i % 10]) for i in range(5000))
    plan = dataclasses.replace(sample_plan(), actions=actions)
    md = render_markdown(plan)
    assert len(md) < MAX_CHARS
    # head rendered fully: title, summary table and the checks and unmanaged after the changes
    assert "| 0 | 5000 | 0 | 0 | 0 | 2 | 1 | 1 |" in md
    assert "**Plan: 0 to create, 5000 to update, 0 to delete." in md
    assert "### Checks" in md and "### Unmanaged, left alone" in md
    shown = md.count("**`~` update ")
    assert 100 < shown < 5000
    tail = re.search(r"… and (\d+) more changes to (\d+) objects; see the JSON plan", md)
    assert tail is not None
    assert int(tail.group(2)) == 5000 - shown
    assert int(tail.group(1)) == 5000 - shown  # one field changes per object here
    assert f"Not shown: {5000 - shown} to update." in md
    assert md.count("<details") == md.count("</details>")
    _assert_tables_well_formed(md)


def test_huge_unmanaged_and_checks_lists_are_bounded_too():
    unmanaged = tuple(Unmanaged(path=f"/infra/tier-0s/t0/nat/USER/nat-rules/ncp-{i}",
                                kind="PolicyNatRule", reason="created by NCP, protected")
                      for i in range(5000))
    checks = tuple(Check(id=f"c{i}", status="warn", subject=f"server {i}", message="m" * 80)
                   for i in range(3000))
    plan = dataclasses.replace(sample_plan(), unmanaged=unmanaged, checks=checks)
    md = render_markdown(plan)
    assert len(md) < MAX_CHARS
    assert re.search(r"- … and \d+ more unmanaged objects", md)
    assert re.search(r"\d+ more checks; see the JSON plan", md)
    # the changes still get their share of the budget
    assert "`tier0s.vcf-t0.nat_rules.supervisor-egress`" in md


def test_one_enormous_value_is_clipped():
    big = "x" * 100_000
    plan = dataclasses.replace(sample_plan(), actions=(Action(
        address="dns_zones.z", kind="PolicyDnsForwarderZone", path="/infra/dns-forwarder-zones/z",
        action="update", diff=(FieldDiff("description", "", big),)),))
    md = render_markdown(plan)
    assert len(md) < 10_000
    assert "…" in md


def test_the_tail_is_counted_in_group_order_not_plan_order():
    # The planner may order zone deletes before Tier-0 updates; groups show Tier-0s first.
    deletes = tuple(Action(address=f"dns_zones.z{i:04d}", kind="PolicyDnsForwarderZone",
                           path=f"/infra/dns-forwarder-zones/z{i:04d}", action="delete",
                           before={"upstream_servers": ["10.0.0.1"], "tags": [OWNER_TAG]})
                    for i in range(2500))
    updates = tuple(_nat_update(i, "vcf-t0") for i in range(100))
    md = render_markdown(dataclasses.replace(sample_plan(), actions=deletes + updates))
    assert len(md) < MAX_CHARS
    assert md.count("**`~` update ") == 100
    shown_deletes = md.count("**`-` delete ")
    assert f"Not shown: {2500 - shown_deletes} to delete." in md
    assert "> This plan **deletes 2500 objects**" in md
