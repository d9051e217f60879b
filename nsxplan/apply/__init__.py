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
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nsxplan import __version__
from nsxplan.apply.atomic import AtomicExecutor
from nsxplan.apply.executor import Client, Executor, build_steps, is_protected
from nsxplan.apply.journal import Journal, utc_now
from nsxplan.apply.records import (
    APPLIED,
    FAILED,
    NOTHING,
    ROLLBACK_INCOMPLETE,
    ROLLED_BACK,
    ApplyResult,
    UndoItem,
)
from nsxplan.apply.report import Reporter, Reporters
from nsxplan.apply.rollback import undo
from nsxplan.errors import ApplyError, Problem
from nsxplan.live.state import LiveState
from nsxplan.nsx.objects import OWNER_SCOPE
from nsxplan.nsx.ownership import owner_of
from nsxplan.plan.model import CREATE, DELETE, REPLACE, UPDATE, Action, Plan
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
    """Defence in depth behind the planner, for saved plans that were edited by hand: never
    write a protected or system-owned object, nor anything under one (a route on an NCP Tier-1
    is NCP's Tier-1 changed); never delete or replace what does not carry this plan's owner
    tag (adopting an untagged object excepted, as the planner allows); never write another
    owner's objects; never write anything but a plain /infra policy path (`..`, `%2F` and the
    like would reach an object other than the one checked here)."""
    problems = []
    for action in plan.changes:
        bad_path = _unsafe_path(action.path)
        if bad_path is not None:
            problems.append(Problem(
                f"{action.address}: {action.path!r} {bad_path}; refusing to {action.action} it",
                hint="the saved plan was edited or damaged; run `nsxplan plan --out FILE` "
                     "again"))
            continue
        found = _protected_at(action.path, action.before, live)
        if found is not None:
            path, obj = found
            what = "is protected" if path == action.path else f"is under protected {path}"
            problems.append(Problem(
                f"{action.address} ({action.path}) {what} (_protection "
                f"{obj.get('_protection')}, _system_owned {obj.get('_system_owned')}, created "
                f"by {obj.get('_create_user')}); refusing to {action.action} it",
                hint="objects owned by NSX or a principal identity such as NCP are never "
                     "changed by nsxplan; remove this from the configuration"))
            continue
        foreign = _not_ours(action, live.get(action.path), plan.owner)
        if foreign is not None:
            problems.append(Problem(
                f"{action.address} ({action.path}) {foreign}; refusing to {action.action} it",
                hint=f"nsxplan deletes only objects tagged {OWNER_SCOPE}={plan.owner} and "
                     "never changes another owner's; run `nsxplan plan` again and review it"))
    if problems:
        raise ApplyError(problems)


def _unsafe_path(path: str) -> str | None:
    """Why `path` is not a plain policy path under /infra, or None when it is."""
    segments = path.split("/")
    if segments[:2] != ["", "infra"] or len(segments) < 3:
        return "is not a policy path under /infra"
    for seg in segments[2:]:
        if seg in ("", ".", "..") or any(c in _UNSAFE_CHARS or c.isspace() for c in seg):
            return f"has an unsafe path segment {seg!r}"
    return None


_UNSAFE_CHARS = frozenset("%?#\\;")


def _not_ours(action: Action, obj: Mapping[str, Any] | None, owner: str) -> str | None:
    """Why this plan's owner may not write the live object `obj`, or None when it may."""
    if obj is None:
        return None          # creates: the stale check and the executor refuse if it appears
    tag = owner_of(obj)
    if tag is not None and tag != owner:
        return f"is owned by nsxplan owner {tag!r}, not {owner!r}"
    if action.action == DELETE and tag != owner:
        return f"is not tagged {OWNER_SCOPE}={owner}"
    if action.action == REPLACE and tag != owner and not action.adopt:
        return f"is not tagged {OWNER_SCOPE}={owner} and the replace does not adopt it"
    return None


def _protected_at(path: str, before: Mapping[str, Any] | None, live: LiveState
                  ) -> tuple[str, Mapping[str, Any]] | None:
    if before is not None and is_protected(before):
        return path, before
    parts = path.split("/")
    for end in range(len(parts), 2, -1):         # the object, then each ancestor below /infra
        prefix = "/".join(parts[:end])
        obj = live.get(prefix)
        if obj is not None and is_protected(obj):
            return prefix, obj
    return None


def apply_plan(plan: Plan, client: Client, *, parallelism: int = 4, atomic: bool = False,
               rollback: bool = True,
               journal_path: Path | str, reporter: Reporter | None = None,
               realization_timeout: float = 60.0, poll_interval: float = 0.2,
               read_live: Callable[[Any], LiveState] | None = None) -> ApplyResult:
    """Apply `plan`. Raises StalePlanError (exit 3) or ApplyError (protected object, cyclic
    plan) before any write; otherwise returns an ApplyResult (see `status`, `exit_code`).
    `atomic`: each dependency wave as one Hierarchical API PATCH (apply/atomic.py)."""
    started = time.monotonic()
    first_request = getattr(client, "request_count", 0)
    steps = build_steps(plan)
    counts = {k: sum(1 for a in plan.changes if a.action == k)
              for k in (CREATE, UPDATE, DELETE, REPLACE)}
    if not steps:
        return ApplyResult(NOTHING, counts=counts)

    live = (read_live or _bulk_read_live)(client)
    check_stale(plan, live)
    refuse_protected(plan, live)

    journal_file = Path(journal_path)
    with Journal(journal_file) as journal:
        rep = Reporters([journal, reporter])
        rep.start({"nsxplan_version": __version__, "target": plan.target, "owner": plan.owner,
                   "plan_digest": plan_digest(plan), "config_digest": plan.config_digest,
                   "started": utc_now(), "journal": str(journal_file)}, len(steps))
        run = AtomicExecutor if atomic else Executor
        executor = run(client, rep, parallelism=parallelism,
                       realization_timeout=realization_timeout, poll_interval=poll_interval)
        results = executor.run(steps)
        result = ApplyResult(APPLIED, results=results, total_steps=len(steps),
                             journal_path=journal_file, counts=counts,
                             interrupted=executor.interrupted)
        if result.failures or result.interrupted:
            result.status = FAILED
            if rollback:
                items = [UndoItem(r.step.seq, r.step.address, r.step.path, r.step.op,
                                  r.pre_image, r.step.body)
                         for r in executor.started_results() if r.landed is not False]
                first = result.failures[0] if result.failures else None
                reason = (f"{first.step.address} failed: {first.error}" if first
                          else "interrupted (Ctrl-C)")
                result.rollback = undo(
                    items, client, rep, reason=reason,
                    realization_timeout=realization_timeout, poll_interval=poll_interval,
                    journal_path=journal_file, owner=plan.owner)
                result.status = ROLLED_BACK if result.rollback.restored else ROLLBACK_INCOMPLETE
        result.elapsed = time.monotonic() - started
        result.requests = getattr(client, "request_count", 0) - first_request
        rep.summary(result)
    return result


