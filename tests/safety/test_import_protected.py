"""`nsxplan import` never turns NCP's objects into an adoptable configuration: an NCP Tier-1 that
reads NOT_PROTECTED (created by NCP's principal identity, tagged ncp/cluster) is refused like a
REQUIRE_OVERRIDE one, and NCP children under an importable gateway are skipped."""

from __future__ import annotations

from pathlib import Path

from tests.safety.helpers import NCP_TAGS, PI, Lab, gateway, hostile_state, route


def test_import_refuses_an_ncp_gateway_that_reads_not_protected(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    out = tmp_path / "imported.yaml"
    res = lab.run("import", "--tier1", "ncp-open", "--owner", "grab", "--out", out)
    assert res.code == 1, res.out + res.err
    assert "'ncp-open' is protected" in res.err and "Traceback" not in res.err
    assert not out.exists()


def test_import_skips_ncp_children_of_an_admin_gateway(tmp_path: Path) -> None:
    state = hostile_state()
    gateway(state, "Tier0", "vcf-t0")["children"].append(
        route("ncp-made", "192.168.83.0/24", _create_user=PI, tags=NCP_TAGS))
    lab = Lab(tmp_path, state=state)
    out = tmp_path / "imported.yaml"
    res = lab.run("import", "--tier0", "vcf-t0", "--owner", "grab", "--out", out)
    assert res.code == 0, res.out + res.err
    text = out.read_text()
    assert "id: admin-route" in text and "id: ncp-made" not in text
    assert "Not imported" in text and "static-routes/ncp-made" in text
