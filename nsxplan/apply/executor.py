"""Execute a plan's writes: one step per HTTP write, a DAG over `depends_on`, parallel workers.

A replace becomes two steps (DELETE, then PATCH of the new body), so that every step is exactly
one write with one pre-image and one inverse; that keeps the journal and the rollback uniform.
Sequence numbers follow the plan's (deterministic) order, not the order threads happen to run in.

Each step:
  1. reads the object (its pre-image, journaled, used by rollback);
  2. refuses to write when the object changed since the plan (appeared, disappeared, `_revision`
     moved) or turns out protected: NSX's 412 would catch an update anyway, but a create is a
     PATCH that would silently merge into an object someone else just made;
  3. sends the write: PATCH with exactly `Action.after` (+ `_revision` = plan revision for an
     update), or DELETE; never `X-Allow-Overwrite`;
  4. waits for realization (see `wait_realization`).
"""

from __future__ import annotations

import graphlib
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from nsxplan.apply.outcome import CHANGED, LANDED, read_object, settle
from nsxplan.apply.records import Step, StepResult, WriteOp
from nsxplan.apply.report import Reporter
from nsxplan.errors import ApplyError, NsxApiError, NsxplanError, Problem
from nsxplan.nsx.guard import Guard, path_problem
from nsxplan.nsx.objects import modified_by
from nsxplan.nsx.passwords import to_send
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Action, Plan


class Client(Protocol):
    """The part of nsxplan.client.NsxClient that apply uses."""

    request_count: int

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]: ...
    def patch(self, path: str, body: Mapping[str, Any], *,
              retry_unknown: bool = True) -> None: ...
    def put(self, path: str, body: Mapping[str, Any], *,
            retry_unknown: bool = True) -> dict[str, Any]: ...
    def delete(self, path: str, *, retry_unknown: bool = True) -> None: ...
    def realization(self, intent_path: str) -> tuple[str, str | None]: ...


def build_steps(plan: Plan) -> list[Step]:
    """The writes of a plan, in plan order, with dependencies as step numbers.

    Raises ApplyError (before anything is written) when depends_on forms a cycle."""
    steps: list[Step] = []
    last: dict[str, int] = {}      # address -> its last step (what dependents wait for)
    pending: list[tuple[int, Action]] = []
    for action in plan.changes:
        seq = len(steps) + 1
        if action.action == REPLACE:
            steps.append(Step(seq=seq, action=action, op=DELETE, method="DELETE", body=None))
            steps.append(Step(seq=seq + 1, action=action, op=CREATE, method="PATCH",
                              body=dict(action.after or {}),
                              depends=(seq,)))
        elif action.action == DELETE:
            steps.append(Step(seq=seq, action=action, op=DELETE, method="DELETE", body=None))
        else:
            body = dict(action.after or {})
            if action.action == UPDATE and action.revision is not None:
                body["_revision"] = action.revision
            op: WriteOp = CREATE if action.action == CREATE else UPDATE   # no-ops are no changes
            steps.append(Step(seq=seq, action=action, op=op, method="PATCH", body=body))
        last[action.address] = len(steps)
        pending.append((seq, action))
    # Dependencies resolved after numbering: the plan is topologically ordered, but nothing here
    # relies on it. Dependencies on no-op actions (already in place) are dropped.
    for seq, action in pending:
        deps = tuple(sorted({last[a] for a in action.depends_on if a in last}))
        i = seq - 1
        steps[i] = Step(seq=steps[i].seq, action=action, op=steps[i].op, method=steps[i].method,
                        body=steps[i].body,
                        depends=tuple(sorted(set(steps[i].depends) | set(deps))))
    sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter(
        {s.seq: s.depends for s in steps})
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        names = " -> ".join(steps[n - 1].address for n in exc.args[1])
        raise ApplyError(f"the plan's dependencies form a cycle: {names}",
                         hint="this is a planner bug; nothing was written") from exc
    return steps


def wait_realization(client: Client, path: str, *, deleted: bool, timeout: float,
                     poll_interval: float, sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic,
                     on_poll: Callable[[str, float], None] | None = None,
                     ) -> tuple[bool, str, str | None]:
    """Poll realization until done: (ok, last state, NSX's error text).

    The client keys on the intent's consolidated realization status (the same on every NSX
    version and kind, unlike realized entity types). A write is done when it says REALIZED.
    A delete is done when NSX no longer knows the intent's realization (UNKNOWN, or 404): a
    GET of the intent would say 404 at once, because NSX hides objects marked for delete, so
    it proves nothing about the data plane. ERROR fails at once; timeout fails with the last
    state seen. The interval doubles from `poll_interval` up to a cap of max(2 s, interval)."""
    deadline = clock() + timeout
    delay = poll_interval
    cap = max(2.0, poll_interval)
    state, message = "UNKNOWN", None
    started = clock()
    while True:
        try:
            state, message = client.realization(path)
        except NsxApiError as exc:
            if deleted and exc.status == 404:
                return True, "DELETED", None
            raise
        if state == "ERROR":
            return False, state, message or "NSX reported a realization error"
        if deleted and state == "UNKNOWN":
            return True, "DELETED", None
        if not deleted and state == "REALIZED":
            return True, state, None
        remaining = deadline - clock()
        if on_poll is not None:
            on_poll(state, clock() - started)
        if remaining <= 0:
            what = "removed" if deleted else "REALIZED"
            return False, state, (f"not {what} within {timeout:g}s (last state {state}"
                                  + (f": {message})" if message else ")"))
        sleep(min(delay, remaining))
        delay = min(delay * 2, cap)


