"""The NSX object vocabulary every stage shares: the owner tag, the fields NSX owns, and "who
touched this object when" as NSX's bookkeeping fields tell it.

One home so that the planner, apply and rollback can never disagree about them: a field added to
SERVER_FIELDS for convergence is also excluded from rollback verification.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

OWNER_SCOPE = "nsxplan/owner"

# Fields NSX computes or owns. They are never diffed and never sent back; `_revision` is kept
# apart (Action.revision) because apply sends it as the optimistic-concurrency token.
SERVER_FIELDS = frozenset({
    "_self", "_links", "_schema", "_revision", "_create_time", "_create_user",
    "_last_modified_time", "_last_modified_user", "_protection", "_system_owned",
    "path", "parent_path", "relative_path", "unique_id", "realization_id", "owner_id",
    "origin_site_id", "remote_path", "marked_for_delete", "overridden", "children",
})


def strip_server_fields(obj: Mapping[str, Any]) -> dict[str, Any]:
    """The live object without what the server owns: the rollback pre-image."""
    return {k: v for k, v in obj.items() if k not in SERVER_FIELDS}


class WithoutServerFields(Mapping[str, Any]):
    """`obj` seen without what the server owns, without copying it: a plan keeps one `before`
    per object (17 MB of copies for 50,000 objects). Read-only, like the live state it shows;
    equal to the dict strip_server_fields would make."""

    __slots__ = ("_obj",)

    def __init__(self, obj: Mapping[str, Any]) -> None:
        self._obj = obj

    def __getitem__(self, key: str) -> Any:
        if key in SERVER_FIELDS:
            raise KeyError(key)
        return self._obj[key]

    def __iter__(self) -> Iterator[str]:
        return (k for k in self._obj if k not in SERVER_FIELDS)

    def __len__(self) -> int:
        return sum(1 for k in self._obj if k not in SERVER_FIELDS)

    def __repr__(self) -> str:
        return repr(dict(self))


def iso_time(epoch_ms: Any) -> str | None:
    """NSX's epoch milliseconds as ISO 8601 UTC ('2026-11-21T19:41:43Z'); None if unusable."""
    if not isinstance(epoch_ms, (int, float)) or isinstance(epoch_ms, bool):
        return None
    # A plan asks this for every live object, and objects made or changed together share
    # their second: one datetime per distinct second. Only for whole milliseconds (what NSX
    # sends): their second is exactly ms // 1000, where a float's may round up to the next.
    second = epoch_ms // 1000 if type(epoch_ms) is int else None
    found = _ISO_SECONDS.get(second) if second is not None else None
    if found is not None:
        return found
    try:
        moment = datetime.fromtimestamp(epoch_ms / 1000.0, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    text = moment.isoformat(timespec="seconds").replace("+00:00", "Z")
    if second is not None:
        if len(_ISO_SECONDS) >= 65_536:
            _ISO_SECONDS.clear()
        _ISO_SECONDS[second] = text
    return text


_ISO_SECONDS: dict[int, str] = {}


def modified_by(obj: Mapping[str, Any], *, created: bool = False) -> str:
    """'by USER at ISO-TIME' from NSX's bookkeeping fields, as far as they are present.

    created=True: who created the object. Otherwise who modified it last, falling back to the
    creator when NSX left the modification fields out."""
    if created:
        user, stamp = obj.get("_create_user"), obj.get("_create_time")
    else:
        user = obj.get("_last_modified_user") or obj.get("_create_user")
        stamp = obj.get("_last_modified_time") or obj.get("_create_time")
    when = iso_time(stamp)
    text = f"by {user}" if user else "by an unknown user"
    return f"{text} at {when}" if when else text
