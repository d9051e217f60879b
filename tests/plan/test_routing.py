"""Tier-0 routing and address management (issue 12): the language, planning, passwords, and
convergence against the simulator for every new kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from nsxplan.apply import apply_plan
from nsxplan.apply.records import APPLIED
from nsxplan.config import load_config
from nsxplan.errors import ConfigError, PlanError
from nsxplan.live.read import read_live
from nsxplan.plan.planner import make_plan
from tests.apply.helpers import FAST, nsx

EC = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
TZ = "/infra/sites/default/enforcement-points/default/transport-zones/vlan-tz"
NB = "/infra/tier-0s/t0-edge/locale-services/default/bgp/neighbors/tor-a"

BGP = f"""\
version: 1
owner: bgp-lab
segments:
  - {{id: vlan105, vlan_ids: [105], transport_zone: {TZ}}}
tier0s:
  - id: t0-edge
    ha_mode: ACTIVE_STANDBY
    edge_cluster: {EC}
    interfaces:
      - {{id: uplink-1, segment: vlan105, edge_node: 0, subnets: [192.168.105.2/24], mtu: 1500}}
      - {{id: uplink-2, segment: vlan105, edge_node: 1, subnets: [192.168.105.3/24]}}
    bgp:
      local_as: 65001
      ecmp: true
      multipath_relax: false
      graceful_restart: GR_AND_HELPER
      neighbors:
        - id: tor-a
          address: 192.168.105.253
          remote_as: "65000"
          source_addresses: [192.168.105.2]
          hold_down_time: 90
          keep_alive_time: 30
          password_env: TOR_A_PW
          bfd: {{enabled: true, interval: 1000}}
    prefix_lists:
      - id: egress-only
        prefixes: [{{network: 172.16.2.0/24, le: 32}}, {{network: ANY, action: DENY}}]
    route_maps:
      - id: tanzu-out
        entries: [{{action: PERMIT, prefix_lists: [egress-only]}}]
    route_redistribution:
      - {{name: tanzu, types: [TIER1_NAT, TIER1_LB_VIP], route_map: tanzu-out}}
      - {{name: connected, types: [TIER1_CONNECTED, TIER0_STATIC]}}
ip_blocks:
  - {{id: k8s-internal, cidr: 10.0.0.0/16, tags: {{ncp/no_snat: pandora, ncp/cluster: pandora}}}}
  - {{id: k8s-external, cidr: 172.16.0.0/16}}
ip_pools:
  - id: k8s-lb
    tags: {{ncp/external: "true"}}
    subnets:
      - {{id: from-block, ip_block: k8s-external, size: 128}}
      - {{id: static, cidr: 172.17.0.0/24, ranges: [172.17.0.10-172.17.0.20], gateway: 172.17.0.1,
         dns_nameservers: [192.168.1.10]}}
"""

VIP = f"""\
version: 1
owner: vip-lab
segments:
  - {{id: vlan2751, vlan_ids: ["2751"], transport_zone: {TZ}}}
tier0s:
  - id: t0-static
    ha_mode: ACTIVE_STANDBY
    edge_cluster: {EC}
    interfaces:
      - {{id: up-a, segment: vlan2751, edge_node: 0, subnets: [10.27.52.2/24]}}
      - {{id: up-b, segment: vlan2751, edge_node: 1, subnets: [10.27.52.3/24]}}
    ha_vip:
      - {{interfaces: [up-a, up-b], subnets: [10.27.52.4/24]}}
    static_routes:
      - {{id: default, network: 0.0.0.0/0, next_hops: [{{ip: 10.27.52.1}}]}}
