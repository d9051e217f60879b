"""Plan -> text / JSON / Markdown strings; no I/O.

Pure functions over nsxplan.plan.model.Plan. The JSON text is the plan file format, which
plan/planfile.py owns; render_json is listed here as one of the three renderings.
"""

from __future__ import annotations

from nsxplan.plan.planfile import render_json
from nsxplan.render.markdown import render_markdown
from nsxplan.render.text import render_text

__all__ = ["render_json", "render_markdown", "render_text"]
