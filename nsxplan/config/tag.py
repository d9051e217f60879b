"""A tag as the configuration declares it (shared by model.py and routing.py)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Tag:
    """An NSX tag: scope and value."""

    scope: str
    tag: str
