"""Randomized fault runs: a mixed create/update/delete/replace apply under random faults, each
judged by NSX's final state, not by what nsxplan said.

One run: the simulator holds the v1 stack; 1-3 fault rules are drawn from a seeded menu (5xx
answers, dropped connections, answers lost after the write committed, realization errors, storms
of 503s or lost answers); the v2 plan is applied through the real client and executor. Then,
without faults:

- `applied`: apply said so, and a fresh plan is empty;
- `restored`: apply said "Rolled back ... (verified)", and NSX equals its pre-apply snapshot;
- `incomplete`: apply said the rollback is incomplete; `nsxplan rollback JOURNAL` (no faults)
  must then restore the snapshot exactly (`finished_by_rollback`);
- `refused`: nothing was written (the fault hit the reads before any write);
- a third of the runs are also interrupted: Ctrl-C (a real SIGINT, delivered to the main thread)
  after the k-th step finished, and half of those get a second one as the rollback starts its
  first undo; they must end restored, by the rollback or by `nsxplan rollback JOURNAL`;
- `partial`: anything else, i.e. NSX is neither fully applied nor exactly restored;
- `false_claims`: "(verified)" or "Apply complete" said while NSX shows otherwise.

Targets: partial 0, false_claims 0. Used by tests/safety/test_fault_suite.py (slow) and
benchmarks/fault_suite.py (more runs, prints the counts).
"""

from __future__ import annotations

import random
import signal
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from nsxplan.apply import apply_plan
from nsxplan.apply.journal import rollback_journal
from nsxplan.apply.records import (
    APPLIED,
    FAILED,
    ROLLBACK_INCOMPLETE,
    ROLLED_BACK,
    StepResult,
    UndoItem,
)
from nsxplan.apply.report import Reporter
from nsxplan.client import NsxClient
from nsxplan.client.ratelimit import RetryPolicy
from nsxplan.config import load_config
from nsxplan.errors import NsxplanError
from nsxplan.live.read import read_live
from nsxplan.nsx.objects import SERVER_FIELDS
from nsxplan.plan.planner import make_plan
from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.compose import build_wsgi
from tests.scenarios.helpers import V1, V2

# v1 -> v2 plus a replace: a NAT rule whose action changes (REFLEXIVE -> NO_SNAT).
EXTRA_V1 = """\
      - id: churn
        action: REFLEXIVE
        source: 30.0.0.9
        translated: 10.27.51.149
"""
EXTRA_V2 = """\
      - id: churn
        action: NO_SNAT
        source: 30.0.0.9
"""
P = "/policy/api/v1"
WRITES = ("PATCH", "PUT", "DELETE")


def _with_rule(config: str, extra: str) -> str:
    marker = "tier1s:\n"
    head, tail = config.split(marker, 1)
    return head + extra + marker + tail


def _write(tmp: Path, name: str, text: str) -> Path:
    d = tmp / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "nsxplan.yaml").write_text(text)
    return d


def _client(app: Any) -> NsxClient:
    http = httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://nsx.invalid")
    retry = RetryPolicy(max_attempts=6, base=0.0, cap=0.0, max_total_wait=5.0,
                        sleep=lambda _s: None)
    return NsxClient(http, rate_limit=None, retry=retry, label="fault-sim")


def managed(snapshot: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def walk(children: Sequence[dict[str, Any]], parent: str) -> None:
        for wrapper in children:
            inner = next((v for v in wrapper.values() if isinstance(v, dict)), None)
            if inner is None:
                continue
            key = f"{parent}/{inner.get('resource_type')}:{inner.get('id')}"
            body = {k: v for k, v in inner.items() if k not in SERVER_FIELDS}
            if isinstance(body.get("tags"), list):
                body["tags"] = sorted(body["tags"], key=lambda t: (t["scope"], t["tag"]))
            out[key] = body
            walk(inner.get("children") or [], key)

    walk(snapshot.get("children") or [], "")
    return out


def draw_faults(rng: random.Random) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 3)):
        method = rng.choice(WRITES)
        kind = rng.choice(["5xx", "retryable", "drop", "lose", "lose-storm", "503-storm",
                           "realization"])
        after = rng.randint(0, 6)
        if kind == "5xx":
            rules.append({"match": {"method": method}, "after": after, "times": 1,
                          "respond": {"status": 500, "error_code": 99, "message": "injected"}})
        elif kind == "retryable":
            rules.append({"match": {"method": method}, "after": after,
                          "times": rng.randint(1, 3),
                          "respond": {"status": rng.choice([502, 503, 504]),
                                      "message": "injected"}})
        elif kind == "drop":
            rules.append({"match": {"method": method}, "after": after, "times": 1,
                          "drop_connection": True})
        elif kind == "lose":
            rules.append({"match": {"method": method}, "after": after,
                          "times": rng.randint(1, 2),
                          "lose_response": rng.choice(["drop", "timeout", 502, 504])})
        elif kind == "lose-storm":
            rules.append({"match": {"method": method}, "rate": 0.3,
                          "seed": rng.randint(0, 10_000), "lose_response": "drop"})
        elif kind == "503-storm":
            rules.append({"rate": 0.2, "seed": rng.randint(0, 10_000),
                          "respond": {"status": 503, "message": "busy"}})
        else:
            path = rng.choice(["*/tier-1s/web-t1", "*/static-routes/new-route",
                               "*/nat-rules/churn", "*/tier-1s/apps-t1"])
            # the next write of that path, whatever its method (a create is a PUT)
            rules.append({"match": {"path": P + path}, "times": 1, "realization": "ERROR"})
    return rules