"""


def write(tmp_path: Path, text: str, name: str = "nsxplan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    return "\n".join(f"{p.source}: {p.message} | {p.hint}" for p in err.value.problems)


def converge(config_path: Path, env: dict[str, str], tmp_path: Path) -> tuple[Any, Any]:
    config = load_config(config_path)
    with nsx() as (sim, client):
        plan = make_plan(config, read_live(client), target="sim", env=env)
        result = apply_plan(plan, client, journal_path=tmp_path / "j.jsonl",
                            read_live=read_live, env=env, **FAST)
        assert result.status == APPLIED, result.lines()
        again = make_plan(config, read_live(client), target="sim", env=env)
        assert [(a.address, a.action, a.diff) for a in again.changes] == []
        return plan, sim


def test_every_routing_kind_converges_and_the_password_reaches_nsx_only(tmp_path: Path) -> None:
    plan, sim = converge(write(tmp_path, BGP), {"TOR_A_PW": "s3cret-tor"}, tmp_path)
    kinds = {a.kind for a in plan.changes}
    assert {"Segment", "Tier0Interface", "BgpRoutingConfig", "BgpNeighborConfig", "PrefixList",
            "Tier0RouteMap",
            "LocaleServices", "IpAddressBlock", "IpAddressPool", "IpAddressPoolBlockSubnet",
            "IpAddressPoolStaticSubnet"} <= kinds
    # sent on create: the simulator holds its fingerprint (never the value, never served)
    import hashlib
    assert sim._store.passwords[NB] == hashlib.sha256(b"s3cret-tor").hexdigest()
    neighbor = sim._store.nodes[NB].obj
    assert "password" not in neighbor
    tags = {t["scope"]: t["tag"] for t in neighbor["tags"]}
    assert tags["nsxplan/password"].startswith("scrypt1:TOR_A_PW:")
    # never in the plan, the journal, or anything written
    from nsxplan.render import render_json, render_markdown, render_text
    for text in (render_json(plan), render_text(plan), render_markdown(plan),
                 (tmp_path / "j.jsonl").read_text()):
        assert "s3cret-tor" not in text
    # the block subnet got its CIDR from the block
    subnet = sim._store.nodes["/infra/ip-pools/k8s-lb/ip-subnets/from-block"].obj
    assert subnet["cidr"] == "172.16.0.0/25"


def test_ha_vip_over_two_uplinks_converges(tmp_path: Path) -> None:
    converge(write(tmp_path, VIP), {}, tmp_path)


def test_password_change_is_planned_without_reading_it_back(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BGP))
    with nsx() as (sim, client):
        env = {"TOR_A_PW": "first"}
        plan = make_plan(config, read_live(client), target="sim", env=env)
        apply_plan(plan, client, journal_path=tmp_path / "j1.jsonl", read_live=read_live,
                   env=env, **FAST)
        same = make_plan(config, read_live(client), target="sim", env=env)
        assert not same.has_changes
        env = {"TOR_A_PW": "second"}
        changed = make_plan(config, read_live(client), target="sim", env=env)
        (action,) = changed.changes
        assert action.address == "tier0s.t0-edge.bgp.neighbors.tor-a"
        assert action.reason == "password changed (from $TOR_A_PW)"
        assert [d.field for d in action.diff] == ["tags"]
        # a saved plan applied after the variable changed again is refused, nothing written
        stale = apply_plan(changed, client, journal_path=tmp_path / "j2.jsonl",
                           read_live=read_live, env={"TOR_A_PW": "third"}, **FAST)
        assert stale.status != APPLIED
        assert "no longer holds the password this plan was made with" in "\n".join(
            stale.lines())
        import hashlib
        assert sim._store.passwords[NB] == hashlib.sha256(b"first").hexdigest()
        done = apply_plan(changed, client, journal_path=tmp_path / "j3.jsonl",
                          read_live=read_live, env=env, **FAST)
        assert done.status == APPLIED
        assert sim._store.passwords[NB] == hashlib.sha256(b"second").hexdigest()
        assert not make_plan(config, read_live(client), target="sim", env=env).has_changes


def test_missing_password_variable_is_a_plan_error_naming_it(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, BGP))
    with nsx() as (_, client), pytest.raises(PlanError) as err:
        make_plan(config, read_live(client), target="sim", env={})
    (problem,) = err.value.problems
    assert problem.message == ("tier0s.t0-edge.bgp.neighbors.tor-a: password_env TOR_A_PW is "
                               "not set")
    assert problem.source is not None and problem.source.line == 18
    too_long = {"TOR_A_PW": "x" * 40}
    with nsx() as (_, client), pytest.raises(PlanError) as err:
        make_plan(config, read_live(client), target="sim", env=too_long)
    assert "NSX accepts at most 32" in err.value.problems[0].message
    assert "x" * 40 not in json.dumps([p.message + str(p.hint) for p in err.value.problems])


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda t: t.replace(f"    edge_cluster: {EC}\n", ""),
     "Tier-0 `t0-edge` sets `interfaces` but no `edge_cluster`"),
    (lambda t: t.replace("address: 192.168.105.253", "address: 10.1.1.1").replace(
        "          source_addresses: [192.168.105.2]\n", ""),
     "BGP neighbor `tor-a`: 10.1.1.1 is on no subnet of this Tier-0's interfaces "
     "(192.168.105.0/24)"),
    (lambda t: t.replace("source_addresses: [192.168.105.2]", "source_addresses: [192.168.105.9]"),
     "BGP neighbor `tor-a`: source address 192.168.105.9 is not an address of this Tier-0's "
     "interfaces"),
    (lambda t: t.replace("keep_alive_time: 30", "keep_alive_time: 90"),
     "BGP neighbor `tor-a`: keep_alive_time 90 must be below hold_down_time 90"),
    (lambda t: t.replace("local_as: 65001", "local_as: 4294967296"),
     "AS 4294967296 is out of range (1..4294967295)"),
    (lambda t: t.replace("subnets: [192.168.105.3/24]", "subnets: [192.168.105.0/24]"),
     "interface `uplink-2`: 192.168.105.0 is the network or broadcast address of "
     "192.168.105.0/24"),
    (lambda t: t.replace("size: 128", "size: 100"),
     "IP pool subnet `from-block`: size 100 is not a power of two"),
    (lambda t: t.replace("172.17.0.10-172.17.0.20", "172.18.0.10-172.18.0.20"),
     "IP pool subnet `static`: range 172.18.0.10-172.18.0.20 is outside 172.17.0.0/24"),
    (lambda t: t.replace("{id: from-block, ip_block: k8s-external, size: 128}",
                         "{id: from-block, ip_block: k8s-external, size: 128, cidr: 1.0.0.0/8}"),
     "IP pool subnet `from-block` must be either a block subnet (ip_block + size) or a static "
     "one (cidr + ranges)"),
    (lambda t: t.replace("- {name: connected,", "- {name: tanzu,"),
     "duplicate redistribution rule name `tanzu`"),
    (lambda t: t.replace("route_map: tanzu-out", "route_map: nope"),
     "redistribution rule `tanzu`: route map `nope` is not declared under this Tier-0's "
     "route_maps"),
    (lambda t: t.replace("prefix_lists: [egress-only]", "prefix_lists: [nope]"),
     "route map `tanzu-out`: prefix list `nope` is not declared under this Tier-0's "
     "prefix_lists"),
    (lambda t: t.replace("network: 172.16.2.0/24, le: 32", "network: 172.16.2.0/24, le: 16"),
     "prefix list `egress-only`: ge/le of 172.16.2.0/24 must satisfy 24 < ge <= le <= 32"),
    (lambda t: t.replace("password_env: TOR_A_PW", "password_env: tor-a-pw"),
     "tier0s.t0-edge.bgp.neighbors.tor-a.password_env: \"tor-a-pw\" is not an environment "
     "variable name"),
])
def test_offline_rules(tmp_path: Path, edit: Any, expected: str) -> None:
    assert expected in problems(tmp_path, edit(BGP))


def test_ha_vip_rules(tmp_path: Path) -> None:
    text = VIP.replace("ha_mode: ACTIVE_STANDBY", "ha_mode: ACTIVE_ACTIVE")
    assert "`ha_vip` needs `ha_mode: ACTIVE_STANDBY`" in problems(tmp_path, text)
    text = VIP.replace("subnets: [10.27.52.4/24]", "subnets: [10.9.9.4/24]")
    assert "ha_vip: 10.9.9.4 is outside the subnets of its interfaces" in problems(tmp_path, text)
    text = VIP.replace("static_routes:", "bgp: {local_as: 65001}\n    static_routes:")
    assert "`ha_vip` cannot be combined with BGP" in problems(tmp_path, text)


def test_existing_tier0_may_declare_its_routing_children_and_adopt_them(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, """\
version: 1
owner: lab
tier0s:
  - id: t0-edge
    existing: true
    adopt: true
    bgp:
      neighbors: [{id: tor-a, address: 192.168.105.253, remote_as: 65000}]
    route_redistribution: [{name: nat, types: [TIER1_NAT]}]
