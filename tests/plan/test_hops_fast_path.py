"""The planner's next-hop shortcut only ever says "the same" where the canonical comparison
says so too (it never hides a difference)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.plan.normalize import canonical_value
from nsxplan.plan.planner import _hops_with_default

HOP = st.fixed_dictionaries(
    {"ip_address": st.sampled_from(["10.0.0.1", "10.0.0.01", "10.0.0.2", "fe80::1"])},
    optional={"admin_distance": st.sampled_from([1, 2, None, True, "1"]),
              "scope": st.one_of(st.none(), st.lists(st.sampled_from(["/a", "/b"]), max_size=2))})


@settings(max_examples=600, deadline=None)
@given(st.lists(HOP, max_size=3), st.lists(HOP, max_size=3))
def test_shortcut_implies_canonical_equality(live: list[dict[str, Any]],
                                             want: list[dict[str, Any]]) -> None:
    if _hops_with_default(live, want):
        assert canonical_value("StaticRoutes", "next_hops", live) == \
            canonical_value("StaticRoutes", "next_hops", want)


def test_the_case_it_is_for() -> None:
    assert _hops_with_default([{"ip_address": "10.0.0.1", "admin_distance": 1}],
                              [{"ip_address": "10.0.0.1"}])
    assert not _hops_with_default([{"ip_address": "10.0.0.1", "admin_distance": 2}],
                                  [{"ip_address": "10.0.0.1"}])
    assert not _hops_with_default([{"ip_address": "10.0.0.2", "admin_distance": 1}],
                                  [{"ip_address": "10.0.0.1"}])
