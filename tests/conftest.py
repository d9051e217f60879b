"""Fixtures shared by the top-level tests (each area's own live in its conftest.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """The static-routing lab copied aside, so its `sim:lab.json` state lives in tmp_path."""
    dest = tmp_path / "lab"
    shutil.copytree(ROOT / "examples" / "static-routing-lab", dest,
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    return dest
