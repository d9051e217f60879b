"""YAML files and directories -> plain documents that remember where every value was written.

PyYAML's constructors drop source marks, so this module composes the node graph (which keeps
them) and builds the values itself: mappings become `MDict`, sequences `MList`, each carrying the
Source of the node and of every key and item. Only JSON-like values are produced (the schema and
the configuration digest both need that), and every way a file can be unreadable becomes a
located Problem instead of an exception: encodings, syntax, duplicate keys, non-string keys,
unknown tags, recursive aliases and alias bombs ("billion laughs").
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from nsxplan.errors import Problem, Source

# Values reachable only through aliases may not exceed this many nodes: far above any real
# configuration (aliases are used for a few shared tag sets), far below what exhausts memory.
MAX_ALIAS_NODES = 100_000
# Deeper than any configuration; keeps the recursive builder well inside Python's stack.
MAX_DEPTH = 64

YAML_SUFFIXES = (".yaml", ".yml")

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"


class MDict(dict):  # type: ignore[type-arg]
    """A mapping with the Source of itself, of each key and of each value."""

    source: Source
    key_sources: dict[str, Source]
    value_sources: dict[str, Source]

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source
        self.key_sources = {}
        self.value_sources = {}


class MList(list):  # type: ignore[type-arg]
    """A sequence with the Source of itself and of each item."""

    source: Source
    item_sources: list[Source]

    def __init__(self, source: Source) -> None:
        super().__init__()
        self.source = source
        self.item_sources = []


@dataclass
class LoadedFile:
    path: Path
    name: str           # how messages name the file (the path as the user gave it)
    document: Any       # MDict when the file is usable


class _Refused(Exception):
    """Stops building one file; the Problem is already recorded."""


def source_of(value: Any, default: Source) -> Source:
    return getattr(value, "source", default)


def child_source(container: Any, key: Any, default: Source) -> Source:
    """Where `container[key]` was written (the value node), falling back to the container."""
    if isinstance(container, MDict) and key in container.value_sources:
        return container.value_sources[key]
    if isinstance(container, MList) and isinstance(key, int) and 0 <= key < len(container):
        return container.item_sources[key]
    return source_of(container, default)


def key_source(container: Any, key: Any, default: Source) -> Source:
    if isinstance(container, MDict) and key in container.key_sources:
        return container.key_sources[key]
    return source_of(container, default)


def find_files(path: Path, name: str) -> tuple[list[tuple[Path, str]], list[Problem]]:
    """The YAML files a configuration path stands for, in a stable order."""
    try:
        return _find_files(path, name)
    except (OSError, ValueError) as exc:  # NUL bytes, names too long, unreadable directories
        return [], [Problem(f"{name}: cannot read: {getattr(exc, 'strerror', None) or exc}",
                            hint="pass a configuration file or a directory of *.yaml files")]


def _find_files(path: Path, name: str) -> tuple[list[tuple[Path, str]], list[Problem]]:
    if not path.exists():
        return [], [Problem(f"{name}: no such file or directory",
                            hint="pass a configuration file or a directory of *.yaml files")]
    if path.is_dir():
        found = sorted(p for p in path.iterdir()
                       if p.suffix in YAML_SUFFIXES and p.is_file() and not p.name.startswith("."))
        if not found:
            return [], [Problem(f"{name}: directory contains no *.yaml or *.yml file",
                                hint="put the configuration in NAME.yaml inside the directory")]
        return [(p, os.path.join(name, p.name)) for p in found], []
    if not path.is_file():
        return [], [Problem(f"{name}: not a regular file", hint="pass a YAML file or directory")]
    return [(path, name)], []


@contextmanager
def paused_gc() -> Iterator[None]:
    """Loading allocates an object per node and frees none: the cyclic GC would rescan the
    growing heap again and again (about 3x the load time of a 10 MB file) and find no garbage."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_files(path: str | Path) -> tuple[list[LoadedFile], list[Problem]]:
    """Read every YAML file of a configuration path. Never raises for bad input."""
    name = str(path)
    files, problems = find_files(Path(path), name)
    loaded = []
    with paused_gc():
        for file_path, file_name in files:
            document = load_file(file_path, file_name, problems)
            if document is not None:
                loaded.append(LoadedFile(file_path, file_name, document))
    return loaded, problems


def load_file(path: Path, name: str, problems: list[Problem]) -> Any:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        problems.append(Problem(f"{name}: cannot read: {exc.strerror or exc}"))
        return None
    text = decode(raw, name, problems)
    if text is None:
        return None
    return parse_text(text, name, problems)


def decode(raw: bytes, name: str, problems: list[Problem]) -> str | None:
    # YAML 1.1 allows UTF-16 with a byte order mark; everything else must be UTF-8.
    encoding = "utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        problems.append(Problem(
            f"not a UTF-8 text file (byte 0x{raw[exc.start]:02x} cannot be decoded)",
            Source(name, line, col),
            hint="YAML configurations are UTF-8 text; is this a binary file?"))
        return None


