"""Who owns a live object, relative to one configuration's owner.

Rules (docs/decisions.md, "Protected objects" and "Deletes"):
- nsxplan deletes only objects carrying `nsxplan/owner=<owner>`;
- objects owned by another nsxplan owner are never touched;
- an existing object without an owner tag is adopted only when asked (adopt flag / --adopt);
- protected objects (system-owned, `_protection` other than NOT_PROTECTED, NCP's) are never
  planned for change. What "protected" and "NCP's" mean is decided in one place, nsxplan.nsx.guard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nsxplan.nsx.guard import is_principal_identity, owner_of, plain_owner, protection
from nsxplan.nsx.objects import OWNER_SCOPE

__all__ = ["Ownership", "classify", "creator", "is_principal_identity", "owner_of",
           "protection", "unmanaged_reason"]


def creator(obj: Mapping[str, Any]) -> str | None:
    user = obj.get("_create_user")
    return str(user) if user else None


OwnershipState = Literal["owned", "unowned", "foreign", "protected"]


@dataclass(frozen=True, slots=True)
class Ownership:
    """How a live object relates to this configuration's owner."""

    state: OwnershipState
    owner: str | None     # the owner tag value, if any
    reason: str | None    # protection reason, for protected objects


def classify(obj: Mapping[str, Any], owner: str) -> Ownership:
    plain, tag = plain_owner(obj)
    why = None if plain else protection(obj)
    if not plain:
        tag = owner_of(obj)
    if why is not None:
        return Ownership("protected", tag, why)
    if tag is None:
        return Ownership("unowned", None, None)
    if tag == owner:
        return Ownership("owned", tag, None)
    return Ownership("foreign", tag, None)


def unmanaged_reason(obj: Mapping[str, Any], owner: str) -> str:
    o = classify(obj, owner)
    if o.state == "protected":
        return str(o.reason)
    if o.state == "foreign":
        return f"owned by nsxplan owner {o.owner!r}, not in this configuration"
    user = creator(obj)
    by = f"created by {user}, " if user else ""
    return f"{by}not in this configuration and not tagged {OWNER_SCOPE}={owner}"
