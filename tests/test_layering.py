"""The package layering of docs/architecture.md is checked, not hoped for.

import-linter's contracts live in pyproject.toml ([tool.importlinter]): the layers, apply/'s
inner order, the simulator's independence and no cycles between the modules of any one package.
Imports inside functions and under TYPE_CHECKING count: a late import is still a dependency.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent

# No exceptions: the simulator's request handler types its Simulator through a Protocol.
KNOWN_CYCLES: set[frozenset[str]] = set()


def test_import_linter_contracts_are_kept() -> None:
    lint = (shutil.which("lint-imports", path=str(Path(sys.executable).parent))
            or shutil.which("lint-imports"))
    assert lint, "import-linter is in the test extra: pip install '.[test]'"
    result = subprocess.run([lint, "--no-cache", "--config", "pyproject.toml"], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_module_imports_itself_back() -> None:
    """What acyclic_siblings does not see: a cycle between a package's __init__ and one of its
    own modules (client/__init__.py -> client/auth.py -> client/__init__.py)."""
    graph = grimp.build_graph("nsxplan", cache_dir=None)
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if frozenset({importer, imported}) in KNOWN_CYCLES:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=importer)
            if back:
                cycles.append(f"{importer} -> {' -> '.join(back)}")
    assert not cycles, "\n".join(cycles)