def parse_text(text: str, name: str, problems: list[Problem]) -> Any:
    """Compose and build one file's single document; problems are appended, None on failure."""
    try:
        nodes = _compose_all(text)
    except yaml.MarkedYAMLError as exc:
        problems.append(_yaml_problem(exc, name))
        return None
    except yaml.YAMLError as exc:  # ReaderError: control characters, no mark object
        position = getattr(exc, "position", None)
        source = _offset_source(text, position, name) if isinstance(position, int) else None
        reason = getattr(exc, "reason", None) or str(exc).splitlines()[0]
        problems.append(Problem(f"YAML: {reason}", source or Source(name, 1, 1),
                                hint="remove the control or binary characters"))
        return None
    except RecursionError:
        problems.append(Problem("YAML nesting too deep", Source(name, 1, 1),
                                hint=f"configurations nest at most {MAX_DEPTH} levels"))
        return None
    if not nodes:
        problems.append(Problem("empty configuration file", Source(name, 1, 1),
                                hint="add `version: 1` and `owner: NAME`, or remove the file"))
        return None
    if len(nodes) > 1:
        problems.append(Problem("more than one YAML document in one file",
                                _mark(nodes[1].start_mark, name),
                                hint="put each document in its own file of the directory"))
        return None
    builder = _Builder(name)
    try:
        value = builder.build(nodes[0], 0)
    except _Refused:
        value = None
    problems.extend(builder.problems)
    if builder.problems:
        return None
    if not isinstance(value, MDict):
        problems.append(Problem(
            f"the top level must be a mapping, not {type_name(value)}",
            _mark(nodes[0].start_mark, name),
            hint="start the file with `version: 1` and `owner: NAME`"))
        return None
    return value


def _compose_all(text: str) -> list[Node]:
    loader = _Loader(text)
    try:
        nodes = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                nodes.append(node)
        return nodes
    finally:
        loader.dispose()


def _mark(mark: Any, name: str) -> Source:
    return Source(name, mark.line + 1, mark.column + 1)


def _offset_source(text: str, offset: int, name: str) -> Source:
    before = text[:offset]
    return Source(name, before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _yaml_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    source = _mark(mark, name) if mark is not None else Source(name, 1, 1)
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    hint = "check indentation and quoting around this position"
    if exc.context_mark is not None and exc.problem_mark is not None and exc.context:
        hint = f"{exc.context} started at line {exc.context_mark.line + 1}; " + hint
        what = exc.problem or what
    return Problem(f"YAML syntax error: {what}", source, hint=hint)


_TYPE_NAMES = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
               (list, "a list"), (dict, "a mapping"))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    # bool before int: True is an int to isinstance.
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)),
                type(value).__name__)


