"""Execute a plan's writes: one step per HTTP write, dependency waves, parallel writes.

A replace becomes two steps (DELETE, then a create of the new body), so that every step is
exactly one write with one pre-image and one inverse; that keeps the journal and the rollback
uniform. Sequence numbers follow the plan's (deterministic) order, not the order threads run in.

The steps run wave by wave (every step's dependencies lie in earlier waves). For each wave:
  1. one filtered Hierarchical API GET reads the pre-image of every object the wave creates
     (apply/bulk.py) instead of one GET per object; updates and deletes read theirs right
     before their write (see 3); each pre-image is journaled and used by rollback;
  2. each step refuses to write when its object changed since the plan (appeared, disappeared,
     `_revision` moved) or turns out protected, judged on that pre-image and its ancestors;
  3. the writes go out in parallel, each one journaled before it is sent, and each one guarded
     against an edit that lands between the read and the write (docs/decisions.md, "Pre-images
     are read per dependency wave; creates are PUTs, updates stay PATCHes"):
       create  PUT of `Action.after` without `_revision`: NSX itself refuses to create over an
               object that exists (400 / 500127), where a PATCH would silently merge into it;
               PUT answers with the stored object, the post-image (`_revision`, `unique_id`):
               no read-back, no per-object GET at all;
       update  PATCH of `Action.after` + the plan's `_revision`, after a GET of the object
               right before (NSX may not check `_revision` on a PATCH: reference §11.2); what
               the wave's PATCHes produced is read back in one bulk read after them;
       delete  DELETE, after a GET of the object right before (a DELETE carries no revision);
     never `X-Allow-Overwrite`. An answer that is lost or unexpected (timeout, 5xx, dropped
     connection) is decided by reading NSX's state (apply/outcome.py); NSX's refusals that say
     the object is not as the plan saw it (412, 500127) are turned into the one-line reason the
     pre-image check gives, by reading the object NSX refused to overwrite;
  4. the realization of every landed write of the wave is polled together (apply/realize.py).
"""

from __future__ import annotations

import dataclasses
import graphlib
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Protocol

from nsxplan.apply.bulk import read_pre_images, waves
from nsxplan.apply.outcome import (
    CHANGED,
    LANDED,
    NOT_LANDED,
    Outcome,
    matches_body,
    read_object,
    settle,
)
from nsxplan.apply.realize import realize_results, wait_realization
from nsxplan.apply.records import Method, Step, StepResult, WriteOp
from nsxplan.apply.report import Reporter
from nsxplan.errors import ApplyError, NsxApiError, NsxplanError, Problem
from nsxplan.nsx.guard import Guard, path_problem
from nsxplan.nsx.objects import modified_by
from nsxplan.nsx.passwords import to_send
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Action, Plan

__all__ = ["Client", "Executor", "build_steps", "wait_realization"]

