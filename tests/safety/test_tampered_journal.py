"""`nsxplan rollback JOURNAL` with a journal edited by hand: it must not delete what this owner
does not own, re-create a protected object, or overwrite another owner's object. What the real
apply did is still undone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.safety.helpers import NCP_TAGS, NO_CHECKS, OPEN_NCP_T1, OWNER, PI, T0, Lab, owner_tags

MINE = f"{T0}/static-routes/mine"
ADMIN_ROUTE = f"{T0}/static-routes/admin-route"
OTHER_ROUTE = f"{T0}/static-routes/other-owned"
NCP_ROUTE = f"{OPEN_NCP_T1}/static-routes/ncp-route"
NCP_ROUTE_2 = f"{OPEN_NCP_T1}/static-routes/ncp-route-2"
GHOST = f"{T0}/static-routes/ghost"


def begin(seq: int, path: str, op: str, pre_image: dict[str, Any] | None) -> dict[str, Any]:
    return {"type": "begin", "seq": seq, "address": f"hand.{seq}", "kind": "StaticRoutes",
            "action": op, "op": op, "method": "DELETE" if op == "delete" else "PATCH",
            "path": path, "pre_image": pre_image, "body": None, "time": "2026-11-21T00:00:00Z"}


FORGED = [
    # "created by the apply": rollback would delete them.
    (begin(101, ADMIN_ROUTE, "create", None), f"{ADMIN_ROUTE} is not tagged nsxplan/owner"),
    (begin(102, NCP_ROUTE, "create", None), f"{NCP_ROUTE} is under {OPEN_NCP_T1}, which is"),
    # "deleted by the apply": rollback would re-create an NCP object out of thin air.
    (begin(103, GHOST, "delete", {
        "resource_type": "StaticRoutes", "id": "ghost", "network": "192.168.90.0/24",
        "next_hops": [{"ip_address": "10.27.51.1"}], "tags": NCP_TAGS, "_create_user": PI,
        "_protection": "REQUIRE_OVERRIDE"}), f"{GHOST} was protected before the apply"),
    # "deleted by the apply", innocuous pre-image: re-created under NCP's gateway all the same.
    (begin(105, f"{OPEN_NCP_T1}/static-routes/planted", "delete", {
        "resource_type": "StaticRoutes", "id": "planted", "network": "192.168.91.0/24",
        "next_hops": [{"ip_address": "10.27.51.1"}], "tags": owner_tags(OWNER)}),
     f"{OPEN_NCP_T1}/static-routes/planted is under {OPEN_NCP_T1}, which is"),
    # "updated by the apply": NCP's own untagged child rewritten.
    (begin(106, NCP_ROUTE_2, "update", {
        "resource_type": "StaticRoutes", "id": "ncp-route-2", "network": "0.0.0.0/0",
        "next_hops": [{"ip_address": "10.66.6.6"}]}),
     f"{NCP_ROUTE_2} is under {OPEN_NCP_T1}, which is"),
    # "updated by the apply": rollback would PUT a forged pre-image over another owner's route.
    (begin(104, OTHER_ROUTE, "update", {
        "resource_type": "StaticRoutes", "id": "other-owned", "network": "0.0.0.0/0",
        "next_hops": [{"ip_address": "10.66.6.6"}], "tags": owner_tags(OWNER)}),
     "is owned by nsxplan owner 'someone-else'"),
]


def test_forged_journal_records_are_refused_and_the_real_steps_undone(tmp_path: Path) -> None:
    lab = Lab(tmp_path)
    journal = tmp_path / "journal.jsonl"
    applied = lab.run("apply", lab.dir, "--auto-approve", "--journal", journal, *NO_CHECKS)
    assert applied.code == 0, applied.out + applied.err
    assert MINE in lab.objects()
    with journal.open("a") as fh:
        for record, _ in FORGED:
            fh.write(json.dumps(record) + "\n")
    before = lab.objects()

    res = lab.run("rollback", journal)
    text = res.out + res.err
    assert res.code == 1, text           # incomplete: the forged steps cannot be "undone"
    for _, why in FORGED:
        assert why in text, (why, text)
    after = lab.objects()
    assert MINE not in after                                  # the real create was undone
    assert GHOST not in after and f"{OPEN_NCP_T1}/static-routes/planted" not in after
    for path in (ADMIN_ROUTE, NCP_ROUTE, NCP_ROUTE_2, OTHER_ROUTE):
        assert after[path] == before[path], path
