"""The one rule for "may nsxplan write this path" (nsxplan/nsx/guard.py), case by case: the
planner, apply, the executor, rollback, journal replay and the importer all ask it."""

from __future__ import annotations

from typing import Any

import pytest

from nsxplan.nsx.guard import Guard, ancestors, ncp_owner, ownership_refusal, path_problem

T1 = "/infra/tier-1s/t1"
RULE = f"{T1}/nat/USER/nat-rules/r"


@pytest.mark.parametrize(("path", "why"), [
    ("/infra/tier-1s/t1-unused/../domain-c8/static-routes/x", "unsafe path segment '..'"),
    ("/infra/tier-1s/./t1", "unsafe path segment '.'"),
    ("/infra/tier-1s//t1", "unsafe path segment ''"),
    ("/infra/tier-1s/t1%2F..%2Fncp", "unsafe path segment 't1%2F..%2Fncp'"),
    ("/infra/tier-1s/t1?action=reprocess", "unsafe path segment 't1?action=reprocess'"),
    ("/infra/tier-1s/t 1", "unsafe path segment 't 1'"),
    ("/infra/tier-1s/t1\n", "unsafe path segment 't1\\n'"),
    ("/api/v1/logical-routers/lr", "is not a policy path under /infra"),
    ("/policy/api/v1/infra/tier-1s/t1", "is not a policy path under /infra"),
    ("/infra", "is not a policy path under /infra"),
    ("infra/tier-1s/t1", "is not a policy path under /infra"),
])
def test_only_canonical_infra_paths(path: str, why: str) -> None:
    problem = path_problem(path)
    assert problem is not None and why in problem


def test_canonical_paths_pass() -> None:
    for path in (T1, RULE, "/infra/tier-0s/t0/locale-services/default/bgp/neighbors/n",
                 "/infra/dns-forwarder-zones/z", f"{T1}/dns-forwarder"):
        assert path_problem(path) is None, path


def test_ancestors_are_the_objects_above_nearest_first() -> None:
    assert ancestors(RULE) == [f"{T1}/nat/USER", T1]
    assert ancestors("/infra/tier-0s/t0/locale-services/default/bgp/neighbors/n") == [
        "/infra/tier-0s/t0/locale-services/default/bgp",
        "/infra/tier-0s/t0/locale-services/default", "/infra/tier-0s/t0"]
    assert ancestors(f"{T1}/dns-forwarder") == [T1]
    assert ancestors(T1) == []


def tagged(*scopes: str, user: str = "admin") -> dict[str, Any]:
    return {"tags": [{"scope": s, "tag": "x"} for s in scopes], "_create_user": user}


@pytest.mark.parametrize("scopes", [
    ("ncp/version",), ("ncp/project",), ("ncp/created_for",), ("nsx-op/namespace",),
    ("ncp/cluster", "ncp/project"), ("ncp/cluster", "ncp/brand_new_scope"),
    ("nsx-op/cluster", "nsx-op/something"),
])
def test_ncp_running_as_admin_is_known_by_its_runtime_tags(scopes: tuple[str, ...]) -> None:
    why = ncp_owner(tagged(*scopes))
    assert why is not None and "created by admin" in why


@pytest.mark.parametrize("scopes", [
    (), ("ncp/cluster",), ("ncp/cluster", "ncp/no_snat"), ("ncp/external",),
    ("ncp/cluster", "ncp/node_name"), ("owner",), ("nsxplan/owner",),
])
def test_an_administrators_discovery_tags_leave_the_object_manageable(
        scopes: tuple[str, ...]) -> None:
    assert ncp_owner(tagged(*scopes)) is None


def test_a_principal_identity_with_any_ncp_tag_is_ncp() -> None:
    why = ncp_owner(tagged("ncp/cluster", user="wcp-cluster-user-domain-c8-1"))
    assert why is not None and "principal identity" in why


def test_guard_refuses_the_object_and_everything_below_it() -> None:
    live = {T1: {"resource_type": "Tier1", **tagged("ncp/version")},
            f"{T1}/nat/USER": {"resource_type": "PolicyNat", "_system_owned": True}}
    guard = Guard(live.get)
    below = guard.refusal(RULE)
    assert below is not None and below.phrase.startswith(f"is under {T1}, which is NCP's")
    itself = guard.refusal(T1, live[T1])
    assert itself is not None and itself.phrase.startswith("is protected (NCP's")
    assert str(guard.refusal(f"{T1}/../t0")).startswith("'/infra/tier-1s/t1/../t0' has")


def test_a_system_owned_nat_section_alone_does_not_block_its_rules() -> None:
    live = {T1: {"resource_type": "Tier1"},
            f"{T1}/nat/USER": {"resource_type": "PolicyNat", "_system_owned": True}}
    assert Guard(live.get).refusal(RULE) is None
    live[f"{T1}/nat/USER"]["_protection"] = "PROTECTED"
    assert Guard(live.get).refusal(RULE) is not None


def test_ownership() -> None:
    mine = {"tags": [{"scope": "nsxplan/owner", "tag": "me"}]}
    theirs = {"tags": [{"scope": "nsxplan/owner", "tag": "you"}]}
    nobody: dict[str, Any] = {"tags": []}
    assert ownership_refusal("delete", mine, "me") is None
    assert "owned by nsxplan owner 'you'" in str(ownership_refusal("update", theirs, "me"))
    assert "not tagged" in str(ownership_refusal("delete", nobody, "me"))
    assert "does not adopt it" in str(ownership_refusal("update", nobody, "me"))
    assert ownership_refusal("update", nobody, "me", adopt=True) is None
    assert ownership_refusal("create", None, "me") is None


def _slow_path_problem(path: str) -> str | None:
    """The rule as first written: every character of every segment checked."""
    segments = path.split("/")
    if segments[:2] != ["", "infra"] or len(segments) < 3:
        return "is not a policy path under /infra"
    for seg in segments[2:]:
        if seg in ("", ".", "..") or any(c in "%?#\\;" or c.isspace() or not c.isprintable()
                                         for c in seg):
            return f"has an unsafe path segment {seg!r}"
    return None


def test_the_fast_path_for_plain_ids_decides_as_the_rule_does() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    segment = st.text(st.sampled_from("aZ09_.-/%?#\\; \n\t\x00é\u2028"), max_size=6)

    @settings(max_examples=400, deadline=None)
    @given(st.lists(segment, min_size=1, max_size=4))
    def check(parts: list[str]) -> None:
        path = "/infra/" + "/".join(parts)
        assert path_problem(path) == _slow_path_problem(path)

    check()
