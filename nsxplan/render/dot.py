"""A plan's topology and dependency order as Graphviz dot (`nsxplan graph`).

Edges point from an action to what must happen first, the order apply follows; no-ops are drawn
grey so the picture shows the whole managed topology, not only what changes.
"""

from __future__ import annotations

import shutil
import subprocess

from nsxplan.errors import UsageError
from nsxplan.plan.model import CREATE, DELETE, NOOP, REPLACE, UPDATE, Plan

_STYLE = {
    CREATE: 'color="darkgreen"',
    UPDATE: 'color="goldenrod"',
    DELETE: 'color="red3"',
    REPLACE: 'color="magenta3"',
    NOOP: 'color="grey60", fontcolor="grey40"',
}
_SYMBOL = {CREATE: "+", UPDATE: "~", DELETE: "-", REPLACE: "-/+", NOOP: " "}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def plan_to_dot(plan: Plan) -> str:
    lines = [
        "digraph nsxplan {",
        "  rankdir=LR;",
        '  node [shape=box, fontname="monospace"];',
        f"  label={_quote(f'nsxplan plan for {plan.owner} on {plan.target}')};",
    ]
    known = {a.address for a in plan.actions}
    for action in plan.actions:
        label = f"{_SYMBOL[action.action]} {action.address}\n{action.kind}"
        lines.append(f"  {_quote(action.address)} [label={_quote(label)}, "
                     f"{_STYLE.get(action.action, '')}];")
    for action in plan.actions:
        for dep in action.depends_on:
            if dep in known:
                lines.append(f"  {_quote(action.address)} -> {_quote(dep)};")
    lines.append("}")
    return "\n".join(lines) + "\n"


_HINT = "install Graphviz, or use `--format dot` and render it elsewhere"


def graphviz_dot() -> str:
    """The `dot` executable (an optional tool, not a Python dependency); checked before
    planning so a missing one fails fast."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError("--format svg needs Graphviz's `dot` on PATH", hint=_HINT)
    return exe


def dot_to_svg(dot: str, *, timeout: float = 60.0) -> str:
    """Render dot as SVG with Graphviz's `dot`."""
    exe = graphviz_dot()
    hint = _HINT
    try:
        done = subprocess.run([exe, "-Tsvg"], input=dot, capture_output=True, text=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"Graphviz `dot` failed: {exc}", hint=hint) from None
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["no message"])[0]
        raise UsageError(f"Graphviz `dot` failed (exit {done.returncode}): {first}", hint=hint)
    return done.stdout
