"""The shipped JSON Schemas: nsxplan.schema.json (the configuration) and plan.schema.json (saved
plans). This directory is the canonical copy and ships inside the wheel; the repository's
top-level schemas/ is a byte-identical copy for editors and docs (tests/test_wheel_schema.py
fails when they differ).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    """Path of a shipped schema ("nsxplan.schema.json", "plan.schema.json")."""
    candidate = PACKAGE_DIR / name
    if candidate.is_file():
        return candidate
    raise FileNotFoundError(f"schema {name} not found in {PACKAGE_DIR}")


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return result

