"""The event builder against PyYAML's own composer: the same values, and every key, value and
item located where the composer's node for it starts, whatever the layout (block, flow, mixed),
the nesting, and the anchors, merges and duplicate keys that leave the inline path."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.config.loader import parse_text
from nsxplan.config.yaml_events import MDict, MList
from nsxplan.errors import Problem, Source

NAME = "doc.yaml"


def build(text: str) -> tuple[Any, list[Problem]]:
    problems: list[Problem] = []
    return parse_text(text, NAME, problems), problems


def at(node: yaml.Node) -> Source:
    return Source(NAME, node.start_mark.line + 1, node.start_mark.column + 1)


def assert_located_like(value: Any, node: yaml.Node) -> None:
    """`value` has the composer's marks at every level (no aliases in these documents)."""
    if isinstance(node, yaml.MappingNode):
        assert isinstance(value, MDict)
        assert value.source == at(node)
        assert list(value) == [k.value for k, _ in node.value]
        for key_node, value_node in node.value:
            assert value.key_sources[key_node.value] == at(key_node)
            assert value.value_sources[key_node.value] == at(value_node)
            assert_located_like(value[key_node.value], value_node)
    elif isinstance(node, yaml.SequenceNode):
        assert isinstance(value, MList)
        assert value.source == at(node)
        assert len(value) == len(node.value)
        for i, item_node in enumerate(node.value):
            assert value.item_sources[i] == at(item_node)
            assert_located_like(value[i], item_node)


keys = st.text(alphabet="abcxyz_-", min_size=1, max_size=6)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                    st.text(alphabet="ab 01.:/-#,", max_size=12),
                    st.sampled_from(["10.0.0.1", "10.0.0.0/24", "1.5", "yes", "~", "<<x"]))
documents = st.dictionaries(keys, st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=25), min_size=1, max_size=6)


@settings(max_examples=150, deadline=None)
@given(documents, st.sampled_from([None, True, False]), st.integers(2, 4))
def test_values_and_marks_match_the_composer(doc: dict[str, Any], flow: bool | None,
                                             indent: int) -> None:
    text = yaml.safe_dump(doc, default_flow_style=flow, indent=indent, sort_keys=False)
    value, problems = build(text)
    assert problems == []
    assert value == yaml.safe_load(text)
    assert_located_like(value, yaml.compose(text, Loader=yaml.SafeLoader))


def test_anchors_merges_and_duplicates_between_inline_values() -> None:
    text = """\
base: &base {a: 1, b: [x, y]}
list:
  - {k: v}
  - <<: *base
    c: 3
    d: {e: [1, {f: g}]}
  - &item [p, q]
  - *item
after: {z: 1, z: 2}
last: end
"""
    value, problems = build(text)
    assert [p.format() for p in problems] == [
        f"{NAME}:9:15: duplicate key `z` (first at line 9)\n"
        "  hint: remove one of them; YAML mappings hold each key once"]
    problems.clear()
    ok_text = text.replace("after: {z: 1, z: 2}", "after: {z: 1}")
    value, problems = build(ok_text)
    assert problems == []
    assert value == {"base": {"a": 1, "b": ["x", "y"]},
                     "list": [{"k": "v"}, {"c": 3, "d": {"e": [1, {"f": "g"}]}, "a": 1,
                                           "b": ["x", "y"]}, ["p", "q"], ["p", "q"]],
                     "after": {"z": 1}, "last": "end"}
    merged = value["list"][1]
    assert merged.key_sources["c"] == Source(NAME, 5, 5)
    assert merged.value_sources["d"] == Source(NAME, 6, 8)
    assert merged.key_sources["a"] == Source(NAME, 1, 14)     # where the base wrote it
    assert value["list"].item_sources[3] == Source(NAME, 8, 5)  # the alias itself
    assert value.key_sources["last"] == Source(NAME, 10, 1)
    assert value.value_sources["last"] == Source(NAME, 10, 7)
