"""Pieces of a desired object's body shared by desired.py and desired_routing.py."""

from __future__ import annotations

from typing import Any


def common_fields(obj: Any) -> dict[str, Any]:
    """display_name and description, where the configuration sets them."""
    body: dict[str, Any] = {}
    if obj.display_name is not None:
        body["display_name"] = obj.display_name
    if obj.description is not None:
        body["description"] = obj.description
    return body


def set_field(body: dict[str, Any], name: str, value: Any) -> None:
    """`name` in `body` when the configuration sets it; tuples sent as JSON lists."""
    if value is not None:
        body[name] = list(value) if isinstance(value, tuple) else value
