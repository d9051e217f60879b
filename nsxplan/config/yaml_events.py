"""One YAML text -> MDict/MList values with Sources, built from parser events.

PyYAML's composer (C or Python) is recursive: a file of 50,000 nested `[` overflows the C stack
and kills the process, which no `except` can report. Parser events come from libyaml's explicit
state stack, so building from them with our own stack keeps every input a located Problem:
nesting is refused at MAX_DEPTH, aliases count the values they expand to (an alias bomb is
refused long before it exhausts memory), and an alias to a value still being built (a value
containing itself) is refused instead of looping downstream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events as ev
from yaml.nodes import ScalarNode

from nsxplan.errors import Problem, Source

# Values reachable only through aliases may not exceed this many nodes: far above any real
# configuration (aliases are used for a few shared tag sets), far below what exhausts memory.
MAX_ALIAS_NODES = 100_000
# Deeper than any configuration could need.
MAX_DEPTH = 64

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CORE = "tag:yaml.org,2002:"
_STR = _CORE + "str"
_MERGE_TAG = _CORE + "merge"
_SCALAR_TAGS = {"str", "null", "bool", "int", "float", "binary", "timestamp", "value"}
_COLLECTION_TAGS = {"map", "seq", "omap", "pairs", "set"}
_MERGE = object()        # the pending key of a `<<:` entry
_SKIP = object()         # the pending key after an invalid key: its value is dropped
_RESOLVER = yaml.resolver.Resolver()
# Digits and dots with two dots or more (IPv4 addresses, CIDRs): no YAML 1.1 implicit type
# (int, float, timestamp, bool, null) matches them, so they are strings without asking the
# resolver. Most plain scalars of a large configuration are addresses.
_DOTTED = re.compile(r"[0-9]+\.[0-9]+\.[0-9./]*\Z")
_SCALARS = yaml.constructor.SafeConstructor()



def too_deep(source: Source) -> Problem:
    """The one refusal of deep nesting, whichever layer (this builder or libyaml) saw it."""
    return Problem("YAML nesting too deep", source,
                   hint=f"configurations nest at most {MAX_DEPTH} levels")

# Where a scalar was written, packed in one int (line << 32 | column, both 1-based) until a
# message asks for it: a Source per key and per value was the largest per-object cost of
# reading a large file, in time and in memory (two objects per mapping entry, most never read).
_COLUMN_BITS = 32
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
Mark = int | Source


def _unpack(name: str, mark: Mark) -> Source:
    if type(mark) is int:
        return Source(name, mark >> _COLUMN_BITS, mark & _COLUMN_MASK)
    assert isinstance(mark, Source)
    return mark


class SourceMap(dict):  # type: ignore[type-arg]
    """key -> Source of one mapping's keys or values, stored packed (see _unpack)."""

    __slots__ = ("name",)
    name: str

    def __getitem__(self, key: Any) -> Source:
        return _unpack(self.name, dict.__getitem__(self, key))

    def get(self, key: Any, default: Any = None) -> Any:
        mark = dict.get(self, key)
        return default if mark is None else _unpack(self.name, mark)

    def values(self) -> Any:
        return [_unpack(self.name, m) for m in dict.values(self)]

    def items(self) -> Any:
        return [(k, _unpack(self.name, m)) for k, m in dict.items(self)]


class SourceList(list):  # type: ignore[type-arg]
    """The Sources of one sequence's items, stored packed (see _unpack)."""

    __slots__ = ("name",)
    name: str

    def __getitem__(self, index: int) -> Source:  # type: ignore[override]
        return _unpack(self.name, list.__getitem__(self, index))

    def __iter__(self) -> Any:
        name = self.name
        return (_unpack(name, m) for m in list.__iter__(self))

    def extend(self, marks: Any) -> None:
        # Another file's marks carry its own name: unpack them before they join this list.
        list.extend(self, list(marks))


# The event loop makes one of these per collection of the file: it builds them with the
# types' __new__ and sets the slots itself (a fifth of the time of the constructors below).
_new_dict, _new_list = dict.__new__, list.__new__


class MDict(dict):  # type: ignore[type-arg]
    """A mapping with the Source of itself, of each key and of each value."""

    __slots__ = ("_source", "key_sources", "value_sources")
    _source: Mark             # packed until first read (see _unpack)
    key_sources: SourceMap
    value_sources: SourceMap

    def __init__(self, source: Source) -> None:
        self._source = source
        self.key_sources = keys = _new_dict(SourceMap)
        self.value_sources = values = _new_dict(SourceMap)
        keys.name = values.name = source.file

    @property
    def source(self) -> Source:
        mark = self._source
        if type(mark) is not int:
            return mark     # type: ignore[return-value]
        self._source = found = _unpack(self.key_sources.name, mark)
        return found


