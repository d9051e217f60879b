"""A saved plan edited by hand cannot bypass the planner's safety rails at apply time: every
hand-added write to a protected object (or under one), to a system-owned object, to another
owner's object, every delete of an object not tagged with the plan's owner, and every path that
is not a plain /infra policy path is refused before anything is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.safety.helpers import NCP_T1, OPEN_NCP_T1, OWNER, T0, Lab, action

ADMIN_ROUTE = f"{T0}/static-routes/admin-route"
OTHER_ROUTE = f"{T0}/static-routes/other-owned"
SYS_ROUTE = f"{T0}/static-routes/sys-route"
NCP_ROUTE = f"{OPEN_NCP_T1}/static-routes/ncp-route"

ATTACKS = {
    # Protected by NSX for us (REQUIRE_OVERRIDE): refused by nsxplan, not left to NSX.
    "create-under-require-override": (action("create", f"{NCP_T1}/static-routes/evil"),
                                      "is under /infra/tier-1s/domain-c8, which is"),
    # NCP objects reading NOT_PROTECTED: only nsxplan's rule stands between them and a write.
    "update-open-ncp-gateway": (
        action("update", OPEN_NCP_T1, kind="Tier1",
               after={"resource_type": "Tier1", "description": "mine now"}),
        "ncp-open) is protected"),
    "create-under-open-ncp-gateway": (action("create", f"{OPEN_NCP_T1}/static-routes/evil"),
                                      "is under /infra/tier-1s/ncp-open, which is"),
    "delete-open-ncp-child": (action("delete", NCP_ROUTE),
                              "is under /infra/tier-1s/ncp-open, which is"),
    "dotdot-into-open-ncp-gateway": (
        action("create", f"{T0}/static-routes/x/../../../tier-1s/ncp-open/static-routes/evil"),
        "unsafe path segment '..'"),
    "percent-encoded-path": (action("create", f"{T0}/static-routes/admin%2Droute"),
                             "unsafe path segment 'admin%2Droute'"),
    "manager-api-path": (action("create", "/api/v1/node/users/10001"),
                         "is not a policy path under /infra"),
    "update-system-owned": (action("update", SYS_ROUTE), "sys-route) is protected"),
    "delete-system-owned": (action("delete", SYS_ROUTE), "sys-route) is protected"),
    # Ownership: deletes need the plan's owner tag on the live object.
    "delete-unowned": (action("delete", ADMIN_ROUTE), f"is not tagged nsxplan/owner={OWNER}"),
    "delete-other-owner": (action("delete", OTHER_ROUTE),
                           "is owned by nsxplan owner 'someone-else'"),
    "replace-unowned-without-adopt": (action("replace", ADMIN_ROUTE),
                                      "the replace does not adopt it"),
    "update-other-owner": (action("update", OTHER_ROUTE),
                           "is owned by nsxplan owner 'someone-else'"),
}


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_hand_edited_plan_is_refused_before_any_write(tmp_path: Path, name: str) -> None:
    evil, why = ATTACKS[name]
    lab = Lab(tmp_path)
    res, before = lab.tampered_apply(tmp_path, evil)
    text = res.out + res.err
    assert res.code == 1, text
    assert why in text, text
    assert "refusing to" in text and "Traceback" not in text
    # The legitimate create in the same plan was not written either: refused as a whole.
    assert lab.objects() == before
    assert not any(p.endswith("/static-routes/mine") for p in lab.objects())


def test_every_attack_in_one_plan_is_named(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    res, before = lab.tampered_apply(tmp_path, *(a for a, _ in ATTACKS.values()),
                                     keep_original=False)
    text = res.out + res.err
    assert res.code == 1, text
    for _, why in ATTACKS.values():
        assert why in text, (why, text)
    assert lab.objects() == before


def test_adopting_replace_of_an_unowned_object_still_applies(tmp_path: Path) -> None:
    """The rail does not block what the planner itself produces with --adopt: a replace that
    adopts an untagged object (network cannot change in place) goes through."""
    lab = Lab(tmp_path)
    res, _ = lab.tampered_apply(tmp_path, action("replace", ADMIN_ROUTE, adopt=True),
                                keep_original=False)
    assert res.code == 0, res.out + res.err
    route = lab.objects()[ADMIN_ROUTE]
    assert route["network"] == "198.51.100.0/24"
    assert {"scope": "nsxplan/owner", "tag": OWNER} in route["tags"]
