"""Plan -> text / JSON / Markdown strings, and the versioned plan dictionary (JSON format).

Pure functions over nsxplan.plan.Plan; saved plan files (I/O) are in planfile.py.

JSON format decisions (documented in schemas/plan.schema.json too):
- `changes[]` holds EVERY action, no-ops included (action "no-op"): a no-op carries the
  `_revision` read at plan time, which the stale-plan check of `apply PLANFILE` compares, and
  keeps the "N unchanged" count reproducible from the file alone.
- `summary` is derived from the actions; plan_from_dict ignores it (recomputable, never trusted).
- `source` is "file:line:col" or null; the target label is scrubbed of credentials.
- Keys sorted, 2-space indent, trailing newline: byte-stable for golden files and diffs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from nsxplan.errors import PlanError, Problem, Source
from nsxplan.plan import FORMAT_VERSION, Action, Check, FieldDiff, Plan, Unmanaged
from nsxplan.render_common import scrub_target
from nsxplan.render_markdown import render_markdown
from nsxplan.render_text import render_text

__all__ = [
    "FORMAT_VERSION", "plan_from_dict", "plan_to_dict", "render_json", "render_markdown",
    "render_text",
]


def render_json(plan: Plan) -> str:
    return json.dumps(plan_to_dict(plan), sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": plan.format_version,
        "nsxplan_version": plan.nsxplan_version,
        "target": scrub_target(plan.target),
        "owner": plan.owner,
        "config_digest": plan.config_digest,
        "config_files": list(plan.config_files),
        "created_at": plan.created_at,
        "meta": _jsonable(plan.meta),
        "changes": [_action_to_dict(a) for a in plan.actions],
        "unmanaged": [_unmanaged_to_dict(u) for u in plan.unmanaged],
        "checks": [_check_to_dict(c) for c in plan.checks],
        "summary": plan.summary(),
    }


def _action_to_dict(a: Action) -> dict[str, Any]:
    return {
        "address": a.address,
        "kind": a.kind,
        "path": a.path,
        "action": a.action,
        "before": _jsonable(a.before),
        "after": _jsonable(a.after),
        "diff": [{"field": d.field, "before": _jsonable(d.before), "after": _jsonable(d.after)}
                 for d in a.diff],
        "revision": a.revision,
        "depends_on": list(a.depends_on),
        "source": _source_str(a.source),
        "reason": a.reason,
        "adopt": a.adopt,
    }


def _unmanaged_to_dict(u: Unmanaged) -> dict[str, Any]:
    return {"path": u.path, "kind": u.kind, "reason": u.reason, "created_by": u.created_by}


def _check_to_dict(c: Check) -> dict[str, Any]:
    return {
        "id": c.id, "status": c.status, "subject": c.subject, "message": c.message,
        "remediation": c.remediation, "source": _source_str(c.source),
    }


def _source_str(source: Source | None) -> str | None:
    return None if source is None else str(source)


def _jsonable(value: Any) -> Any:
    """Plain JSON data: mappings -> dict, tuples -> list (the planner may hand out either)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


# ---------------------------------------------------------------------------------------------
# dict -> Plan


def plan_from_dict(d: Mapping[str, Any]) -> Plan:
    """Inverse of plan_to_dict. Raises PlanError (not KeyError) on a malformed dictionary; callers
    reading files should validate against plan.schema.json first for precise messages."""
    try:
        return Plan(
            target=d["target"],
            owner=d["owner"],
            config_digest=d["config_digest"],
            created_at=d["created_at"],
            nsxplan_version=d["nsxplan_version"],
            actions=tuple(_action_from_dict(a) for a in d["changes"]),
            unmanaged=tuple(Unmanaged(path=u["path"], kind=u["kind"], reason=u["reason"],
                                      created_by=u.get("created_by")) for u in d["unmanaged"]),
            checks=tuple(_check_from_dict(c) for c in d["checks"]),
            config_files=tuple(d.get("config_files", ())),
            format_version=d["format_version"],
            meta=dict(d.get("meta") or {}),
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise PlanError(Problem(
            f"not a valid nsxplan plan: {type(exc).__name__}: {exc}",
            hint="write the plan again with `nsxplan plan --out FILE`",
        )) from exc


def _action_from_dict(a: Mapping[str, Any]) -> Action:
    return Action(
        address=a["address"],
        kind=a["kind"],
        path=a["path"],
        action=a["action"],
        before=a.get("before"),
        after=a.get("after"),
        diff=tuple(FieldDiff(field=x["field"], before=x.get("before"), after=x.get("after"))
                   for x in a.get("diff", ())),
        revision=a.get("revision"),
        source=_source_from_str(a.get("source")),
        depends_on=tuple(a.get("depends_on", ())),
        reason=a.get("reason", ""),
        adopt=bool(a.get("adopt", False)),
    )


def _check_from_dict(c: Mapping[str, Any]) -> Check:
    return Check(
        id=c["id"], status=c["status"], subject=c["subject"], message=c["message"],
        remediation=c.get("remediation"), source=_source_from_str(c.get("source")),
    )


def _source_from_str(text: str | None) -> Source | None:
    if text is None:
        return None
    # rsplit: the file part may itself hold colons (C:\configs\x.yaml, odd file names)
    file, line, col = text.rsplit(":", 2)
    return Source(file, int(line), int(col))
