"""`apply`: execute a Plan against NSX so that it ends fully applied or exactly restored.

    stale check (one bulk re-read; refuse with exit 3, nothing written)
    -> safety rails (protected / system-owned objects: refuse, nothing written)
    -> journal header -> ordered, parallel writes with realization waits (apply/executor.py)
    -> on failure: undo the started steps newest first and verify (apply/rollback.py), unless
       rollback=False, in which case say what is left and how to restore it.

The caller (the CLI) owns prompting, plan display and printing the journal path; this module
returns an ApplyResult and never prints except through the reporter it is given.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nsxplan import __version__
from nsxplan.apply.atomic import AtomicExecutor
from nsxplan.apply.executor import Client, Executor, build_steps
from nsxplan.apply.journal import Journal, utc_now
from nsxplan.apply.records import (
    APPLIED,
    FAILED,
    NOTHING,
    ROLLBACK_INCOMPLETE,
    ROLLED_BACK,
    ApplyResult,
    RollbackResult,
    UndoItem,
    signal_name,
)
from nsxplan.apply.report import Reporter, Reporters
from nsxplan.apply.rollback import undo
from nsxplan.errors import ApplyError, Problem
from nsxplan.live.state import LiveState
from nsxplan.nsx.guard import Guard, ownership_refusal
from nsxplan.nsx.objects import OWNER_SCOPE
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Plan
from nsxplan.plan.stale import check_stale

__all__ = ["ApplyResult", "apply_plan", "check_stale", "plan_digest", "refuse_protected"]


def plan_digest(plan: Plan) -> str:
    """A fingerprint of what the plan writes (journal header; ties a journal to its plan)."""
    content = [[a.address, a.action, a.path, a.after, a.revision] for a in plan.changes]
    raw = json.dumps([plan.target, plan.owner, plan.config_digest, content], sort_keys=True,
                     default=str)
    return "sha256:" + hashlib.sha256(raw.encode()).hexdigest()


def _bulk_read_live(client: Client) -> LiveState:
    from nsxplan.live.read import read_live  # imported late: apply's modules stay import-light

    return read_live(client)  # type: ignore[arg-type]


def refuse_protected(plan: Plan, live: LiveState) -> None:
    """Defence in depth behind the planner, for saved plans that were edited by hand: the
    planner's own guard (nsxplan.guard) over the live state just read: canonical /infra paths
    only, nothing protected or under something protected, nothing of another owner's, deletes
    and replaces only of this owner's objects, updates only of ours or adopted ones."""
    guard = Guard(live.get)
    problems = []
    for action in plan.changes:
        refusal = guard.refusal(action.path, action.before, live.get(action.path))
        if refusal is not None:
            problems.append(Problem(
                f"{action.address} ({refusal.path}) {refusal.phrase}; refusing to "
                f"{action.action} it",
                hint="objects owned by NSX or a principal identity such as NCP are never "
                     "changed by nsxplan, and a saved plan names plain /infra paths only; "
                     "run `nsxplan plan --out FILE` again"))
            continue
        foreign = ownership_refusal(action.action, live.get(action.path), plan.owner,
                                    adopt=action.adopt)
        if foreign is not None:
            problems.append(Problem(
                f"{action.address} ({action.path}) {foreign}; refusing to {action.action} it",
                hint=f"nsxplan deletes only objects tagged {OWNER_SCOPE}={plan.owner} and "
                     "never changes another owner's; run `nsxplan plan` again and review it"))
    if problems:
        raise ApplyError(problems)


