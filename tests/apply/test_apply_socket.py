"""apply_plan against the simulator over a real socket, with its faults: every run must end fully
applied or exactly restored (managed content of the whole simulator state compared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nsxplan.apply import apply_plan
from nsxplan.apply.executor import build_steps
from nsxplan.apply.journal import read_journal, rollback_journal
from nsxplan.apply.records import APPLIED, FAILED, ROLLED_BACK
from nsxplan.errors import EXIT_STALE, ApplyError, StalePlanError
from nsxplan.plan.model import Action
from tests.apply.helpers import (
    FAST,
    OWNER_TAG,
    T0,
    P,
    make,
    managed,
    mixed_plan,
    nsx,
    revisions,
    route,
    t0_update,
    update,
    zone,
)

INJECTED = {"status": 500, "error_code": 99, "message": "injected failure"}


def test_applies_every_operation_and_journals_it(tmp_path: Path) -> None:
    with nsx() as (sim, client):
        plan = mixed_plan(client)
        result = apply_plan(plan, client, journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == APPLIED and result.exit_code == 0
        state = managed(sim.snapshot())
        t0 = state["/Tier0:vcf-t0"]
        assert t0["description"] == "managed by nsxplan" and OWNER_TAG in t0["tags"]
        routes = {k.rsplit(":", 1)[1]: v for k, v in state.items() if "StaticRoutes" in k}
        assert set(routes) == {"r1", "r2", "swap"}
        assert routes["swap"]["next_hops"] == [{"ip_address": "172.27.51.2",
                                                "admin_distance": 2}]
        assert "/PolicyDnsForwarderZone:corp" in state
    journal = read_journal(tmp_path / "j.jsonl")
    assert journal.header is not None and journal.header["owner"] == "apply-test"
    assert journal.header["steps"] == 7 and journal.header["plan_digest"].startswith("sha256:")
    begins = {r["seq"]: r for r in journal.of_type("begin")}
    ends = {r["seq"]: r for r in journal.of_type("end")}
    assert set(begins) == set(ends) == set(range(1, 8))
    assert all(e["outcome"] == "ok" and e["landed"] is True for e in ends.values())
    # the update carries the plan-time revision; the deleted route's pre-image is journaled
    t0_begin = next(b for b in begins.values() if b["path"] == T0)
    assert t0_begin["body"]["_revision"] == t0_begin["pre_image"]["_revision"]
    old = next(b for b in begins.values() if b["path"].endswith("/old"))
    assert old["method"] == "DELETE" and old["pre_image"]["network"] == "10.9.0.0/16"
    assert list(journal.of_type("final"))[-1]["status"] == APPLIED


@pytest.mark.parametrize("position", range(7))
def test_failure_at_each_step_rolls_back_exactly(tmp_path: Path, position: int) -> None:
    with nsx() as (sim, client):
        plan = mixed_plan(client)
        before = managed(sim.snapshot())
        step = build_steps(plan)[position]
        fault = {"match": {"method": step.method, "path": P + step.path},
                 "respond": INJECTED, "times": 1}
        # Faults are fixed when the server starts: serve the same simulator again with them.
        with nsx(sim=sim, faults=[fault]) as (_, faulty):
            result = apply_plan(plan, faulty, journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        assert result.exit_code == 1
        assert result.failures[0].step.seq == step.seq
        assert "injected failure" in result.headline()
        assert managed(sim.snapshot()) == before


# creates (and a replace's create) are PUTs, updates PATCHes
@pytest.mark.parametrize(("method", "after"), [("PUT", n) for n in range(4)] + [("PATCH", 0)])
def test_nth_write_fails_under_parallelism_rolls_back_exactly(tmp_path: Path, method: str,
                                                              after: int) -> None:
    with nsx() as (sim, client):
        plan = mixed_plan(client)
        before = managed(sim.snapshot())
        fault = {"match": {"method": method, "path": P + "/infra/*"}, "respond": INJECTED,
                 "times": 1, "after": after}
        with nsx(sim=sim, faults=[fault]) as (_, faulty):
            result = apply_plan(plan, faulty, parallelism=4,
                                journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        assert managed(sim.snapshot()) == before


def test_412_in_the_window_fails_and_rolls_back(tmp_path: Path) -> None:
    fault = {"match": {"method": "PATCH", "path": P + T0},
             "respond": {"status": 412, "error_code": 604,
                         "message": "Fetch the latest copy of the object and retry"},
             "times": 1}
    with nsx(faults=[fault]) as (sim, client):
        before = managed(sim.snapshot())
        t0 = client.get(T0)
        plan = make([zone("first"), t0_update(t0)])
        result = apply_plan(plan, client, parallelism=1, journal_path=tmp_path / "j.jsonl",
                            **FAST)
        assert result.status == ROLLED_BACK
        failure = result.failures[0]
        assert failure.step.path == T0 and "412" in (failure.error or "")
        assert failure.landed is False           # a 4xx never landed: nothing of it to undo
        assert managed(sim.snapshot()) == before


def test_realization_error_is_a_failure_with_nsx_text(tmp_path: Path) -> None:
    fault = {"match": {"path": P + T0 + "/static-routes/r2"}, "realization": "ERROR"}
    with nsx(faults=[fault]) as (sim, client):
        before = managed(sim.snapshot())
        plan = make([route("r1", "10.1.0.0/16"), route("r2", "10.2.0.0/16")])
        result = apply_plan(plan, client, parallelism=1, journal_path=tmp_path / "j.jsonl",
                            **FAST)
        assert result.status == ROLLED_BACK
        failure = result.failures[0]
        assert failure.realized == "ERROR" and failure.landed is True
        assert "injected realization fault" in (failure.error or "")
        assert managed(sim.snapshot()) == before


def test_realization_timeout_is_a_failure(tmp_path: Path) -> None:
    with nsx(realization_delay=60.0) as (sim, client):
        before = managed(sim.snapshot())
        result = apply_plan(make([route("r1", "10.1.0.0/16")]), client,
                            journal_path=tmp_path / "j.jsonl", poll_interval=0.01,
                            realization_timeout=0.1)
        assert result.status == ROLLED_BACK
        assert "not REALIZED within 0.1s (last state UNREALIZED" in (result.failures[0].error
                                                                      or "")
        assert managed(sim.snapshot()) == before


def test_429_storm_completes_without_failure(tmp_path: Path) -> None:
    storm = {"rate": 0.3, "seed": 7,
             "respond": {"status": 429, "error_code": "102",
                         "message": "Client 'admin' exceeded request rate of 100 per second"}}
    with nsx(faults=[storm]) as (sim, client):
        plan = make([route(f"r{i}", f"10.{i}.0.0/16") for i in range(12)])
        result = apply_plan(plan, client, journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == APPLIED, result.lines()
        assert sum(1 for k in managed(sim.snapshot()) if "StaticRoutes" in k) == 12


def test_no_rollback_leaves_state_then_rollback_journal_restores_idempotently(
        tmp_path: Path) -> None:
    fault = {"match": {"method": "PUT", "path": P + "/infra/dns-forwarder-zones/corp"},
             "respond": INJECTED, "times": 1}
    journal = tmp_path / "j.jsonl"
    with nsx(faults=[fault]) as (sim, client):
        plan = mixed_plan(client)
        plan = make([a for a in plan.actions if a.address != "dns_zones.corp"] + [zone("corp")])
        before = managed(sim.snapshot())
        result = apply_plan(plan, client, rollback=False, parallelism=1, journal_path=journal,
                            **FAST)
        assert result.status == FAILED and result.rollback is None
        assert "Left as is (--no-rollback)" in result.headline()
        assert f"nsxplan rollback {journal}" in "\n".join(result.lines())
        assert managed(sim.snapshot()) != before

        first = rollback_journal(journal, client, poll_interval=0.01)
        assert first.restored and first.exit_code == 0
        assert managed(sim.snapshot()) == before
        revs = revisions(sim.snapshot())
        second = rollback_journal(journal, client, poll_interval=0.01)
        assert second.restored
        assert {u.outcome for u in second.undone} == {"skipped"}
        assert revisions(sim.snapshot()) == revs     # nothing written the second time
    kinds = [r["type"] for r in read_journal(journal).records]
    assert kinds.count("rollback_start") == 2 and kinds[-1] == "final"


def test_protected_object_refused_before_any_write(tmp_path: Path) -> None:
    with nsx() as (sim, client):
        before = sim.snapshot()
        t1 = client.get("/infra/tier-1s/domain-c8")
        plan = make([zone("z"), update("tier1s.domain-c8", "Tier1", "/infra/tier-1s/domain-c8",
                                       t1, {"resource_type": "Tier1", "description": "x"})])
        with pytest.raises(ApplyError) as err:
            apply_plan(plan, client, journal_path=tmp_path / "j.jsonl", **FAST)
        assert "domain-c8" in str(err.value) and "REQUIRE_OVERRIDE" in str(err.value)
        assert sim.snapshot() == before
        assert not (tmp_path / "j.jsonl").exists()


def test_stale_plan_refused_with_who_and_when_nothing_written(tmp_path: Path) -> None:
    with nsx() as (sim, client):
        t0 = client.get(T0)
        plan = make([route("r1", "10.1.0.0/16"), t0_update(t0), zone("corp")])
        # someone else changes the Tier-0 and creates the zone after the plan was made
        client.patch(T0, {"description": "changed by a colleague"})
        client.patch("/infra/dns-forwarder-zones/corp",
                     {"resource_type": "PolicyDnsForwarderZone", "upstream_servers": ["1.1.1.1"]})
        after_interference = sim.snapshot()
        with pytest.raises(StalePlanError) as err:
            apply_plan(plan, client, journal_path=tmp_path / "j.jsonl", **FAST)
        assert err.value.exit_code == EXIT_STALE
        text = str(err.value)
        assert "tier0s.vcf-t0 (/infra/tier-0s/vcf-t0): _revision 0 -> 1, modified by admin at 20" \
            in text
        assert "dns_zones.corp (/infra/dns-forwarder-zones/corp): appeared since the plan" in text
        assert "static_routes.r1" not in text
        assert sim.snapshot() == after_interference
        assert not (tmp_path / "j.jsonl").exists()


def test_journal_holds_no_credentials(tmp_path: Path) -> None:
    from nsxplan.client import NsxClient
    from nsxplan.client.auth import make_auth
    from tests.apply.helpers import fast_retry
    from tests.sim.helpers import client_for, sim_server
    secret = "s3cret-Pa55word"
    with sim_server("demo", username="admin", password=secret) as (_, server):
        client = NsxClient(client_for(server), auth=make_auth("session", "admin", secret),
                           rate_limit=None, retry=fast_retry())
        result = apply_plan(make([route("r1", "10.1.0.0/16")]), client,
                            journal_path=tmp_path / "j.jsonl", **FAST)
        client.close()
    assert result.ok
    text = (tmp_path / "j.jsonl").read_text()
    assert secret not in text and "JSESSIONID" not in text
    assert all(json.loads(line) for line in text.splitlines())


def test_changes_after_the_stale_check_are_caught_per_step(tmp_path: Path) -> None:
    """A colleague writes between the stale check and our writes: the step reads the object
    first and refuses; the colleague's work is left exactly as they made it."""
    from nsxplan.live.read import read_live

    with nsx() as (sim, client):
        t0 = client.get(T0)
        plan = make([t0_update(t0), zone("corp")])

        def read_then_interfere(c: object) -> object:
            live = read_live(client)
            client.patch("/infra/dns-forwarder-zones/corp", {
                "resource_type": "PolicyDnsForwarderZone", "upstream_servers": ["1.1.1.1"]})
            return live

        result = apply_plan(plan, client, parallelism=1, journal_path=tmp_path / "j.jsonl",
                            read_live=read_then_interfere, **FAST)  # type: ignore[arg-type]
        assert result.status == ROLLED_BACK
        failure = result.failures[0]
        assert failure.step.address == "dns_zones.corp" and failure.landed is False
        assert "appeared since the plan (created by admin at 20" in (failure.error or "")
        colleague = client.get("/infra/dns-forwarder-zones/corp")
        assert colleague["upstream_servers"] == ["1.1.1.1"]     # not ours to undo
        assert client.get(T0)["description"] == t0["description"]


