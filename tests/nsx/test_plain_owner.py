"""guard.plain_owner, the planner's fast path, agrees with owner_of and protection on any
object: it may only say "not protected" when protection() says so."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.nsx.guard import RUNTIME_SCOPES, owner_of, plain_owner, protection
from nsxplan.nsx.objects import OWNER_SCOPE

SCOPES = st.sampled_from([OWNER_SCOPE, "ncp/cluster", "ncp/version", "ncp/no_snat", "nsx-op/x",
                          "env", "", "team", *sorted(RUNTIME_SCOPES)[:3]])
TAG = st.one_of(st.fixed_dictionaries({"scope": SCOPES, "tag": st.sampled_from(["a", "b", ""])}),
                st.just("not a mapping"), st.fixed_dictionaries({"tag": st.just("x")}))
OBJ = st.fixed_dictionaries({}, optional={
    "tags": st.one_of(st.none(), st.lists(TAG, max_size=5)),
    "_system_owned": st.sampled_from([True, False, None]),
    "_protection": st.sampled_from([None, "", "NOT_PROTECTED", "REQUIRE_OVERRIDE", "PROTECTED"]),
    "_create_user": st.sampled_from(["admin", "wcp-cluster-user-1", "ncp-pi", None]),
})


@settings(max_examples=400, deadline=None)
@given(OBJ)
def test_plain_owner_agrees_with_the_full_rules(obj: dict[str, Any]) -> None:
    plain, owner = plain_owner(obj)
    if plain:
        assert protection(obj) is None
        assert owner == owner_of(obj)
    else:
        assert owner is None


def test_the_common_cases() -> None:
    ours = {"tags": [{"scope": OWNER_SCOPE, "tag": "lab"}], "_protection": "NOT_PROTECTED"}
    assert plain_owner(ours) == (True, "lab")
    assert plain_owner({"tags": []}) == (True, None)
    assert plain_owner({**ours, "tags": [*ours["tags"], {"scope": "ncp/cluster", "tag": "c"}]}) \
        == (False, None)
    assert plain_owner({"_system_owned": True}) == (False, None)
    assert plain_owner({"_protection": "REQUIRE_OVERRIDE"}) == (False, None)
