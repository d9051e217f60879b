from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.semantics.helpers import Lab


@pytest.fixture
def lab() -> Iterator[Lab]:
    sim = Lab()
    yield sim
    sim.close()
