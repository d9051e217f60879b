"""The configuration schema ships inside the package: the copy is identical, and a wheel has it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema

from nsxplan.schemas import PACKAGE_DIR, SOURCE_DIR, schema_path


def test_package_copy_is_identical_to_the_canonical_schemas() -> None:
    canonical = sorted(p.name for p in SOURCE_DIR.glob("*.json"))
    assert "nsxplan.schema.json" in canonical
    for name in canonical:
        assert (PACKAGE_DIR / name).read_bytes() == (SOURCE_DIR / name).read_bytes(), (
            f"nsxplan/schemas/{name} is stale: run `python -m nsxplan.schemas`")


def test_schema_path_finds_a_valid_draft_2020_12_schema() -> None:
    path = schema_path("nsxplan.schema.json")
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_an_installed_package_finds_its_schemas(tmp_path: Path) -> None:
    """Runs setuptools' build_py, the step that decides what a wheel's purelib holds (bdist_wheel
    zips its output), on a copy of the tree: setuptools writes *.egg-info next to the sources,
    and the working tree is shared. The venv has no `wheel` package, so `pip wheel` is not used."""
    src = tmp_path / "src"
    root = SOURCE_DIR.parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(root / "nsxplan", src / "nsxplan", ignore=ignore)
    shutil.copytree(root / "schemas", src / "schemas", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-c", "from setuptools import setup; setup()", "-q",
                    "build_py", "--build-lib", str(site)],
                   cwd=src, check=True, capture_output=True)
    shipped = site / "nsxplan" / "schemas" / "nsxplan.schema.json"
    assert shipped.read_bytes() == (SOURCE_DIR / "nsxplan.schema.json").read_bytes()
    assert not (site / "schemas").exists()  # the source-tree copy is not what ships
    probe = ("from nsxplan.schemas import schema_path; import nsxplan; "
             "print(nsxplan.__file__); print(schema_path('nsxplan.schema.json'))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True)
    package_file, found = result.stdout.split()
    assert Path(package_file).is_relative_to(site)
    assert Path(found) == shipped
