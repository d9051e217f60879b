"""Scenario 17: rollback never clobbers, and a forged journal writes nothing it should not.

- An operator edits an object after nsxplan wrote it: `nsxplan rollback JOURNAL` reports the
  conflict (who, when), leaves that object alone, restores the rest and exits 1; `--force`
  then restores it too.
- Records appended to a real journal by hand: a `..` path into NCP's gateway, an "update" of an
  administrator's untagged Tier-1, a management-API path: each refused with its reason, none
  written, the real steps still undone.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.scenarios.conftest import (
    NSXPLAN,
    POLICY,
    Sim,
    cli_env,
    comparable,
    export,
    nsxplan,
    write_config,
)
from tests.scenarios.helpers import V2

APPS = "/infra/tier-1s/apps-t1"


def applied(v1_state: Path, sims: Callable[..., Sim], tmp_path: Path
            ) -> tuple[Sim, dict[str, Any], Path]:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state))
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    res = nsxplan("apply", write_config(tmp_path / "v2", V2), "--manager", sim.url,
                  "--auto-approve", "--journal", journal, sim=sim)
    assert res.code == 0, res.out + res.err
    return sim, before, journal


def test_rollback_leaves_an_object_edited_since_alone_until_forced(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim, before, journal = applied(v1_state, sims, tmp_path)
    ours = sim.get(APPS)
    assert ours["description"] == "apps v2"
    with sim.http() as c:     # an operator's edit, after nsxplan's
        edit = c.patch(POLICY + APPS, json={"description": "hand edit",
                                            "_revision": ours["_revision"]})
        assert edit.status_code == 200, edit.text
    edited = sim.get(APPS)

    res = nsxplan("rollback", journal, sim=sim)
    text = res.out + res.err
    assert res.code == 1, text
    assert (f"conflict: {APPS} changed since nsxplan wrote it (_revision {ours['_revision']} "
            f"-> {edited['_revision']}, by admin at ") in text, text
    assert "left alone" in text and f"nsxplan rollback --force {journal}" in text, text
    assert "(verified)" not in text
    assert sim.get(APPS)["description"] == "hand edit"
    rest = comparable(export(sim, tmp_path / "mid.json"))
    assert json.dumps(rest).replace("hand edit", "apps v1") == json.dumps(comparable(before))

    forced = nsxplan("rollback", "--force", journal, sim=sim)
    assert forced.code == 0 and "(verified)" in forced.out, forced.out + forced.err
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)


def record(seq: int, path: str, op: str, pre: dict[str, Any] | None) -> str:
    begin = {"type": "begin", "seq": seq, "address": f"forged.{seq}", "kind": "StaticRoutes",
             "action": op, "op": op, "method": "DELETE" if op == "delete" else "PATCH",
             "path": path, "pre_image": pre, "body": None, "time": "2026-11-29T00:00:00Z"}
    end = {"type": "end", "seq": seq, "path": path, "outcome": "ok", "landed": True}
    return json.dumps(begin) + "\n" + json.dumps(end) + "\n"


def test_forged_journal_records_are_refused_like_saved_plan_writes(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim, before, journal = applied(v1_state, sims, tmp_path)
    with sim.http() as c:   # an administrator's Tier-1, untagged
        made = c.patch(POLICY + "/infra/tier-1s/t1-unused", json={"description": "admin's"})
        assert made.status_code == 200, made.text
    admin_t1 = sim.get("/infra/tier-1s/t1-unused")
    dotdot = "/infra/tier-1s/t1-unused/../domain-c8/static-routes/x"
    mgmt = "/api/v1/logical-routers/lr-1"
    route = {"resource_type": "StaticRoutes", "id": "x", "network": "0.0.0.0/0",
             "next_hops": [{"ip_address": "10.66.6.6"}],
             "tags": [{"scope": "nsxplan/owner", "tag": "faults"}]}
    with journal.open("a") as fh:
        fh.write(record(101, dotdot, "delete", route))
        fh.write(record(102, "/infra/tier-1s/t1-unused", "update",
                        {"resource_type": "Tier1", "id": "t1-unused", "description": "invented",
                         "tags": [{"scope": "nsxplan/owner", "tag": "faults"}]}))
        fh.write(record(103, mgmt, "delete", {"resource_type": "LogicalRouter", "id": "lr-1"}))

    res = nsxplan("rollback", journal, sim=sim)
    text = res.out + res.err
    assert res.code == 1, text
    assert f"{dotdot!r} has an unsafe path segment '..'" in text, text
    assert ("/infra/tier-1s/t1-unused is not tagged nsxplan/owner=faults; nsxplan restores only "
            "objects it owns") in text, text
    assert f"{mgmt!r} is not a policy path under /infra" in text, text
    assert "(verified)" not in text and "Traceback" not in text
    assert sim.status("/infra/tier-1s/domain-c8/static-routes/x") == 404
    assert sim.get("/infra/tier-1s/t1-unused") == admin_t1
    # The real apply was undone all the same.
    after = comparable(export(sim, tmp_path / "after.json"))
    assert "t1-unused" in json.dumps(after)
    assert json.dumps(after) != json.dumps(comparable(before))   # only by the admin's Tier-1
    assert sim.get(APPS)["description"] == "apps v1"


def test_sigterm_during_nsxplan_rollback_stops_it_and_running_it_again_finishes(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--latency-ms", "150")
    before = export(sim, tmp_path / "before.json")
    journal = tmp_path / "journal.jsonl"
    res = nsxplan("apply", write_config(tmp_path / "v2", V2), "--manager", sim.url,
                  "--auto-approve", "--journal", journal, sim=sim)
    assert res.code == 0, res.out + res.err
    proc = subprocess.Popen([*NSXPLAN, "rollback", str(journal)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=cli_env(sim, None))
    assert proc.stdout is not None
    seen: list[str] = []
    sent = False
    for line in proc.stdout:
        seen.append(line)
        if not sent and line.strip().startswith("undo ") and line.rstrip().endswith("ok"):
            proc.send_signal(signal.SIGTERM)     # a CI job cancelled mid-rollback
            sent = True
    code = proc.wait(timeout=60)
    proc.stdout.close()
    text = "".join(seen)
    assert sent and code == 143, text
    assert "Rollback INTERRUPTED (SIGTERM)" in text and "(verified)" not in text, text
    assert f"nsxplan rollback {journal}" in text and "Traceback" not in text, text

    again = nsxplan("rollback", journal, sim=sim)
    assert again.code == 0 and "(verified)" in again.out, again.out + again.err
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)


def test_forged_saved_plan_writes_are_refused_before_anything_is_written(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """The same rules for a saved plan, over the socket: the `..` path, the management API, an
    update of an administrator's untagged Tier-1 that does not adopt it."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state))
    with sim.http() as c:
        assert c.patch(POLICY + "/infra/tier-1s/t1-unused",
                       json={"description": "admin's"}).status_code == 200
    plan = tmp_path / "plan.json"
    made = nsxplan("plan", write_config(tmp_path / "v2", V2), "--manager", sim.url, "--out",
                   plan, sim=sim)
    assert made.code == 0, made.out + made.err
    doc = json.loads(plan.read_text())
    route = {"resource_type": "StaticRoutes", "id": "x", "network": "0.0.0.0/0",
             "next_hops": [{"ip_address": "10.66.6.6"}],
             "tags": [{"scope": "nsxplan/owner", "tag": "faults"}]}

    def forged(op: str, path: str, after: dict[str, Any] | None) -> dict[str, Any]:
        return {"address": f"hand.{path.rsplit('/', 1)[-1]}", "kind": "StaticRoutes",
                "path": path, "action": op, "before": None if op == "create" else {},
                "after": after, "diff": [], "revision": None, "depends_on": [],
                "source": None, "reason": "edited by hand", "adopt": False}

    dotdot = "/infra/tier-1s/t1-unused/../domain-c8/static-routes/x"
    doc["changes"] += [
        forged("create", dotdot, route),
        forged("delete", "/api/v1/logical-routers/lr-1", None),
        forged("update", "/infra/tier-1s/t1-unused",
               {"resource_type": "Tier1", "description": "invented",
                "tags": [{"scope": "nsxplan/owner", "tag": "faults"}]}),
    ]
    plan.write_text(json.dumps(doc))
    before = export(sim, tmp_path / "before.json")
    res = nsxplan("apply", plan, "--manager", sim.url, "--auto-approve", sim=sim)
    text = res.out + res.err
    assert res.code == 1, text
    assert f"({dotdot!r}) has an unsafe path segment '..'; refusing to create it" in text, text
    assert "('/api/v1/logical-routers/lr-1') is not a policy path under /infra" in text, text
    assert ("/infra/tier-1s/t1-unused) is not tagged nsxplan/owner=faults and the update does "
            "not adopt it; refusing to update it") in text, text
    assert export(sim, tmp_path / "after.json") == before, "something was written"


