"""Loader and load_config basics: marks, merging, digest, the unreadable-input cases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from nsxplan.config import load_config
from nsxplan.errors import ConfigError, Source

LAB = """\
version: 1
owner: tanzu-egress
target:
  manager: sim:lab.json
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.1}]
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path | str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return [p.format() for p in info.value.problems]


def test_marks_are_one_based_file_line_col(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "lab.yaml", LAB))
    t0 = config.tier0s[0]
    name = str(tmp_path / "lab.yaml")
    assert t0.source == Source(name, 6, 5)
    assert t0.static_routes[0].source == Source(name, 9, 9)
    assert t0.static_routes[0].next_hops[0].source == Source(name, 11, 21)
    assert t0.nat_rules[0].source == Source(name, 13, 9)


def test_sim_target_is_relative_to_the_declaring_file(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "lab.yaml", LAB))
    assert config.target.manager == f"sim:{tmp_path / 'lab.json'}"


def test_digest_ignores_layout_but_not_content(tmp_path: Path) -> None:
    a = load_config(write(tmp_path, "a.yaml", LAB))
    b = load_config(write(tmp_path, "b.yaml", "# comment\n" + LAB.replace("version: 1\n", "")
                          + "version: 1\n"))
    c = load_config(write(tmp_path, "c.yaml", LAB.replace("30.0.0.5", "30.0.0.6")))
    assert a.digest == b.digest != c.digest
    assert len(a.digest) == 64


def test_directory_merges_files_in_name_order(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "version: 1\nowner: lab\n")
    write(tmp_path, "b.yml", "tier0s:\n  - id: t0-a\n")
    write(tmp_path, "c.yaml", "tier0s:\n  - id: t0-b\n")
    write(tmp_path, "notes.txt", "not: yaml: at all: [")
    config = load_config(tmp_path)
    assert [t.id for t in config.tier0s] == ["t0-a", "t0-b"]
    assert config.files == tuple(str(tmp_path / n) for n in ("a.yaml", "b.yml", "c.yaml"))
    assert config.tier0s[1].source == Source(str(tmp_path / "c.yaml"), 2, 5)


def test_conflicting_single_values_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "version: 1\nowner: lab\n")
    write(tmp_path, "b.yaml", "owner: other\n")
    assert messages(tmp_path) == [
        f"{tmp_path / 'b.yaml'}:1:1: `owner` is set again with a different value "
        f"(first set at {tmp_path / 'a.yaml'}:2:1)\n  hint: set `owner` in one file only"]


def test_missing_path_and_empty_directory(tmp_path: Path) -> None:
    assert messages(tmp_path / "nope.yaml")[0].startswith(f"{tmp_path / 'nope.yaml'}: no such file")
    assert "contains no *.yaml" in messages(tmp_path)[0]


def test_empty_file(tmp_path: Path) -> None:
    assert messages(write(tmp_path, "e.yaml", "# only a comment\n"))[0].startswith(
        f"{tmp_path / 'e.yaml'}:1:1: empty configuration file")


def test_binary_file(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "b.yaml", b"version: 1\nowner: \xff\xfe\x00\x81"))
    assert out[0].startswith(f"{tmp_path / 'b.yaml'}:2:8: not a UTF-8 text file")


def test_control_characters(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "c.yaml", "version: 1\nowner: a\x07b\n"))
    assert out[0].startswith(f"{tmp_path / 'c.yaml'}:2:9: YAML: ")


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "s.yaml", "version: 1\nowner: [lab\n"))
    assert out[0].startswith(f"{tmp_path / 's.yaml'}:3:1: YAML syntax error")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "l.yaml", "- version: 1\n"))
    assert out == [f"{tmp_path / 'l.yaml'}:1:1: the top level must be a mapping, not a list\n"
                   "  hint: start the file with `version: 1` and `owner: NAME`"]


def test_duplicate_keys(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "d.yaml", "version: 1\nowner: a\nowner: b\n"))
    assert out[0].startswith(f"{tmp_path / 'd.yaml'}:3:1: duplicate key `owner` (first at line 2)")


def test_non_string_keys_and_tags(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "k.yaml", "version: 1\nowner: a\n1: x\nx: !Ref y\n"))
    assert [o.splitlines()[0].split(": ", 1)[1] for o in out] == [
        "mapping key '1' is an integer, not a string", "unsupported YAML tag !Ref"]


def test_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["version: 1", "owner: a", 'l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        refs = ",".join([f"*l{i - 1}"] * 10)
        lines.append(f"l{i}: &l{i} [{refs}]")
    out = messages(write(tmp_path, "bomb.yaml", "\n".join(lines) + "\n"))
    assert len(out) == 1 and "an alias bomb?" in out[0]


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "r.yaml", "version: 1\nowner: a\nx: &a [*a]\n"))
    assert "recursive YAML alias" in out[0]


