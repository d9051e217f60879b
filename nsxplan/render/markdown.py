"""Plan -> Markdown for a pull-request comment.

GitHub refuses comments over 65,536 characters, so the output is built against a budget: the
head (title, destroy banner, summary), the checks and the unmanaged list are bounded first, the
changes get what is left, and whatever does not fit is summarized in one line pointing at the
JSON plan. Cell contents are escaped so that a `|` or a backtick in a value cannot break a table.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from nsxplan.plan.guards import exceeded
from nsxplan.plan.model import (
    CREATE,
    DELETE,
    NOOP,
    REPLACE,
    SYMBOL,
    VERB,
    Action,
    Check,
    Op,
    Plan,
    Unmanaged,
)
from nsxplan.redact import scrub_target
from nsxplan.render.common import (
    CHECK_SYMBOLS,
    check_label,
    check_note,
    fmt_value,
    grouped,
    listed_fields,
    modified_note,
    summary_line,
)

MAX_CHARS = 65_000
_CHECKS_BUDGET = 15_000
_UNMANAGED_BUDGET = 8_000
_RESERVE = 600            # the truncation line and the closing tags it may need
_MAX_VALUE = 300          # one huge value must not eat the whole comment
_MAX_PROSE = 2_000        # messages and remediations: long on purpose (they quote YAML to add)
_MAX_ROWS = 60            # field rows per action
_BANNER_ADDRESSES = 15

_CHECK_ICON = {"ok": "✅", "warn": "⚠️", "fail": "❌"}
_BACKTICK_RUN = re.compile(r"`+")


def render_markdown(plan: Plan) -> str:
    head = _head(plan)
    checks = _checks_section(plan.checks)
    unmanaged = _unmanaged_section(plan.unmanaged)
    footer = (f"<sub>nsxplan {_text(plan.nsxplan_version)} · plan created "
              f"{_text(plan.created_at)} · config {_code(plan.config_digest)}</sub>\n")
    budget = MAX_CHARS - _RESERVE - sum(map(len, (head, checks, unmanaged, footer)))
    changes = _changes_section(plan, budget)
    return "\n".join(part for part in (head, changes, unmanaged, checks, footer) if part)


# -- head ---------------------------------------------------------------------------------------


def _head(plan: Plan) -> str:
    lines = [f"## nsxplan plan: owner {_code(plan.owner)} on {_code(scrub_target(plan.target))}",
             ""]
    destroyed = [a for a in plan.changes if a.action in (DELETE, REPLACE)]
    if destroyed:
        n_del = sum(1 for a in destroyed if a.action == DELETE)
        n_rep = len(destroyed) - n_del
        what = " and ".join(p for p in (
            f"**deletes {n_del} object{'s' if n_del != 1 else ''}**" if n_del else "",
            f"**replaces {n_rep} object{'s' if n_rep != 1 else ''}** (delete, then create)"
            if n_rep else "",
        ) if p)
        names = ", ".join(_code(a.address) for a in destroyed[:_BANNER_ADDRESSES])
        if len(destroyed) > _BANNER_ADDRESSES:
            names += f" and {len(destroyed) - _BANNER_ADDRESSES} more"
        lines += ["> [!CAUTION]", f"> This plan {what}: {names}."]
        why = exceeded(plan)
        if why:
            lines.append(f"> `apply` refuses it ({_text(why)}) unless given "
                         f"`--allow-deletes {len(destroyed)}`.")
        lines.append("")
    s = plan.summary()
    lines += [
        "| Create | Update | Delete | Replace | Unchanged | Unmanaged | Checks failed "
        "| Checks warned |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {s['create']} | {s['update']} | {s['delete']} | {s['replace']} | {s['unchanged']} "
        f"| {s['unmanaged']} | {s['checks_failed']} | {s['checks_warned']} |",
        "",
        f"**{summary_line(plan)}**",
        "",
    ]
    return "\n".join(lines)


# -- changes ------------------------------------------------------------------------------------


def _changes_section(plan: Plan, budget: int) -> str:
    changes = plan.changes
    if not changes:
        return ""
    out: list[str] = ["### Changes", ""]
    used = len(out[0]) + 2
    groups = grouped(changes)
    # Groups reorder the plan (Tier-0s, Tier-1s, zones): what is left out is counted in that order.
    in_group_order = [a for _, actions in groups for a in actions]
    shown = 0
    for key, actions in groups:
        opener = _group_opener(key, actions)
        closer = "</details>\n"
        blocks: list[str] = []
        group_used = len(opener) + len(closer) + 2
        for action in actions:
            block = _action_block(action)
            if used + group_used + len(block) + 1 > budget:
                break
            blocks.append(block)
            group_used += len(block) + 1
        if blocks:
            out += [opener, *blocks, closer]
            used += group_used
            shown += len(blocks)
        if len(blocks) < len(actions):
            break
    rest = in_group_order[shown:]
    if rest:
        fields = sum(max(1, len(listed_fields(a))) for a in rest)
        out.append(f"… and {fields} more changes to {len(rest)} objects; see the JSON plan "
                   "(`nsxplan plan --format json` or `nsxplan show PLANFILE --format json`). "
                   f"Not shown: {_action_counts(rest)}.")
        out.append("")
    return "\n".join(out)


def _action_counts(actions: Sequence[Action]) -> str:
    counts: dict[Op, int] = {}
    for a in actions:
        counts[a.action] = counts.get(a.action, 0) + 1
    return ", ".join(f"{counts[k]} to {v}" for k, v in VERB.items()
                     if k != NOOP and k in counts)


def _group_opener(key: str, actions: Sequence[Action]) -> str:
    # Open by default when the group destroys something: reviewers must not miss it.
    destroys = any(a.action in (DELETE, REPLACE) for a in actions)
    attr = " open" if destroys else ""
    return (f"<details{attr}><summary><b>{_html(key)}</b>: {_html(_action_counts(actions))}"
            "</summary>\n")


def _action_block(action: Action) -> str:
    verb = VERB[action.action]
    head = (f"**{_code(SYMBOL[action.action])} {verb} {_code(action.address)}** "
            f"({_text(action.kind)}) {_code(action.path)}")
    if action.adopt:
        head += " — adopt: adds the owner tag"
    lines = [head, ""]
    if action.reason:
        lines += [f"_{_text(action.reason)}_", ""]
    rows = listed_fields(action)
    if rows:
        # A create lists what it sets and a delete what goes: one value column, not an empty one.
        single = action.action in (CREATE, DELETE)
        lines += (["| Field | Value |", "|---|---|"] if single
                  else ["| Field | Before | After |", "|---|---|---|"])
        for name, before, after in rows[:_MAX_ROWS]:
            cells = [_cell_code(name)]
            if action.action != CREATE:
                cells.append(_cell_code(fmt_value(before)))
            if action.action != DELETE:
                cells.append(_cell_code(fmt_value(after)))
            lines.append(f"| {' | '.join(cells)} |")
        if len(rows) > _MAX_ROWS:
            empty = " |" * (1 if single else 2)
            lines.append(f"| … {len(rows) - _MAX_ROWS} more fields |{empty}")
        lines.append("")
    return "\n".join(lines)


# -- unmanaged and checks -----------------------------------------------------------------------


def _unmanaged_section(items: Sequence[Unmanaged]) -> str:
    if not items:
        return ""

    def line(u: Unmanaged) -> str:
        creator = (f" (created by {_text(u.created_by)})"
                   if u.created_by and u.created_by not in u.reason else "")
        if u.rogue:
            changed = modified_note(u.modified_user, u.modified_time)
            creator += (" — **made by hand inside a managed gateway**"
                        + (f", {_text(changed)}" if changed else ""))
        return f"- {_code(u.path)} ({_text(u.kind)}): {_text(u.reason)}{creator}"

    body = _bounded([line(u) for u in items], _UNMANAGED_BUDGET,
                    lambda n: f"- … and {n} more unmanaged objects")
    return "\n".join(["### Unmanaged, left alone", "", *body, ""])


def _checks_section(checks: Sequence[Check]) -> str:
    if not checks:
        return ""

    def row(c: Check) -> str:
        icon = f"{_CHECK_ICON.get(c.status, CHECK_SYMBOLS.get(c.status, '?'))} {c.status}"
        label, note = check_label(c), check_note(c)
        if label:
            # "already failing" and waived failures do not block: the reviewer sees why.
            icon += f" ({_cell_text(label)})"
        where = f" ({_cell_text(str(c.source))})" if c.source else ""
        if note and note != label:
            where += f" — {_cell_text(note)}"
        return (f"| {icon} | {_cell_code(c.id)} | {_cell_text(c.subject)} | "
                f"{_cell_text(c.message)}{where} | {_cell_text(c.remediation or '')} |")

    body = _bounded([row(c) for c in checks], _CHECKS_BUDGET,
                    lambda n: f"| … | | | {n} more checks; see the JSON plan | |")
    return "\n".join(["### Checks", "", "| Status | Check | Subject | Message | Remediation |",
                      "|---|---|---|---|---|", *body, ""])


def _bounded(lines: list[str], budget: int, more: Callable[[int], str]) -> list[str]:
    used = 0
    kept: list[str] = []
    for i, line in enumerate(lines):
        if used + len(line) + 1 > budget:
            return [*kept, more(len(lines) - i)]
        kept.append(line)
        used += len(line) + 1
    return kept


# -- escaping -----------------------------------------------------------------------------------


def _clip(text: str, limit: int = _MAX_VALUE) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _html(text: str) -> str:
    return html.escape(text, quote=False)


def _text(text: str, newline: str = " ") -> str:
    """Prose: HTML and Markdown specials neutralized, newlines replaced by `newline`."""
    escaped = _html(_clip(text, _MAX_PROSE))
    return re.sub(r"([\\`*_\[\]|])", r"\\\1", escaped).replace("\n", newline)


def _cell_text(text: str) -> str:
    # A table row is one line: keep a multi-line message's lines apart with <br>.
    return _text(text, "<br>")


def _code(text: str) -> str:
    """A code span that survives backticks in its content (fence longer than any run inside)."""
    text = _clip(text).replace("\n", " ")
    longest = max((len(m.group()) for m in _BACKTICK_RUN.finditer(text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _cell_code(text: str) -> str:
    # GFM splits table rows on `|` before parsing code spans, so a pipe must be escaped even
    # inside one (`\|` renders as `|` there).
    return _code(text).replace("|", "\\|")
