"""Plan -> text / JSON / Markdown strings; no I/O.

Pure functions over nsxplan.plan.model.Plan. The JSON text is the plan file format, which
plan/planfile.py owns; render_json is listed here as one of the three renderings.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nsxplan.plan.planfile import render_json
    from nsxplan.render.markdown import render_markdown
    from nsxplan.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]

# Imported on first use: `nsxplan validate` needs only render.text, and importing the plan file
# format and the Markdown renderer with it cost every such command ~10 ms.
_HOMES = {"render_json": "nsxplan.plan.planfile", "render_markdown": "nsxplan.render.markdown",
          "render_text": "nsxplan.render.text"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
