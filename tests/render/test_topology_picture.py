"""`nsxplan graph`: the topology around a configuration with its plan, for every example.

Graphviz is optional: where `dot` is installed the pictures are rendered to SVG and PNG, where it
is not the one-line error is checked instead; the DOT text is checked either way.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest

from nsxplan.cli import main
from nsxplan.plan.model import CREATE, Action, Plan
from nsxplan.render.dot import picture_to_dot
from nsxplan.render.topology import MAX_FOREIGN_TIER1S, build_picture

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "examples").iterdir() if (p / "nsxplan.yaml").is_file())
NCP_USER = "wcp-cluster-user-domain-c8-4f2b9c1e"


def node_line(dot: str, node_id: str) -> str:
    (line,) = [ln for ln in dot.splitlines() if ln.startswith(f'  "{node_id}" [')]
    return line


def graph(capsys: pytest.CaptureFixture[str], *argv: str, code: int = 0) -> tuple[str, str]:
    assert main(["graph", *argv]) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return out, err


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_every_example_draws_its_topology(example: Path, capsys: pytest.CaptureFixture[str],
                                          tmp_path: Path) -> None:
    dot, _ = graph(capsys, str(example), "--manager", "sim")
    assert dot.startswith("digraph nsxplan {") and dot.rstrip().endswith("}")
    # VCF's Tier-0 is drawn as existing (where the example declares it so), NCP's Tier-1s (the
    # demo state's) as protected, each attached to the Tier-0 by its uplink.
    if "id: vcf-t0" in (example / "nsxplan.yaml").read_text():
        assert "existing" in node_line(dot, "/infra/tier-0s/vcf-t0")
    for t1 in ("domain-c8", "vnet-domain-c8"):
        line = node_line(dot, f"/infra/tier-1s/{t1}")
        assert "dashed" in line and "NCP / protected" in line
        assert f'"/infra/tier-0s/vcf-t0" -> "/infra/tier-1s/{t1}" [penwidth=2];' in dot
    if example.name == "bgp-lab":      # routing is written into the Tier-0's label
        t0 = node_line(dot, "tier0s.t0-edge")
        for fact in ("BGP AS 65001", "uplink 192.168.105.2/24",
                     "redistributes TIER1_CONNECTED, TIER1_LB_VIP, TIER1_NAT"):
            assert fact in t0, fact
    if example.name == "ncp-prerequisites":     # NCP's discovery tags, the pool's block
        assert "ncp/cluster=pandora" in node_line(dot, "tier0s.k8s-t0")
        assert "ncp/external=true" in node_line(dot, "ip_pools.k8s-1-loadbalancer")
        assert ('"ip_blocks.k8s-1-external" -> "ip_pools.k8s-1-loadbalancer" [style=dashed, '
                'label="carved from"') in dot
    # Every object the example declares is a node, coloured as a create.
    assert main(["plan", str(example), "--manager", "sim", "--format", "json"]) == 0
    changes = json.loads(capsys.readouterr().out)["changes"]
    # The picture is about gateways and their rules: the Tier-0's uplinks, BGP config, VLAN
    # segments and IP pools (examples/bgp-lab) are not nodes of it.
    not_drawn = ("LocaleServices", "Tier0Interface", "BgpRoutingConfig", "Segment",
                 "IpAddressBlock", "IpAddressPool", "IpAddressPoolBlockSubnet",
                 "IpAddressPoolStaticSubnet")
    drawn = [c for c in changes if c["kind"] not in not_drawn]
    assert drawn
    for change in drawn:
        assert 'color="darkgreen"' in node_line(dot, change["address"])

    png = tmp_path / f"{example.name}.png"
    if shutil.which("dot"):
        _, err = graph(capsys, str(example), "--manager", "sim", "--out", str(png))
        assert png.read_bytes().startswith(b"\x89PNG") and f"written to {png}" in err
        svg, _ = graph(capsys, str(example), "--manager", "sim", "--format", "svg")
        assert "<svg" in svg and "Tier-0 vcf-t0" in html.unescape(svg)
    else:
        _, err = graph(capsys, str(example), "--manager", "sim", "--out", str(png), code=1)
        assert err.splitlines()[0] == "error: --format png needs Graphviz's `dot` on PATH" \
            or "Graphviz" in err.splitlines()[0]
        assert err.splitlines()[1].startswith("  hint: install Graphviz")
        assert not png.exists()


def test_failing_checks_are_marked_on_the_object(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Without its REFLEXIVE rules the static-routing lab fails the egress check of both NCP
    Tier-1s and the DNS server's return route: each mark sits on the object it concerns."""
    config = (ROOT / "examples" / "static-routing-lab" / "nsxplan.yaml").read_text()
    cut = re.sub(r"    nat_rules:\n(?:      .*\n|        .*\n)+", "", config)
    assert "action: REFLEXIVE" not in cut
    (tmp_path / "nsxplan.yaml").write_text(cut)
    dot, _ = graph(capsys, str(tmp_path), "--manager", "sim")
    for t1 in ("domain-c8", "vnet-domain-c8"):
        line = node_line(dot, f"/infra/tier-1s/{t1}")
        assert "fail: egress.tier0-nat" in line and "peripheries=2" in line
        assert "SNAT egress 30.0.0." in line
    assert "fail: dns.return-route" in node_line(dot, "dns:10.27.51.10")
    assert '"egress:30.0.0.0/24" -> "dns:10.27.51.10"' in dot