def apply_plan(plan: Plan, client: Client, *, parallelism: int = 4, atomic: bool = False,
               rollback: bool = True,
               journal_path: Path | str, reporter: Reporter | None = None,
               realization_timeout: float = 60.0, poll_interval: float = 0.2,
               read_live: Callable[[Any], LiveState] | None = None,
               env: Mapping[str, str] | None = None) -> ApplyResult:
    """Apply `plan`. Raises StalePlanError (exit 3) or ApplyError (protected object, cyclic
    plan) before any write; otherwise returns an ApplyResult (see `status`, `exit_code`).
    `atomic`: each dependency wave as one Hierarchical API PATCH (apply/atomic.py).
    `env`: where BGP neighbor passwords are read (default: this process's environment)."""
    started = time.monotonic()
    first_request = getattr(client, "request_count", 0)
    steps = build_steps(plan)
    counts = {k: sum(1 for a in plan.changes if a.action == k)
              for k in (CREATE, UPDATE, DELETE, REPLACE)}
    if not steps:
        return ApplyResult(NOTHING, counts=counts)

    if reporter is not None:        # the stale check re-reads everything the plan touches
        reporter.refresh_started(plan.target)
    began = time.monotonic()
    live = (read_live or _bulk_read_live)(client)
    if reporter is not None:
        reporter.refresh_finished(len(live.objects), live.requests, time.monotonic() - began)
    # The guard first: a saved plan that names a path nsxplan never writes is refused for that
    # reason (exit 1), not merely as stale.
    refuse_protected(plan, live)
    check_stale(plan, live)

    journal_file = Path(journal_path)
    with Journal(journal_file) as journal:
        rep = Reporters([journal, reporter])
        rep.start({"nsxplan_version": __version__, "target": plan.target, "owner": plan.owner,
                   "plan_digest": plan_digest(plan), "config_digest": plan.config_digest,
                   "started": utc_now(), "journal": str(journal_file)}, len(steps))
        run = AtomicExecutor if atomic else Executor
        executor = run(client, rep, parallelism=parallelism,
                       env=os.environ if env is None else env,
                       realization_timeout=realization_timeout, poll_interval=poll_interval,
                       guard=Guard(live.get))
        stopped: KeyboardInterrupt | None = None
        try:
            results = executor.run(steps)
        except KeyboardInterrupt as exc:
            # A second Ctrl-C/SIGTERM while the writes in flight were finishing: the operator
            # wants out now. No rollback; the journal and the command that resumes it are
            # printed (ApplyResult.lines).
            stopped = exc
            results = [executor.results[s] for s in sorted(executor.results)]
        result = ApplyResult(APPLIED, results=results, total_steps=len(steps),
                             journal_path=journal_file, counts=counts,
                             interrupted=executor.interrupted, signal=executor.signal)
        if result.failures or result.interrupted:
            result.status = FAILED
            if stopped is not None:
                result.left_as_is = (f"stopped by a second {signal_name(result.signal or 2)}; "
                                     "not rolled back")
            elif rollback:
                # Every started write; undo itself leaves out the ones NSX's state says did
                # not land, and verifies the rest.
                items = [UndoItem(r.step.seq, r.step.address, r.step.path, r.step.op,
                                  r.pre_image, r.step.body, r.landed, r.revision, r.unique_id,
                                  r.step.action.action)
                         for r in executor.started_results()]
                first = result.failures[0] if result.failures else None
                reason = (f"{first.step.address} failed: {first.error}" if first
                          else f"interrupted ({signal_name(result.signal or 2)})")
                try:
                    result.rollback = undo(
                        items, client, rep, reason=reason,
                        realization_timeout=realization_timeout,
                        poll_interval=poll_interval, journal_path=journal_file,
                        owner=plan.owner)
                except KeyboardInterrupt as exc:
                    # A signal between undo's own guards (while it reported its start, say):
                    # the same as one during it. Not verified; the journal says the rest.
                    result.rollback = RollbackResult(
                        restored=False, journal_path=journal_file,
                        interrupted=int(getattr(exc, "signum", 2)))
                if result.rollback.interrupted is not None and not result.interrupted:
                    result.interrupted, result.signal = True, result.rollback.interrupted
                result.status = ROLLED_BACK if result.rollback.restored else ROLLBACK_INCOMPLETE
        result.elapsed = time.monotonic() - started
        result.requests = getattr(client, "request_count", 0) - first_request
        rep.summary(result)
    return result