class Interrupter(Reporter):
    """Ctrl-C after the `after`-th finished step (SIGINT, as the terminal sends it: the main
    thread gets it wherever it is); with `second`, again when the rollback sends its first
    undo (the rollback runs in the main thread: raised right there)."""

    def __init__(self, after: int, second: bool) -> None:
        self.after, self.second = after, second
        self.finished = 0
        self.fired = 0

    def step_finished(self, result: StepResult) -> None:
        self.finished += 1
        if self.finished == self.after and not self.fired:
            self.fired = 1
            signal.raise_signal(signal.SIGINT)

    def rollback_step_started(self, item: UndoItem, operation: str,
                              body: Any) -> None:
        if self.second and self.fired == 1:
            self.fired = 2
            raise KeyboardInterrupt


class Suite:
    """The v1 state and the two configurations, built once for many runs."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        v1 = load_config(_write(tmp, "v1", _with_rule(V1, EXTRA_V1)))
        self.v2 = load_config(_write(tmp, "v2", _with_rule(V2, EXTRA_V2)))
        sim = Simulator(demo_state())
        client = _client(sim)
        result = apply_plan(make_plan(v1, read_live(client), target="fault-sim"), client,
                            journal_path=tmp / "v1.jsonl", poll_interval=0.0,
                            realization_timeout=1.0)
        assert result.status == APPLIED, result.lines()
        self.v1_state = sim.snapshot()

    def run(self, seed: int) -> tuple[str, bool, list[dict[str, Any]], str]:
        """(ending, false claim?, faults, apply's summary) of one seeded run."""
        rng = random.Random(seed)
        faults = draw_faults(rng)
        sim = Simulator(self.v1_state)
        before = managed(sim.snapshot())
        clean = _client(sim)
        faulty = _client(build_wsgi(sim, faults=faults, seed=seed))
        journal = self.tmp / f"run-{seed}.jsonl"
        interrupter = (Interrupter(rng.randint(1, 8), rng.random() < 0.5)
                       if rng.random() < 1 / 3 else None)
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            plan = make_plan(self.v2, read_live(faulty), target="fault-sim")
            result = apply_plan(plan, faulty, journal_path=journal,
                                parallelism=rng.choice([1, 2, 4]), poll_interval=0.0,
                                atomic=rng.random() < 0.25,
                                realization_timeout=0.5, reporter=interrupter)
        except NsxplanError as exc:
            ok = managed(sim.snapshot()) == before
            return ("refused" if ok else "partial"), False, faults, str(exc)
        finally:
            signal.signal(signal.SIGINT, previous)
        text = result.summary
        now = managed(sim.snapshot())
        applied = not make_plan(self.v2, read_live(clean), target="fault-sim").has_changes
        restored = now == before
        false_claim = (("(verified)" in text and not restored)
                       or (result.status == APPLIED and not applied))
        if result.status == APPLIED:
            ending = "applied" if applied else "partial"
        elif result.status == ROLLED_BACK:
            ending = "restored" if restored else "partial"
        elif result.status == ROLLBACK_INCOMPLETE or (result.status == FAILED
                                                       and result.interrupted):
            # An honest "INCOMPLETE", or a rollback stopped by a second Ctrl-C: what the
            # operator is told to run must finish the job exactly.
            again = rollback_journal(journal, clean, poll_interval=0.0, realization_timeout=0.5)
            fixed = managed(sim.snapshot()) == before
            ending = "finished_by_rollback" if again.restored and fixed else "partial"
            false_claim = false_claim or (again.restored and not fixed)
        else:
            ending = "partial"
        return ending, false_claim, faults, text


def run_many(runs: int, first_seed: int = 0) -> tuple[Counter[str], list[tuple[int, str]]]:
    """Counts of endings (and `false_claims`) over `runs` seeds; the failing seeds' details."""
    counts: Counter[str] = Counter()
    bad: list[tuple[int, str]] = []
    with tempfile.TemporaryDirectory(prefix="nsxplan-faults-") as tmp:
        suite = Suite(Path(tmp))
        for seed in range(first_seed, first_seed + runs):
            ending, false_claim, faults, text = suite.run(seed)
            counts[ending] += 1
            counts["false_claims"] += int(false_claim)
            if ending == "partial" or false_claim:
                bad.append((seed, f"{ending}; faults={faults}\n{text}"))
    counts.setdefault("partial", 0)
    counts.setdefault("false_claims", 0)
    return counts, bad
