"""Helpers shared by the plan renderers: value formatting, counts, grouping.

Kept apart from render/__init__.py so that text.py and markdown.py can use them without importing
the facade that imports them (no import cycles).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from nsxplan.plan.model import CREATE, DELETE, Action, Check, Plan

# Fields that say nothing new in a create/delete listing: the kind and id are on the header line.
_HEADER_FIELDS = frozenset({"resource_type", "id"})

UNSET = "(unset)"

# C0/C1 control characters except newline: live NSX data (display names, reasons built from them)
# must not be able to drive the user's terminal (ESC sequences, CSI \x9b, carriage returns).
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def fmt_value(value: Any) -> str:
    """One value on one line, unambiguous (strings quoted, like Terraform), deterministic."""
    if value is None:
        return UNSET
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(", ", ": "),
                      default=_json_default)


def _json_default(value: Any) -> Any:
    # Planner values are JSON data; tolerate tuples/sets so a stray one renders instead of crashing.
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    if isinstance(value, tuple):
        return list(value)
    return repr(value)


def listed_fields(action: Action) -> list[tuple[str, Any, Any]]:
    """The (field, before, after) rows to show under an action.

    Updates and replaces show their field diff. A create shows the fields it sets and a delete the
    fields that go, because a diff against nothing is the whole object and reads better flat.
    """
    diff_rows = [(d.field, d.before, d.after) for d in action.diff]
    if action.action == CREATE and action.after is not None:
        return [(k, None, v) for k, v in _shown_items(action.after)]
    if action.action == DELETE and action.before is not None:
        return [(k, v, None) for k, v in _shown_items(action.before)]
    return diff_rows


def _shown_items(body: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [(k, body[k]) for k in sorted(body)
            if k not in _HEADER_FIELDS and not k.startswith("_")]


def headline_counts(plan: Plan) -> dict[str, int]:
    """Counts for the summary line.

    A replace is a delete plus a create of the same object, so (like Terraform, which counts a
    replacement as one add and one destroy) it adds one to "to create" and one to "to delete";
    the JSON summary keeps a separate `replace` count for scripts that need it.
    """
    s = plan.summary()
    return {
        "create": s["create"] + s["replace"],
        "update": s["update"],
        "delete": s["delete"] + s["replace"],
        "unchanged": s["unchanged"],
        "unmanaged": s["unmanaged"],
    }


def summary_line(plan: Plan) -> str:
    c = headline_counts(plan)
    tail = f"{c['unchanged']} unchanged. {c['unmanaged']} unmanaged objects left alone."
    if not plan.has_changes:
        return f"No changes. {tail}"
    return (f"Plan: {c['create']} to create, {c['update']} to update, {c['delete']} to delete. "
            + tail)


def group_key(address: str) -> str:
    """The gateway (or collection) of an address: tier0s.X, tier1s.Y, dns_zones."""
    parts = address.split(".")
    if parts[0] in ("tier0s", "tier1s") and len(parts) >= 2:
        return f"{parts[0]}.{parts[1]}"
    return parts[0]


_GROUP_RANK = {"tier0s": 0, "tier1s": 1, "dns_zones": 2}


def grouped(actions: Iterable[Action]) -> list[tuple[str, list[Action]]]:
    """Actions per gateway, gateways in a fixed order (Tier-0s, Tier-1s, zones, others), plan
    order kept inside a group so parents still come before children."""
    groups: dict[str, list[Action]] = {}
    for a in actions:
        groups.setdefault(group_key(a.address), []).append(a)
    return sorted(groups.items(),
                  key=lambda kv: (_GROUP_RANK.get(kv[0].split(".")[0], 9), kv[0]))


CHECK_SYMBOLS = {"ok": "✓", "warn": "!", "fail": "✗"}


_BASELINE_NOTES = {
    "already": "already failing: it failed the same way before this plan, which does not touch "
               "it (does not block)",
    "new": "caused by this plan",
    "left": "failing before this plan, which touches it and leaves it failing",
    "fixed": "fixed by this plan",
}


def check_note(check: Check) -> str | None:
    """Whether this plan is responsible for a check's result, or the waiver that accepts it."""
    if check.waiver:
        return f"waived: {check.waiver} (does not block)"
    return _BASELINE_NOTES.get(check.baseline or "")


_BASELINE_LABELS = {"already": "already failing", "new": "caused by this plan",
                    "left": "left failing by this plan", "fixed": "fixed by this plan"}


def check_label(check: Check) -> str | None:
    """A few words for a status column: waived, already failing, caused by this plan, ..."""
    if check.waiver:
        return "waived"
    return _BASELINE_LABELS.get(check.baseline or "")


def modified_note(user: str | None, time: str | None) -> str | None:
    """'last changed by admin at 2026-11-21T19:41:43Z', from NSX's bookkeeping fields."""
    if not user and not time:
        return None
    return "last changed" + (f" by {user}" if user else "") + (f" at {time}" if time else "")
