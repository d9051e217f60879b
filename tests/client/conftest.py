from __future__ import annotations

import pytest
from client_support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