def test_saved_plan_draws_without_nsx(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    lab = ROOT / "examples" / "tanzu-nat"
    plan_file = tmp_path / "plan.json"
    assert main(["plan", str(lab), "--manager", "sim", "--out", str(plan_file)]) == 0
    capsys.readouterr()
    monkeypatch.setenv("NSX_MANAGER", "https://nsx.invalid")     # never contacted
    dot, _ = graph(capsys, str(plan_file))
    assert "existing" in node_line(dot, "/infra/tier-0s/vcf-t0")
    assert "+ Tier-1 tanzu-t1" in node_line(dot, "tier1s.tanzu-t1")
    assert '"/infra/tier-0s/vcf-t0" -> "tier1s.tanzu-t1" [penwidth=2];' in dot


def test_hundreds_of_ncp_tier1s_fold_into_one_node() -> None:
    t0 = "/infra/tier-0s/t0"
    live = {t0: {"resource_type": "Tier0", "path": t0, "_create_user": "admin"}}
    for n in range(MAX_FOREIGN_TIER1S + 12):
        path = f"/infra/tier-1s/ns-{n:03}"
        live[path] = {"resource_type": "Tier1", "path": path, "tier0_path": t0,
                      "_create_user": NCP_USER, "_protection": "REQUIRE_OVERRIDE",
                      "tags": [{"scope": "ncp/cluster", "tag": "c8"}]}
    route = Action(address="tier0s.t0.static_routes.r", kind="StaticRoutes",
                   path=f"{t0}/static-routes/r", action=CREATE,
                   after={"resource_type": "StaticRoutes", "network": "0.0.0.0/0",
                          "next_hops": [{"ip_address": "10.0.0.1"}]})
    plan = Plan(target="sim", owner="edge", config_digest="x", created_at="t",
                nsxplan_version="0", actions=(route,))
    picture = build_picture(plan, live)
    tier1s = [n for n in picture.nodes.values() if n.kind == "Tier1"]
    assert len(tier1s) == MAX_FOREIGN_TIER1S
    folded = picture.nodes[f"folded:{t0}"]
    assert folded.title == "12 more Tier-1s" and folded.ownership == "ncp"
    dot = picture_to_dot(picture)
    assert f'"{t0}" -> "folded:{t0}" [penwidth=2];' in dot
    assert "existing" in node_line(dot, t0)


def test_the_bgp_lab_picture(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The BGP lab's state (field report tanzu-bgp-traceroute): the Tier-0's AS, uplink and
    neighbor, NCP's namespace Tier-1s with their SNAT egress, a route the configuration adds."""
    state = tmp_path / "bgp.json"
    shutil.copy(ROOT / "tests" / "fixtures" / "tanzu-bgp-lab.json", state)
    (tmp_path / "nsxplan.yaml").write_text(
        "version: 1\nowner: bgp-lab\ntier0s:\n  - id: t0-edge\n    existing: true\n"
        "    static_routes:\n      - {id: mgmt, network: 192.168.10.0/24,"
        " next_hops: [{ip: 192.168.105.253}]}\n")
    dot, _ = graph(capsys, str(tmp_path), "--manager", f"sim:{state}")
    t0 = node_line(dot, "/infra/tier-0s/t0-edge")
    assert "existing" in t0 and "BGP AS 65001" in t0 and "uplink 192.168.105.2/24" in t0
    (neighbor,) = [ln for ln in dot.splitlines() if "BGP neighbor" in ln]
    assert "192.168.105.253 AS 65000" in neighbor and "unmanaged" in neighbor
    ncp = [ln for ln in dot.splitlines() if "NCP / protected" in ln and "Tier-1" in ln]
    assert len(ncp) == 2 and any("SNAT egress 172.16.2.1" in ln for ln in ncp)
    assert 'color="darkgreen"' in node_line(dot, "tier0s.t0-edge.static_routes.mgmt")
