"""plan_from_dict(plan_to_dict(p, full=True)) == p, also through the JSON text, for arbitrary
plans; without `full`, exactly the no-ops' bodies are left out."""

from __future__ import annotations

import dataclasses
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.errors import Source
from nsxplan.plan.model import ACTIONS, NOOP, Action, Check, FieldDiff, Plan, Unmanaged
from nsxplan.plan.planfile import plan_from_dict, plan_to_dict
from nsxplan.render import render_json

# Plans hold JSON data read from NSX: no lone surrogates (not encodable), no NaN (not equal to
# itself), lists rather than tuples.
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
scalars = st.none() | st.booleans() | st.integers(-2**53, 2**53) | text \
    | st.floats(allow_nan=False, allow_infinity=False)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(text, inner, max_size=3), max_leaves=8)
bodies = st.none() | st.dictionaries(text, json_values, max_size=4)
sources = st.none() | st.builds(Source, file=text.filter(bool), line=st.integers(1, 10**5),
                                col=st.integers(1, 500))

actions = st.builds(
    Action, address=text, kind=text, path=text, action=st.sampled_from(ACTIONS),
    before=bodies, after=bodies,
    diff=st.lists(st.builds(FieldDiff, field=text, before=json_values, after=json_values),
                  max_size=3).map(tuple),
    revision=st.none() | st.integers(0, 10**6), source=sources,
    depends_on=st.lists(text, max_size=3).map(tuple), reason=text, adopt=st.booleans(),
)
plans = st.builds(
    Plan, target=st.sampled_from(["sim", "sim:/tmp/state.json", "https://nsx.example.com",
                                  "http://127.0.0.1:8443"]),
    owner=text, config_digest=text, created_at=text, nsxplan_version=text,
    actions=st.lists(actions, max_size=4).map(tuple),
    unmanaged=st.lists(st.builds(Unmanaged, path=text, kind=text, reason=text,
                                 created_by=st.none() | text), max_size=2).map(tuple),
    checks=st.lists(st.builds(Check, id=text, status=st.sampled_from(["ok", "warn", "fail"]),
                              subject=text, message=text, remediation=st.none() | text,
                              source=sources), max_size=2).map(tuple),
    config_files=st.lists(text, max_size=2).map(tuple),
    meta=st.dictionaries(text, json_values, max_size=2),
)


@settings(max_examples=100, deadline=None)
@given(plans)
def test_dict_round_trip_is_exact(plan):
    assert plan_from_dict(plan_to_dict(plan, full=True)) == plan


@settings(max_examples=100, deadline=None)
@given(plans)
def test_json_text_round_trip_is_exact_and_clean(plan):
    text_ = render_json(plan, full=True)
    assert text_.endswith("}\n")
    assert plan_from_dict(json.loads(text_)) == plan
    assert render_json(plan_from_dict(json.loads(text_)), full=True) == text_


def summarized(plan: Plan) -> Plan:
    return dataclasses.replace(plan, actions=tuple(
        Action(address=a.address, kind=a.kind, path=a.path,
               action=NOOP, revision=a.revision, reason="in sync")
        if a.action == NOOP else a for a in plan.actions))


@settings(max_examples=100, deadline=None)
@given(plans)
def test_summarized_no_ops_keep_what_the_stale_check_needs(plan):
    text_ = render_json(plan)
    assert plan_from_dict(json.loads(text_)) == summarized(plan)
    # one change per line: a diff of two plans reads change by change
    assert text_.count("\n") == len(plan.actions) + (2 if plan.actions else 1)


def test_source_with_colons_in_the_file_name():
    src = Source("C:\\configs\\a:b.yaml", 14, 5)
    plan = Plan(target="sim", owner="o", config_digest="d", created_at="2026-01-01T00:00:00Z",
                nsxplan_version="0", actions=(Action(address="a", kind="K", path="/p",
                                                     action="create", source=src),))
    assert plan_from_dict(plan_to_dict(plan)).actions[0].source == src