def assert_one_located_refusal(out: list[str], path: Path) -> None:
    """Deep nesting may be refused by nsxplan's own guard or, first, by libyaml (PyYAML >= 6.0.2
    wheels): the behaviour pinned is nsxplan's, one problem at file:line:col with a hint, not
    which layer noticed or how a third-party library words it."""
    assert len(out) == 1, out
    head, *rest = out[0].splitlines()
    assert re.match(re.escape(str(path)) + r":\d+:\d+: YAML \S", head), head
    assert len(rest) == 1 and rest[0].startswith("  hint: "), out[0]


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "n.yaml", "version: 1\nowner: a\nx: " + "[" * 5000)
    assert_one_located_refusal(messages(path), path)


def test_merge_keys_are_supported(tmp_path: Path) -> None:
    text = LAB + """\
tier1s:
  - &base {id: t1-a, tier0: vcf-t0, description: shared}
  - <<: *base
    id: t1-b
"""
    config = load_config(write(tmp_path, "m.yaml", text))
    assert [(t.id, t.description) for t in config.tier1s] == [
        ("t1-a", "shared"), ("t1-b", "shared")]


def test_ten_megabyte_file_of_comments_loads(tmp_path: Path) -> None:
    padding = ("# " + "x" * 98 + "\n") * 100_000
    config = load_config(write(tmp_path, "big.yaml", LAB + padding))
    assert config.tier0s[0].nat_rules[0].id == "supervisor-egress"


def test_ten_megabyte_value_gives_a_short_message(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "big.yaml", LAB + "    description: " + "d" * 10_000_000 + "\n"))
    assert len(out) == 2  # the value is too long, and an existing gateway cannot set it
    assert all(len(line) < 400 for o in out for line in o.splitlines())
    assert "description: must have at most 1024 character(s)" in out[1]


def test_many_problems_are_all_reported_in_order(tmp_path: Path) -> None:
    rules = "".join(f"      - {{id: r{i}, action: SNAT, translated: 1.1.1.{i}}}\n"
                    for i in range(50))
    text = "version: 1\nowner: a\ntier0s:\n  - id: t0\n    nat_rules:\n" + rules
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, "many.yaml", text))
    problems = info.value.problems
    assert len(problems) == 50 + 49  # every SNAT on the ACTIVE_ACTIVE Tier-0, every conflict
    assert [p.source for p in problems] == sorted(p.source for p in problems if p.source)


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "u16.yaml", LAB.encode("utf-16")))
    assert config.owner == "tanzu-egress"


def test_multiple_documents_are_refused(tmp_path: Path) -> None:
    out = messages(write(tmp_path, "two.yaml", LAB + "---\nversion: 1\n"))
    assert out[0].startswith(f"{tmp_path / 'two.yaml'}:17:1: more than one YAML document")


def test_tags_are_sorted_by_scope_in_both_forms(tmp_path: Path) -> None:
    text = ("version: 1\nowner: a\ntier1s:\n  - id: m\n    tags: {zeta: z, alpha: a}\n"
            "  - id: l\n    tags: [{scope: zeta, tag: z}, {scope: alpha}]\n")
    m, lst = load_config(write(tmp_path, "tags.yaml", text)).tier1s
    assert [(t.scope, t.tag) for t in m.tags] == [("alpha", "a"), ("zeta", "z")]
    assert [(t.scope, t.tag) for t in lst.tags] == [("alpha", ""), ("zeta", "z")]


def test_references_are_resolved(tmp_path: Path) -> None:
    text = LAB + ("tier1s:\n  - {id: a, tier0: vcf-t0}\n  - {id: b, tier0: /infra/tier-0s/vcf-t0}\n"
                  "  - {id: c, tier0: /infra/tier-0s/elsewhere}\n  - {id: d}\n")
    config = load_config(write(tmp_path, "refs.yaml", text))
    t0 = config.tier0s[0]
    assert [(t.tier0, t.tier0_path) for t in config.tier1s] == [
        (t0, "/infra/tier-0s/vcf-t0"), (t0, "/infra/tier-0s/vcf-t0"),
        (None, "/infra/tier-0s/elsewhere"), (None, None)]


def test_unset_optional_fields_stay_none(tmp_path: Path) -> None:
    rule = load_config(write(tmp_path, "lab.yaml", LAB)).tier0s[0].nat_rules[0]
    assert (rule.enabled, rule.logging, rule.sequence_number, rule.display_name) == (
        None, None, None, None)