class MList(list):  # type: ignore[type-arg]
    """A sequence with the Source of itself and of each item."""

    __slots__ = ("_source", "item_sources")
    _source: Mark             # packed until first read (see _unpack)
    item_sources: SourceList

    def __init__(self, source: Source) -> None:
        self._source = source
        self.item_sources = items = _new_list(SourceList)
        items.name = source.file

    @property
    def source(self) -> Source:
        mark = self._source
        if type(mark) is not int:
            return mark     # type: ignore[return-value]
        self._source = found = _unpack(self.item_sources.name, mark)
        return found


_TYPE_NAMES = ((bool, "a boolean"), (int, "an integer"), (float, "a number"), (str, "a string"),
               (list, "a list"), (dict, "a mapping"))


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    # bool before int: True is an int to isinstance.
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)),
                type(value).__name__)


class Refused(Exception):
    """The file cannot be read further; the Problem is recorded."""


@dataclass(slots=True)
class _Frame:
    """A collection being built and its state (see `_consume`)."""

    container: MDict | MList
    anchor: str | None
    size: int = 1
    key: Any = None                      # mapping: the key awaiting its value (None = none)
    key_source: Mark | None = None
    # `<<:` entries, created by the first one: a list per mapping would cost every mapping.
    merges: list[tuple[Any, Source]] | None = None


@dataclass
class _Anchor:
    """An anchored value, its size in values, and whether it is still being built."""

    value: Any = None
    size: int = 0
    open: bool = True


def mark(mark: Any, name: str) -> Source:
    return Source(name, mark.line + 1, mark.column + 1)