"""))
    t0 = config.tier0s[0]
    assert t0.existing and t0.adopt and t0.bgp is not None and t0.bgp.neighbors[0].adopt
    still = problems(tmp_path, "version: 1\nowner: x\ntier0s:\n  - {id: a, existing: true, "
                               "ha_mode: ACTIVE_STANDBY}\n")
    assert "is `existing: true` and cannot set `ha_mode`" in still


def test_ncp_ip_pools_are_never_touched_and_export_keeps_pool_subnets(tmp_path: Path) -> None:
    from nsxplan.brownfield.export import export_snapshot
    text = ("version: 1\nowner: x\nip_pools:\n  - id: ipp-domain-c8-egress\n"
            "    adopt: true\n    tags: {team: net}\n")
    config = load_config(write(tmp_path, text))
    with nsx() as (_, client):
        with pytest.raises(PlanError) as err:
            make_plan(config, read_live(client), target="sim")
        assert "nsxplan never changes it" in err.value.problems[0].message
        snapshot = json.dumps(export_snapshot(client))
    # the demo's NCP pool and its static subnet, in the H-API wrapper NSX uses
    assert '"ChildIpAddressPoolSubnet"' in snapshot
    assert '"IpAddressPoolStaticSubnet"' in snapshot and '"30.0.0.0/24"' in snapshot


def test_a_password_read_for_a_plan_is_scrubbed_from_crash_logs(tmp_path: Path) -> None:
    from nsxplan.redact import scrub_all
    config = load_config(write(tmp_path, BGP))
    with nsx() as (_, client):
        make_plan(config, read_live(client), target="sim", env={"TOR_A_PW": "crash-me-pw"})
    assert scrub_all("Traceback ... body={'password': 'crash-me-pw'}", env={}) == \
        "Traceback ... body={'password': 'REDACTED'}"


def test_live_rules_neighbor_on_live_uplinks_and_dangling_references(tmp_path: Path) -> None:
    fixture = json.loads((Path(__file__).resolve().parents[1] / "fixtures" /
                          "tanzu-bgp-lab.json").read_text())
    config = load_config(write(tmp_path, """\
