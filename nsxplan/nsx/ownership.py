"""Who owns a live object, and whether nsxplan may touch it.

Rules (docs/decisions.md, "Protected objects" and "Deletes"):
- nsxplan deletes only objects carrying `nsxplan/owner=<owner>`;
- objects owned by another nsxplan owner are never touched;
- an existing object without an owner tag is adopted only when asked (adopt flag / --adopt);
- protected objects are never planned for change: `_system_owned`, `_protection` PROTECTED,
  REQUIRE_OVERRIDE (or any value but NOT_PROTECTED), or tagged `ncp/cluster`/`nsx-op/cluster`
  AND created by a principal identity.

Principal identity, decided here: NSX reports `_protection` relative to the caller, so an NCP
object read with NCP's own certificate says NOT_PROTECTED. We therefore also look at the creator:
vSphere with Tanzu's principal identities are named `wcp-cluster-user-<cluster>-<uuid>`, NCP and
nsx-operator installs use `ncp…`/`nsx-op…` names. An `ncp/cluster` tag on an object created by
anyone else (`admin`, an LDAP user) is an administrator's discovery tag: the object stays
manageable and its `ncp/…` tags are kept. We do not treat "any user but admin" as a principal
identity because administrators routinely use personal accounts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nsxplan.nsx.objects import OWNER_SCOPE

CLUSTER_TAG_SCOPES = frozenset({"ncp/cluster", "nsx-op/cluster"})
PRINCIPAL_PREFIXES = ("wcp-cluster-user-", "wcp-", "ncp", "nsx-op", "nsx_op")


def owner_of(obj: Mapping[str, Any]) -> str | None:
    """The owner tag's value; None without one. NSX accepts several tags of one scope: an
    object claimed by two owners reads as owned by "a+b", which is neither's (the first tag
    alone would let whichever owner comes first delete what the other one also claims)."""
    owners = sorted({str(t.get("tag") or "") for t in obj.get("tags") or ()
                     if isinstance(t, Mapping) and t.get("scope") == OWNER_SCOPE})
    return "+".join(owners) if owners else None


def creator(obj: Mapping[str, Any]) -> str | None:
    user = obj.get("_create_user")
    return str(user) if user else None


def is_principal_identity(user: str | None) -> bool:
    return bool(user) and str(user).lower().startswith(PRINCIPAL_PREFIXES)


def protection(obj: Mapping[str, Any]) -> str | None:
    """Why nsxplan must never change this object, or None when it may."""
    if obj.get("_system_owned") is True:
        return "system-owned"
    state = str(obj.get("_protection") or "")
    # docs/decisions.md: anything but NOT_PROTECTED/absent is off limits (UNKNOWN included: NSX
    # could not tell us it is safe).
    if state and state != "NOT_PROTECTED":
        return f"protected ({state}), created by {_who(obj)}"
    scopes = {str(t.get("scope")) for t in obj.get("tags") or () if isinstance(t, Mapping)}
    if scopes & CLUSTER_TAG_SCOPES and is_principal_identity(creator(obj)):
        return f"created by the principal identity {creator(obj)} (NCP)"
    return None


def _who(obj: Mapping[str, Any]) -> str:
    user = creator(obj)
    if user is None:
        return "an unknown user"
    return f"{user} (NCP)" if is_principal_identity(user) else user


@dataclass(frozen=True)
class Ownership:
    """How a live object relates to this configuration's owner."""

    state: str            # "owned" | "unowned" | "foreign" | "protected"
    owner: str | None     # the owner tag value, if any
    reason: str | None    # protection reason, for protected objects


def classify(obj: Mapping[str, Any], owner: str) -> Ownership:
    tag = owner_of(obj)
    why = protection(obj)
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
