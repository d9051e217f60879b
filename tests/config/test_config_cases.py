"""Case directories: tests/config/cases/<rule>-{ok,bad}/ hold YAML files and expected.txt.

The directory is loaded as a configuration; expected.txt holds exactly what `nsxplan validate`
prints for it (file names relative to the case directory), and is empty for a valid case.
Regenerate after an intended message change with NSXPLAN_UPDATE_CASES=1, then review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nsxplan.errors import ConfigError
from nsxplan.validate import load_config

CASES = Path(__file__).resolve().parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def actual_output(case: Path) -> str:
    try:
        load_config(case)
    except ConfigError as error:
        return error.format().replace(f"{case}{os.sep}", "") + "\n"
    return ""


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_case(case: Path) -> None:
    expected_file = case / "expected.txt"
    actual = actual_output(case)
    if os.environ.get("NSXPLAN_UPDATE_CASES") == "1":
        expected_file.write_text(actual, encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8")
    assert actual == expected
    if case.name.endswith("-ok"):
        assert expected == ""
    else:
        assert case.name.endswith("-bad") and expected


def test_every_ok_case_has_a_bad_twin() -> None:
    names = {p.name for p in CASE_DIRS}
    for name in names:
        if name.endswith("-ok"):
            assert name[: -len("-ok")] + "-bad" in names
