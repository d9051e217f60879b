"""Saved plan files: `nsxplan plan --out FILE` writes one, `apply FILE` and `show FILE` read it.

The file is the JSON format of plan_to_dict (below), validated against schemas/plan.schema.json on
load. Plans reveal topology (gateways, addresses, upstream servers), so the file is created 0600
and written atomically (temp file in the same directory, fsync, rename): a crash never leaves a
half-written plan that `apply` could misread. No credentials are ever in a plan: the target label
is scrubbed of URL userinfo on the way out.

JSON format decisions (documented in schemas/plan.schema.json too), format_version 2:
- `changes[]` holds EVERY action, no-ops included (action "no-op"): a no-op carries the
  `_revision` read at plan time, which the stale-plan check of `apply PLANFILE` compares, and
  keeps the "N unchanged" count reproducible from the file alone. That is all a no-op needs, so
  unless `full` is asked for it is summarized as {address, kind, path, action, revision}: a
  no-change plan of 10,000 objects is ~1 MB instead of 12 MB of bodies nobody changes.
- `summary` is derived from the actions; plan_from_dict ignores it (recomputable, never trusted).
- `source` is "file:line:col" or null; the target label is scrubbed of credentials.
- Compact and byte-stable: keys sorted, no indentation, one change per line (so that a diff of
  two plans shows changes line by line), trailing newline.
- Version 1 files (every no-op in full, 2-space indentation) are still read.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nsxplan.durable import write_atomic
from nsxplan.errors import PlanError, PlanFileError, Problem, Source
from nsxplan.plan.model import (
    FORMAT_VERSION,
    NOOP,
    READABLE_VERSIONS,
    Action,
    Check,
    FieldDiff,
    Plan,
    Unmanaged,
    as_op,
)
from nsxplan.redact import scrub_target
from nsxplan.schemas import load_schema
from nsxplan.schemas.fastcheck import Check as SchemaCheck
from nsxplan.schemas.fastcheck import compile_schema

_REPLAN = "run `nsxplan plan --out FILE` again"
_MAX_PROBLEMS = 20


def save_plan(plan: Plan, path: str | Path, *, full: bool = False) -> None:
    plan = dataclasses.replace(plan, target=scrub_target(plan.target))
    write_atomic(Path(path), render_json(plan, full=full), mode=0o600, error=PlanFileError)


def is_plan_file(path: str | Path) -> bool:
    """Whether `path` looks like a saved plan rather than a configuration (for `apply PATH`).

    Keys are sorted, so `format_version` comes after the whole `changes` array: sniffing the head
    for it alone fails on any real plan. A plan's head is `{` then `"changes"` (or, hand-edited,
    `"format_version"`); a configuration has neither key.
    """
    path = Path(path)
    if not path.is_file() or path.suffix.lower() in (".yaml", ".yml"):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError:
        return False
    return head.startswith(b"{") and (b'"changes"' in head or b'"format_version"' in head)


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlanFileError(Problem(f"{path}: no such plan file",
                                    hint=f"check the path, or {_REPLAN}")) from None
    except IsADirectoryError:
        raise PlanFileError(Problem(f"{path}: is a directory, not a plan file",
                                    hint="pass the file written by `nsxplan plan --out`")) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanFileError(Problem(f"{path}: cannot read the plan file: {exc}",
                                    hint=f"check the file's permissions, or {_REPLAN}")) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanFileError(Problem(
            f"not a plan file: invalid JSON: {exc.msg}", Source(str(path), exc.lineno, exc.colno),
            hint=f"pass the file written by `nsxplan plan --out`, or {_REPLAN}")) from None
    return plan_from_document(data, str(path))


def plan_from_document(data: Any, where: str = "<plan>") -> Plan:
    """A parsed plan document -> Plan, after checking its format version and schema."""
    if not isinstance(data, dict) or "format_version" not in data:
        raise PlanFileError(Problem(
            f"{where}: not an nsxplan plan (no format_version)",
            hint="pass the file written by `nsxplan plan --out`, not the configuration"))
    version = data["format_version"]
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        writer = data.get("nsxplan_version", "an unknown version")
        newer = isinstance(version, int) and version > FORMAT_VERSION
        hint = (f"it was written by nsxplan {writer}; upgrade nsxplan to read it, or {_REPLAN}"
                if newer else f"it was written by nsxplan {writer}; {_REPLAN} with this version")
        raise PlanFileError(Problem(
            f"{where}: unsupported plan format_version {json.dumps(version)} "
            f"(this nsxplan reads {' and '.join(map(str, READABLE_VERSIONS))})", hint=hint))
    fast = _plan_check()
    if fast is not None and fast(data):
        return plan_from_dict(data)     # valid: nothing for jsonschema to word
    import jsonschema  # only to word the problems of an invalid file: ~30 ms to import

    validator = jsonschema.Draft202012Validator(load_schema("plan.schema.json"))
    errors = sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        problems = [Problem(f"{where}: invalid plan at {_pointer(e.absolute_path)}: {e.message}",
                            hint=f"the file was edited or damaged; {_REPLAN}")
                    for e in errors[:_MAX_PROBLEMS]]
        if len(errors) > _MAX_PROBLEMS:
            more = len(errors) - _MAX_PROBLEMS
            problems.append(Problem(f"{where}: … and {more} more problems"))
        raise PlanFileError(problems)
    return plan_from_dict(data)


@functools.cache
def _plan_check() -> SchemaCheck | None:
    return compile_schema(load_schema("plan.schema.json"))


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "the top level"


def render_json(plan: Plan, *, full: bool = False) -> str:
    data = plan_to_dict(plan, full=full)
    changes = [_compact(c) for c in data.pop("changes")]
    rest = _compact(data)
    # "changes" sorts first among the top-level keys, so this is the sort_keys order too.
    body = "\n" + ",\n".join(changes) + "\n" if changes else ""
    return '{"changes":[' + body + "]," + rest[1:] + "\n"


def _compact(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)



def plan_to_dict(plan: Plan, *, full: bool = False) -> dict[str, Any]:
    """The plan document (format_version 2); no-ops summarized unless `full`."""
    return {
        "format_version": FORMAT_VERSION,
        "nsxplan_version": plan.nsxplan_version,
        "target": scrub_target(plan.target),
        "owner": plan.owner,
        "config_digest": plan.config_digest,
        "config_files": list(plan.config_files),
        "created_at": plan.created_at,
        "meta": _jsonable(plan.meta),
        "changes": [_action_to_dict(a) if full or a.action != NOOP else _noop_summary(a)
                    for a in plan.actions],
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
        "modified_user": a.modified_user,
        "modified_time": a.modified_time,
    }



def _noop_summary(a: Action) -> dict[str, Any]:
    """What the stale check and the counts need of an unchanged object."""
    return {"address": a.address, "kind": a.kind, "path": a.path, "action": a.action,
            "revision": a.revision}


def _unmanaged_to_dict(u: Unmanaged) -> dict[str, Any]:
    return {"path": u.path, "kind": u.kind, "reason": u.reason, "created_by": u.created_by,
            "rogue": u.rogue, "modified_user": u.modified_user,
            "modified_time": u.modified_time}



def _check_to_dict(c: Check) -> dict[str, Any]:
    return {
        "id": c.id, "status": c.status, "subject": c.subject, "message": c.message,
        "remediation": c.remediation, "source": _source_str(c.source),
        "paths": list(c.paths), "was": c.was, "baseline": c.baseline, "waiver": c.waiver,
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
                                      created_by=u.get("created_by"),
                                      rogue=bool(u.get("rogue", False)),
                                      modified_user=u.get("modified_user"),
                                      modified_time=u.get("modified_time"))
                            for u in d["unmanaged"]),
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
        action=as_op(a["action"]),
        before=a.get("before"),
        after=a.get("after"),
        diff=tuple(FieldDiff(field=x["field"], before=x.get("before"), after=x.get("after"))
                   for x in a.get("diff", ())),
        revision=a.get("revision"),
        source=_source_from_str(a.get("source")),
        depends_on=tuple(a.get("depends_on", ())),
        reason=a.get("reason", "in sync" if a["action"] == NOOP else ""),
        adopt=bool(a.get("adopt", False)),
        modified_user=a.get("modified_user"),
        modified_time=a.get("modified_time"),
    )



def _check_from_dict(c: Mapping[str, Any]) -> Check:
    return Check(
        id=c["id"], status=c["status"], subject=c["subject"], message=c["message"],
        remediation=c.get("remediation"), source=_source_from_str(c.get("source")),
        paths=tuple(c.get("paths") or ()), was=c.get("was"), baseline=c.get("baseline"),
        waiver=c.get("waiver"),
    )



def _source_from_str(text: str | None) -> Source | None:
    if text is None:
        return None
    # rsplit: the file part may itself hold colons (C:\configs\x.yaml, odd file names)
    file, line, col = text.rsplit(":", 2)
    return Source(file, int(line), int(col))

