"""The topology picture (render/topology.py) as Graphviz dot, and SVG/PNG through Graphviz.

How an object relates to this configuration is its fill and border style (managed: white;
existing, e.g. VCF's Tier-0: blue; NCP or the system: orange, dashed; someone else's: dotted
grey; outside NSX: grey ellipses); what the plan does to it is its border colour and the symbol
before its name (+ create, ~ update, - delete, -/+ replace); a failing or warning dependency
check is a red or orange line inside it. A legend node says so in the picture itself.
"""

from __future__ import annotations

import html
import shutil
import subprocess

from nsxplan.errors import UsageError
from nsxplan.plan.model import ACTIONS, CREATE, DELETE, NOOP, REPLACE, SYMBOL, UPDATE, Plan
from nsxplan.render.topology import Edge, Node, Picture, build_picture

ACTION_COLOR = {CREATE: "darkgreen", UPDATE: "darkgoldenrod", DELETE: "red3",
                REPLACE: "magenta3", NOOP: "black"}
OWNERSHIP = {
    "managed": ('style="rounded,filled", fillcolor="white", penwidth=2', "managed"),
    "existing": ('style="rounded,filled", fillcolor="#dbe7f6"', "existing"),
    "ncp": ('style="rounded,filled,dashed", fillcolor="#fde8c8"', "NCP / protected"),
    "unmanaged": ('style="rounded,dotted", color="grey45", fontcolor="grey35"', "unmanaged"),
    "outside": ('shape=ellipse, style="filled", fillcolor="#eeeeee"', "outside NSX"),
}
EDGE_STYLE = {
    "contains": "",
    "uplink": 'penwidth=2',
    "zone": 'style=dashed, arrowhead=open',
    "order": 'style=dashed, color="grey55", constraint=false, label="then", fontsize=9',
    "lookup": 'style=dotted, label="DNS lookups", fontsize=9',
    "carved": 'style=dashed, label="carved from", fontsize=9, dir=back',
}
CHECK_COLOR = {"fail": "red3", "warn": "darkorange3"}
CHECK_MARK = {"fail": "✗", "warn": "!"}


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + escaped + '"'


def plan_to_dot(plan: Plan) -> str:
    """The plan alone (a saved plan): what it touches, drawn in its topology."""
    return picture_to_dot(build_picture(plan))


def picture_to_dot(picture: Picture) -> str:
    lines = [
        "digraph nsxplan {",
        "  rankdir=LR; newrank=true; nodesep=0.25; ranksep=0.6;",
        '  node [shape=box, fontname="Helvetica", fontsize=11, margin="0.12,0.06"];',
        '  edge [color="grey30", arrowsize=0.7, fontname="Helvetica"];',
        f"  label={_quote(picture.title)}; labelloc=t; fontname=\"Helvetica\"; fontsize=13;",
    ]
    for node in picture.nodes.values():
        lines.append(f"  {_quote(node.id)} [{_node_attrs(node)}];")
    for edge in picture.edges:
        if edge.src in picture.nodes and edge.dst in picture.nodes:
            lines.append(_edge(edge))
    lines.append(f"  legend [shape=plaintext, margin=0, label=<{_legend(picture.notes)}>];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _node_attrs(node: Node) -> str:
    style, word = OWNERSHIP[node.ownership]
    attrs = [style]
    if node.action is not None:
        attrs.append(f'color="{ACTION_COLOR[node.action]}"')
    rows = [f"<B>{_esc(_prefix(node.action) + node.title)}</B>"]
    sub = word if node.action in (None, NOOP) else f"{word} · {node.action}"
    if node.kind not in ("DnsServer", "EgressRange", "Folded"):
        rows.append(f'<FONT POINT-SIZE="9" COLOR="grey30">{_esc(sub)}</FONT>')
    rows += [f'<FONT POINT-SIZE="10">{_esc(d)}</FONT>' for d in node.details]
    rows += [f'<FONT COLOR="{CHECK_COLOR.get(s, "black")}">{CHECK_MARK.get(s, "?")} '
             f"{_esc(s)}: {_esc(cid)}</FONT>" for s, cid in node.checks]
    if any(s == "fail" for s, _ in node.checks):
        attrs.append("peripheries=2")
    attrs.append("label=<" + "<BR/>".join(rows) + ">")
    return ", ".join(attrs)


def _edge(edge: Edge) -> str:
    style = EDGE_STYLE.get(edge.style, "")
    return f"  {_quote(edge.src)} -> {_quote(edge.dst)}" + (f" [{style}];" if style else ";")


def _prefix(op: str | None) -> str:
    """The plan's symbol before a node's title (nothing for an object the plan leaves alone)."""
    found = next((a for a in ACTIONS if a == op and a != NOOP), None)
    return "" if found is None else SYMBOL[found] + " "


def _legend(notes: list[str]) -> str:
    cells = []
    for key in ("managed", "existing", "ncp", "unmanaged"):
        fill = {"managed": "white", "existing": "#dbe7f6", "ncp": "#fde8c8",
                "unmanaged": "white"}[key]
        cells.append(f'<TD BGCOLOR="{fill}">{_esc(OWNERSHIP[key][1])}</TD>')
    actions = "".join(f'<TD><FONT COLOR="{ACTION_COLOR[a]}">{_esc(_prefix(a) + a)}</FONT></TD>'
                      for a in (CREATE, UPDATE, DELETE, REPLACE))
    rows = [f"<TR>{''.join(cells)}</TR>", f"<TR>{actions}</TR>"]
    rows += [f'<TR><TD COLSPAN="4"><FONT COLOR="red3">{_esc(n)}</FONT></TD></TR>' for n in notes]
    return ('<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="3">'
            + "".join(rows) + "</TABLE>")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


# --------------------------------------------------------------------------- Graphviz

_HINT = "install Graphviz (Debian/Ubuntu: apt-get install graphviz), or use `--format dot`"
IMAGE_FORMATS = ("svg", "png")


def graphviz_dot(fmt: str = "svg") -> str:
    """The `dot` executable (an optional tool, not a Python dependency); checked before
    planning so a missing one fails fast."""
    exe = shutil.which("dot")
    if exe is None:
        raise UsageError(f"--format {fmt} needs Graphviz's `dot` on PATH", hint=_HINT)
    return exe


def dot_to_image(dot: str, fmt: str = "svg", *, timeout: float = 60.0) -> bytes:
    """Render dot as SVG or PNG with Graphviz's `dot`."""
    exe = graphviz_dot(fmt)
    try:
        done = subprocess.run([exe, f"-T{fmt}"], input=dot.encode(), capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise UsageError(f"Graphviz `dot` failed: {exc}", hint=_HINT) from None
    if done.returncode != 0:
        err = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["no message"]
        raise UsageError(f"Graphviz `dot` failed (exit {done.returncode}): {err[0]}", hint=_HINT)
    return done.stdout


def dot_to_svg(dot: str, *, timeout: float = 60.0) -> str:
    return dot_to_image(dot, "svg", timeout=timeout).decode("utf-8")
