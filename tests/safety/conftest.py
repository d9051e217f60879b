"""Fixtures for the safety attacks: the scenario suite's served simulators (credentials on)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.safety.helpers import NASTY
from tests.scenarios.conftest import USER, Sim, sims

__all__ = ["nasty_sim", "sims"]


@pytest.fixture
def nasty_sim(sims: Callable[..., Sim], monkeypatch: pytest.MonkeyPatch) -> Sim:
    """`nsxplan sim serve` whose password is full of shell, URL and format metacharacters."""
    import tests.scenarios.conftest as scenario

    monkeypatch.setattr(scenario, "PASSWORD", NASTY)
    sim = sims()
    sim.auth = (USER, NASTY)
    return sim
