"""The locks a fresh clone installs from: complete, hash-checked, in step with pyproject.toml,
and the test command CI runs is the README's, verbatim."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement

from tests.test_readme import QUICKSTART_TESTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def pins(lock: Path) -> dict[str, list[tuple[str, str]]]:
    """name -> [(version, marker)] for each requirement line of a lock; every one hashed."""
    found: dict[str, list[tuple[str, str]]] = {}
    for entry in re.split(r"\n(?=\S)", lock.read_text(encoding="utf-8")):
        head = entry.split("\\", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==(\S+)(?:\s*;\s*(.+))?", head)
        assert match, f"{lock.name}: not an exact pin: {head}"
        assert "--hash=sha256:" in entry, f"{lock.name}: {head} carries no hash"
        name = re.sub(r"[-_.]+", "-", match[1]).lower()
        found.setdefault(name, []).append((match[2], match[3] or ""))
    return found


def declared(extra: str | None) -> list[Requirement]:
    reqs = [Requirement(r) for r in PYPROJECT["project"]["dependencies"]]
    if extra:
        reqs += [Requirement(r) for r in PYPROJECT["project"]["optional-dependencies"][extra]]
    return reqs + [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]


@pytest.mark.parametrize(("lock", "extra"), [("requirements.lock", None),
                                             ("requirements-test.lock", "test")])
def test_lock_pins_every_declared_dependency_within_its_bounds(
        lock: str, extra: str | None) -> None:
    locked = pins(ROOT / lock)
    for req in declared(extra):
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in locked, f"{lock} lacks {req.name}: run `sh tools/lock.sh`"
        for version, marker in locked[name]:
            if not marker or Marker(marker).evaluate():
                assert req.specifier.contains(version, prereleases=True), (
                    f"{lock}: {name}=={version} is outside pyproject's {req}: "
                    "run `sh tools/lock.sh`")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert QUICKSTART_TESTS in ci.splitlines()
