"""What an update of one object compares and sends, given the record of what nsxplan set before.

The record (`nsxplan/managed` tag, nsx/fields.py) on the live object says which optional fields
and which tag scopes this configuration set at its last apply. What it lists and the
configuration no longer sets is planned back: a field to its reset value, a tag removed. Tags
whose scope was never recorded belong to someone else (`ncp/...`, another tool) and are kept
untouched, as are optional fields nsxplan never set. An object without a record (made before
records existed, or just adopted) is taken to record exactly what the configuration sets now;
it gets its record with its next change.

`ignore:` entries (and `--ignore`) take fields, or whole objects, out of the comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from nsxplan.config.model import Ignore, Tag
from nsxplan.nsx.fields import (
    OWN_SCOPES,
    PROTECT_SCOPE,
    RECORD_SCOPE,
    RECORDED,
    encode_record,
    live_record,
    reset_value,
)
from nsxplan.nsx.objects import OWNER_SCOPE
from nsxplan.plan.desired import Desired

_IDENTITY = frozenset({"resource_type", "id"})


@dataclass(frozen=True, slots=True)
class Managed:
    body: dict[str, Any]            # fields compared and sent (resets included)
    tags: tuple[dict[str, str], ...]    # nsxplan's tags: the user's, owner, record, protect
                                        # (shared by objects alike: read, never changed)
    scopes: frozenset[str]          # tag scopes compared (nsxplan's, and those being removed)
    drop: frozenset[str]            # recorded tag scopes the configuration no longer sets
    removed: tuple[str, ...]        # what left the configuration, in words (for the reason)
    # tag_set(tags, scopes): the tags compared. The body an update sends has foreign tags as
    # well, but never of a compared scope, so its compared tags are these.
    compared: frozenset[tuple[str, str]] = frozenset()


def tag_set(tags: Any, scopes: frozenset[str]) -> set[tuple[str, str]]:
    """The tags of the `scopes` compared, as a set (NSX does not keep their order)."""
    return {(scope, str(t.get("tag") or "")) for t in tags or ()
            if (scope := str(t.get("scope") or "")) in scopes}


def own_tags(d: Desired, owner: str,
             recorded: frozenset[str] | None = None) -> list[dict[str, str]]:
    """The tags nsxplan writes on `d`: the configured ones, the owner, the record, protect.
    `recorded`: `d.recorded`, when the caller has it already."""
    tags = [{"scope": t.scope, "tag": t.tag} for t in d.tags]
    tags.append({"scope": OWNER_SCOPE, "tag": owner})
    record = encode_record(d.recorded if recorded is None else recorded,
                           (t.scope for t in d.tags))
    if record:
        tags.append({"scope": RECORD_SCOPE, "tag": record})
    if d.protect:
        tags.append({"scope": PROTECT_SCOPE, "tag": "true"})
    return tags


# own tags; the scopes compared when the live object has a record, and those tags of them;
# the same when it has none
_Known = tuple[tuple[dict[str, str], ...], frozenset[str], frozenset[tuple[str, str]],
               frozenset[str], frozenset[tuple[str, str]]]


class OwnTags:
    """nsxplan's tags on the objects of one plan, and the scopes they cover, worked out once per
    combination of what they depend on (the recorded fields, the user tags, `protect`): a large
    configuration has thousands of objects and a handful of combinations. One per make_plan
    call; it keeps nothing beyond it."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._known: dict[tuple[frozenset[str], tuple[Tag, ...], bool], _Known] = {}

    def of(self, d: Desired, recorded: frozenset[str]) -> _Known:
        """own_tags(d, owner, recorded); the scopes compared when the live object carries a
        record and the tags of them (tag_set); the same when it carries none."""
        key = (recorded, d.tags, d.protect)
        found = self._known.get(key)
        if found is None:
            tags = tuple(own_tags(d, self.owner, recorded))
            scopes = frozenset({t["scope"] for t in tags}) | OWN_SCOPES
            unrecorded = scopes - {RECORD_SCOPE}
            found = self._known[key] = (
                tags, scopes, frozenset(tag_set(tags, scopes)),
                unrecorded, frozenset(tag_set(tags, unrecorded)))
        return found


def create_body(d: Desired, owner: str) -> dict[str, Any]:
    """A create sends what is set; an unset structural field (Any) is simply left out."""
    body = {k: v for k, v in {**d.create_extra, **d.body}.items() if v is not None}
    body["tags"] = own_tags(d, owner)
    return body


def managed(d: Desired, obj: Mapping[str, Any], owner: str,
            ignored: frozenset[str] | None = None, own: OwnTags | None = None) -> Managed:
    """`own`: the plan's OwnTags for `owner` (a fresh one when None)."""
    # Called for every desired object that exists (10,000 of them in a large no-change plan):
    # the common cases (no user tags, no record) skip the set arithmetic whose result they
    # know already, and objects alike share their own tags (OwnTags).
    user_scopes = frozenset(t.scope for t in d.tags) if d.tags else _NONE
    recorded = d.recorded           # a property that builds a set: once per object
    record = live_record(obj)
    fields: Mapping[str, Any] = d.body
    if record is None:
        # Taken to record what the configuration sets now: nothing to reset, no tag to drop.
        gone: list[str] = []
        drop = _NONE
    else:
        before_fields, before_scopes = record
        resettable = RECORDED.get(d.kind, {})
        gone = sorted(f for f in before_fields if f in resettable and f not in recorded)
        if gone:
            obj_id = str(obj.get("id") or d.body.get("id") or "")
            fields = {**d.body, **{f: reset_value(d.kind, f, obj_id) for f in gone}}
        drop = frozenset(before_scopes - user_scopes - OWN_SCOPES) if before_scopes else _NONE
    # An unset structural field is sent (as null) only when NSX has a value to clear.
    body = {f: v for f, v in fields.items() if v is not None or obj.get(f) not in (None, "", [])}
    if ignored is not None:
        body = {k: v for k, v in body.items()
                if k in _IDENTITY or (ignored and k not in ignored)}
    tags, scopes, compared, unrecorded, compared_unrecorded = \
        (own if own is not None else OwnTags(owner)).of(d, recorded)
    removed = tuple(gone) + tuple(f"tag {s}" for s in sorted(drop)) if gone or drop else ()
    if record is None:
        # Written with the object's next change, never as a change of its own: an object
        # nsxplan 0.1 made is in sync until the configuration says otherwise. (No record, no
        # drop: see above.)
        return Managed(body, tags, unrecorded, drop, removed, compared_unrecorded)
    # The dropped scopes are compared too (their tags go); nsxplan's own tags have none of
    # them, so the compared tags stay the same.
    return Managed(body, tags, scopes | drop if drop else scopes, drop, removed, compared)


_NONE: frozenset[str] = frozenset()


def ignored_fields(rules: Iterable[Ignore], path: str, address: str) -> frozenset[str] | None:
    """None: not ignored; empty: the whole object may drift; else the fields that may."""
    found: set[str] | None = None
    for rule in rules:
        if fnmatchcase(path, rule.pattern) or fnmatchcase(address, rule.pattern):
            if not rule.fields:
                return frozenset()
            found = (found or set()) | set(rule.fields)
    return None if found is None else frozenset(found)
