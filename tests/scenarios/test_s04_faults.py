"""Scenario 4: fault-injected applies end fully applied or exactly restored.

The change (v1 -> v2) mixes creates, updates and deletes on the Tier-0 and on nsxplan's own
Tier-1s, so a failure at any point leaves something to undo of every kind. Each case serves the v1
state with `--faults` and applies v2 once. Allowed endings:

- exit 0, and the next plan is empty (the fault was retried away, or never fired);
- exit 1, and `nsxplan export` equals the pre-apply export.

What the export comparison ignores, and why: a restore re-creates what was deleted and writes back
what was updated, so NSX hands out a new `_revision`, new `_create_time`/`_last_modified_time`,
`_last_modified_user` and new `unique_id`/`realization_id` (all server-assigned, never
user-settable). The order of children in the tree is ignored too: H-API children are identified
by path, not position. Everything else - every configured field, tags, `_create_user`,
`_protection`, the set of objects - must match exactly.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.conftest import Sim, comparable, export, nsxplan, write_config

V1 = """\
version: 1
owner: faults
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.1}]
      - id: lab-route
        network: 192.168.50.0/24
        next_hops: [{ip: 10.27.51.2}]
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
tier1s:
  - id: apps-t1
    tier0: vcf-t0
    description: apps v1
    static_routes:
      - id: legacy
        network: 192.168.60.0/24
        next_hops: [{ip: 10.96.0.1}]
"""
V2 = """\
version: 1
owner: faults
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.254, admin_distance: 2}]
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
      - id: tkg-egress
        action: REFLEXIVE
        source: 30.0.0.16
        translated: 10.27.51.147
tier1s:
  - id: apps-t1
    tier0: vcf-t0
    description: apps v2
    static_routes:
      - id: new-route
        network: 192.168.70.0/24
        next_hops: [{ip: 10.96.0.1}]
  - id: web-t1
    tier0: vcf-t0
    static_routes:
      - id: web-default
        network: 0.0.0.0/0
        next_hops: [{ip: 10.97.0.1}]
"""
# v1 -> v2: 4 creates + 2 updates (PATCH each), 2 deletes.
PATCHES, DELETES = 6, 2


def fault(method: str, k: int, status: int = 500) -> list[dict[str, Any]]:
    """Answer the k-th `method` request (1-based) with an NSX ApiError, once."""
    return [{"match": {"method": method}, "after": k - 1, "times": 1,
             "respond": {"status": status, "error_code": 99, "message": "injected fault"}}]


CASES: dict[str, list[dict[str, Any]]] = {
    **{f"500-on-patch-{k}": fault("PATCH", k) for k in range(1, PATCHES + 1)},
    **{f"500-on-delete-{k}": fault("DELETE", k) for k in range(1, DELETES + 1)},
    "realization-error": [{"match": {"method": "PATCH", "path": "*/tier-1s/web-t1"},
                           "realization": "ERROR", "times": 1}],
    "drop-connection-on-patch-3": [{"match": {"method": "PATCH"}, "after": 2, "times": 1,
                                    "drop_connection": True}],
    "drop-connection-on-delete": [{"match": {"method": "DELETE"}, "times": 1,
                                   "drop_connection": True}],
    "429-storm": [{"rate": 0.3, "seed": 11,
                   "respond": {"status": 429, "error_code": "102",
                               "message": "Client API rate limit exceeded",
                               "headers": {"Retry-After": "0"}}}],
}


@pytest.fixture(scope="module")
def v1_state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The simulator state after applying v1 to the demo state (through `sim:FILE`)."""
    base = tmp_path_factory.mktemp("faults-base")
    config = write_config(base / "v1", V1)
    state = base / "v1-state.json"
    res = nsxplan("apply", config, "--manager", f"sim:{state}", "--auto-approve",
                  "--fail-on-checks", "never")
    assert res.code == 0, res.out + res.err
    yield state


def canonical(tree: Any) -> Any:
    """`comparable`, with children sorted by path segment (see the module docstring)."""
    if isinstance(tree, dict):
        out = {k: canonical(v) for k, v in comparable(tree).items()}
        if isinstance(out.get("children"), list):
            out["children"] = sorted(out["children"], key=lambda c: json.dumps(c, sort_keys=True))
        return out
    if isinstance(tree, list):
        return [canonical(v) for v in tree]
    return tree


@pytest.mark.parametrize("case", list(CASES))
def test_fault_ends_applied_or_exactly_restored(
        case: str, v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps(CASES[case]))
    sim = sims("--state", str(state), "--faults", str(faults))
    config = write_config(tmp_path / "v2", V2)
    before = export(sim, tmp_path / "before.json")

    res = nsxplan("apply", config, "--manager", sim.url, "--auto-approve",
                  "--journal", tmp_path / "journal.jsonl", sim=sim)
    text = res.out + res.err
    assert "Traceback" not in text and "internal error" not in text, text
    assert res.code in (0, 1), text
    if res.code == 0:
        again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode", sim=sim)
        assert again.code == 0, f"apply said 0 but the plan is not empty:\n{again.out}{again.err}"
    else:
        after = export(sim, tmp_path / "after.json")
        assert canonical(after) == canonical(before), f"not restored after:\n{text}"
        assert "roll" in text.lower(), text
    if case.startswith("500-"):
        # NSX answered 500 without processing the write: not retried, so this must fail and
        # the operator must be told what NSX said.
        assert res.code == 1 and "injected fault" in text, text
    if case == "realization-error":
        assert res.code == 1 and "ERROR" in text, text