version: 1
owner: lab
tier0s:
  - id: t0-edge
    existing: true
    adopt: true
    bgp:
      neighbors:
        - {id: tor-b, address: 10.1.1.1, remote_as: 65000}
    interfaces: []
ip_pools:
  - id: p
    subnets: [{id: s, ip_block: nope, size: 64}]
"""))
    with nsx(fixture) as (_, client), pytest.raises(PlanError) as err:
        make_plan(config, read_live(client), target="sim")
    messages = [p.message for p in err.value.problems]
    assert messages == [
        "BGP neighbor `tor-b` of Tier-0 't0-edge': 10.1.1.1 is on no subnet of its interfaces "
        "(192.168.105.0/24, in NSX), so NSX refuses the session",
        "IP pool subnet `s` of 'p': IP block /infra/ip-blocks/nope does not exist"]
    assert [p.source.line for p in err.value.problems if p.source] == [9, 13]


def test_import_writes_the_tier0_routing_and_it_plans_as_tag_only_adoptions(tmp_path: Path
                                                                             ) -> None:
    import yaml

    from nsxplan.brownfield.importer import import_yaml
    fixture = json.loads((Path(__file__).resolve().parents[1] / "fixtures" /
                          "tanzu-bgp-lab.json").read_text())
    with nsx(fixture) as (_, client):
        ls = "/policy/api/v1/infra/tier-0s/t0-edge/locale-services/default"
        client.http.patch(ls, json={"route_redistribution_config": {"redistribution_rules": [
            {"name": "t1", "route_redistribution_types": ["TIER1_NAT"]}]}}).raise_for_status()
        text = import_yaml(read_live(client), owner="edge", tier0s=["t0-edge"])
        (t0,) = yaml.safe_load(text)["tier0s"]
        assert t0["route_redistribution"] == [{"name": "t1", "types": ["TIER1_NAT"]}]
        assert t0["bgp"]["adopt"] is True
        config = load_config(write(tmp_path, text))
        plan = make_plan(config, read_live(client), target="sim")
    changed = {a.address: {d.field.split(".")[0] for d in a.diff} for a in plan.changes}
    assert changed == {a: {"tags"} for a in (
        "tier0s.t0-edge.locale_services.default", "tier0s.t0-edge.bgp",
        "tier0s.t0-edge.bgp.neighbors.tor-a", "tier0s.t0-edge.interfaces.uplink-edge-01")}
