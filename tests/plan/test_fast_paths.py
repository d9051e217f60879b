"""The planner's shortcuts for a large no-change plan agree with the general rules they skip:
the whole-path regex with path_problem's segment rule, the guard's answer per collection with
the ancestor walk, the sorted order with the ordering walk, managed() (and the own tags it
shares between objects) with the computation it replaced, and the tag comparison without
merging with the one on the merged body."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.config.model import Tag
from nsxplan.nsx.fields import (
    OWN_SCOPES,
    PROTECT_SCOPE,
    RECORD_SCOPE,
    RECORDED,
    encode_record,
    live_record,
    reset_value,
)
from nsxplan.nsx.guard import (
    _PLAIN_PATH,
    Guard,
    _ancestor_protection,
    ancestors,
    path_problem,
    segment_problem,
)
from nsxplan.nsx.objects import OWNER_SCOPE
from nsxplan.plan.desired import Desired
from nsxplan.plan.managed import OwnTags, managed, own_tags, tag_set
from nsxplan.plan.model import CREATE, DELETE, NOOP, UPDATE, Action
from nsxplan.plan.normalize import merged_tags
from nsxplan.plan.order import _order, _sorted_if_topological, _walk

# --- paths ---------------------------------------------------------------------------------

SEGMENT = st.one_of(
    st.sampled_from(["infra", "tier-1s", "t1", ".", "..", "", "a.b", "x-y_z", "%2e", "a b",
                     "nat", "USER", "r;1", "é", "\t", "a#b", ".a", "a.", "..."]),
    st.text(min_size=0, max_size=4))
PATH = st.one_of(st.lists(SEGMENT, max_size=6).map("/".join),
                 st.lists(SEGMENT, max_size=5).map(lambda s: "/infra/" + "/".join(s)),
                 st.text(max_size=12))


@settings(max_examples=1500, deadline=None)
@given(PATH)
def test_plain_path_regex_only_passes_what_the_segment_rule_passes(path: str) -> None:
    if _PLAIN_PATH.fullmatch(path):
        assert segment_problem(path) is None
    assert path_problem(path) == segment_problem(path)


def test_plain_path_regex_takes_the_usual_paths() -> None:
    for path in ("/infra/tier-1s/gw-0001/nat/USER/nat-rules/n-0001", "/infra/segments/a.b"):
        assert _PLAIN_PATH.fullmatch(path)
    for path in ("/infra", "/infra/", "/infra/a/..", "/infra/./a", "/infra/a//b", "/api/v1/x",
                 "/infra/a/.."):
        assert not _PLAIN_PATH.fullmatch(path)


# --- the guard's ancestor, once per collection -----------------------------------------------

OBJ_PATHS = ["/infra/tier-1s/a", "/infra/tier-1s/b", "/infra/tier-1s/a/nat/USER",
             "/infra/tier-1s/a/locale-services/default", "/infra/tier-0s/t0"]
PROTECTIONS = st.sampled_from([
    {}, {"_system_owned": True}, {"_protection": "REQUIRE_OVERRIDE"},
    {"tags": [{"scope": "ncp/version", "tag": "1"}]}])
ASKED = st.sampled_from([
    "/infra/tier-1s/a/static-routes/r1", "/infra/tier-1s/a/static-routes/r2",
    "/infra/tier-1s/a/nat/USER/nat-rules/n1", "/infra/tier-1s/a/nat/USER/nat-rules/n2",
    "/infra/tier-1s/b/static-routes/r1", "/infra/tier-1s/a", "/infra/tier-0s/t0/x/y",
    "/infra/tier-1s/a/locale-services/default/interfaces/i", "/infra/tier-1s/c/static-routes/r"])


def _ancestor_walk(path: str, lookup: Any) -> tuple[str, str] | None:
    for parent in ancestors(path):
        obj = lookup(parent)
        why = _ancestor_protection(obj) if obj else None
        if why is not None:
            return parent, why
    return None


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(OBJ_PATHS), PROTECTIONS), st.lists(ASKED, max_size=12))
def test_guard_ancestor_agrees_with_the_walk(objects: dict[str, dict[str, Any]],
                                            asked: list[str]) -> None:
    live = {p: {"resource_type": "PolicyNat" if p.endswith("USER") else "Tier1", **o}
            for p, o in objects.items()}
    guard = Guard(live.get)
    for path in asked:
        assert guard.ancestor(path) == _ancestor_walk(path, live.get)


# --- managed() --------------------------------------------------------------------------------

def _reference_managed(d: Desired, obj: Mapping[str, Any], owner: str,
                       ignored: frozenset[str] | None) -> tuple[Any, ...]:
    """managed() as written before its shortcuts: every step for every object."""
    user_scopes = frozenset(t.scope for t in d.tags)
    recorded = d.recorded
    record = live_record(obj)
    before_fields, before_scopes = record if record is not None else (recorded, user_scopes)
    resettable = RECORDED.get(d.kind, {})
    gone = sorted(f for f in before_fields if f in resettable and f not in recorded)
    body = dict(d.body)
    obj_id = str(obj.get("id") or d.body.get("id") or "")
    for f in gone:
        body[f] = reset_value(d.kind, f, obj_id)
    for f, v in list(body.items()):
        if v is None and obj.get(f) in (None, "", []):
            del body[f]
    if ignored is not None:
        body = {k: v for k, v in body.items()
                if k in ("resource_type", "id") or (ignored and k not in ignored)}
    drop = frozenset(before_scopes - user_scopes - OWN_SCOPES)
    tags = own_tags(d, owner, recorded)
    removed = tuple(gone) + tuple(f"tag {s}" for s in sorted(drop))
    scopes = frozenset({t["scope"] for t in tags}) | OWN_SCOPES | drop
    if record is None:
        scopes -= {RECORD_SCOPE}
    return body, tags, scopes, drop, removed


KIND = st.sampled_from(["Tier1", "PolicyNatRule", "PolicyDnsForwarderZone", "Segment"])
VALUE = st.sampled_from([None, "", [], "x", 0, 5, ["a"], False])
FIELD = st.sampled_from(["display_name", "description", "sequence_number", "tier0_path",
                         "source_ip", "failover_mode", "source_network", "service", "action"])
USER_SCOPE = st.sampled_from(["env", "team", "a,b", "x%y"])
LIVE_TAG = st.one_of(
    st.fixed_dictionaries({"scope": st.one_of(USER_SCOPE, st.sampled_from(
        [OWNER_SCOPE, PROTECT_SCOPE, "ncp/cluster", "other"])),
        "tag": st.sampled_from(["a", "b", "", "o"])}),
    st.builds(lambda fields, scopes: {"scope": RECORD_SCOPE, "tag": encode_record(fields, scopes)},
              st.lists(FIELD, max_size=3), st.lists(USER_SCOPE, max_size=2)))


@st.composite
def cases(draw: Any) -> tuple[Desired, dict[str, Any], frozenset[str] | None]:
    kind = draw(KIND)
    body = {"resource_type": kind, "id": draw(st.sampled_from(["i", ""])),
            **draw(st.dictionaries(FIELD, VALUE, max_size=5))}
    tags = tuple(Tag(s, v) for s, v in draw(st.dictionaries(USER_SCOPE, st.sampled_from(
        ["1", "2"]), max_size=2)).items())
    d = Desired(address="a", kind=kind, path="/infra/x", parent_path="/infra", body=body,
                tags=tags, protect=draw(st.booleans()))
    obj = {**draw(st.dictionaries(FIELD, VALUE, max_size=5)),
           "tags": draw(st.lists(LIVE_TAG, max_size=4))}
    if draw(st.booleans()):
        obj["id"] = "live-id"
    ignored = draw(st.one_of(st.none(), st.frozensets(FIELD, max_size=2)))
    return d, obj, ignored


@settings(max_examples=600, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=6))
def test_managed_agrees_with_the_reference_and_shares_only_what_is_equal(
        objects: list[tuple[Desired, dict[str, Any], frozenset[str] | None]]) -> None:
    own = OwnTags("o")          # one per plan: shared by every object below
    for d, obj, ignored in objects:
        m = managed(d, obj, "o", ignored, own)
        body, tags, scopes, drop, removed = _reference_managed(d, obj, "o", ignored)
        assert (m.body, list(m.tags), m.scopes, m.drop, m.removed) == \
            (body, tags, scopes, drop, removed)
        assert list(m.body) == list(body)           # the order sent, too


# --- tags compared without merging ---------------------------------------------------------

@settings(max_examples=600, deadline=None)
@given(st.lists(cases(), min_size=1, max_size=3))
def test_own_tag_set_is_the_merged_bodys_tag_set(
        objects: list[tuple[Desired, dict[str, Any], frozenset[str] | None]]) -> None:
    own = OwnTags("o")
    for d, obj, ignored in objects:
        m = managed(d, obj, "o", ignored, own)
        merged = merged_tags(m.tags, obj.get("tags"), drop=m.drop)
        assert m.compared == tag_set(m.tags, m.scopes) == tag_set(merged, m.scopes)


# --- ordering: sorted outright when the sorted order is topological ----------------------------

ADDRS = [f"a{i}" for i in range(7)]


@st.composite
def graphs(draw: Any) -> dict[str, tuple[Action, tuple[str, ...]]]:
    """Actions on paths below each other, with edges to earlier ones (a DAG) and now and then
    one that points forward, at a delete, or at an action not in the plan."""
    addrs = draw(st.lists(st.sampled_from(ADDRS), min_size=1, max_size=7, unique=True))
    graph: dict[str, tuple[Action, tuple[str, ...]]] = {}
    for i, addr in enumerate(addrs):
        path = draw(st.sampled_from(["/infra/t/a", "/infra/t/a/r", "/infra/t/b", "/infra/s/x",
                                     "/infra/t/a/r/z"]))
        op = draw(st.sampled_from([CREATE, UPDATE, NOOP, DELETE]))
        edges = draw(st.lists(st.sampled_from(addrs[:i]), unique=True)) if i else []
        graph[addr] = (Action(address=addr, kind="Tier1", path=path, action=op),
                       tuple(sorted(edges)))
    return graph


@settings(max_examples=800, deadline=None)
@given(graphs())
def test_sorted_order_is_the_walk_when_it_is_topological(
        graph: dict[str, tuple[Action, tuple[str, ...]]]) -> None:
    presorted = _sorted_if_topological(graph)
    if presorted is not None:
        assert presorted == _walk(graph)


def test_sorted_order_steps_aside_for_an_edge_backwards() -> None:
    late = Action(address="b", kind="Tier1", path="/infra/z", action=CREATE)
    early = Action(address="a", kind="Tier1", path="/infra/a", action=CREATE)
    graph = {"a": (early, ("b",)), "b": (late, ())}
    assert _sorted_if_topological(graph) is None
    assert _order(graph) == (late, early)
