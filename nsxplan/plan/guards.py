"""Guards against mass change (octoDNS's update thresholds, Terraform's prevent_destroy).

- A plan that deletes or replaces more objects than a threshold (default: more than 10, or more
  than 25 % of the objects this owner has in NSX once it has at least 10) is refused by apply
  unless `--allow-deletes N` allows at least that many. A renamed gateway id or a file left out
  of a directory looks exactly like "delete everything": the threshold makes that a question.
- `protect: true` on an object puts the tag nsxplan/protect=true on it; a plan that would delete
  or replace an object protected in the configuration or in NSX is refused outright. The tag, not
  the YAML, carries it: the delete of a protected object happens precisely when its YAML is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nsxplan.errors import PlanError, Problem
from nsxplan.plan.model import DELETE, REPLACE, Plan

DEFAULT_MAX_DELETES = 10
DEFAULT_MAX_PERCENT = 25
#: Below this many owned objects the percentage is not applied (deleting 1 of 2 is 50 %).
PERCENT_FROM = 10


@dataclass(frozen=True)
class Thresholds:
    max_deletes: int = DEFAULT_MAX_DELETES
    max_percent: int = DEFAULT_MAX_PERCENT

    def as_meta(self, owned: int) -> dict[str, int]:
        return {"max_deletes": self.max_deletes, "max_delete_percent": self.max_percent,
                "owned_objects": owned}


def destructive(plan: Plan) -> list[str]:
    return [a.address for a in plan.changes if a.action in (DELETE, REPLACE)]


def exceeded(plan: Plan) -> str | None:
    """Why apply needs --allow-deletes for this plan, or None."""
    meta: Mapping[str, Any] = plan.meta.get("guards") or {}
    limit = int(meta.get("max_deletes", DEFAULT_MAX_DELETES))
    percent = int(meta.get("max_delete_percent", DEFAULT_MAX_PERCENT))
    owned = int(meta.get("owned_objects", 0))
    n = len(destructive(plan))
    if n > limit:
        return f"it deletes or replaces {n} objects (more than {limit})"
    if owned >= PERCENT_FROM and n * 100 > percent * owned:
        return (f"it deletes or replaces {n} of the {owned} objects owner {plan.owner} has "
                f"(more than {percent} %)")
    return None


def enforce_mass_change(plan: Plan, allow_deletes: int | None) -> None:
    why = exceeded(plan)
    if why is None:
        return
    n = len(destructive(plan))
    if allow_deletes is not None and allow_deletes >= n:
        return
    names = ", ".join(destructive(plan)[:5]) + (" ..." if n > 5 else "")
    raise PlanError([Problem(
        f"refusing to apply: {why}: {names}; nothing was written",
        hint=f"if that is intended, apply again with --allow-deletes {n} (the thresholds are "
             "`guards: {max_deletes, max_delete_percent}` in the configuration)")])
