"""Removing a field or a tag from the YAML plans its removal (issue 11).

Before: dropping `failover_mode` or a tag showed no change (the tag became "foreign"). Now the
record tag `nsxplan/managed` says what nsxplan set; what it set and the YAML no longer says goes
back to NSX's default, while tags and fields nsxplan never set (ncp/..., a colleague's) stay.
"""

from __future__ import annotations

from pathlib import Path

from tests.semantics.helpers import EGRESS, NAT, Lab, changes, config

T1 = """\
tier1s:
  - id: apps
    tier0: /infra/tier-0s/vcf-t0
    failover_mode: PREEMPTIVE
    description: apps gateway
    tags: {team: apps, env: prod}
"""
T1_REMOVED = """\
tier1s:
  - id: apps
    tier0: /infra/tier-0s/vcf-t0
    tags: {env: prod}
"""


def _tags(obj: dict) -> dict[str, str]:
    return {t["scope"]: t["tag"] for t in obj.get("tags", [])}


def test_removed_field_and_tag_are_planned_back_and_foreign_tags_stay(
        lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, T1))
    # Someone else tags the gateway (NCP discovery, another tool): never nsxplan's to remove.
    live = lab.get("/infra/tier-1s/apps")
    lab.patch("/infra/tier-1s/apps", {"tags": [*live["tags"], {"scope": "ncp/cluster",
                                                                "tag": "c1"},
                                               {"scope": "backup", "tag": "daily"}]})
    removed = config(tmp_path, T1_REMOVED, "v2.yaml")
    p = lab.plan(removed)
    (action,) = p.changes
    assert action.action == "update"
    assert "removed from the configuration: description, failover_mode, tag team" in action.reason
    fields = {d.field: (d.before, d.after) for d in action.diff}
    assert fields["failover_mode"] == ("PREEMPTIVE", "NON_PREEMPTIVE")
    assert fields["description"] == ("apps gateway", None)
    before_tags = {t["scope"] for t in fields["tags"][0]}
    after_tags = {t["scope"] for t in fields["tags"][1]}
    assert "team" in before_tags and "team" not in after_tags
    assert "ncp/cluster" not in before_tags     # foreign tags are not even shown
    lab.apply(removed)
    tags = _tags(lab.get("/infra/tier-1s/apps"))
    assert tags["ncp/cluster"] == "c1" and tags["backup"] == "daily"
    assert "team" not in tags and tags["env"] == "prod"
    assert lab.get("/infra/tier-1s/apps")["failover_mode"] == "NON_PREEMPTIVE"
    assert not lab.plan(removed).has_changes, "apply then plan must be empty"


def test_fields_nsxplan_never_set_are_left_alone(lab: Lab, tmp_path: Path) -> None:
    cfg = config(tmp_path, T1_REMOVED)
    lab.apply(cfg)
    lab.patch("/infra/tier-1s/apps", {"description": "set in the UI",
                                      "failover_mode": "PREEMPTIVE"})
    assert not lab.plan(cfg).has_changes


def test_removed_sequence_and_nat_tag(lab: Lab, tmp_path: Path) -> None:
    with_seq = EGRESS.replace("        translated: 10.27.51.147\n",
                              "        translated: 10.27.51.147\n        sequence: 200\n"
                              "        tags: {ticket: CHG-1}\n")
    lab.apply(config(tmp_path, with_seq))
    assert lab.get(f"{NAT}/tkg-egress")["sequence_number"] == 200
    plain = config(tmp_path, EGRESS, "v2.yaml")
    p = lab.plan(plain)
    rule = changes(p)["tier0s.vcf-t0.nat_rules.tkg-egress"]
    assert ("sequence_number", 200, 0) in rule[1]
    lab.apply(plain)
    assert "ticket" not in _tags(lab.get(f"{NAT}/tkg-egress"))
    assert not lab.plan(plain).has_changes


def test_object_without_a_record_is_not_changed_just_to_record(lab: Lab, tmp_path: Path) -> None:
    """Objects written before the record existed stay in sync; they get it with a change."""
    cfg = config(tmp_path, T1)
    lab.apply(cfg)
    live = lab.get("/infra/tier-1s/apps")
    lab.patch("/infra/tier-1s/apps", {"tags": [t for t in live["tags"]
                                               if t["scope"] != "nsxplan/managed"]})
    assert not lab.plan(cfg).has_changes


def test_tag_scopes_longer_than_the_record_fail_validation(tmp_path: Path) -> None:
    import pytest

    from nsxplan.errors import ConfigError

    scopes = "".join(f"          cost-center-scope-{i:02d}: x\n" for i in range(20))
    body = ("tier0s:\n  - id: vcf-t0\n    existing: true\n    static_routes:\n"
            "      - id: r\n        network: 10.0.0.0/8\n        next_hops: [{ip: 10.27.51.1}]\n"
            "        tags:\n" + scopes)
    with pytest.raises(ConfigError) as exc:
        config(tmp_path, body)
    assert ":11:11: these tag scopes make nsxplan's record tag (nsxplan/managed) 524 " \
           "characters long; NSX allows 256" in exc.value.format()
    # Eight of them fit.
    short = body.replace(scopes, "".join(scopes.splitlines(keepends=True)[:8]))
    assert len(config(tmp_path, short, "short.yaml").tier0s[0].static_routes[0].tags) == 8


def test_removed_bgp_neighbor_settings_go_back_to_nsx_defaults(tmp_path: Path) -> None:
    """The record covers the routing kinds too: timers and BFD left out after being set
    return to NSX's defaults (hold-down 180 s, keep-alive 60 s, BFD off)."""
    from nsxplan.apply import apply_plan
    from nsxplan.config import load_config
    from nsxplan.live.read import read_live
    from nsxplan.plan.planner import make_plan
    from tests.apply.helpers import FAST, nsx
    from tests.plan.test_routing import BGP, NB

    env = {"TOR_A_PW": "pw"}
    first = tmp_path / "v1.yaml"
    first.write_text(BGP)
    second = tmp_path / "v2.yaml"
    second.write_text(BGP.replace("          hold_down_time: 90\n", "").replace(
        "          keep_alive_time: 30\n", "").replace(
        "          bfd: {enabled: true, interval: 1000}\n", ""))
    with nsx() as (sim, client):
        for path in (first, second):
            config = load_config(path)
            plan = make_plan(config, read_live(client), target="sim", env=env)
            if path is second:
                (action,) = plan.changes
                assert action.reason == ("removed from the configuration: bfd, hold_down_time, "
                                         "keep_alive_time")
                after = {d.field: d.after for d in action.diff}
                assert (after["bfd.enabled"], after["hold_down_time"],
                        after["keep_alive_time"]) == (False, 180, 60)
            apply_plan(plan, client, journal_path=tmp_path / f"{path.stem}.jsonl",
                       read_live=read_live, env=env, **FAST)
        neighbor = sim._store.nodes[NB].obj
        assert (neighbor["hold_down_time"], neighbor["keep_alive_time"]) == (180, 60)
        again = make_plan(load_config(second), read_live(client), target="sim", env=env)
        assert not again.has_changes, "apply then plan must be empty"
