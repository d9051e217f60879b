from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.fixture
def golden():
    """Compare text with tests/render/golden/NAME; rewrite it only when NSXPLAN_UPDATE_GOLDEN=1."""

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if os.environ.get("NSXPLAN_UPDATE_GOLDEN") == "1":
            path.write_text(actual, encoding="utf-8")
        assert path.is_file(), f"missing golden file {path}; run with NSXPLAN_UPDATE_GOLDEN=1"
        assert actual == path.read_text(encoding="utf-8"), f"{name} differs from its golden file"

    return check