def test_failed_rollback_says_exactly_what_is_left_and_journal_finishes_it(
        tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    route_path = P + T0 + "/static-routes/r1"
    faults = [{"match": {"method": "PUT", "path": P + "/infra/dns-forwarder-zones/z"},
               "respond": INJECTED},
              {"match": {"method": "DELETE", "path": route_path}, "respond": INJECTED}]
    with nsx() as (sim, client):
        before = managed(sim.snapshot())
        with nsx(sim=sim, faults=faults) as (_, faulty):
            result = apply_plan(make([route("r1", "10.1.0.0/16"), zone("z")]), faulty,
                                parallelism=1, journal_path=journal, **FAST)
        assert result.status == "rollback-incomplete" and result.exit_code == 1
        text = result.summary
        assert "Rollback INCOMPLETE: 1 object(s) differ" in text
        assert (f"left: {T0}/static-routes/r1 (tier0s.vcf-t0.static_routes.r1): exists, but "
                f"did not before the apply") in text
        assert f"restore the pre-apply state with: nsxplan rollback {journal}" in text
        with pytest.raises(ApplyError):
            result.raise_for_status()
        # NSX recovers; the journal brings it back
        restored = rollback_journal(journal, client, poll_interval=0.01)
        assert restored.restored
        assert managed(sim.snapshot()) == before


def test_rollback_removes_a_field_the_update_added(tmp_path: Path) -> None:
    """PATCH is a top-level merge: only a PUT of the pre-image removes a field the apply added
    (here arp_limit, absent before). The restore must use it."""
    fault = {"match": {"method": "PUT", "path": P + "/infra/dns-forwarder-zones/z"},
             "respond": INJECTED}
    with nsx() as (sim, client):
        before = managed(sim.snapshot())
        t0 = client.get(T0)
        assert "arp_limit" not in t0
        grow = update("tier0s.vcf-t0", "Tier0", T0, t0,
                      {"resource_type": "Tier0", "arp_limit": 6000, "tags": [OWNER_TAG]})
        with nsx(sim=sim, faults=[fault]) as (_, faulty):
            result = apply_plan(make([grow, zone("z")]), faulty, parallelism=1,
                                journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        assert "arp_limit" not in client.get(T0)
        assert managed(sim.snapshot()) == before


@pytest.mark.slow
def test_ctrl_c_stops_starting_steps_and_rolls_back(tmp_path: Path) -> None:
    import signal

    from nsxplan.apply.report import Reporter

    class CtrlCAfterFirstStep(Reporter):
        # The six routes are one dependency wave (their writes all go out before the first
        # one's realization is awaited): Ctrl-C while the first write is being sent.
        def step_started(self, step: object, pre_image: object) -> None:
            if not getattr(self, "sent", False):
                self.sent = True
                signal.raise_signal(signal.SIGINT)   # delivered to the main thread

    # Python installs its KeyboardInterrupt handler only when SIGINT was not ignored at start
    # (a CI runner or a background job may start us with SIG_IGN): install it for this test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with nsx() as (sim, client):
            before = managed(sim.snapshot())
            plan = make([route(f"r{i}", f"10.{i}.0.0/16") for i in range(6)])
            result = apply_plan(plan, client, parallelism=1, journal_path=tmp_path / "j.jsonl",
                                reporter=CtrlCAfterFirstStep(), **FAST)
            assert result.interrupted and result.status == ROLLED_BACK
            assert result.headline().startswith("Apply INTERRUPTED (Ctrl-C)")
            assert len(result.results) < 6
            assert managed(sim.snapshot()) == before
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (tmp_path / "j.jsonl").stat().st_mode & 0o777 == 0o600


def test_child_of_protected_gateway_refused_before_any_write(tmp_path: Path) -> None:
    with nsx() as (sim, client):
        before = sim.snapshot()
        ncp_route = Action(address="tier1s.domain-c8.static_routes.x", kind="StaticRoutes",
                           path="/infra/tier-1s/domain-c8/static-routes/x", action="create",
                           after={"resource_type": "StaticRoutes", "network": "10.0.0.0/8",
                                  "next_hops": [{"ip_address": "30.0.0.1"}]})
        with pytest.raises(ApplyError) as err:
            apply_plan(make([zone("z"), ncp_route]), client, journal_path=tmp_path / "j.jsonl",
                       **FAST)
        assert ("tier1s.domain-c8.static_routes.x (/infra/tier-1s/domain-c8/static-routes/x) is "
                "under /infra/tier-1s/domain-c8, which is protected (REQUIRE_OVERRIDE)") \
            in str(err.value)
        assert sim.snapshot() == before


class BarrierClient:
    """Delegates to a real client; the first `parties` writes (PATCH or PUT) wait for each
    other, which only succeeds if that many writes are in flight at once."""

    def __init__(self, client: object, parties: int):
        import threading
        self._client = client
        self._barrier = threading.Barrier(parties, timeout=10)
        self._left = parties
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> object:
        return getattr(self._client, name)

    def _meet(self) -> None:
        with self._lock:
            wait = self._left > 0
            self._left -= 1
        if wait:
            self._barrier.wait()

    def patch(self, path: str, body: object, **kw: object) -> None:
        self._meet()
        self._client.patch(path, body, **kw)  # type: ignore[attr-defined]

    def put(self, path: str, body: object, **kw: object) -> object:
        self._meet()
        return self._client.put(path, body, **kw)  # type: ignore[attr-defined]


def test_independent_branches_run_in_parallel_dependents_wait(tmp_path: Path) -> None:
    journal = tmp_path / "j.jsonl"
    with nsx() as (sim, client):
        t0 = client.get(T0)
        plan = make([t0_update(t0), zone("a"), zone("b"), zone("c"),
                     route("r1", "10.1.0.0/16", depends=["tier0s.vcf-t0"])])
        result = apply_plan(plan, BarrierClient(client, 4), parallelism=4,  # type: ignore[arg-type]
                            journal_path=journal, **FAST)
        assert result.status == APPLIED, result.lines()
    records = read_journal(journal).records
    position = {(r["type"], r["seq"]): n for n, r in enumerate(records) if "seq" in r}
    assert position[("end", 1)] < position[("begin", 5)]      # the route waited for its Tier-0
    assert sorted(r["seq"] for r in records if r["type"] == "begin") == [1, 2, 3, 4, 5]
