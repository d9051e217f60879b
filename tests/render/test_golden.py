"""Rendered plans compared with golden files (colour off)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from nsxplan.render import render_json, render_markdown, render_text
from nsxplan.schemas import schema_path
from tests.render.helpers import empty_plan, sample_plan

PLANS = {"sample": sample_plan, "empty": empty_plan}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_text_golden(golden, name):
    golden(f"{name}.txt", render_text(PLANS[name]()))


@pytest.mark.parametrize("name", sorted(PLANS))
def test_json_golden(golden, name):
    golden(f"{name}.json", render_json(PLANS[name]()))


@pytest.mark.parametrize("name", sorted(PLANS))
def test_markdown_golden(golden, name):
    golden(f"{name}.md", render_markdown(PLANS[name]()))


@pytest.mark.parametrize("name", sorted(PLANS))
def test_json_output_validates_against_the_plan_schema(name):
    schema = json.loads(schema_path("plan.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    document = json.loads(render_json(PLANS[name]()))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert errors == []


def test_schema_rejects_what_the_format_forbids():
    schema = json.loads(schema_path("plan.schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    document = json.loads(render_json(sample_plan()))
    document["changes"][0]["action"] = "destroy"
    document["format_version"] = 3
    del document["checks"][0]["status"]
    del document["changes"][2]["after"]          # only a no-op may be summarized
    # which rule refused what, not jsonschema's wording of it
    errors = [(e.validator, list(e.absolute_path), e.instance)
              for e in validator.iter_errors(document)]
    assert ("enum", ["changes", 0, "action"], "destroy") in errors
    assert ("enum", ["format_version"], 3) in errors
    assert any(v == "required" and p == ["changes", 2] for v, p, _ in errors)
    assert any(v == "required" and p == ["checks", 0] for v, p, _ in errors)
