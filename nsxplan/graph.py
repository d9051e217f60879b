"""A plan's topology and dependency order as Graphviz dot (`nsxplan graph`).

Edges point from an action to what must happen first, the order apply follows; no-ops are drawn
grey so the picture shows the whole managed topology, not only what changes.
"""

from __future__ import annotations

from nsxplan.plan import CREATE, DELETE, NOOP, REPLACE, UPDATE, Plan

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
