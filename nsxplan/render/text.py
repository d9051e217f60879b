"""Plan -> terminal text: one line per change, changed fields, summary line, checks.

Colour is a parameter, never a guess: the CLI decides (TTY, --no-color, NO_COLOR).
"""

from __future__ import annotations

from collections.abc import Sequence

from nsxplan.plan.model import (
    CREATE,
    DELETE,
    REPLACE,
    SYMBOL,
    UPDATE,
    Action,
    Check,
    Plan,
    Unmanaged,
)
from nsxplan.redact import scrub_target
from nsxplan.render.common import (
    CHECK_SYMBOLS,
    check_note,
    fmt_value,
    listed_fields,
    modified_note,
    printable,
    summary_line,
)

_RESET = "\x1b[0m"
_ANSI = {
    CREATE: "\x1b[32m", UPDATE: "\x1b[33m", DELETE: "\x1b[31m", REPLACE: "\x1b[35m",
    "ok": "\x1b[32m", "warn": "\x1b[33m", "fail": "\x1b[31m", "bold": "\x1b[1m",
}
_INDENT = "      "
_DIGEST_CHARS = 12


class _Paint:
    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, key: str, text: str) -> str:
        return f"{_ANSI[key]}{text}{_RESET}" if self.color and key in _ANSI else text


def render_text(plan: Plan, color: bool = False) -> str:
    paint = _Paint(color)
    out: list[str] = [_header(plan), ""]
    changes = plan.changes
    if changes:
        out.append("nsxplan will perform these actions:")
        out.append("")
        for action in changes:
            out.extend(_action_lines(action, paint))
        out.append("")
    rogue = [u for u in plan.unmanaged if u.rogue]
    if rogue:
        out.append("Made by hand inside gateways this configuration manages (drift reports "
                   "them; adopt them or list them under `ignore:`):")
        out.extend(_unmanaged_line(u) for u in rogue)
        out.append("")
    others = [u for u in plan.unmanaged if not u.rogue]
    if others:
        out.append("Unmanaged, left alone:")
        out.extend(_unmanaged_line(u) for u in others)
        out.append("")
    out.append(paint("bold", summary_line(plan)))
    if plan.checks:
        out.append("")
        out.append("Checks:")
        for check in plan.checks:
            out.extend(_check_lines(check, paint))
    return "\n".join(out) + "\n"


def _header(plan: Plan) -> str:
    # The digest is shortened like a git hash: enough to tell plans apart at a glance; the full
    # value is in the JSON plan.
    return printable(f"Plan for owner {plan.owner} on {scrub_target(plan.target)}, "
                     f"config {_short_digest(plan.config_digest)}, created {plan.created_at}")


def _short_digest(digest: str) -> str:
    algorithm, sep, value = digest.rpartition(":")
    return f"{algorithm}{sep}{value[:_DIGEST_CHARS]}"


def _hang(text: str, indent: str) -> str:
    """Multi-line messages (remediations quote YAML snippets) keep the block's indentation."""
    return printable(text).replace("\n", "\n" + indent)


def _action_lines(action: Action, paint: _Paint) -> list[str]:
    symbol = SYMBOL[action.action]
    where = printable(f"{action.address} ({action.kind}) {action.path}".replace("\n", " "))
    head = f"{paint(action.action, symbol.rjust(3))} {where}"
    if action.adopt:
        head += " [adopt: adds the owner tag]"
    if action.action == REPLACE:
        head += " [replace: delete, then create]"
    lines = [head]
    if action.reason:
        lines.append(f"{_INDENT}# {_hang(action.reason, _INDENT + '# ')}")
    changed = modified_note(action.modified_user, action.modified_time)
    if changed and action.action != CREATE:
        lines.append(f"{_INDENT}# {printable(changed)}")
    for name, before, after in listed_fields(action):
        if action.action == CREATE:
            shown = fmt_value(after)
        elif action.action == DELETE:
            shown = fmt_value(before)
        else:
            shown = f"{fmt_value(before)} → {fmt_value(after)}"
        lines.append(f"{_INDENT}{_hang(name, _INDENT)}: {printable(shown)}")
    return lines


def _unmanaged_line(u: Unmanaged) -> str:
    line = f"    {u.path} ({u.kind}): {u.reason}"
    if u.created_by and u.created_by not in u.reason:
        line += f" [created by {u.created_by}]"
    changed = modified_note(u.modified_user, u.modified_time)
    if u.rogue and changed:
        line += f" [{changed}]"
    return _hang(line, "    ")


def _check_lines(check: Check, paint: _Paint) -> list[str]:
    symbol = CHECK_SYMBOLS.get(check.status, "?")
    status = paint(check.status, f"{symbol} {check.status:<4}")
    lines = [f"  {status} {_hang(check.subject, _INDENT)}: {_hang(check.message, _INDENT)}"]
    note = check_note(check)
    if note:
        lines.append(f"{_INDENT}{printable(note)}")
    if check.remediation:
        lines.append(f"{_INDENT}fix: {_hang(check.remediation, _INDENT + '     ')}")
    if check.source is not None:
        lines.append(f"{_INDENT}at: {_hang(str(check.source), _INDENT)}")
    return lines


def render_checks(checks: Sequence[Check]) -> str:
    """The checks that are not ok, one line each (located when they can be) plus their fix."""
    lines = []
    for c in checks:
        if c.status == "ok":
            continue
        where = f"{c.source}: " if c.source else ""
        lines.append(f"{where}{c.status}: {c.subject}: {c.message}")
        if c.waiver:
            lines.append(f"  waived: {c.waiver}")
        if c.remediation:
            lines.append(f"  fix: {c.remediation}")
    return "\n".join(lines)


def render_verification(checks: Sequence[Check], color: bool = False) -> str:
    """`nsxplan verify`: every finding, ok ones included (they are what the operator wanted to
    see), in the plan's check format."""
    paint = _Paint(color)
    lines = [line for c in checks for line in _check_lines(c, paint)]
    return "\n".join(lines) if lines else "Nothing to verify: the configuration declares no Tier-0."
