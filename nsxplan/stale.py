"""Stale-plan refusal: a plan is applied exactly as reviewed, or not at all.

Before the first write, apply re-reads live state (one bulk read) and compares every object the
plan covers, no-op actions included: a plan that said "unchanged" about an object someone has
since modified no longer describes what applying it leaves behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from nsxplan.errors import Problem, StalePlanError
from nsxplan.livestate import LiveState
from nsxplan.plan import CREATE, Action, Plan


def iso_time(epoch_ms: Any) -> str | None:
    """NSX's epoch milliseconds as ISO 8601 UTC ('2026-11-21T19:41:43Z'); None if unusable."""
    if not isinstance(epoch_ms, (int, float)) or isinstance(epoch_ms, bool):
        return None
    try:
        moment = datetime.fromtimestamp(epoch_ms / 1000.0, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _by(obj: Mapping[str, Any], user_field: str, time_field: str) -> str:
    user = obj.get(user_field) or "an unknown user"
    when = iso_time(obj.get(time_field))
    return f"by {user}" + (f" at {when}" if when else "")


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
                    f"{_by(obj, '_create_user', '_create_time')})"]
        return []
    if obj is None:
        # The deleter leaves no trace on the object; NSX's audit log has the name.
        return [f"{where}: disappeared since the plan (deleted; see the NSX audit log for who)"]
    revision = obj.get("_revision")
    if action.revision is not None and revision != action.revision:
        return [f"{where}: _revision {action.revision} -> {revision}, modified "
                f"{_by(obj, '_last_modified_user', '_last_modified_time')}"]
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
