"""`nsxplan graph PATH [--format dot|svg]` (cli.md): svg through Graphviz's `dot` when present.

`--format svg` used to be rejected as an unknown choice although the contract lists it. A stand-in
`dot` first on PATH shows what nsxplan hands it and returns, whether Graphviz is installed or not.
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.scenarios.conftest import assert_clean_error, nsxplan_proc

FAKE_DOT = "#!/bin/sh\nprintf '<svg>'; cat; printf '</svg>\\n'\n"  # wraps its input
BROKEN_DOT = "#!/bin/sh\necho 'Error: syntax error in line 1' >&2\nexit 3\n"


def tool_dir(tmp_path: Path, script: str | None) -> str:
    """A PATH whose only `dot` is `script` (or none at all)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    if script is not None:
        (bin_dir / "dot").write_text(script)
        (bin_dir / "dot").chmod(0o755)
    # A stand-in shadows a real Graphviz (first on PATH; it needs `cat` from the system dirs);
    # "none at all" also drops every directory holding a real one.
    system = [p for p in os.environ.get("PATH", "").split(os.pathsep)
              if p and (script is not None or not (Path(p) / "dot").exists())]
    return os.pathsep.join([str(bin_dir), *system])


def test_graph_dot_and_svg(lab: Path, tmp_path: Path) -> None:
    dot = nsxplan_proc("graph", lab, "--manager", "sim")
    assert dot.code == 0 and dot.out.startswith("digraph nsxplan {"), dot.err
    assert '"tier0s.vcf-t0.static_routes.default-route"' in dot.out

    svg = nsxplan_proc("graph", lab, "--manager", "sim", "--format", "svg",
                       env={"PATH": tool_dir(tmp_path, FAKE_DOT)})
    assert svg.code == 0, svg.err
    assert svg.out.startswith("<svg>digraph nsxplan {") and svg.out.rstrip().endswith("</svg>")


def test_graph_svg_without_graphviz_is_a_clean_error(lab: Path, tmp_path: Path) -> None:
    res = nsxplan_proc("graph", lab, "--manager", "sim", "--format", "svg",
                       env={"PATH": tool_dir(tmp_path, None)})
    assert_clean_error(res, "Graphviz", "hint:")
    assert res.out == ""


def test_graph_svg_when_graphviz_fails(lab: Path, tmp_path: Path) -> None:
    res = nsxplan_proc("graph", lab, "--manager", "sim", "--format", "svg",
                       env={"PATH": tool_dir(tmp_path, BROKEN_DOT)})
    assert_clean_error(res, "exit 3", "syntax error")
