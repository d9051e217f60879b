"""Every example validates, and stays clear of the objects NCP owns in the demo state."""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan.config import load_config
from nsxplan.connect import connect
from nsxplan.live.read import read_live
from nsxplan.plan.planner import make_plan
from nsxplan.sim import demo_state

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# Configuration examples (examples/ci/ holds CI pipelines, not a configuration).
EXAMPLE_DIRS = sorted(p for p in EXAMPLES.iterdir() if (p / "nsxplan.yaml").is_file())
NCP_TIER1S = {"domain-c8", "vnet-domain-c8"}


def demo_values(key: str) -> set[str]:
    """Every value of `key` anywhere in the simulator's demo snapshot."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if isinstance(node.get(key), str):
                found.add(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(demo_state())
    return found


def test_the_three_required_examples_exist() -> None:
    names = {p.name for p in EXAMPLE_DIRS}
    assert {"static-routing-lab", "tanzu-nat", "dns-forwarder"} <= names


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_example_validates(example: Path) -> None:
    config = load_config(example)
    assert config.files and config.digest
    assert (example / "README.md").is_file()
    assert not NCP_TIER1S & {t.id for t in config.tier1s}
    assert not {f"/infra/tier-1s/{t}" for t in NCP_TIER1S} & {t.path for t in config.tier1s}


@pytest.mark.parametrize("example", EXAMPLE_DIRS, ids=lambda p: p.name)
def test_example_plans_against_the_demo_state(example: Path) -> None:
    config = load_config(example)
    assert {t.id for t in config.tier0s if t.existing} <= demo_values("id")
    assert {t.edge_cluster for t in config.tier1s if t.edge_cluster} <= demo_values(
        "edge_cluster_path")
    connection = connect("sim")
    try:
        plan = make_plan(config, read_live(connection.client), target="sim")
    finally:
        connection.close()
    assert plan.has_changes
    touched = {a.path for a in plan.actions if a.action != "no-op"}
    assert not {p for p in touched for t in NCP_TIER1S if p.startswith(f"/infra/tier-1s/{t}")}


def test_static_routing_lab_is_the_documented_example() -> None:
    config = load_config(EXAMPLES / "static-routing-lab")
    t0 = config.tier0s[0]
    assert (t0.id, t0.existing) == ("vcf-t0", True)
    assert [(r.action, r.source_network, r.translated_network) for r in t0.nat_rules] == [
        ("REFLEXIVE", "30.0.0.5", "10.27.51.145"), ("REFLEXIVE", "30.0.0.16", "10.27.51.147")]
    assert config.target.manager == f"sim:{EXAMPLES / 'static-routing-lab' / 'lab.json'}"
    assert (EXAMPLES / "static-routing-lab" / ".gitignore").read_text().split() == ["lab.json"]


def test_tanzu_nat_rules() -> None:
    t1 = load_config(EXAMPLES / "tanzu-nat").tier1s[0]
    assert [(r.action, r.source_network, r.destination_network, r.translated_network)
            for r in t1.nat_rules] == [
        ("NO_SNAT", "10.244.0.0/20", "10.244.0.0/20", None),
        ("NO_SNAT", "10.244.0.0/20", "172.16.2.0/24", None),
        ("SNAT", None, None, "172.16.2.1"),
    ]
    assert t1.tier0_path == "/infra/tier-0s/vcf-t0"


def test_dns_forwarder_zones_are_resolved() -> None:
    config = load_config(EXAMPLES / "dns-forwarder")
    forwarder = config.tier1s[0].dns_forwarder
    assert forwarder is not None
    assert forwarder.default_zone.id == "corp-dns" and not forwarder.default_zone.is_conditional
    assert [z.domains for z in forwarder.conditional_zones] == [("rainpole.com",)]
    assert config.tier1s[0].tier0 is config.tier0s[0]
