"""Prometheus textfile for `nsxplan drift --metrics FILE` (node_exporter's textfile collector).

Every series carries the owner label: one cron job per owner may write its own file into the same
collector directory, and node_exporter rejects the same series coming from two files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nsxplan.durable import write_atomic
from nsxplan.errors import MetricsError
from nsxplan.plan.model import ACTIONS, NOOP, Op, Plan

_CHECK_STATUSES = ("ok", "warn", "fail")


def drift_metrics(plan: Plan, *, now: datetime | float) -> str:
    """The textfile for one drift run; deterministic for a given plan and `now`."""
    timestamp = now.timestamp() if isinstance(now, datetime) else float(now)
    owner = _label(plan.owner)
    # No-ops are not changes: `sum(nsxplan_drift_changes) > 0` must mean drift, so they get
    # their own series.
    counts: dict[Op, int] = {a: 0 for a in ACTIONS if a != NOOP}
    for action in plan.changes:
        counts[action.action] = counts.get(action.action, 0) + 1
    checks = {s: 0 for s in _CHECK_STATUSES}
    for check in plan.checks:
        checks[check.status] = checks.get(check.status, 0) + 1
    lines = [
        "# HELP nsxplan_drift_changes Actions needed to bring NSX back to the configuration, "
        "by action.",
        "# TYPE nsxplan_drift_changes gauge",
        *(f'nsxplan_drift_changes{{owner="{owner}",action="{_label(a)}"}} {n}'
          for a, n in sorted(counts.items())),
        "# HELP nsxplan_drift_detected 1 when the live state differs from the configuration.",
        "# TYPE nsxplan_drift_detected gauge",
        f'nsxplan_drift_detected{{owner="{owner}"}} {int(plan.has_changes)}',
        "# HELP nsxplan_drift_unchanged_objects Managed objects in sync with the configuration.",
        "# TYPE nsxplan_drift_unchanged_objects gauge",
        f'nsxplan_drift_unchanged_objects{{owner="{owner}"}} {plan.summary()["unchanged"]}',
        "# HELP nsxplan_drift_unmanaged_objects Objects under managed gateways left alone.",
        "# TYPE nsxplan_drift_unmanaged_objects gauge",
        f'nsxplan_drift_unmanaged_objects{{owner="{owner}"}} {len(plan.unmanaged)}',
        "# HELP nsxplan_checks Dependency checks at the last drift run, by status.",
        "# TYPE nsxplan_checks gauge",
        *(f'nsxplan_checks{{owner="{owner}",status="{_label(s)}"}} {n}'
          for s, n in sorted(checks.items())),
        "# HELP nsxplan_drift_rogue_objects Routes, NAT rules and DNS forwarders made by hand "
        "inside gateways the configuration manages.",
        "# TYPE nsxplan_drift_rogue_objects gauge",
        f'nsxplan_drift_rogue_objects{{owner="{owner}"}} '
        f'{sum(1 for u in plan.unmanaged if u.rogue)}',
        "# HELP nsxplan_checks_paging Failing dependency checks that are not waived (on NSX "
        "now or after the plan): drift exits 2 for them.",
        "# TYPE nsxplan_checks_paging gauge",
        f'nsxplan_checks_paging{{owner="{owner}"}} {sum(1 for c in plan.checks if c.pages)}',
        "# HELP nsxplan_drift_object_modified_timestamp_seconds When NSX says each drifted or "
        "rogue object was last changed, and by whom.",
        "# TYPE nsxplan_drift_object_modified_timestamp_seconds gauge",
        *_modified_samples(plan, owner),
        "# HELP nsxplan_drift_last_run_timestamp_seconds When the last drift run finished.",
        "# TYPE nsxplan_drift_last_run_timestamp_seconds gauge",
        f'nsxplan_drift_last_run_timestamp_seconds{{owner="{owner}"}} {_number(timestamp)}',
    ]
    return "\n".join(lines) + "\n"


def _modified_samples(plan: Plan, owner: str) -> list[str]:
    """One sample per drifted (update/delete/replace) or rogue object whose change time NSX
    reports: who (`user`) and when (the value), so an alert can say who to ask."""
    rows: list[tuple[str, str, str, str | None, str | None]] = [
        (a.path, a.kind, a.action, a.modified_user, a.modified_time)
        for a in plan.changes if a.action != "create"]
    rows += [(u.path, u.kind, "rogue", u.modified_user, u.modified_time)
             for u in plan.unmanaged if u.rogue]
    out = []
    for path, kind, change, user, when in rows:
        seconds = _epoch(when)
        if seconds is None:
            continue
        out.append(f'nsxplan_drift_object_modified_timestamp_seconds{{owner="{owner}",'
                   f'path="{_label(path)}",kind="{_label(kind)}",change="{_label(change)}",'
                   f'user="{_label(user or "")}"}} {_number(seconds)}')
    return out


def _epoch(iso: str | None) -> float | None:
    if not iso:
        return None
    try:
        return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def write_metrics(path: str | Path, text: str) -> None:
    """Atomic, so node_exporter never scrapes half a file; world-readable, as the collector
    usually runs as another user."""
    write_atomic(Path(path), text, mode=0o644, error=MetricsError)


def _label(value: str) -> str:
    # Prometheus text format: label values escape backslash, double quote and newline.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
