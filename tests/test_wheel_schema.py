"""The configuration schema ships inside the package: the copy is identical, and a wheel has it."""

from __future__ import annotations

import json
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
