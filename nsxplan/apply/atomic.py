"""`apply --atomic`: each dependency wave of creates and updates as one Hierarchical API PATCH.

The steps are grouped into waves (every step's dependencies lie in earlier waves). For each wave:

  1. one filtered Hierarchical API GET reads the pre-image of every object the wave writes
     (instead of one GET per object), and the per-object refusals of the step executor apply
     to it unchanged: protected, appeared since the plan, disappeared, `_revision` moved;
     any refusal stops the apply before the wave is sent;
  2. the wave's creates and updates go in one `PATCH /infra?enforce_revision_check=true`
     (updates carry the plan's `_revision`), which NSX applies all-or-nothing: a 4xx means no
     object of the wave changed, a 2xx that all did;
  3. deletes are sent one by one (plain DELETEs): a delete in the Hierarchical API
     (`marked_for_delete`) removes the object's whole subtree, which could take objects
     nsxplan does not own with it; a plain DELETE is refused by NSX while anything hangs below;
  4. realization is awaited for every object of the wave together: one search per poll
     round (apply/realize.py), per object where the search cannot tell.

Each step is journaled (started with its pre-image, finished with its outcome) as in the
per-object mode, so a failure in a later wave rolls back the earlier waves with the same
rollback, and `nsxplan rollback JOURNAL` works the same.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from nsxplan.apply.bulk import WRAPPED, chain, read_pre_images, waves
from nsxplan.apply.executor import Client, _refusal
from nsxplan.apply.outcome import (
    CHANGED,
    LANDED,
    MAX_ATTEMPTS,
    RETRY_STATUSES,
    Outcome,
    matches_body,
    same_incarnation,
    settle,
)
from nsxplan.apply.realize import realize_results
from nsxplan.apply.records import Step, StepResult
from nsxplan.apply.report import Reporter
from nsxplan.errors import NsxApiError, NsxplanError, Problem
from nsxplan.nsx.guard import Guard
from nsxplan.nsx.kinds import KINDS
from nsxplan.nsx.passwords import to_send
from nsxplan.plan.model import CREATE, UPDATE

_COLLECTION_OF = {v: k for k, v in WRAPPED.items()}


def hierarchical_body(steps: Sequence[Step]) -> dict[str, Any]:
    """The `Infra` tree writing `steps` (creates and updates): each object in its `Child<T>`
    wrapper, reached through `ChildResourceReference`s, which walk into existing parents
    without changing them."""
    root: dict[str, Any] = {"resource_type": "Infra", "children": []}
    nodes: dict[str, dict[str, Any]] = {"/infra": root}
    for step in sorted(steps, key=lambda s: (s.path.count("/"), s.seq)):
        links = chain(step.path)
        parent = root
        prefix = "/infra"
        for depth, (resource_type, obj_id) in enumerate(links):
            prefix = _child_path(prefix, resource_type, obj_id)
            node = nodes.get(prefix)
            last = depth == len(links) - 1
            if node is None:
                if last:
                    body = dict(step.body or {})
                    # a wrapped type keeps its own (IpAddressPoolStaticSubnet...)
                    body.setdefault("resource_type", resource_type)
                    if resource_type not in _COLLECTION_OF:
                        body["resource_type"] = resource_type
                    wrapper = {"resource_type": f"Child{resource_type}", resource_type: body}
                    node = body
                else:
                    node = wrapper = {"resource_type": "ChildResourceReference", "id": obj_id,
                                      "target_type": resource_type}
                parent.setdefault("children", []).append(wrapper)
                nodes[prefix] = node
            parent = node
    return root


def _child_path(parent: str, resource_type: str, obj_id: str) -> str:
    if resource_type in _COLLECTION_OF:
        return f"{parent}/{_COLLECTION_OF[resource_type]}/{obj_id}"
    if KINDS[resource_type].singleton:
        return f"{parent}/{KINDS[resource_type].collection}"
    return f"{parent}/{KINDS[resource_type].collection}/{obj_id}"


@dataclass
class AtomicExecutor:
    """The executor of `apply --atomic`; the same interface as executor.Executor."""

    client: Client
    reporter: Reporter
    parallelism: int = 4
    realization_timeout: float = 60.0
    poll_interval: float = 0.2
    results: dict[int, StepResult] = field(default_factory=dict)
    _started: list[int] = field(default_factory=list)
    interrupted: bool = False
    signal: int | None = None
    guard: Guard | None = None      # as executor.Executor: the pre-check's guard, per object
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)   # password_env values

    def started_results(self) -> list[StepResult]:
        return [self.results[s] for s in self._started if s in self.results]

    def run(self, steps: Sequence[Step]) -> list[StepResult]:
        try:
            for wave in waves(steps):
                if not self._wave(wave):
                    break
        except KeyboardInterrupt as exc:     # Ctrl-C, or SIGTERM turned into one
            self.interrupted = True
            self.signal = int(getattr(exc, "signum", 2))
        return [self.results[s] for s in sorted(self.results)]

    def _wave(self, wave: list[Step]) -> bool:
        """Run one wave; False when the apply must stop."""
        start = time.monotonic()
        pre = self._pre_images(wave)
        refused = [(s, why) for s in wave
                   if (why := _refusal(s, pre.get(s.path), self.guard))]
        # Neighbor passwords join the H-API body only (never the steps the journal records).
        passwords: dict[int, str] = {}
        for s in wave:
            if s.method != "DELETE" and not refused:
                password, why = to_send((s.body or {}).get("tags"),
                                        (pre.get(s.path) or {}).get("tags"), s.op == CREATE,
                                        self.env)
                if why is not None:
                    refused.append((s, why))
                elif password is not None:
                    passwords[s.seq] = password
        if refused:
            for step, why in refused:
                self._start(step, pre.get(step.path))
                self._finish(StepResult(step, ok=False, error=why, landed=False,
                                        pre_image=pre.get(step.path),
                                        elapsed=time.monotonic() - start))
            return False
        deletes = [s for s in wave if s.method == "DELETE"]
        writes = [s for s in wave if s.method != "DELETE"]
        results = {s.seq: StepResult(s, ok=False, pre_image=pre.get(s.path)) for s in wave}
        for step in deletes:
            self._start(step, pre.get(step.path))
            # Decided by NSX's state like a step of the per-object executor (outcome.py).
            _take(results[step.seq], settle(self.client, "DELETE", step.path, None,
                                            pre=pre.get(step.path)))
        if writes and not any(results[s.seq].error for s in deletes):
            for step in writes:
                self._start(step, pre.get(step.path))
            body = hierarchical_body([_with_password(_with_revision(s), passwords)
                                      for s in writes])
            for attempt in range(1, MAX_ATTEMPTS + 1):
                outcome = StepResult(writes[0], ok=False)
                # NsxClient.patch takes query parameters; the executor's Client protocol does
                # not need them. Not retried blindly by the client: a retry of a wave that
                # landed gets 412 from enforce_revision_check, which is no proof of anything.
                failed = self._send(outcome, lambda: self.client.patch(  # type: ignore[call-arg]
                    "/infra", body, params={"enforce_revision_check": True},
                    retry_unknown=False))
                for step in writes:
                    r = results[step.seq]
                    r.landed, r.error, r.problem = outcome.landed, outcome.error, outcome.problem
                # Whatever NSX answered, its state says what landed (outcome.py).
                self._read_back(writes, results, pre, answered=failed is None)
                status = getattr(failed, "status", None)    # None: the connection failed
                unchanged = all(results[s.seq].landed is False for s in writes)
                if failed is None or not unchanged or attempt == MAX_ATTEMPTS or (
                        status is not None and status not in RETRY_STATUSES):
                    break
                self._pause(attempt)
        landed = [results[s.seq] for s in wave if results[s.seq].landed]
        # Realization of the whole wave polled together: a search per round (apply/realize.py).
        self._realize(landed)
        for step in wave:
            r = results[step.seq]
            if step.seq in self._started:
                r.elapsed = time.monotonic() - start
                self._finish(r)
        return all(r.ok for r in results.values())

    def _pause(self, attempt: int) -> None:
        policy = getattr(self.client, "retry", None)
        delay = policy.delay(attempt - 1, None) if policy is not None else 0.25 * attempt
        getattr(policy, "sleep", time.sleep)(delay)

    def _read_back(self, writes: list[Step], results: dict[int, StepResult],
                   pre: Mapping[str, Mapping[str, Any]], answered: bool) -> None:
        """After the wave's PATCH, whatever NSX answered: which objects show the write (landed,
        with the `_revision` it produced), which are as before (not landed), which someone
        else changed. One bulk read, as for the pre-images."""
        try:
            after = self._pre_images(writes)
        except NsxplanError:
            return            # unknown stays unknown; rollback decides by state
        for step in writes:
            r, now = results[step.seq], after.get(step.path)
            if matches_body(now, step.body):
                assert now is not None
                rev, uid = now.get("_revision"), now.get("unique_id")
                r.landed, r.error, r.problem = True, None, None
                r.revision = rev if isinstance(rev, int) else None
                r.unique_id = str(uid) if uid else None
            elif answered:
                # NSX said 2xx, so it landed; a read that does not show it (a lagging manager
                # node, an edit right after) leaves what it produced unknown: rollback decides
                # by state then.
                r.landed, r.revision, r.unique_id = True, None, None
            elif same_incarnation(pre.get(step.path), now):
                r.landed = False
            else:
                r.landed = None
                r.error = Outcome(CHANGED, current=now).conflict_text(step.path)

    def _pre_images(self, wave: list[Step]) -> dict[str, dict[str, Any]]:
        return read_pre_images(self.client, wave)

    def _send(self, result: StepResult, write: Any) -> NsxplanError | None:
        """Send; the error, if any (NSX's state is read back by the caller either way)."""
        result.landed = None         # from here on, unknown until NSX answers
        try:
            write()
        except NsxApiError as exc:
            # NSX validates a write (a single object, or a whole H-API tree) before storing
            # any of it: a 4xx on a first attempt means nothing of it landed.
            if 400 <= exc.status < 500:
                result.landed = False
            result.problem = exc.problems[0] if exc.problems else Problem(str(exc))
            result.error = result.problem.message
            return exc
        except NsxplanError as exc:
            result.problem = exc.problems[0] if exc.problems else Problem(str(exc))
            result.error = result.problem.message
            return exc
        result.landed = True
        return None

    def _realize(self, landed: list[StepResult]) -> None:
        realize_results(self.client, landed, self.reporter, timeout=self.realization_timeout,
                        poll_interval=self.poll_interval)

    def _start(self, step: Step, pre: Mapping[str, Any] | None) -> None:
        # Filed before anything is sent, outcome unknown: a signal between here and _finish
        # still leaves rollback the pre-image, and it decides by NSX's state.
        self.results[step.seq] = StepResult(step, ok=False, landed=None, pre_image=pre)
        self._started.append(step.seq)
        self.reporter.step_started(step, pre)

    def _finish(self, result: StepResult) -> None:
        self.results[result.step.seq] = result
        self.reporter.step_finished(result)


def _take(result: StepResult, outcome: Outcome) -> None:
    result.landed = outcome.landed
    result.revision, result.unique_id = outcome.revision, outcome.unique_id
    if outcome.state == CHANGED:
        result.error = outcome.conflict_text(result.step.path)
    elif outcome.state != LANDED and outcome.error is not None:
        result.problem = (outcome.error.problems[0] if outcome.error.problems
                          else Problem(str(outcome.error)))
        result.error = result.problem.message


def _with_revision(step: Step) -> Step:
    """Updates carry the `_revision` read at plan time (build_steps already put it in the body);
    `enforce_revision_check` makes NSX refuse the whole wave if any object moved since."""
    if step.op == UPDATE and step.body is not None and "_revision" not in step.body \
            and step.action.revision is not None:
        body = {**step.body, "_revision": step.action.revision}
        return Step(seq=step.seq, action=step.action, op=step.op, method=step.method, body=body,
                    depends=step.depends)
    return step


def _with_password(step: Step, passwords: Mapping[int, str]) -> Step:
    if step.seq not in passwords:
        return step
    body = {**(step.body or {}), "password": passwords[step.seq]}
    return Step(seq=step.seq, action=step.action, op=step.op, method=step.method, body=body,
                depends=step.depends)
