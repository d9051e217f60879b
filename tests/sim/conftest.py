"""Fixtures for the simulator core tests: an in-process simulator and an httpx client on it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from core_support import client_for

from nsxplan.sim import Simulator, demo_state


@pytest.fixture
def sim() -> Simulator:
    return Simulator(demo_state())


@pytest.fixture
def client(sim: Simulator) -> Iterator[httpx.Client]:
    with client_for(sim) as c:
        yield c


@pytest.fixture
def empty_client() -> Iterator[httpx.Client]:
    with client_for(Simulator()) as c:
        yield c
