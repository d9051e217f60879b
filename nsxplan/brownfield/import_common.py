"""What the importer writes for every object it turns into configuration."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def common_fields(obj: Mapping[str, Any], out: dict[str, Any]) -> None:
    """display_name (when it is not the id), description, and the tags nsxplan did not set."""
    if obj.get("display_name") and obj["display_name"] != obj["id"]:
        out["display_name"] = obj["display_name"]
    if obj.get("description"):
        out["description"] = obj["description"]
    tags = {t["scope"]: t.get("tag", "") for t in obj.get("tags") or []
            if t.get("scope") and not str(t["scope"]).startswith("nsxplan/")}
    if tags:
        out["tags"] = dict(sorted(tags.items()))