@pytest.mark.parametrize("name", ["a\0b.yaml", "x" * 5000 + ".yaml"])
def test_impossible_paths(tmp_path: Path, name: str) -> None:
    out = messages(str(tmp_path / name))
    assert len(out) == 1 and ": cannot read: " in out[0] or ": no such file" in out[0]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "secret.yaml", LAB)

    def denied(self: Path) -> bytes:
        raise PermissionError(13, "Permission denied")

    # chmod cannot make a file unreadable for root, which CI containers often are.
    monkeypatch.setattr(Path, "read_bytes", denied)
    assert messages(path) == [f"{path}: cannot read: Permission denied"]


def test_sim_target_is_absolute_whatever_the_cwd(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "conf").mkdir()
    write(tmp_path / "conf", "lab.yaml", LAB.replace("sim:lab.json", "sim:state/lab.json"))
    monkeypatch.chdir(tmp_path)
    config = load_config("conf/lab.yaml")
    assert config.target.manager == f"sim:{tmp_path / 'conf' / 'state' / 'lab.json'}"
    assert config.tier0s[0].source == Source("conf/lab.yaml", 6, 5)


@pytest.mark.parametrize("text", ["[" * 100_000, "[" * 100_000 + "]" * 100_000,
                                  "\n" + "".join("  " * i + " - \n" for i in range(2_000))])
def test_nesting_beyond_any_stack_is_refused(tmp_path: Path, text: str) -> None:
    # PyYAML's composer recurses and overflows the C stack here (the process dies).
    path = write(tmp_path, "deep.yaml", "version: 1\nowner: a\nx: " + text)
    assert_one_located_refusal(messages(path), path)


def test_nesting_within_our_guard_is_refused_in_our_words(tmp_path: Path) -> None:
    # 70 levels: past nsxplan's MAX_DEPTH (64), below libyaml's own limit, so nsxplan's guard
    # is the layer that refuses and its wording is nsxplan's to pin.
    path = write(tmp_path, "n.yaml", "version: 1\nowner: a\nx: " + "[" * 70 + "]" * 70)
    out = messages(path)
    assert_one_located_refusal(out, path)
    assert "YAML nesting too deep" in out[0] and "at most 64 levels" in out[0]


def test_alias_reuse_within_limits_and_aliases_as_values(tmp_path: Path) -> None:
    text = ("version: 1\nowner: a\nx-tags: &tags {team: platform}\n"
            "tier1s:\n  - {id: a, tags: *tags}\n  - {id: b, tags: *tags}\n")
    config = load_config(write(tmp_path, "alias.yaml", text))
    assert [t.tags for t in config.tier1s] == [config.tier1s[0].tags] * 2
    assert config.tier1s[1].tags[0].scope == "team"


@pytest.mark.parametrize("value, problem", [
    ("!!python/object:os.system x", "unsupported YAML tag tag:yaml.org,2002:python/object"),
    ("!!int abc", "invalid !!int value 'abc'"),
    ("!custom {a: 1}", "unsupported YAML tag !custom"),
])
def test_tags_outside_plain_yaml_are_refused(tmp_path: Path, value: str, problem: str) -> None:
    out = messages(write(tmp_path, "tag.yaml", f"version: 1\nowner: a\nx: {value}\n"))
    assert out[0].startswith(f"{tmp_path / 'tag.yaml'}:3:4: {problem}")


def test_parsed_addresses_are_forgotten_after_loading_and_after_validate(tmp_path: Path) -> None:
    # A plan keeps only what it derives from the addresses; validate keeps the parsed blocks
    # through its checks and forgets them when it is done.
    from nsxplan import commands
    from nsxplan.nsx import addresses

    path = write(tmp_path, "lab.yaml", LAB)
    config = load_config(path)
    assert not addresses._BLOCKS and not addresses._LISTS and len(config.digest) == 64
    kept = load_config(path, keep_parsed_addresses=True, with_digest=False)
    assert addresses._BLOCKS and kept.digest == ""
    assert kept == load_config(path, with_digest=False)     # the same model either way
    result = commands.validate(path)
    assert not addresses._BLOCKS and not addresses._LISTS and not addresses._MATCH_KEYS
    assert result.summary.endswith("valid (1 file, owner tanzu-egress, 2 objects)")


def test_validate_forgets_parsed_addresses_when_the_configuration_is_invalid(
        tmp_path: Path) -> None:
    from nsxplan import commands
    from nsxplan.nsx import addresses

    path = write(tmp_path, "bad.yaml", LAB.replace("30.0.0.5", "30.0.0.300"))
    with pytest.raises(ConfigError) as info:
        commands.validate(path)
    assert "is not an IP address" in info.value.problems[0].format()
    assert not addresses._BLOCKS and not addresses._LISTS and not addresses._MATCH_KEYS
