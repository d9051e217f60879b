"""Stale-plan refusal: a plan is applied exactly as reviewed, or not at all.

Before the first write, apply re-reads live state (one bulk read) and compares every object the
plan covers, no-op actions included: a plan that said "unchanged" about an object someone has
since modified no longer describes what applying it leaves behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nsxplan.errors import Problem, StalePlanError
from nsxplan.live.state import LiveState
from nsxplan.nsx.objects import modified_by
from nsxplan.plan.model import CREATE, Action, Plan


def stale_changes(plan: Plan, live: LiveState) -> list[str]:
    """One line per object that no longer matches what the plan read."""
    found: list[str] = []
    for action in plan.actions:
        found.extend(_compare(action, live.get(action.path)))
    return found


def _compare(action: Action, obj: Mapping[str, Any] | None) -> list[str]:
    where = f"{action.address} ({action.path})"
    if action.action == CREATE:
        if obj is not None:
            return [f"{where}: appeared since the plan (created "
                    f"{modified_by(obj, created=True)})"]
        return []
    if obj is None:
        # The deleter leaves no trace on the object; NSX's audit log has the name.
        return [f"{where}: disappeared since the plan (deleted; see the NSX audit log for who)"]
    revision = obj.get("_revision")
    if action.revision is not None and revision != action.revision:
        return [f"{where}: _revision {action.revision} -> {revision}, modified "
                f"{modified_by(obj)}"]
    return []


def check_stale(plan: Plan, live: LiveState) -> None:
    """Raise StalePlanError (exit 3) listing every change since the plan; return if none."""
    changes = stale_changes(plan, live)
    if not changes:
        return
    problems = [Problem(line) for line in changes]
    problems[-1] = Problem(problems[-1].message, hint=(
        "the plan is stale and nothing was written; run `nsxplan plan` again and review "
        "the new plan"))
    raise StalePlanError(problems)
