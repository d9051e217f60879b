"""What the simulator answers nsxplan itself, checked against NSX's model (tests/nsx_schemas).

test_schema_conformance.py drives every endpoint by hand; here nsxplan's own commands drive it
(apply, plan, verify and a removal of the routing lab and of the NCP prerequisites), so every
body nsxplan reads for the Tier-0 routing kinds (interfaces, BGP, neighbors, redistribution,
prefix lists, route maps, VLAN segments, IP blocks, pools and their subnets) and for the runtime
views of `nsxplan verify` is validated, whatever requests nsxplan happens to make.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from schema_check import Recorder, problems

import nsxplan.connect
from nsxplan.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> list[Recorder]:
    """Every in-process simulator nsxplan connects to answers through a Recorder."""
    seen: list[Recorder] = []
    base = nsxplan.connect._SimTransport

    class Recording(base):  # type: ignore[misc, valid-type]
        def __init__(self, app: Any, **kw: Any) -> None:
            seen.append(Recorder(app))
            super().__init__(app=seen[-1], **kw)

    monkeypatch.setattr(nsxplan.connect, "_SimTransport", Recording)
    return seen


def _example(tmp_path: Path, name: str) -> Path:
    lab = tmp_path / name
    shutil.copytree(ROOT / "examples" / name, lab,
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    return lab


def _paths(recorders: list[Recorder]) -> set[str]:
    return {x.path for r in recorders for x in r.exchanges}


def test_bgp_lab_apply_verify_and_removal_bodies_match_nsx_model(
        tmp_path: Path, recorder: list[Recorder], capsys: pytest.CaptureFixture[str]) -> None:
    lab = _example(tmp_path, "bgp-lab")
    assert main(["apply", str(lab), "--auto-approve"]) == 0
    assert main(["plan", str(lab)]) == 0
    assert main(["verify", str(lab)]) == 0
    config = lab / "nsxplan.yaml"
    text = config.read_text()
    start = text.index("      neighbors:")
    end = text.index("    route_redistribution:")
    config.write_text(text[:start] + text[end:])  # drop the neighbor: a DELETE nsxplan issues
    assert main(["apply", str(lab), "--auto-approve", "--fail-on-checks", "never"]) == 0
    capsys.readouterr()
    seen = _paths(recorder)
    for piece in ("/bgp/neighbors/status", "/routing-table", "/bgp/neighbors/tor-a",
                  "/interfaces/", "/segments/"):
        assert any(piece in p for p in seen), piece
    found = problems(x for r in recorder for x in r.exchanges)
    assert not found, "\n".join(found)


def test_ncp_prerequisites_bodies_match_nsx_model(
        tmp_path: Path, recorder: list[Recorder], capsys: pytest.CaptureFixture[str]) -> None:
    lab = _example(tmp_path, "ncp-prerequisites")
    assert main(["apply", str(lab), "--auto-approve"]) == 0
    assert main(["plan", str(lab)]) == 0
    config = lab / "nsxplan.yaml"
    text = config.read_text()
    config.write_text(text[:text.index("ip_pools:")])  # the pool and its subnet go
    assert main(["apply", str(lab), "--auto-approve", "--fail-on-checks", "never"]) == 0
    capsys.readouterr()
    seen = _paths(recorder)
    assert any("/ip-blocks" in p for p in seen)
    deleted = {x.path for r in recorder for x in r.exchanges if x.method == "DELETE"}
    assert "/policy/api/v1/infra/ip-pools/k8s-1-loadbalancer/ip-subnets/lb-128" in deleted
    found = problems(x for r in recorder for x in r.exchanges)
    assert not found, "\n".join(found)
