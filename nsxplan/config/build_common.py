"""Helpers every model constructor uses: list items with their Sources, tags, common keys."""

from __future__ import annotations

from typing import Any

from nsxplan.config.loader import MDict, MList, child_source, source_of
from nsxplan.config.model import Tag
from nsxplan.errors import Source


def _items(doc: Any, key: str) -> list[tuple[Any, Source]]:
    """(item, source) pairs of a list field, or [] when absent."""
    value = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(value, MList):    # as loaded: every item has its Source
        return list(zip(value, value.item_sources, strict=True))
    if not isinstance(value, list):
        return []
    fallback = source_of(doc, Source("", 1, 1))
    return [(item, child_source(value, i, fallback)) for i, item in enumerate(value)]


def _values(doc: Any, key: str) -> list[Any]:
    """The items of a list field, or [] when absent: as `_items` without the Sources (a large
    file has tens of thousands of items, and most models keep only the item's own Source)."""
    value = doc.get(key) if isinstance(doc, dict) else None
    return value if isinstance(value, list) else []


def tags(value: Any) -> tuple[Tag, ...]:
    """Mapping or list form -> tuple sorted by scope (then tag), the order NSX's diff ignores."""
    if value is None:
        return ()
    if isinstance(value, dict):
        found = [Tag(str(scope), "" if tag is None else str(tag)) for scope, tag in value.items()]
    elif isinstance(value, list):
        found = [Tag(str(t.get("scope", "")), str(t.get("tag", "") or ""))
                 for t in value if isinstance(t, dict)]
    else:
        found = []
    return tuple(sorted(found, key=lambda t: (t.scope, t.tag)))


def _common(doc: MDict) -> dict[str, Any]:
    return {
        "display_name": doc.get("display_name"),
        "description": doc.get("description"),
        "tags": tags(doc.get("tags")),
        "adopt": bool(doc.get("adopt", False)),
        "protect": bool(doc.get("protect", False)),
        "source": doc.source,
    }


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


__all__ = ["_common", "_items", "_str", "_values", "tags"]