@dataclass
class Executor:
    client: Client
    reporter: Reporter
    parallelism: int = 4
    realization_timeout: float = 60.0
    poll_interval: float = 0.2
    results: dict[int, StepResult] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _started: list[int] = field(default_factory=list)      # seqs, in the order writes began
    _lock: threading.Lock = field(default_factory=threading.Lock)
    interrupted: bool = False
    signal: int | None = None
    # The saved-plan/pre-check guard over the live state apply read: each step re-checks its
    # object as read just before the write, and its ancestors.
    guard: Guard | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)   # password_env values

    def started_results(self) -> list[StepResult]:
        """Results of the steps that reached their write, in the order they began (the order
        rollback must reverse: a dependent always begins after what it depends on ended)."""
        return [self.results[s] for s in self._started if s in self.results]

    def run(self, steps: Sequence[Step]) -> list[StepResult]:
        """Run steps over the DAG; after the first failure start nothing new, let the writes in
        flight finish (a half-observed write is worse than a finished one), and return.

        Ctrl-C and SIGTERM are handled the same way: `interrupted` is set, nothing new starts,
        the writes in flight finish, and the caller decides (apply rolls back). A second signal
        during that drain is raised to the caller; the journal still says what was started."""
        by_seq = {s.seq: s for s in steps}
        sorter: graphlib.TopologicalSorter[int] = graphlib.TopologicalSorter(
            {s.seq: s.depends for s in steps})
        sorter.prepare()
        ready: list[int] = []
        running: dict[Future[StepResult], int] = {}
        width = max(1, self.parallelism)
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="nsxplan-apply") as pool:
            while True:
                try:
                    if not self._stop.is_set():
                        ready.extend(sorter.get_ready())
                        ready.sort()
                        while ready and len(running) < width:
                            seq = ready.pop(0)
                            running[pool.submit(self._run_step, by_seq[seq])] = seq
                    if not running:
                        break
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for fut in sorted(done, key=lambda f: running[f]):
                        seq = running.pop(fut)
                        if fut.result().ok:
                            sorter.done(seq)
                        else:
                            self._stop.set()
                except KeyboardInterrupt as exc:    # Ctrl-C, or SIGTERM turned into one
                    # The signal may land anywhere in this loop, even between a submit and
                    # its bookkeeping: each worker files its own result (_run_step) and the
                    # pool waits for every submitted step, so none is lost to rollback.
                    if self.interrupted:
                        raise
                    self.interrupted = True
                    self.signal = int(getattr(exc, "signum", 2))
                    self._stop.set()
                    continue
        return [self.results[s] for s in sorted(self.results)]

    def _run_step(self, step: Step) -> StepResult:
        start = time.monotonic()
        result = StepResult(step, ok=False)
        with self._lock:
            self.results[step.seq] = result     # filed by the worker, never lost to a signal
        try:
            self._execute(step, result)
        except NsxplanError as exc:
            result.problem = exc.problems[0] if exc.problems else Problem(str(exc))
            result.error = result.problem.message
        except Exception as exc:  # noqa: BLE001 - a worker must always report back
            result.error = f"internal error: {type(exc).__name__}: {exc}"
        result.elapsed = time.monotonic() - start
        self.reporter.step_finished(result)
        return result

    def _execute(self, step: Step, result: StepResult) -> None:
        bad = path_problem(step.path)
        if bad is not None:      # (apply's pre-check refuses it first; never even read it)
            result.error = f"{step.path!r} {bad}; nsxplan never writes it"
            return
        pre = read_object(self.client, step.path)
        result.pre_image = pre
        refusal = _refusal(step, pre, self.guard)
        body = dict(step.body or {})
        if not refusal and step.method != "DELETE":
            # A neighbor password joins the body only here, at send time: never in the plan,
            # the step (journaled) or the reporter's view (nsx/passwords.py).
            password, refusal = to_send(body.get("tags"), (pre or {}).get("tags"),
                                        step.op == CREATE, self.env)
            if password is not None:
                body["password"] = password
        with self._lock:
            self._started.append(step.seq)
        self.reporter.step_started(step, pre)
        if refusal:
            result.error = refusal
            return
        result.landed = None     # from here on, unknown until NSX's state says
        outcome = settle(self.client, step.method, step.path,
                         body if step.method != "DELETE" else step.body, pre=pre)
        result.landed = outcome.landed
        result.revision, result.unique_id = outcome.revision, outcome.unique_id
        if outcome.state == CHANGED:
            result.error = outcome.conflict_text(step.path)
            return
        if outcome.state != LANDED:
            assert outcome.error is not None
            raise outcome.error
        ok, state, message = wait_realization(
            self.client, step.path, deleted=step.op == DELETE,
            timeout=self.realization_timeout, poll_interval=self.poll_interval,
            on_poll=lambda state, waited: self.reporter.step_waiting(step, state, waited))
        result.realized = state
        if ok:
            result.ok = True
        else:
            result.error = f"realization {state} for {step.path}: {message}"


def _refusal(step: Step, pre: Mapping[str, Any] | None, guard: Guard | None) -> str | None:
    """Why this write must not be sent now, given the object as it is just before it."""
    if guard is not None:
        refused = guard.refusal(step.path, pre)
        if refused is not None:
            return f"{refused}; nsxplan never writes it"
    if step.op == CREATE and pre is not None:
        return f"{step.path} appeared since the plan (created {modified_by(pre)})"
    if step.op in (UPDATE, DELETE) and pre is None:
        return f"{step.path} disappeared since the plan"
    if step.op in (UPDATE, DELETE) and pre is not None and step.action.revision is not None \
            and pre.get("_revision") != step.action.revision:
        return (f"{step.path} changed since the plan (_revision {step.action.revision} -> "
                f"{pre.get('_revision')}, {modified_by(pre)})")
    return None
