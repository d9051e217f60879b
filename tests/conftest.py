"""Fixtures shared by the top-level tests (each area's own live in its conftest.py).

examples/bgp-lab reads its BGP neighbor password from $BGP_TOR_A_PASSWORD (never from YAML):
every test that plans the examples needs it set, as a user of the example would.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.golden import OPTION, Golden

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_PASSWORDS = {"BGP_TOR_A_PASSWORD": "lab-example-only"}


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """The static-routing lab copied aside, so its `sim:lab.json` state lives in tmp_path."""
    dest = tmp_path / "lab"
    shutil.copytree(ROOT / "examples" / "static-routing-lab", dest,
                    ignore=shutil.ignore_patterns("lab.json", ".nsxplan"))
    return dest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(OPTION, action="store_true", default=False,
                     help="rewrite golden files (plans, renderings, configuration cases, the "
                          "cassette) from the current output; review the diff")


@pytest.fixture
def golden_files(request: pytest.FixtureRequest) -> Golden:
    """Compare with a golden file, or rewrite it under --update-golden (tests/golden.py)."""
    return Golden(bool(request.config.getoption(OPTION)))


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True under --update-golden: for goldens that are not text files (the cassette)."""
    return bool(request.config.getoption(OPTION))


# Whole directories of end-to-end runs: every scenario starts `nsxplan sim serve` and CLI child
# processes, every CI test runs a pipeline's scripts. Marked `slow` so that `pytest -m "not slow"`
# is the edit loop; CI runs everything.
SLOW_DIRS = (Path(__file__).parent / "scenarios", Path(__file__).parent / "ci")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(d in item.path.parents for d in SLOW_DIRS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _example_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in EXAMPLE_PASSWORDS.items():
        monkeypatch.setenv(name, value)
    yield
