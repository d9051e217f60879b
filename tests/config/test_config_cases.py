"""Case directories: tests/config/cases/<rule>-{ok,bad}/ hold YAML files and expected.txt.

The directory is loaded as a configuration; expected.txt holds exactly what `nsxplan validate`
prints for it (file names relative to the case directory), and is empty for a valid case.
Regenerate after an intended message change with `pytest tests/config --update-golden`, then
review the diff (an expected.txt that still matches, `<PyYAML>` and all, is left alone).

Text that a third-party library words (PyYAML's syntax errors) is written `<PyYAML>` in
expected.txt: it matches any words there, so an upstream release that rewords its message
cannot turn the suite red, while nsxplan's own wording, file:line:col and hint stay pinned.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from nsxplan.config import load_config
from nsxplan.errors import ConfigError
from tests.golden import Golden

CASES = Path(__file__).resolve().parent / "cases"
CASE_DIRS = sorted(p for p in CASES.iterdir() if p.is_dir())


def actual_output(case: Path) -> str:
    try:
        load_config(case)
    except ConfigError as error:
        return error.format().replace(f"{case}{os.sep}", "") + "\n"
    return ""


THIRD_PARTY = "<PyYAML>"


def matches(expected: str, actual: str) -> bool:
    if THIRD_PARTY not in expected:
        return actual == expected
    pattern = ".+?".join(re.escape(part) for part in expected.split(THIRD_PARTY))
    return re.fullmatch(pattern, actual, flags=re.DOTALL) is not None


def test_third_party_placeholder_matches_words_not_locations() -> None:
    expected = f"c.yaml:5:4: YAML syntax error: {THIRD_PARTY}\n"
    assert matches(expected, "c.yaml:5:4: YAML syntax error: anything at all\n")
    assert not matches(expected, "c.yaml:5:5: YAML syntax error: anything at all\n")
    assert not matches(expected, "c.yaml:5:4: YAML syntax error: \n")


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_case(case: Path, golden_files: Golden) -> None:
    expected = golden_files.check(case / "expected.txt", actual_output(case), matches)
    if case.name.endswith("-ok"):
        assert expected == ""
    else:
        assert case.name.endswith("-bad") and expected


def test_every_ok_case_has_a_bad_twin() -> None:
    names = {p.name for p in CASE_DIRS}
    for name in names:
        if name.endswith("-ok"):
            assert name[: -len("-ok")] + "-bad" in names
