"""The configuration schema ships inside the package: the copy is identical, and a wheel has it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from nsxplan.schemas import PACKAGE_DIR, schema_path

# the repository's top-level copy, for editors and docs; nsxplan/schemas/ is canonical
SOURCE_DIR = Path(__file__).resolve().parent.parent / "schemas"


def test_package_copy_is_identical_to_the_canonical_schemas() -> None:
    canonical = sorted(p.name for p in SOURCE_DIR.glob("*.json"))
    assert "nsxplan.schema.json" in canonical
    for name in canonical:
        assert (PACKAGE_DIR / name).read_bytes() == (SOURCE_DIR / name).read_bytes(), (
            f"schemas/{name} differs from the canonical nsxplan/schemas/{name}: copy it over")


def test_schema_path_finds_a_valid_draft_2020_12_schema() -> None:
    path = schema_path("nsxplan.schema.json")
    schema = json.loads(Path(path).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.slow
def test_an_installed_wheel_finds_its_schemas_and_demo_state(tmp_path: Path) -> None:
    """Builds a real wheel (offline: `wheel` is in the test extra, no build isolation) from a copy
    of the tree (building writes build/ and *.egg-info next to the sources, and the working tree
    is shared), installs it into a bare directory and asks it, from elsewhere, for its schemas
    and the simulator's built-in demo state."""
    src = tmp_path / "src"
    root = SOURCE_DIR.parent
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    shutil.copytree(root / "nsxplan", src / "nsxplan", ignore=ignore)
    shutil.copytree(root / "schemas", src / "schemas", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(root / name, src / name)
    dist, site = tmp_path / "dist", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist),
                    str(src)], check=True, capture_output=True)
    (wheel,) = dist.glob("nsxplan-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(site), str(wheel)],
                   check=True, capture_output=True)
    shipped = site / "nsxplan" / "schemas" / "nsxplan.schema.json"
    assert shipped.read_bytes() == (SOURCE_DIR / "nsxplan.schema.json").read_bytes()
    assert not (site / "schemas").exists()  # the source-tree copy is not what ships
    probe = ("import nsxplan; from nsxplan.schemas import schema_path; "
             "from nsxplan.sim import demo_state; "
             "print(nsxplan.__file__); print(schema_path('nsxplan.schema.json')); "
             "print(schema_path('plan.schema.json')); print(demo_state()['resource_type'])")
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True,
                            capture_output=True, text=True)
    package_file, found, plan_schema, demo = result.stdout.split()
    assert Path(package_file).is_relative_to(site)
    assert Path(found) == shipped
    assert Path(plan_schema) == site / "nsxplan" / "schemas" / "plan.schema.json"
    assert demo == "Infra"
