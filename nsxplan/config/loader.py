"""YAML files and directories -> plain documents that remember where every value was written.

PyYAML's constructors drop source marks, so values are built from parser events (yaml_events.py):
mappings become `MDict`, sequences `MList`, each carrying the Source of itself and of every key
and item. Only JSON-like values are produced (the schema and the configuration digest both need
that), and every way a file can be unreadable becomes a located Problem instead of an exception:
missing paths, encodings, syntax, duplicate keys, non-string keys, unknown tags, deep nesting,
recursive aliases and alias bombs ("billion laughs"). A directory's files are merged here too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nsxplan.config.yaml_events import (
    MAX_ALIAS_NODES,
    MAX_DEPTH,
    EventBuilder,
    MDict,
    MList,
    Refused,
    mark,
    too_deep,
    type_name,
)
from nsxplan.errors import Problem, Source
from nsxplan.perf import paused_gc

YAML_SUFFIXES = (".yaml", ".yml")

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "LoadedFile", "MDict", "MList", "load_files",
           "merge_documents", "type_name"]


@dataclass
class LoadedFile:
    """One YAML file of a configuration, read."""

    path: Path
    name: str           # how messages name the file (the path as the user gave it)
    document: Any       # MDict when the file is usable


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
    """Build one file's single document; problems are appended, None on failure."""
    builder = EventBuilder(name)
    try:
        builder.build(text)
    except Refused:
        pass
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
    problems.extend(builder.problems)
    if builder.problems:
        return None
    if builder.documents == 0:
        problems.append(Problem("empty configuration file", Source(name, 1, 1),
                                hint="add `version: 1` and `owner: NAME`, or remove the file"))
        return None
    if not isinstance(builder.root, MDict):
        problems.append(Problem(
            f"the top level must be a mapping, not {type_name(builder.root)}",
            builder.root_source, hint="start the file with `version: 1` and `owner: NAME`"))
        return None
    return builder.root


def _offset_source(text: str, offset: int, name: str) -> Source:
    before = text[:offset]
    return Source(name, before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _yaml_problem(exc: yaml.MarkedYAMLError, name: str) -> Problem:
    where = exc.problem_mark or exc.context_mark
    source = mark(where, name) if where is not None else Source(name, 1, 1)
    if "nesting depth" in (exc.problem or ""):
        # libyaml >= 0.2.5 (PyYAML 6.0.2+ wheels) refuses deep nesting before our own guard
        # sees it: the same refusal, in nsxplan's words, whichever layer noticed first.
        return too_deep(source)
    what = " ".join(p for p in (exc.context, exc.problem) if p)
    hint = "check indentation and quoting around this position"
    if exc.context_mark is not None and exc.problem_mark is not None and exc.context:
        hint = f"{exc.context} started at line {exc.context_mark.line + 1}; " + hint
        what = exc.problem or what
    return Problem(f"YAML syntax error: {what}", source, hint=hint)


_LIST_KEYS = ("tier0s", "tier1s", "dns_zones", "waivers", "ignore")
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
                if isinstance(value, MList):
                    _extend(merged, key, value, doc)
            elif key == "dependencies":
                if isinstance(value, MDict):
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
        if key in _DEPENDENCY_LIST_KEYS and isinstance(items, MList):
            _extend(deps, key, items, value)
        elif key not in deps:
            _take(deps, key, items, value)
