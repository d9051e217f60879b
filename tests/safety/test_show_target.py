"""A saved plan whose target was edited to carry credentials (a password holding '/' or '@')
never shows them: `show` in every format, and the file written again by `plan --out`."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from nsxplan.plan.planfile import load_plan, save_plan
from nsxplan.redact import scrub_target
from tests.scenarios.conftest import nsxplan

LABELS = ["https://admin:p/w@nsx.example.com", "https://admin:Zq@Xy/Wv@nsx.example.com:443",
          "https://admin:p w@nsx.example.com"]


@pytest.mark.parametrize("label", LABELS)
def test_scrub_target_removes_userinfo_holding_slashes_and_ats(label: str) -> None:
    assert scrub_target(label).startswith("https://nsx.example.com"), scrub_target(label)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_show_of_an_edited_plan_hides_the_password(tmp_path: Path, fmt: str) -> None:
    from tests.render.helpers import sample_plan

    path = tmp_path / "plan.json"
    save_plan(sample_plan(), path)
    doc = json.loads(path.read_text())
    doc["target"] = LABELS[1]
    path.write_text(json.dumps(doc))
    res = nsxplan("show", path, "--format", fmt)
    assert res.code == 0, res.err
    text = res.out + res.err
    assert "Zq" not in text and "Xy/Wv" not in text, text
    assert "nsx.example.com:443" in res.out
    save_plan(dataclasses.replace(load_plan(path), target=LABELS[0]), path)
    assert "p/w" not in path.read_text()
