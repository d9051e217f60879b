"""`GET /policy/api/v1/search/query?query=...`: NSX's full-text search over the policy objects.

The reference (§7) gives the answer's shape: the list shape (`results`, `result_count`,
`cursor`) with a `status` block per object, the object's ConsolidatedRealizedStatus (§8), so a
client can follow the realization of many intents in one request. The query language is NSX's
documented one, a subset of it: `field:value` terms (dot notation for nested fields such as
`tags.scope`), quoted phrases, `*` and `?` wildcards, backslash escapes, `field:(a OR b)`
groups, AND / OR / NOT (also `&&`, `||`, `!`) and parentheses; a bare term matches any
top-level field.

Where the simulator is simpler than NSX (README "Choices"): a term matches a field's whole
value, case-insensitively, not the words inside it (NSX's full-text index would also match a
phrase inside a longer value, so clients filter results by the field they asked for); results
come in path order; the index is never behind the objects (NSX's is eventually consistent, so
clients must cope with an object missing from the results for a while).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from nsxplan.sim.apierror import bad_request
from nsxplan.sim.paging import next_cursor, page_params

Obj = dict[str, Any]
Predicate = Callable[[Obj], bool]

_OPERATORS = {"AND": "AND", "&&": "AND", "OR": "OR", "||": "OR", "NOT": "NOT", "!": "NOT"}
_TOKEN = re.compile(r'\s*(\(|\)|&&|\|\||!|"(?:[^"\\]|\\.)*"|(?:[^\s()"\\:]|\\.)+:?)')


def _tokens(query: str) -> list[str]:
    out: list[str] = []
    pos = 0
    query = query.rstrip()
    while pos < len(query):
        m = _TOKEN.match(query, pos)
        if m is None or not m.group(1):
            raise bad_request(f"Invalid search query {query!r}: cannot read it at "
                              f"character {pos + 1}.")
        out.append(m.group(1))
        pos = m.end()
    return out


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _value_matcher(token: str) -> Callable[[str], bool]:
    """A term: a quoted phrase matches exactly; a word may hold `*` and `?` wildcards."""
    if token.startswith('"'):
        phrase = _unescape(token[1:-1]).casefold()
        return lambda value: value.casefold() == phrase
    parts = re.split(r"(\\.|\*|\?)", token)
    pattern = "".join(".*" if p == "*" else "." if p == "?" else
                      re.escape(_unescape(p)) for p in parts if p)
    regex = re.compile(pattern, re.IGNORECASE | re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _values(obj: Any, field: str | None) -> Iterator[str]:
    """The scalar values of `field` (dot notation, through lists); every top-level scalar field
    when `field` is None."""
    if field is None:
        items: Iterator[Any] = iter(obj.values()) if isinstance(obj, dict) else iter(())
        for value in items:
            if isinstance(value, (str, int, float, bool)):
                yield _text(value)
        return
    current: list[Any] = [obj]
    for key in field.split("."):
        nxt: list[Any] = []
        for item in current:
            for one in item if isinstance(item, list) else [item]:
                if isinstance(one, dict) and key in one:
                    nxt.append(one[key])
        current = nxt
    for item in current:
        for one in item if isinstance(item, list) else [item]:
            if isinstance(one, (str, int, float, bool)):
                yield _text(one)


def _text(value: str | int | float | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokens(query)
        self.pos = 0
        # id(predicate) -> (field, phrase) of the terms that are one quoted phrase of a field
        # (kept alive by the predicates holding them until parsing ends)
        self._phrases: dict[int, tuple[str, str]] = {}

    def parse(self) -> Predicate:
        if not self.tokens:
            raise bad_request("The search query is empty.")
        predicate = self._or(None)
        if self.pos != len(self.tokens):
            self._fail(f"unexpected {self.tokens[self.pos]!r}")
        return predicate

    def _fail(self, why: str) -> None:
        raise bad_request(f"Invalid search query {self.query!r}: {why}.")

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _or(self, field: str | None) -> Predicate:
        terms = [self._and(field)]
        # Adjacent terms without an operator are alternatives (the Lucene default operator).
        while (tok := self._peek()) is not None and tok != ")":
            if _OPERATORS.get(tok) == "OR":
                self.pos += 1
            terms.append(self._and(field))
        if len(terms) == 1:
            return terms[0]
        phrases = [self._phrases.get(id(t)) for t in terms]
        if field is not None and all(p is not None and p[0] == field for p in phrases):
            # `path:("a" OR "b" ...)`, a client asking for hundreds of objects: one set lookup
            # per object instead of one comparison per phrase.
            wanted = frozenset(p[1] for p in phrases if p is not None)
            return lambda o: any(v.casefold() in wanted for v in _values(o, field))
        return lambda o: any(t(o) for t in terms)

    def _and(self, field: str | None) -> Predicate:
        terms = [self._not(field)]
        while _OPERATORS.get(self._peek() or "") == "AND":
            self.pos += 1
            terms.append(self._not(field))
        return terms[0] if len(terms) == 1 else (lambda o: all(t(o) for t in terms))

    def _not(self, field: str | None) -> Predicate:
        if _OPERATORS.get(self._peek() or "") == "NOT":
            self.pos += 1
            inner = self._not(field)
            return lambda o: not inner(o)
        return self._primary(field)

    def _primary(self, field: str | None) -> Predicate:
        tok = self._peek()
        if tok is None:
            self._fail("it ends where a term is expected")
            raise AssertionError("unreachable")
        self.pos += 1
        if tok == "(":
            inner = self._or(field)
            if self._peek() != ")":
                self._fail("a parenthesis is not closed")
            self.pos += 1
            return inner
        if tok == ")" or tok in _OPERATORS:
            self._fail(f"unexpected {tok!r}")
        if tok.endswith(":") and not tok.endswith("\\:"):
            if field is not None:
                self._fail(f"a field inside the group of field {field!r}")
            return self._primary(_unescape(tok[:-1]))
        match = _value_matcher(tok)
        predicate: Predicate = lambda o: any(match(v) for v in _values(o, field))  # noqa: E731
        if field is not None and tok.startswith('"'):
            self._phrases[id(predicate)] = (field, _unescape(tok[1:-1]).casefold())
        return predicate


def parse(query: str) -> Predicate:
    """The predicate of an NSX search query; ApiError 400 for a query it cannot read."""
    return _Parser(query).parse()


def page(items: list[Obj], page_size: str | None, cursor: str | None, max_page: int
         ) -> tuple[list[Obj], str | None]:
    """One page of `items` and the cursor of the next (None on the last page)."""
    size, offset = page_params(page_size, cursor, max_page)
    return items[offset: offset + size], next_cursor(offset, size, len(items))
