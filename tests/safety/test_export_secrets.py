"""`nsxplan export` never writes a BGP neighbor's password, even from a manager (the simulator)
that returns it; the rest of the neighbor is kept."""

from __future__ import annotations

import json
from pathlib import Path

from nsxplan.sim import demo_state
from tests.safety.helpers import Lab, gateway

SECRET = "bgp-s3cret-pw"


def test_export_drops_bgp_neighbor_passwords(tmp_path: Path) -> None:
    state = demo_state()
    locale = gateway(state, "Tier0", "vcf-t0")["children"][0]["LocaleServices"]
    locale.setdefault("children", []).append({"resource_type": "ChildBgpRoutingConfig",
        "BgpRoutingConfig": {"resource_type": "BgpRoutingConfig", "id": "bgp",
                             "local_as_num": "65001", "enabled": True, "children": [
            {"resource_type": "ChildBgpNeighborConfig", "BgpNeighborConfig": {
                "resource_type": "BgpNeighborConfig", "id": "upstream",
                "neighbor_address": "10.27.51.1", "remote_as_num": "65000",
                "password": SECRET}}]}})
    lab = Lab(tmp_path, state=state)
    neighbor = "/infra/tier-0s/vcf-t0/locale-services/default/bgp/neighbors/upstream"
    # NSX never returns a neighbor password, and neither does the simulator (it keeps only a
    # fingerprint): the export must not contain it either way.
    assert "password" not in lab.objects()[neighbor]
    out = tmp_path / "export.json"
    res = lab.run("export", "--out", out)
    assert res.code == 0, res.out + res.err
    text = out.read_text()
    assert SECRET not in text and SECRET not in res.out + res.err
    assert '"neighbor_address": "10.27.51.1"' in json.dumps(json.loads(text))
