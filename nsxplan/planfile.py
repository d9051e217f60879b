"""Saved plan files: `nsxplan plan --out FILE` writes one, `apply FILE` and `show FILE` read it.

The file is the JSON format of render.plan_to_dict, validated against schemas/plan.schema.json on
load. Plans reveal topology (gateways, addresses, upstream servers), so the file is created 0600
and written atomically (temp file in the same directory, fsync, rename): a crash never leaves a
half-written plan that `apply` could misread. No credentials are ever in a plan: the target label
is scrubbed of URL userinfo on the way out.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import jsonschema

from nsxplan.durable import write_atomic
from nsxplan.errors import PlanError, Problem, Source
from nsxplan.plan import FORMAT_VERSION, Plan
from nsxplan.render import plan_from_dict, render_json
from nsxplan.render_common import scrub_target
from nsxplan.schemas import load_schema

_REPLAN = "run `nsxplan plan --out FILE` again"
_MAX_PROBLEMS = 20


class PlanFileError(PlanError):
    """A saved plan cannot be read: missing, not JSON, not a plan, or from another format."""


def save_plan(plan: Plan, path: str | Path) -> None:
    plan = dataclasses.replace(plan, target=scrub_target(plan.target))
    write_atomic(Path(path), render_json(plan), mode=0o600, error=PlanFileError)


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
    if version != FORMAT_VERSION:
        writer = data.get("nsxplan_version", "an unknown version")
        newer = isinstance(version, int) and version > FORMAT_VERSION
        hint = (f"it was written by nsxplan {writer}; upgrade nsxplan to read it, or {_REPLAN}"
                if newer else f"it was written by nsxplan {writer}; {_REPLAN} with this version")
        raise PlanFileError(Problem(
            f"{where}: unsupported plan format_version {json.dumps(version)} "
            f"(this nsxplan reads {FORMAT_VERSION})", hint=hint))
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


def _pointer(path: Any) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "the top level"
