from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.golden import Golden

GOLDEN_DIR = Path(__file__).parent / "golden"


@pytest.fixture
def golden(golden_files: Golden) -> Callable[[str, str], None]:
    """Compare text with tests/render/golden/NAME (rewritten under --update-golden)."""

    def check(name: str, actual: str) -> None:
        golden_files.check(GOLDEN_DIR / name, actual)

    return check
