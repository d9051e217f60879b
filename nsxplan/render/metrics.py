"""Prometheus textfile for `nsxplan drift --metrics FILE` (node_exporter's textfile collector).

Every series carries the owner label: one cron job per owner may write its own file into the same
collector directory, and node_exporter rejects the same series coming from two files.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from nsxplan.durable import write_atomic
from nsxplan.errors import MetricsError
from nsxplan.plan.model import ACTIONS, NOOP, Plan

_CHECK_STATUSES = ("ok", "warn", "fail")


def drift_metrics(plan: Plan, *, now: datetime | float) -> str:
    """The textfile for one drift run; deterministic for a given plan and `now`."""
    timestamp = now.timestamp() if isinstance(now, datetime) else float(now)
    owner = _label(plan.owner)
    # No-ops are not changes: `sum(nsxplan_drift_changes) > 0` must mean drift, so they get
    # their own series.
    counts = {a: 0 for a in ACTIONS if a != NOOP}
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
        "# HELP nsxplan_drift_last_run_timestamp_seconds When the last drift run finished.",
        "# TYPE nsxplan_drift_last_run_timestamp_seconds gauge",
        f'nsxplan_drift_last_run_timestamp_seconds{{owner="{owner}"}} {_number(timestamp)}',
    ]
    return "\n".join(lines) + "\n"


def write_metrics(path: str | Path, text: str) -> None:
    """Atomic, so node_exporter never scrapes half a file; world-readable, as the collector
    usually runs as another user."""
    write_atomic(Path(path), text, mode=0o644, error=MetricsError)


def _label(value: str) -> str:
    # Prometheus text format: label values escape backslash, double quote and newline.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else repr(value)