def test_rollback_refuses_a_journal_an_apply_is_still_writing(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    """`nsxplan rollback JOURNAL` from another terminal while the apply still runs (it looked
    stuck) would undo objects under its feet: refused, nothing written; the apply completes."""
    state = tmp_path / "state.json"
    shutil.copy(v1_state, state)
    sim = sims("--state", str(state), "--latency-ms", "150")
    journal = tmp_path / "journal.jsonl"
    apply = subprocess.Popen(
        [*NSXPLAN, "apply", str(write_config(tmp_path / "v2", V2)), "--manager", sim.url,
         "--auto-approve", "--parallelism", "1", "--journal", str(journal)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=cli_env(sim, None))
    assert apply.stdout is not None
    seen: list[str] = []
    refused = None
    for line in apply.stdout:
        seen.append(line)
        if refused is None and " ok (" in line:
            refused = nsxplan("rollback", journal, sim=sim)
    assert apply.wait(timeout=120) == 0, "".join(seen)
    apply.stdout.close()
    assert refused is not None, "".join(seen)
    assert refused.code == 1, refused.out + refused.err
    assert f"journal {journal} is in use by another nsxplan apply or rollback" in refused.err
    assert "Rolling back" not in refused.err


def test_an_object_someone_deleted_after_nsxplan_updated_it_is_a_conflict(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    sim, before, journal = applied(v1_state, sims, tmp_path)
    route = "/infra/tier-0s/vcf-t0/static-routes/default-route"
    with sim.http() as c:     # an operator removes the route nsxplan had just changed
        assert c.delete(POLICY + route).status_code == 200
    res = nsxplan("rollback", journal, sim=sim)
    text = res.out + res.err
    assert res.code == 1, text
    assert f"conflict: {route} was deleted by someone else after nsxplan wrote it" in text, text
    assert sim.status(route) == 404
    forced = nsxplan("rollback", "--force", journal, sim=sim)
    assert forced.code == 0, forced.out + forced.err
    assert comparable(export(sim, tmp_path / "after.json")) == comparable(before)
