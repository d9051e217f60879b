"""Scenario 4: fault-injected applies end fully applied or exactly restored.

The change (v1 -> v2) mixes creates, updates and deletes on the Tier-0 and on nsxplan's own
Tier-1s, so a failure at any point leaves something to undo of every kind. Each case serves the v1
state with `--faults` and applies v2 once. Allowed endings:

- exit 0, and the next plan is empty (the fault was retried away, or never fired);
- exit 1, and `nsxplan export` equals the pre-apply export.

What the export comparison ignores, and why: see `conftest.comparable` (server-assigned
revisions, timestamps and ids; the order of H-API children).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.scenarios.conftest import Sim, comparable, export, nsxplan, write_config
from tests.scenarios.helpers import DNS_V1, DNS_V2, V2

# v1 -> v2: 4 creates (a PUT each), 2 updates (a PATCH each), 2 deletes.
PUTS, PATCHES, DELETES = 4, 2, 2


def fault(method: str, k: int, status: int = 500) -> list[dict[str, Any]]:
    """Answer the k-th `method` request (1-based) with an NSX ApiError, once."""
    return [{"match": {"method": method}, "after": k - 1, "times": 1,
             "respond": {"status": status, "error_code": 99, "message": "injected fault"}}]


CASES: dict[str, list[dict[str, Any]]] = {
    **{f"500-on-put-{k}": fault("PUT", k) for k in range(1, PUTS + 1)},
    **{f"500-on-patch-{k}": fault("PATCH", k) for k in range(1, PATCHES + 1)},
    **{f"500-on-delete-{k}": fault("DELETE", k) for k in range(1, DELETES + 1)},
    "realization-error": [{"match": {"path": "*/tier-1s/web-t1"},     # its create
                           "realization": "ERROR", "times": 1}],
    "drop-connection-on-put-3": [{"match": {"method": "PUT"}, "after": 2, "times": 1,
                                  "drop_connection": True}],
    "drop-connection-on-delete": [{"match": {"method": "DELETE"}, "times": 1,
                                   "drop_connection": True}],
    "429-storm": [{"rate": 0.3, "seed": 11,
                   "respond": {"status": 429, "error_code": "102",
                               "message": "Client API rate limit exceeded",
                               "headers": {"Retry-After": "0"}}}],
}


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
        assert comparable(after) == comparable(before), f"not restored after:\n{text}"
        assert "roll" in text.lower(), text
    if case.startswith("500-"):
        # NSX answered 500 without processing the write: not retried, so this must fail and
        # the operator must be told what NSX said.
        assert res.code == 1 and "injected fault" in text, text
    if case == "realization-error":
        assert res.code == 1 and "ERROR" in text, text


def test_failed_rollback_is_reported_and_finished_by_rollback_command(
        sims: Callable[..., Sim], lab: Path, tmp_path: Path) -> None:
    """The apply fails at its 3rd write and the undo of one created object fails too: exit 1 and
    a report of what is left; `nsxplan rollback JOURNAL` then finishes the job."""
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps(fault("PUT", 3) + [        # creates are PUTs
        {"match": {"method": "DELETE"}, "times": 1,
         "respond": {"status": 500, "error_code": 98, "message": "injected undo fault"}}]))
    sim = sims("--faults", str(faults))
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    res = nsxplan("apply", lab, "--manager", sim.url, "--auto-approve", "--parallelism", "1",
                  "--journal", journal, sim=sim)
    text = res.out + res.err
    assert res.code == 1, text
    assert "injected fault" in text and "INCOMPLETE" in text.upper(), text
    assert comparable(export(sim, tmp_path / "mid.json")) != comparable(before)

    for _ in range(2):  # the second run finds nothing left to do
        done = nsxplan("rollback", journal, sim=sim)
        assert done.code == 0, done.out + done.err
        assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)


def test_nsx_request_limits_and_slow_realization_converge(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """NSX's own limits rather than injected faults: a low API rate limit (429), one request in
    flight per client (503) and objects that take a while to realize."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--rate-limit", "10", "--concurrency-limit", "1",
               "--realization-delay", "0.2", "-v")
    config = write_config(tmp_path / "v2", V2)
    res = nsxplan("apply", config, "--manager", sim.url, "--auto-approve", sim=sim)
    assert res.code == 0, res.out + res.err
    again = nsxplan("plan", config, "--manager", sim.url, "--detailed-exitcode", sim=sim)
    assert again.code == 0, again.out + again.err
    log = sim.stderr_path.read_text()  # -v: one line per request, with its status
    assert '" 503 ' in log or '" 429 ' in log, "the limits were never hit"


def test_no_rollback_leaves_it_and_says_how_to_restore(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps(fault("PUT", 3)))
    sim = sims("--state", str(state), "--faults", str(faults))
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    res = nsxplan("apply", write_config(tmp_path / "v2", V2), "--manager", sim.url,
                  "--auto-approve", "--no-rollback", "--journal", journal, sim=sim)
    text = res.out + res.err
    assert res.code == 1 and "injected fault" in text, text
    assert f"nsxplan rollback {journal}" in text, text
    assert comparable(export(sim, tmp_path / "left.json")) != comparable(before)
    done = nsxplan("rollback", journal, sim=sim)
    assert done.code == 0, done.out + done.err
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)


DNS_FAULTS = {
    "500-on-forwarder-update": [{"match": {"method": "PATCH", "path": "*/dns-forwarder"},
                                 "times": 1, "respond": {"status": 500, "message": "injected"}}],
    **{f"500-on-zone-delete-{k}": fault("DELETE", k) for k in (1, 2)},
}


@pytest.mark.parametrize("case", list(DNS_FAULTS))
def test_dns_zone_swap_fault_is_restored(case: str, sims: Callable[..., Sim],
                                         tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    res = nsxplan("apply", write_config(tmp_path / "v1", DNS_V1), "--manager", f"sim:{state}",
                  "--auto-approve")
    assert res.code == 0, res.out + res.err
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps(DNS_FAULTS[case]))
    sim = sims("--state", str(state), "--faults", str(faults))
    before = export(sim, tmp_path / "before.json")
    res = nsxplan("apply", write_config(tmp_path / "v2", DNS_V2), "--manager", sim.url,
                  "--auto-approve", "--parallelism", "8", sim=sim)
    text = res.out + res.err
    assert res.code == 1 and "injected" in text and "Rolled back" in text, text
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before), text


def test_realization_timeout_is_a_failure_and_restored(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """An object that never realizes (UNREALIZED forever) fails its step after
    --realization-timeout, and everything is put back."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    faults = tmp_path / "faults.json"
    faults.write_text(json.dumps([{"match": {"method": "PATCH", "path": "*/static-routes/*"},
                                   "realization": "UNREALIZED", "times": 1}]))
    sim = sims("--state", str(state), "--faults", str(faults))
    before = export(sim, tmp_path / "before.json")
    res = nsxplan("apply", write_config(tmp_path / "v2", V2), "--manager", sim.url,
                  "--auto-approve", "--realization-timeout", "0.5", sim=sim)
    text = res.out + res.err
    assert res.code == 1 and "UNREALIZED" in text and "Rolled back" in text, text
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)
