"""Pure pieces of apply, no server: step building, stale detection, realization polling,
journal parsing, the line reporter, difference reporting."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from nsxplan.apply.executor import build_steps, wait_realization
from nsxplan.apply.journal import Journal, items_from_journal, read_journal
from nsxplan.apply.records import Step, StepResult
from nsxplan.apply.report import LineReporter, Reporters
from nsxplan.apply.rollback import differences
from nsxplan.errors import ApiErrorInfo, ApplyError, NsxApiError, StalePlanError, UsageError
from nsxplan.live.state import LiveState
from nsxplan.nsx.objects import iso_time
from nsxplan.plan.model import NOOP, Action
from nsxplan.plan.stale import check_stale
from tests.apply.helpers import T0, delete, make, replace, route, t0_update, zone

LIVE_T0 = {"resource_type": "Tier0", "id": "vcf-t0", "path": T0, "_revision": 3,
           "_last_modified_user": "alice", "_last_modified_time": 1795290000000, "tags": []}
ROUTE = {"resource_type": "StaticRoutes", "id": "old", "path": f"{T0}/static-routes/old",
         "network": "10.9.0.0/16", "_revision": 1}


def test_steps_follow_plan_order_and_replace_is_delete_then_create() -> None:
    plan = make([t0_update(LIVE_T0), route("r1", "10.1.0.0/16", depends=["tier0s.vcf-t0"]),
                 replace("tier0s.vcf-t0.static_routes.old", "StaticRoutes", ROUTE,
                         {"resource_type": "StaticRoutes", "network": "10.9.0.0/24"}),
                 zone("z")])
    steps = build_steps(plan)
    assert [(s.seq, s.method, s.op, s.symbol) for s in steps] == [
        (1, "PATCH", "update", "~"), (2, "PUT", "create", "+"),
        (3, "DELETE", "delete", "-/+"), (4, "PUT", "create", "-/+"), (5, "PUT", "create", "+")]
    assert steps[0].body is not None and steps[0].body["_revision"] == 3
    assert "_revision" not in (steps[1].body or {})
    assert steps[1].depends == (1,) and steps[3].depends == (3,) and steps[4].depends == ()
    assert steps[2].label.endswith("(delete)")


def test_noop_actions_are_skipped_and_dependencies_on_them_dropped() -> None:
    noop = Action(address="tier0s.vcf-t0", kind="Tier0", path=T0,
                  action=NOOP, before=LIVE_T0, revision=3)
    steps = build_steps(make([noop, route("r1", "10.1.0.0/16", depends=["tier0s.vcf-t0"])]))
    assert [(s.seq, s.address, s.depends) for s in steps] == [
        (1, "tier0s.vcf-t0.static_routes.r1", ())]


def test_dependency_cycle_refused_before_any_write() -> None:
    a = route("a", "10.1.0.0/16", depends=["tier0s.vcf-t0.static_routes.b"])
    b = route("b", "10.2.0.0/16", depends=["tier0s.vcf-t0.static_routes.a"])
    with pytest.raises(ApplyError, match="cycle"):
        build_steps(make([a, b]))


def test_stale_lists_every_change_with_who_and_when() -> None:
    plan = make([t0_update({**LIVE_T0, "_revision": 2}), route("r1", "10.1.0.0/16"),
                 delete("tier0s.vcf-t0.static_routes.old", "StaticRoutes", ROUTE)])
    live = LiveState({T0: LIVE_T0, f"{T0}/static-routes/r1": {
        "_create_user": "bob", "_create_time": 1795290000000}})
    with pytest.raises(StalePlanError) as err:
        check_stale(plan, live)
    lines = [p.message for p in err.value.problems]
    assert lines == [
        "tier0s.vcf-t0 (/infra/tier-0s/vcf-t0): _revision 2 -> 3, modified by alice at "
        "2026-11-21T19:40:00Z",
        "tier0s.vcf-t0.static_routes.r1 (/infra/tier-0s/vcf-t0/static-routes/r1): appeared "
        "since the plan (created by bob at 2026-11-21T19:40:00Z)",
        "tier0s.vcf-t0.static_routes.old (/infra/tier-0s/vcf-t0/static-routes/old): "
        "disappeared since the plan (deleted; see the NSX audit log for who)"]
    assert err.value.exit_code == 3 and "nothing was written" in (err.value.problems[-1].hint
                                                                   or "")


def test_fresh_plan_is_not_stale() -> None:
    check_stale(make([t0_update(LIVE_T0), route("r1", "10.1.0.0/16")]),
                LiveState({T0: LIVE_T0}))
    assert iso_time("garbage") is None and iso_time(0) == "1970-01-01T00:00:00Z"


class Realizer:
    def __init__(self, answers: list[Any]):
        self.answers = answers
        self.calls = 0

    def realization(self, path: str) -> tuple[str, str | None]:
        self.calls += 1
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_realization_polls_with_doubling_backoff_up_to_a_cap() -> None:
    t = FakeTime()
    client = Realizer([("UNREALIZED", None)] * 7 + [("REALIZED", None)])
    ok, state, _ = wait_realization(client, "/x", deleted=False, timeout=60, poll_interval=0.2,
                                    sleep=t.sleep, clock=t.clock)
    assert ok and state == "REALIZED"
    assert t.sleeps == pytest.approx([0.2, 0.4, 0.8, 1.6, 2.0, 2.0, 2.0])


def test_realization_error_and_timeout_carry_nsx_text() -> None:
    t = FakeTime()
    ok, state, msg = wait_realization(Realizer([("ERROR", "edge down")]), "/x", deleted=False,
                                      timeout=5, poll_interval=0.1, sleep=t.sleep, clock=t.clock)
    assert (ok, state, msg) == (False, "ERROR", "edge down")
    ok, state, msg = wait_realization(Realizer([("UNREALIZED", "pending on edge")]), "/x",
                                      deleted=False, timeout=1, poll_interval=0.1,
                                      sleep=t.sleep, clock=t.clock)
    assert not ok and msg == "not REALIZED within 1s (last state UNREALIZED: pending on edge)"


def test_delete_is_done_when_no_realized_entity_is_left() -> None:
    t = FakeTime()
    client = Realizer([("REALIZED", None), ("UNKNOWN", None)])
    assert wait_realization(client, "/x", deleted=True, timeout=5, poll_interval=0.1,
                            sleep=t.sleep, clock=t.clock) == (True, "DELETED", None)
    gone = Realizer([NsxApiError(ApiErrorInfo(404, "GET", "/x"))])
    assert wait_realization(gone, "/x", deleted=True, timeout=5, poll_interval=0.1,
                            sleep=t.sleep, clock=t.clock)[0]


def test_journal_ignores_a_torn_last_line_and_refuses_non_journals(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as j:
        j.write({"type": "header", "format": "nsxplan-journal/1", "target": "t"})
        j.write({"type": "begin", "seq": 1, "path": "/a", "op": "create", "pre_image": None,
                 "body": {"password": "hunter2", "x": 1}})
    with path.open("a") as fh:
        fh.write('{"type": "end", "seq": 1, "lan')          # kill -9 mid-line
    contents = read_journal(path)
    assert [r["type"] for r in contents.records] == ["header", "begin"]
    assert contents.records[1]["body"] == {"password": "<redacted>", "x": 1}
    assert [i.path for i in items_from_journal(contents.records)] == ["/a"]
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({"type": "x"}) + "\n")
    with pytest.raises(UsageError, match="not an nsxplan journal"):
        read_journal(other)
    with pytest.raises(UsageError, match="cannot read journal"):
        read_journal(tmp_path / "missing.jsonl")


def test_journal_items_keep_refused_writes_for_verification_but_never_undo_them() -> None:
    records = [{"type": "begin", "seq": 1, "path": "/a", "op": "create", "pre_image": None},
               {"type": "end", "seq": 1, "landed": True, "revision": 0, "unique_id": "u1"},
               {"type": "begin", "seq": 2, "path": "/b", "op": "update", "pre_image": {"x": 1}},
               {"type": "end", "seq": 2, "landed": False},
               {"type": "begin", "seq": 3, "path": "/c", "op": "delete", "pre_image": {"x": 2}}]
    items = items_from_journal(records)
    assert [(i.seq, i.landed, i.revision) for i in items] == [
        (1, True, 0), (2, False, None), (3, None, None)]
    assert [i.mark() is not None for i in items] == [True, False, True]


def test_line_reporter_format() -> None:
    out = io.StringIO()
    rep = Reporters([LineReporter(out)])
    steps = build_steps(make([route(f"r{i}", f"10.{i}.0.0/16") for i in range(12)]))
    rep.start({"target": "sim", "journal": "j.jsonl"}, len(steps))
    rep.step_started(steps[2], None)
    rep.step_finished(StepResult(steps[2], ok=True, elapsed=0.42))
    rep.step_finished(StepResult(steps[3], ok=False, error="NSX 500 on PATCH", elapsed=1.0))
    assert out.getvalue().splitlines() == [
        "Applying 12 step(s) to sim; journal: j.jsonl",
        "[ 3/12] + tier0s.vcf-t0.static_routes.r2 ...",
        "[ 3/12] + tier0s.vcf-t0.static_routes.r2 ... ok (0.4s)",
        "[ 4/12] + tier0s.vcf-t0.static_routes.r3 ... FAILED: NSX 500 on PATCH (1.0s)"]
    lines: list[str] = []
    LineReporter(lines.append).start({"target": "x"}, 1)
    assert lines == ["Applying 1 step(s) to x"]


def test_differences_ignore_server_fields_and_tag_order() -> None:
    before = {"network": "10.0.0.0/8", "_revision": 1, "tags": [{"scope": "a", "tag": "1"},
                                                                  {"scope": "b", "tag": "2"}]}
    live = {"network": "10.0.0.0/8", "_revision": 5, "unique_id": "u", "display_name": "x",
            "tags": [{"scope": "b", "tag": "2"}, {"scope": "a", "tag": "1"}]}
    assert differences(before, live) == []
    # a field the apply wrote that the pre-image lacked counts; a server default does not
    assert differences(before, {**live, "description": "new"}, {"description"}) == [
        "description: live 'new', before None"]
    assert differences(None, live) == ["exists, but did not before the apply"]
    assert differences(before, None) == ["is missing, but existed before the apply"]


def test_step_is_frozen_data() -> None:
    step = build_steps(make([zone("z")]))[0]
    assert isinstance(step, Step) and step.path == "/infra/dns-forwarder-zones/z"
