"""Mass-change guards and `protect: true` (issue 11).

Before: a plan deleting every object of a stack (a renamed gateway id, a file left out of the
directory) applied like any other; nothing could mark an object as never to be deleted.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nsxplan.errors import PlanError
from nsxplan.plan.guards import enforce_mass_change, exceeded
from tests.semantics.helpers import Lab, config


def _routes(n: int, protect: str = "") -> str:
    lines = ["tier0s:", "  - id: vcf-t0", "    existing: true", "    static_routes:"]
    for i in range(n):
        lines += [f"      - id: r{i}", f"        network: 192.168.{i}.0/24",
                  "        next_hops: [{ip: 10.27.51.1}]"]
        if i == 0 and protect:
            lines.append(f"        protect: {protect}")
    return "\n".join(lines) + "\n"


def test_deleting_more_than_the_threshold_needs_allow_deletes(lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, _routes(12)))
    p = lab.plan(config(tmp_path, "tier0s: []\n", "empty.yaml"))
    assert len([a for a in p.changes if a.action == "delete"]) == 12
    assert exceeded(p) == "it deletes or replaces 12 objects (more than 10)"
    with pytest.raises(PlanError) as exc:
        enforce_mass_change(p, None)
    text = exc.value.format()
    assert "refusing to apply: it deletes or replaces 12 objects" in text
    assert "nothing was written" in text and "--allow-deletes 12" in text
    with pytest.raises(PlanError):
        enforce_mass_change(p, 11)
    enforce_mass_change(p, 12)


def test_percentage_threshold_once_the_owner_has_ten_objects(lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, _routes(12)))
    p = lab.plan(config(tmp_path, _routes(8), "fewer.yaml"))
    assert exceeded(p) == ("it deletes or replaces 4 of the 12 objects owner tanzu-egress has "
                           "(more than 25 %)")
    relaxed = config(tmp_path, _routes(8) + "guards: {max_delete_percent: 50}\n", "g.yaml")
    assert exceeded(lab.plan(relaxed)) is None
    # A small stack: deleting 1 of 2 is not a mass change.
    small = Lab()
    try:
        small.apply(config(tmp_path, _routes(2), "two.yaml"))
        assert exceeded(small.plan(config(tmp_path, _routes(1), "one.yaml"))) is None
    finally:
        small.close()


def test_protected_object_is_never_deleted_even_after_leaving_the_yaml(
        lab: Lab, tmp_path: Path) -> None:
    lab.apply(config(tmp_path, _routes(2, protect="true")))
    tags = {t["scope"]: t["tag"]
            for t in lab.get("/infra/tier-0s/vcf-t0/static-routes/r0")["tags"]}
    assert tags["nsxplan/protect"] == "true"
    with pytest.raises(PlanError) as exc:
        lab.plan(config(tmp_path, _routes(0).replace("    static_routes:\n", ""), "gone.yaml"))
    assert "is protected (tag nsxplan/protect=true); nsxplan will not delete it" in \
        exc.value.format()
    # protect: false first (removes the tag), then the delete goes through.
    lab.apply(config(tmp_path, _routes(2, protect="false"), "unprotect.yaml"))
    p = lab.plan(config(tmp_path, _routes(1).replace("id: r0", "id: r1").replace(
        "192.168.0.0", "192.168.1.0"), "one.yaml"))
    assert [a.address for a in p.changes if a.action == "delete"] == [
        "tier0s.vcf-t0.static_routes.r0"]


def test_protected_nat_rule_is_never_replaced(lab: Lab, tmp_path: Path) -> None:
    rule = """\
tier0s:
  - id: vcf-t0
    existing: true
    nat_rules:
      - id: egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
        protect: true
"""
    lab.apply(config(tmp_path, rule))
    changed = rule.replace("REFLEXIVE", "NO_SNAT").replace("        translated: 10.27.51.145\n",
                                                          "")
    with pytest.raises(PlanError) as exc:
        lab.plan(config(tmp_path, changed, "v2.yaml"))
    assert "action cannot change in place, so the plan would replace" in exc.value.format()
    assert "protected" in exc.value.format()


def test_markdown_plan_says_apply_will_refuse(lab: Lab, tmp_path: Path) -> None:
    from nsxplan.render.markdown import render_markdown

    lab.apply(config(tmp_path, _routes(12)))
    text = render_markdown(lab.plan(config(tmp_path, "tier0s: []\n", "empty.yaml")))
    assert "> `apply` refuses it (it deletes or replaces 12 objects (more than 10)) unless " \
           "given `--allow-deletes 12`." in text
