"""What every object the configuration declares carries besides its own fields (shared by
model.py and routing.py): its name and description as the user set them, its tags, whether it
is taken over (`adopt`) or kept from deletion and replacement (`protect`), and where it was
declared."""

from __future__ import annotations

from dataclasses import dataclass

from nsxplan.config.tag import Tag
from nsxplan.errors import Source


@dataclass(frozen=True, slots=True, kw_only=True)
class Declared:
    """Keyword-only, so each kind's own fields keep their order in its constructor."""

    display_name: str | None = None     # None = not set (nsxplan sends the id on create)
    description: str | None = None
    tags: tuple[Tag, ...] = ()
    adopt: bool = False
    protect: bool = False               # refuse delete/replace (tag nsxplan/protect)
    source: Source | None = None