class EventBuilder:
    """Consumes the events of one text and builds its single document."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor] = {}
        self.alias_nodes = 0
        self.documents = 0
        self.root: Any = None
        self.root_source = Source(name, 1, 1)

    def fail(self, message: str, where: Source, hint: str | None = None) -> None:
        self.problems.append(Problem(message, where, hint=hint))

    def build(self, text: str) -> None:
        """Raises yaml.YAMLError for syntax errors, Refused for refused input."""
        loader = _Loader(text)
        try:
            self._consume(loader.get_event)
        finally:
            loader.dispose()

    def _consume(self, get_event: Any) -> None:
        """The event loop. Plain values (no anchor, no tag: nearly every event of a real file)
        are placed inline; everything else goes through `event`. A 10,000-object file is
        ~125,000 events, so each attribute access and call saved here is visible: the open
        collection's state (its frame: container, pending key, size) lives in local variables
        while the loop runs, written back to the frame before anything else reads it (`event`,
        `key`, `assign`) and read again after."""
        stack = self.stack
        name = self.name
        resolvable = _RESOLVER.yaml_implicit_resolvers
        resolved: dict[str, Any] = {}
        dotted = _DOTTED.match
        column_bits = _COLUMN_BITS
        scalar_event, mapping_start, sequence_start = (ev.ScalarEvent, ev.MappingStartEvent,
                                                       ev.SequenceStartEvent)
        mapping_end, sequence_end = ev.MappingEndEvent, ev.SequenceEndEvent
        skip, merge_key = _SKIP, _MERGE
        new_dict, new_list = _new_dict, _new_list
        # The open collection (None: no collection open) and its state.
        top: _Frame | None = None
        container: Any = None
        is_list = False
        key: Any = None
        key_mark: Mark | None = None
        size = 0
        marks: Any = None           # its item_sources (a sequence) or value_sources (a mapping)
        key_marks: Any = None       # a mapping's key_sources
        while True:
            event = get_event()
            if event is None:
                return
            kind = type(event)
            if kind is scalar_event and top is not None and event.tag is None \
                    and event.anchor is None:
                value = event.value
                if event.implicit[0] and value[:1] in resolvable and not dotted(value):
                    # A plain scalar's meaning depends on its text alone: resolve each
                    # distinct text once (addresses and numbers repeat across a file).
                    known = resolved.get(value, resolved)
                    if known is resolved:
                        known = self.scalar(event)
                        if not self.problems:
                            resolved[value] = known
                    value = known
                mark_ = event.start_mark
                source = ((mark_.line + 1) << column_bits) | (mark_.column + 1)
                size += 1
                if is_list:
                    container.append(value)
                    marks.append(source)
                elif key is None:
                    if type(value) is str and value != "<<":
                        key, key_mark = value, source
                    else:
                        key, key_mark = self.key(value, event, _unpack(name, source)), source
                elif key is skip or key is merge_key or key in container:
                    top.key, top.key_source, top.size = key, key_mark, size
                    self.assign(top, value, source)
                    key = None
                else:
                    container[key] = value
                    key_marks[key] = key_mark
                    marks[key] = source
                    key = None
                continue
            if (kind is mapping_end or kind is sequence_end) and top is not None \
                    and len(stack) > 1 and top.anchor is None and top.merges is None:
                # A finished plain collection inside another: placed as `add` would place it.
                stack.pop()
                value, child_size = container, size
                top = stack[-1]
                container, key, key_mark, size = top.container, top.key, top.key_source, top.size
                is_list = type(container) is MList
                if is_list:
                    marks = container.item_sources
                else:
                    marks, key_marks = container.value_sources, container.key_sources
                size += child_size
                source = value._source
                if is_list:
                    container.append(value)
                    marks.append(source)
                elif key is None:
                    key, key_mark = self.key(value, None, value.source), source
                elif key is skip or key is merge_key or key in container:
                    top.key, top.key_source, top.size = key, key_mark, size
                    self.assign(top, value, source)
                    key = None
                else:
                    container[key] = value
                    key_marks[key] = key_mark
                    marks[key] = source
                    key = None
                continue
            if top is not None:     # the frame's state, for whatever reads it next
                top.key, top.key_source, top.size = key, key_mark, size
            if (kind is mapping_start or kind is sequence_start) and event.tag is None \
                    and event.anchor is None and len(stack) < MAX_DEPTH:
                mark_ = event.start_mark
                # MList(Source(...)) / MDict(Source(...)) without the calls (see _new_dict).
                if kind is sequence_start:
                    is_list = True
                    container = new_list(MList)
                    container.item_sources = marks = new_list(SourceList)
                else:
                    is_list = False
                    container = new_dict(MDict)
                    container.key_sources = key_marks = new_dict(SourceMap)
                    container.value_sources = marks = new_dict(SourceMap)
                    key_marks.name = name
                marks.name = name
                container._source = ((mark_.line + 1) << column_bits) | (mark_.column + 1)
                top = _Frame(container, None)
                stack.append(top)
                key, key_mark, size = None, None, 1
                continue
            self.event(event)
            if stack:
                top = stack[-1]
                container, key, key_mark, size = top.container, top.key, top.key_source, top.size
                is_list = type(container) is MList
                if is_list:
                    marks = container.item_sources
                else:
                    marks, key_marks = container.value_sources, container.key_sources
            else:
                top = None

    def event(self, event: ev.Event) -> None:
        if isinstance(event, ev.ScalarEvent):
            self.add(self.scalar(event), 1, event, event.anchor)
        elif isinstance(event, (ev.MappingStartEvent, ev.SequenceStartEvent)):
            self.start(event)
        elif isinstance(event, (ev.MappingEndEvent, ev.SequenceEndEvent)):
            frame = self.stack.pop()
            if isinstance(frame.container, MDict):
                self.merge(frame)
            self.add(frame.container, frame.size, None, frame.anchor)
        elif isinstance(event, ev.AliasEvent):
            self.alias(event)
        elif isinstance(event, ev.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self.fail("more than one YAML document in one file",
                          mark(event.start_mark, self.name),
                          hint="put each document in its own file of the directory")
                raise Refused

    def start(self, event: ev.CollectionStartEvent) -> None:
        source = mark(event.start_mark, self.name)
        if len(self.stack) >= MAX_DEPTH:
            self.problems.append(too_deep(source))
            raise Refused
        self.check_tag(event.tag, event, _COLLECTION_TAGS)
        container: MDict | MList = (MDict(source) if isinstance(event, ev.MappingStartEvent)
                                    else MList(source))
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor()
        self.stack.append(_Frame(container, event.anchor))

    def alias(self, event: ev.AliasEvent) -> None:
        source = mark(event.start_mark, self.name)
        anchor = self.anchors.get(event.anchor or "")
        if anchor is None:  # pragma: no cover - the parser rejects undefined aliases
            self.fail(f"undefined YAML alias *{event.anchor}", source)
            raise Refused
        if anchor.open:
            self.fail("recursive YAML alias (a value contains itself)", source,
                      hint="anchors (&name) may only be referenced outside their own value")
            raise Refused
        self.alias_nodes += anchor.size
        if self.alias_nodes > MAX_ALIAS_NODES:
            self.fail(f"YAML aliases expand to more than {MAX_ALIAS_NODES} values "
                      "(an alias bomb?)", source,
                      hint="write the repeated values out, or use fewer nested aliases")
            raise Refused
        self.add(anchor.value, anchor.size, event, None)

    def add(self, value: Any, size: int, event: ev.NodeEvent | None, anchor: str | None) -> None:
        """Place a finished value in its parent (or as the document root)."""
        source = mark(event.start_mark, self.name) if event is not None else value.source
        if anchor is not None:
            self.anchors[anchor] = _Anchor(value, size, open=False)
        if not self.stack:
            self.root, self.root_source = value, source
            return
        parent = self.stack[-1]
        parent.size += size
        container = parent.container
        if isinstance(container, MList):
            container.append(value)
            container.item_sources.append(source)
        elif parent.key is None:
            parent.key, parent.key_source = self.key(value, event, source), source
        else:
            self.assign(parent, value, source)

    def key(self, value: Any, event: ev.NodeEvent | None, source: Source) -> Any:
        if isinstance(event, ev.ScalarEvent) and event.tag is None and event.implicit[0] \
                and event.value == "<<":
            return _MERGE
        if isinstance(value, str):
            return value
        if isinstance(value, (dict, list)):
            self.fail("mapping keys must be plain strings, not a list or mapping", source)
        else:
            raw = event.value if isinstance(event, ev.ScalarEvent) else str(value)
            self.fail(f"mapping key {raw!r} is {type_name(value)}, not a string", source,
                      hint=f'quote it: "{raw}"')
        return _SKIP

    def assign(self, frame: _Frame, value: Any, source: Mark) -> None:
        container = frame.container
        assert isinstance(container, MDict)
        key, key_source = frame.key, frame.key_source or source
        frame.key = None
        if key is _SKIP:
            return
        if key is _MERGE:
            if frame.merges is None:
                frame.merges = []
            frame.merges.append((value, _unpack(self.name, source)))
            return
        if key in container:
            first = container.key_sources[key]
            self.fail(f"duplicate key `{key}` (first at line {first.line})",
                      _unpack(self.name, key_source),
                      hint="remove one of them; YAML mappings hold each key once")
            return
        container[key] = value
        dict.__setitem__(container.key_sources, key, key_source)
        dict.__setitem__(container.value_sources, key, source)

    def merge(self, frame: _Frame) -> None:
        """`<<: *base` / `<<: [*a, *b]`: keys the mapping lacks, earlier sources first."""
        target = frame.container
        assert isinstance(target, MDict)
        for value, source in frame.merges or ():
            sources = list(value) if isinstance(value, MList) else [value]
            for base in sources:
                if not isinstance(base, MDict):
                    self.fail("`<<` merge needs a mapping or a list of mappings", source)
                    continue
                for key, item in base.items():
                    if key not in target:
                        target[key] = item
                        target.key_sources[key] = base.key_sources[key]
                        target.value_sources[key] = base.value_sources[key]

    def check_tag(self, tag: str | None, event: ev.NodeEvent, allowed: set[str]) -> bool:
        if tag is None or tag == "!" or (tag.startswith(_CORE) and tag[len(_CORE):] in allowed):
            return True
        self.fail(f"unsupported YAML tag {tag}", mark(event.start_mark, self.name),
                  hint="remove the tag; nsxplan reads plain YAML values")
        return False

    def scalar(self, event: ev.ScalarEvent) -> Any:
        value = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if not (tag is None and event.implicit[0]):
                return value  # quoted, or the non-specific tag: a string as written
            # Only plain scalars starting like a number, bool, null, `<<` or timestamp can be
            # anything but a string; asking the resolver only for those halves the cost.
            if value[:1] not in _RESOLVER.yaml_implicit_resolvers:
                return value
            tag = _RESOLVER.resolve(ScalarNode, value, event.implicit)
            if tag == _STR:
                return value
            if tag == _MERGE_TAG:
                return value  # `<<`: a merge as a key (see `key`), the plain string elsewhere
        if not self.check_tag(tag, event, _SCALAR_TAGS):
            return value
        kind = tag[len(_CORE):]
        try:
            if kind == "null":
                return None
            if kind == "bool":
                return _SCALARS.construct_yaml_bool(ScalarNode(tag, value))
            if kind == "int":
                return _SCALARS.construct_yaml_int(ScalarNode(tag, value))
            if kind == "float":
                return _SCALARS.construct_yaml_float(ScalarNode(tag, value))
        except (ValueError, TypeError, KeyError, IndexError, yaml.YAMLError):
            self.fail(f"invalid !!{kind} value {value!r}", mark(event.start_mark, self.name))
        # Strings, timestamps and binary stay as written: nsxplan has no date or byte fields,
        # and the schema then reports "expected ..., got a string" with the original text.
        return value