# NSX's answers that mean "the object is not as this write assumed": a stale `_revision` (412)
# and a create over an existing object (400, error_code 500127, reference §5).
_PRECONDITION_STATUS = 412
_ALREADY_EXISTS = "500127"


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
            steps.append(Step(seq=seq + 1, action=action, op=CREATE, method="PUT",
                              body=dict(action.after or {}),
                              depends=(seq,)))
        elif action.action == DELETE:
            steps.append(Step(seq=seq, action=action, op=DELETE, method="DELETE", body=None))
        else:
            body = dict(action.after or {})
            if action.action == UPDATE and action.revision is not None:
                body["_revision"] = action.revision
            op: WriteOp = CREATE if action.action == CREATE else UPDATE   # no-ops are no changes
            method: Method = "PUT" if op == CREATE else "PATCH"
            steps.append(Step(seq=seq, action=action, op=op, method=method, body=body))
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
    # object as last read before the write (its wave's bulk read, or its own GET), and its
    # ancestors.
    guard: Guard | None = None
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)   # password_env values

    def started_results(self) -> list[StepResult]:
        """Results of the steps that reached their write, in the order they began (the order
        rollback must reverse: a dependent always begins after what it depends on ended)."""
        return [self.results[s] for s in self._started if s in self.results]

    def run(self, steps: Sequence[Step]) -> list[StepResult]:
        """Run steps wave by wave; after the first failure start nothing new, let the writes in
        flight finish (a half-observed write is worse than a finished one), await their
        realization, and return.

        Ctrl-C and SIGTERM are handled the same way: `interrupted` is set, nothing new starts,
        the writes in flight finish, and the caller decides (apply rolls back). A second signal
        during that drain is raised to the caller; the journal still says what was started."""
        width = max(1, self.parallelism)
        with ThreadPoolExecutor(max_workers=width, thread_name_prefix="nsxplan-apply") as pool:
            try:
                for wave in waves(steps):
                    if self._stop.is_set():
                        break
                    self._wave(pool, wave)
            except KeyboardInterrupt as exc:    # between two waits: the same as during one
                if self.interrupted:
                    raise
                self.interrupted = True
                self.signal = int(getattr(exc, "signum", 2))
                self._stop.set()
        return [self.results[s] for s in sorted(self.results)]

    def _drain(self, futures: Iterable[Future[Any]]) -> None:
        """Wait for every future; a first Ctrl-C/SIGTERM only stops new work (see `run`)."""
        pending = set(futures)
        while pending:
            try:
                # Woken by every finished write and at least every 0.2 s: a signal that reached
                # another thread is handled here only once this thread runs again.
                _, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            except KeyboardInterrupt as exc:    # Ctrl-C, or SIGTERM turned into one
                # The signal may land anywhere, even between a submit and its bookkeeping:
                # each worker files its own result and every submitted task is waited for,
                # so none is lost to rollback.
                if self.interrupted:
                    raise
                self.interrupted = True
                self.signal = int(getattr(exc, "signum", 2))
                self._stop.set()

    def _wave(self, pool: ThreadPoolExecutor, wave: list[Step]) -> None:
        # Only creates take their pre-image from the wave's bulk read (updates and deletes read
        # theirs right before the write): a wave without creates needs none.
        creates = [s for s in wave if s.method == "PUT"]
        try:
            pre = self._call(pool, lambda: read_pre_images(self.client, creates)) if creates \
                else {}
        except (NsxplanError, ValueError) as exc:   # ValueError: a path of no kind nsxplan knows
            # Nothing of this wave was sent: its first step carries the reason.
            result = StepResult(wave[0], ok=False)
            result.problem = exc.problems[0] if isinstance(exc, NsxplanError) and exc.problems \
                else Problem(str(exc))
            result.error = result.problem.message
            self._file(result)
            self.reporter.step_finished(result)
            self._stop.set()
            return
        futures = [pool.submit(self._write, step, pre.get(step.path)) for step in wave]
        self._drain(futures)
        written = [r for f in futures if (r := f.result()) is not None]
        landed = [r for r in written if r.error is None and r.landed]
        unread = [r for r in landed if r.step.method == "PATCH" and r.revision is None]
        if unread:
            self._call(pool, lambda: self._read_back(unread))
        if landed:
            self._call(pool, lambda: self._realize(landed))
        for result in written:
            result.elapsed = time.monotonic() - result.elapsed   # it held the start time
            self.reporter.step_finished(result)
            if not result.ok:
                self._stop.set()

    def _call(self, pool: ThreadPoolExecutor, work: Callable[[], Any]) -> Any:
        """Run `work` on the pool, so a signal reaches the main thread's wait, not the work."""
        future = pool.submit(work)
        self._drain([future])
        return future.result()

    def _file(self, result: StepResult) -> None:
        with self._lock:
            self.results[result.step.seq] = result     # filed by the worker: never lost

    def _write(self, step: Step, pre: Mapping[str, Any] | None) -> StepResult | None:
        """One step's write; None when it was never started (the apply is stopping)."""
        if self._stop.is_set():
            return None
        result = StepResult(step, ok=False, elapsed=time.monotonic())   # start time, for now
        self._file(result)
        try:
            self._send(step, pre, result)
        except NsxplanError as exc:
            result.problem = exc.problems[0] if exc.problems else Problem(str(exc))
            result.error = result.problem.message
        except Exception as exc:  # noqa: BLE001 - a worker must always report back
            result.error = f"internal error: {type(exc).__name__}: {exc}"
        if result.error is not None:
            self._stop.set()
        return result

    def _send(self, step: Step, pre: Mapping[str, Any] | None, result: StepResult) -> None:
        bad = path_problem(step.path)
        if bad is not None:      # (apply's pre-check refuses it first; never even read it)
            result.error = f"{step.path!r} {bad}; nsxplan never writes it"
            return
        method = step.method
        if method != "PUT":
            # An update or a delete has no guard of NSX's own against an edit since the bulk
            # read (a DELETE carries no `_revision`; whether a plain PATCH checks one is not
            # confirmed, reference §11.2): its object is read again right before the write,
            # as it always was. The bulk read already refused what it showed changed.
            pre = read_object(self.client, step.path)
        result.pre_image = pre
        body = _wire(step)
        refusal = _refusal(step, pre, self.guard)
        extra: dict[str, Any] = {}
        if not refusal and method != "DELETE":
            # A neighbor password joins the body only here, at send time: never in the plan,
            # the step (journaled) or the reporter's view (nsx/passwords.py).
            password, refusal = to_send((step.body or {}).get("tags"), (pre or {}).get("tags"),
                                        step.op == CREATE, self.env)
            if password is not None:
                extra["password"] = password
        sent = dataclasses.replace(step, method=method, body=body)
        result.step = sent
        with self._lock:
            self._started.append(step.seq)
        self.reporter.step_started(sent, pre)
        if refusal:
            result.error = refusal
            return
        result.landed = None     # from here on, unknown until NSX's state says
        # A PATCH answers with no body: what an update produced is read for the whole wave
        # at once after its writes (`_read_back`), not object by object.
        outcome = settle(self.client, method, step.path,
                         None if body is None else {**body, **extra}, pre=pre,
                         read_back=False)
        result.landed = outcome.landed
        result.revision, result.unique_id = outcome.revision, outcome.unique_id
        if outcome.state == CHANGED:
            result.error = outcome.conflict_text(step.path)
        elif outcome.state != LANDED:
            result.error = self._refused(step, outcome)

    def _refused(self, step: Step, outcome: Outcome) -> str:
        """Why NSX did not take the write, in the words of the pre-image check when NSX refused
        it because the object is not as the plan saw it (decided by reading it now)."""
        error = outcome.error
        assert error is not None
        if outcome.state == NOT_LANDED and isinstance(error, NsxApiError) and (
                error.status == _PRECONDITION_STATUS or str(error.error_code) == _ALREADY_EXISTS):
            try:
                now = read_object(self.client, step.path)
            except NsxplanError:
                now = None
            else:
                why = _refusal(step, now, self.guard)
                if why is not None:
                    code = f" error_code {error.error_code}" if error.error_code else ""
                    return f"{why}; NSX refused the write ({error.status}{code})"
        problem = error.problems[0] if error.problems else Problem(str(error))
        return problem.message

    def _read_back(self, results: list[StepResult]) -> None:
        """The `_revision` and `unique_id` the wave's landed PATCHes produced, from one bulk
        read (rollback tells nsxplan's own version of an object from a later edit by them). An
        object that does not show the write any more was edited right after it: what the write
        produced stays unknown, and rollback decides by state (as apply/outcome.py does)."""
        try:
            now = read_pre_images(self.client, [r.step for r in results])
        except (NsxplanError, ValueError):
            return
        for result in results:
            current = now.get(result.step.path)
            if current is None or not matches_body(current, result.step.body):
                continue
            rev, uid = current.get("_revision"), current.get("unique_id")
            result.revision = rev if isinstance(rev, int) else None
            result.unique_id = str(uid) if uid else None

    def _realize(self, landed: list[StepResult]) -> None:
        realize_results(self.client, landed, self.reporter, timeout=self.realization_timeout,
                        poll_interval=self.poll_interval)


def _wire(step: Step) -> dict[str, Any] | None:
    """The body that sends this step with its method (see the module docstring)."""
    if step.method == "DELETE":
        return None
    body = dict(step.body or {})
    if step.method == "PUT":
        body.pop("_revision", None)       # a PUT without one creates, never replaces
    return body


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
