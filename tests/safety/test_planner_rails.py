"""The planner through the real CLI on crafted states: adoption never takes NCP's or NSX's
objects, a configuration object colliding with a system-owned one is refused, and an owned
object hanging under an NCP gateway is never planned for deletion."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.safety.helpers import (
    CONFIG,
    NO_CHECKS,
    OPEN_NCP_T1,
    OWNER,
    Lab,
    action,
    gateway,
    hostile_state,
    owner_tags,
    route,
)

ADOPT_OPEN_NCP_ROUTE = f"""\
version: 1
owner: {OWNER}
tier1s:
  - id: ncp-open
    existing: true
    static_routes:
      - id: ncp-route
        network: 192.168.81.0/24
        next_hops: [{{ip: 10.27.51.1}}]
        adopt: true
"""
ADOPT_OPEN_NCP_GATEWAY = f"""\
version: 1
owner: {OWNER}
tier1s:
  - id: ncp-open
    tier0: /infra/tier-0s/vcf-t0
    description: mine now
    adopt: true
"""
ADOPT_REQUIRE_OVERRIDE_RULE = f"""\
version: 1
owner: {OWNER}
tier1s:
  - id: domain-c8
    existing: true
    nat_rules:
      - id: snat-supervisor-egress
        action: SNAT
        translated: 30.0.0.5
"""
# The configuration's route, renamed onto the system-owned one.
SAME_ID_AS_SYSTEM = CONFIG.replace("id: mine", "id: sys-route")
EMPTY = f"""\
version: 1
owner: {OWNER}
tier0s:
  - id: vcf-t0
    existing: true
"""

CASES = {
    "adopt-child-of-open-ncp-gateway": (ADOPT_OPEN_NCP_ROUTE, "under /infra/tier-1s/ncp-open"),
    "adopt-open-ncp-gateway": (ADOPT_OPEN_NCP_GATEWAY, "created by the principal identity"),
    "adopt-require-override-rule": (ADOPT_REQUIRE_OVERRIDE_RULE, "REQUIRE_OVERRIDE"),
    "same-id-as-system-owned": (SAME_ID_AS_SYSTEM, "system-owned"),
}


@pytest.mark.parametrize("adopt_flag", [(), ("--adopt",)], ids=["yaml", "--adopt"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_protected_objects_are_never_planned_even_when_adopting(
        tmp_path: Path, name: str, adopt_flag: tuple[str, ...]) -> None:
    config, why = CASES[name]
    lab = Lab(tmp_path, config=config)
    before = lab.objects()
    for command in ("plan", "apply"):
        extra = ("--auto-approve",) if command == "apply" else ()
        res = lab.run(command, lab.dir, *NO_CHECKS, *adopt_flag, *extra)
        text = res.out + res.err
        assert res.code == 1, text
        assert why in text and "nsxplan never changes it" in text, text
    assert lab.objects() == before


def test_owned_object_under_an_ncp_gateway_is_not_planned_for_deletion(tmp_path: Path) -> None:
    """Someone tagged a route under NCP's Tier-1 (which reads NOT_PROTECTED) with this owner:
    deleting it would change NCP's gateway, so planning stops instead of deleting it."""
    state = hostile_state()
    gateway(state, "Tier1", "ncp-open")["children"].append(
        route("tagged", "192.168.82.0/24", tags=owner_tags(OWNER)))
    lab = Lab(tmp_path, state=state, config=EMPTY)
    before = lab.objects()
    res = lab.run("apply", lab.dir, "--auto-approve", *NO_CHECKS)
    text = res.out + res.err
    assert res.code == 1, text
    assert (f"{OPEN_NCP_T1}/static-routes/tagged carries nsxplan/owner={OWNER} but is under "
            f"{OPEN_NCP_T1}") in text, text
    assert lab.objects() == before


def test_an_object_claimed_by_two_owners_is_neither_deleted_nor_deletable(tmp_path: Path) -> None:
    state = hostile_state()
    gateway(state, "Tier0", "vcf-t0")["children"].append(
        route("shared", "192.168.85.0/24",
              tags=[*owner_tags(OWNER), *owner_tags("someone-else")]))
    lab = Lab(tmp_path, state=state)
    shared = "/infra/tier-0s/vcf-t0/static-routes/shared"
    res = lab.run("plan", lab.dir, "--format", "json", *NO_CHECKS)
    assert res.code == 0, res.err
    assert shared not in {c["path"] for c in res.json["changes"]}
    assert shared in {u["path"] for u in res.json["unmanaged"]}
    applied, before = lab.tampered_apply(tmp_path, action("delete", shared))
    assert applied.code == 1 and "owned by nsxplan owner 'safety+someone-else'" in applied.err
    assert lab.objects() == before
