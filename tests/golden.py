"""The one golden-file mechanism: compare output with a file kept in the repository, or rewrite
the file from the output with `pytest --update-golden` (then review the diff before committing).

Used by the plan cases (tests/cases), the rendering goldens (tests/render/golden, and
tests/semantics/golden), the configuration cases (tests/config/cases) and the recorded cassette
(tests/apply/cassettes).
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from pathlib import Path

OPTION = "--update-golden"


class Golden:
    def __init__(self, update: bool) -> None:
        self.update = update

    def check(self, path: Path, actual: str,
              matches: Callable[[str, str], bool] = operator.eq) -> str:
        """Assert `actual` matches the file (rewritten first when updating and it differs);
        returns the file's text. `matches(expected, actual)` may be looser than equality."""
        if self.update and not (path.is_file()
                                and matches(path.read_text(encoding="utf-8"), actual)):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
        assert path.is_file(), f"{path} missing: run pytest with {OPTION} to create it"
        expected = path.read_text(encoding="utf-8")
        assert matches(expected, actual), (
            f"{path} differs from the output ({OPTION} rewrites it)\n"
            f"expected:\n{expected}\nactual:\n{actual}")
        return expected
