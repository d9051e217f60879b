"""Fixtures for the safety attacks: the scenario suite's served simulators (credentials on)."""

from __future__ import annotations

from tests.scenarios.conftest import sims

__all__ = ["sims"]