class _Builder:
    """Builds values from one file's node graph, refusing what JSON cannot hold."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.built: set[int] = set()     # nodes built at least once: later visits are aliases
        self.active: set[int] = set()    # nodes on the current path: revisiting = recursion
        self.alias_nodes = 0
        self.in_alias = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def fail(self, message: str, node: Node, hint: str | None = None) -> None:
        self.problems.append(Problem(message, _mark(node.start_mark, self.name), hint=hint))

    def build(self, node: Node, depth: int) -> Any:
        key = id(node)
        if key in self.active:
            self.fail("recursive YAML alias (a value contains itself)", node,
                      hint="anchors (&name) may only be referenced outside their own value")
            raise _Refused
        if depth > MAX_DEPTH:
            self.fail("YAML nesting too deep", node,
                      hint=f"configurations nest at most {MAX_DEPTH} levels")
            raise _Refused
        alias = key in self.built
        self.in_alias += alias
        if self.in_alias:
            self.alias_nodes += 1
            if self.alias_nodes > MAX_ALIAS_NODES:
                self.fail(f"YAML aliases expand to more than {MAX_ALIAS_NODES} values "
                          "(an alias bomb?)", node,
                          hint="write the repeated values out, or use fewer nested aliases")
                raise _Refused
        self.active.add(key)
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, depth)
            if isinstance(node, SequenceNode):
                return self.sequence(node, depth)
            return self.scalar(node)
        finally:
            self.active.discard(key)
            self.built.add(key)
            self.in_alias -= alias

    def _check_tag(self, node: Node, expected: str) -> None:
        tag = node.tag or ""
        if tag.startswith(_CORE) or tag in ("", "!"):
            return
        self.fail(f"unsupported YAML tag {tag}", node,
                  hint=f"remove the tag; nsxplan reads plain YAML {expected}")

    def mapping(self, node: MappingNode, depth: int) -> MDict:
        self._check_tag(node, "mappings")
        result = MDict(_mark(node.start_mark, self.name))
        for key_node, value_node in self._pairs(node, depth):
            if not isinstance(key_node, ScalarNode):
                self.fail("mapping keys must be plain strings, not a list or mapping", key_node)
                continue
            key = self.scalar(key_node)
            if not isinstance(key, str):
                self.fail(f"mapping key {key_node.value!r} is {type_name(key)}, not a string",
                          key_node, hint=f'quote it: "{key_node.value}"')
                continue
            if key in result:
                first = result.key_sources[key]
                self.fail(f"duplicate key `{key}` (first at line {first.line})", key_node,
                          hint="remove one of them; YAML mappings hold each key once")
                continue
            result.key_sources[key] = _mark(key_node.start_mark, self.name)
            result.value_sources[key] = _mark(value_node.start_mark, self.name)
            result[key] = self.build(value_node, depth + 1)
        return result

    def _pairs(self, node: MappingNode, depth: int) -> list[tuple[Node, Node]]:
        """Key/value node pairs with YAML merge keys (`<<: *base`) resolved; own keys win."""
        own = []
        merged: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag == _CORE + "merge":
                sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, MappingNode):
                        self.fail("`<<` merge needs a mapping or a list of mappings", source)
                        continue
                    if id(source) in self.active or depth > MAX_DEPTH:
                        self.fail("recursive YAML merge", source)
                        continue
                    self.active.add(id(source))
                    try:
                        merged.extend(self._pairs(source, depth + 1))
                    finally:
                        self.active.discard(id(source))
            else:
                own.append((key_node, value_node))
        if not merged:
            return own
        own_keys = {k.value for k, _ in own if isinstance(k, ScalarNode)}
        seen: set[str] = set()
        result = list(own)
        for key_node, value_node in merged:
            k = key_node.value if isinstance(key_node, ScalarNode) else None
            if k in own_keys or k in seen:
                continue
            if isinstance(k, str):
                seen.add(k)
            result.append((key_node, value_node))
        return result

    def sequence(self, node: SequenceNode, depth: int) -> MList:
        self._check_tag(node, "lists")
        result = MList(_mark(node.start_mark, self.name))
        for item in node.value:
            result.item_sources.append(_mark(item.start_mark, self.name))
            result.append(self.build(item, depth + 1))
        return result

    def scalar(self, node: Node) -> Any:
        tag = node.tag or ""
        value = node.value
        if not tag.startswith(_CORE) and tag not in ("", "!"):
            self._check_tag(node, "values")
            return value
        kind = tag[len(_CORE):]
        try:
            if kind == "null":
                return None
            if kind == "bool":
                return self.scalars.construct_yaml_bool(node)
            if kind == "int":
                return self.scalars.construct_yaml_int(node)
            if kind == "float":
                return self.scalars.construct_yaml_float(node)
        except (ValueError, TypeError, KeyError, yaml.YAMLError):
            self.fail(f"invalid !!{kind} value {value!r}", node)
            return value
        # Strings, timestamps and binary stay as written: nsxplan has no date or byte fields,
        # and the schema then reports "expected ..., got a string" with the original text.
        return value if isinstance(value, str) else str(value)


_LIST_KEYS = ("tier0s", "tier1s", "dns_zones")
_DEPENDENCY_LIST_KEYS = ("dns_servers", "routed_upstream")


def merge_documents(files: list[LoadedFile]) -> tuple[MDict, list[Problem]]:
    """One document from a directory's files: lists concatenate (each item keeps its file's
    Source), single values may be repeated only with the same value. Values of the wrong type
    are left out here: the schema check has already reported them."""
    problems: list[Problem] = []
    first_source = files[0].document.source if files else Source("", 1, 1)
    merged = MDict(first_source)
    for loaded in files:
        doc = loaded.document
        for key, value in doc.items():
            if key in _LIST_KEYS:
                if isinstance(value, list):
                    _extend(merged, key, value, doc)
            elif key == "dependencies":
                if isinstance(value, dict):
                    _merge_dependencies(merged, value, doc)
            elif key not in merged:
                _take(merged, key, value, doc)
            elif merged[key] != value and key != "$schema" and not key.startswith("x-"):
                first = merged.key_sources[key]
                problems.append(Problem(
                    f"`{key}` is set again with a different value (first set at {first})",
                    doc.key_sources[key], hint=f"set `{key}` in one file only"))
    return merged, problems


def _take(target: MDict, key: str, value: Any, origin: MDict) -> None:
    target[key] = value
    target.key_sources[key] = origin.key_sources[key]
    target.value_sources[key] = origin.value_sources[key]


def _extend(target: MDict, key: str, items: MList, origin: MDict) -> None:
    if key not in target:
        target[key] = MList(items.source)
        target.key_sources[key] = origin.key_sources[key]
        target.value_sources[key] = origin.value_sources[key]
    merged: MList = target[key]
    merged.extend(items)
    merged.item_sources.extend(items.item_sources)


def _merge_dependencies(target: MDict, value: MDict, origin: MDict) -> None:
    if "dependencies" not in target:
        _take(target, "dependencies", MDict(value.source), origin)
    deps: MDict = target["dependencies"]
    for key, items in value.items():
        if key in _DEPENDENCY_LIST_KEYS and isinstance(items, list):
            _extend(deps, key, items, value)
        elif key not in deps:
            _take(deps, key, items, value)
