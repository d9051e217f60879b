"""May nsxplan write this path, and if not, why not: the one rule every stage asks.

The planner (desired objects and deletes), apply's pre-check of a saved plan, the executor (each
step, against the object read just before the write), rollback and journal replay (each undo),
and the importer all call this module; none keeps a copy. A rule with one definition can be
reviewed in one place.

What is refused, in the order it is checked:

1. A path that is not a canonical Policy path under `/infra/`: an empty, `.` or `..` segment,
   an encoded or odd character (`%`, `?`, `#`, `\\`, `;`, whitespace, control characters), or
   anything outside `/infra/` (`/api/v1/...` is the management API). HTTP clients collapse
   `..`, so `/infra/tier-1s/mine/../ncp-t1/x` would be checked as one object and written as
   another.
2. A protected object (`protection`): `_system_owned`, any `_protection` other than
   NOT_PROTECTED (UNKNOWN included: NSX could not promise it is safe), or NCP's (`ncp_owner`).
3. Anything under a protected ancestor: a route on NCP's Tier-1 changes NCP's Tier-1. The
   ancestors of a path are every proper prefix below `/infra` that names an object, nearest
   first (`ancestors`); collection segments (`tier-1s`, `nat-rules`, ...) are lists, not
   objects. One exception: NSX creates a gateway's NAT sections (`.../nat/USER`) itself, and
   their only purpose is to hold rules, so a section being `_system_owned` is no reason
   (its `_protection` or an NCP owner still is).
4. Ownership (`ownership_refusal`): never another nsxplan owner's object; delete or replace only
   what carries this owner's tag (a replace may adopt); change an existing object only when it
   is ours or the change adopts it.

NCP, decided here (see docs/decisions.md). NSX reports `_protection` relative to the caller, so
an object NCP created with its principal identity reads NOT_PROTECTED to NCP, and NCP can also
run as `admin` (`nsx_api_user = admin`), in which case nothing about the creator or protection
tells its objects apart. Its tags do. An object is NCP's when it carries a RUNTIME scope that NCP
and nsx-operator stamp on what they create (`ncp/version`, `ncp/project`, `ncp/created_for`,
...), or a cluster scope (`ncp/cluster`, `nsx-op/cluster`) together with any `ncp/`/`nsx-op/`
scope that is not a discovery scope, or any such tag when a principal identity (`wcp-...`,
`ncp...`, `nsx-op...`) created it. DISCOVERY scopes are what an administrator puts on a Tier-0, an
IP block, a pool or a node segment so that NCP finds them (`ncp/cluster`, `ncp/no_snat`,
`ncp/external`, `ncp/node_name`, ...): alone, or only with each other, they leave the object
manageable, and nsxplan keeps them as foreign tags.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from nsxplan.nsx.objects import OWNER_SCOPE

Obj = Mapping[str, Any]
Lookup = Callable[[str], "Obj | None"]

NCP_PREFIXES = ("ncp/", "nsx-op/")
CLUSTER_SCOPES = frozenset({"ncp/cluster", "nsx-op/cluster"})
# Scopes NCP / nsx-operator put on the objects they create (field report, reference §9).
RUNTIME_SCOPES = frozenset({
    "ncp/version", "ncp/project", "ncp/project_uid", "ncp/created_for", "ncp/service",
    "ncp/service_uid", "ncp/service_port", "ncp/service_port_protocol", "ncp/lb_vs_type",
    "ncp/cluster_domain", "ncp/pod", "ncp/pod_uid", "ncp/vif_project_uid", "ncp/vnet_interface",
    "nsx-op/version", "nsx-op/created_for", "nsx-op/namespace", "nsx-op/namespace_uid",
    "nsx-op/project", "nsx-op/vpc", "nsx-op/pod", "nsx-op/pod_uid",
})
# Scopes an administrator sets so that NCP discovers an object it does not own.
DISCOVERY_SCOPES = frozenset({
    "ncp/cluster", "nsx-op/cluster", "ncp/no_snat", "ncp/external", "ncp/node_name",
    "ncp/shared_resource", "ncp/extpoolid",
})
PRINCIPAL_PREFIXES = ("wcp-cluster-user-", "wcp-", "ncp", "nsx-op", "nsx_op")

# Path segments that name a collection (a list), never an object: skipped as ancestors.
COLLECTIONS = frozenset({
    "tier-0s", "tier-1s", "locale-services", "static-routes", "nat", "nat-rules",
    "interfaces", "neighbors", "segments", "ip-blocks", "ip-pools", "ip-subnets",
    "ip-allocations", "dns-forwarder-zones", "ports", "prefix-lists", "route-maps",
})
_UNSAFE_CHARS = frozenset("%?#\\;")


# --------------------------------------------------------------------------- paths


def path_problem(path: Any) -> str | None:
    """Why `path` is not a canonical Policy path under /infra/, or None when it is."""
    if not isinstance(path, str):
        return "is not a path"
    if _PLAIN_PATH.fullmatch(path):
        return None         # the usual path: every check below passes (one regex call)
    return segment_problem(path)


def segment_problem(path: str) -> str | None:
    """path_problem's rule, segment by segment."""
    segments = path.split("/")
    if segments[:2] != ["", "infra"] or len(segments) < 3:
        return "is not a policy path under /infra"
    for seg in segments[2:]:
        if _PLAIN_SEGMENT.fullmatch(seg) and seg not in (".", ".."):
            continue        # the usual id: no character below can be in it (one regex call)
        if seg in ("", ".", "..") or any(c in _UNSAFE_CHARS or c.isspace() or not c.isprintable()
                                         for c in seg):
            return f"has an unsafe path segment {seg!r}"
    return None


# Letters, digits, `_`, `.`, `-`: printable, no space, none of _UNSAFE_CHARS.
_PLAIN_SEGMENT = re.compile(r"[A-Za-z0-9_.-]+")
# /infra and at least one such segment below it, none of them `.` or `..`
# (tests/plan/test_fast_paths.py holds it to the segment-by-segment rule).
_PLAIN_PATH = re.compile(r"/infra(?:/(?!\.\.?(?:/|\Z))[A-Za-z0-9_.-]+)+")


def ancestors(path: str) -> list[str]:
    """Every object path strictly above `path` and below /infra, nearest first."""
    parts = path.split("/")
    out = []
    for end in range(len(parts) - 1, 2, -1):
        if parts[end - 1] in COLLECTIONS:
            continue
        out.append("/".join(parts[:end]))
    return out


# --------------------------------------------------------------------------- objects


def scopes_of(obj: Obj | None) -> set[str]:
    if not obj:
        return set()
    return {str(t.get("scope") or "") for t in obj.get("tags") or () if isinstance(t, Mapping)}


def is_principal_identity(user: Any) -> bool:
    return bool(user) and str(user).lower().startswith(PRINCIPAL_PREFIXES)


def ncp_scopes_problem(scopes: Iterable[str]) -> str | None:
    """Why these tag scopes mark an object as NCP's (or nsx-operator's), or None."""
    unique = set(scopes)
    if unique.isdisjoint(RUNTIME_SCOPES) and not any(s.startswith(NCP_PREFIXES) for s in unique):
        return None     # most objects: neither NCP's runtime scopes nor its prefixes
    found = sorted(unique)
    runtime = [s for s in found if s in RUNTIME_SCOPES]
    if runtime:
        return f"tagged {runtime[0]}"
    ncp = [s for s in found if s.startswith(NCP_PREFIXES)]
    if set(ncp) & CLUSTER_SCOPES:
        other = [s for s in ncp if s not in DISCOVERY_SCOPES]
        if other:
            return f"tagged {sorted(set(ncp) & CLUSTER_SCOPES)[0]} and {other[0]}"
    return None


def ncp_owner(obj: Obj | None) -> str | None:
    """Why NCP or nsx-operator owns this object (a phrase), or None."""
    if not obj:
        return None
    scopes = scopes_of(obj)
    user = obj.get("_create_user")
    if is_principal_identity(user) and any(s.startswith(NCP_PREFIXES) for s in scopes):
        return f"created by the principal identity {user} (NCP)"
    why = ncp_scopes_problem(scopes)
    if why is not None:
        by = f", created by {user}" if user else ""
        return f"NCP's: {why}{by}"
    return None


def protection(obj: Obj | None) -> str | None:
    """Why nsxplan must never change this object (a phrase), or None when it may."""
    if not obj:
        return None
    if obj.get("_system_owned") is True:
        return "system-owned"
    state = str(obj.get("_protection") or "")
    if state and state != "NOT_PROTECTED":
        user = obj.get("_create_user")
        who = f"{user} (NCP)" if is_principal_identity(user) else (user or "an unknown user")
        return f"protected ({state}), created by {who}"
    return ncp_owner(obj)


def _ancestor_protection(obj: Obj) -> str | None:
    if obj.get("resource_type") == "PolicyNat" and obj.get("_system_owned") is True:
        return protection({**obj, "_system_owned": False})
    return protection(obj)


def plain_owner(obj: Obj) -> tuple[bool, str | None]:
    """(True, owner_of(obj)) when `protection(obj)` is certainly None, in one pass over the
    tags; (False, None) when it may not be (system-owned, a protection state, or any tag scope
    NCP or nsx-operator use), for the caller to ask `protection` itself. The planner classifies
    every live object it compares: this is the common case, cheaply."""
    if obj.get("_system_owned") is True:
        return False, None
    state = obj.get("_protection")
    if state and str(state) != "NOT_PROTECTED":
        return False, None
    owners: set[str] | None = None
    for t in obj.get("tags") or ():
        # `type(t) is dict` first: tags read from JSON are dicts, and the Mapping check is
        # an ABC lookup this loop does for every tag of every object planned.
        if type(t) is not dict and not isinstance(t, Mapping):
            continue
        scope = str(t.get("scope") or "")
        if scope == OWNER_SCOPE:
            if owners is None:
                owners = set()
            owners.add(str(t.get("tag") or ""))
        elif scope in RUNTIME_SCOPES or scope.startswith(NCP_PREFIXES):
            return False, None
    return True, ("+".join(sorted(owners)) if owners else None)


def owner_of(obj: Obj | None) -> str | None:
    """The owner tag's value; None without one. Two owner tags read as "a+b", neither's."""
    if not obj:
        return None
    owners = sorted({str(t.get("tag") or "") for t in obj.get("tags") or ()
                     if isinstance(t, Mapping) and t.get("scope") == OWNER_SCOPE})
    return "+".join(owners) if owners else None


# --------------------------------------------------------------------------- the guard


@dataclass(frozen=True)
class Refusal:
    """Why a path may not be written: `phrase` follows the path ("is protected (...)")."""

    path: str
    phrase: str

    def __str__(self) -> str:
        return f"{self.path} {self.phrase}"


class Guard:
    """The path, protection and ancestor rule over one view of NSX (`lookup`: the bulk live
    state while planning, a caching read during apply and rollback). Each ancestor is looked up
    once: thousands of rules share one gateway."""

    def __init__(self, lookup: Lookup) -> None:
        self._lookup = lookup
        self._seen: dict[str, str | None] = {}
        # By the path of the collection an object sits in: the ancestors of a path are all
        # above its last segment, so the 250 rules of one gateway share one answer.
        self._below: dict[str, tuple[str, str] | None] = {}

    def ancestor(self, path: str) -> tuple[str, str] | None:
        """The nearest protected ancestor of `path` as (its path, why), or None."""
        where = path.rpartition("/")[0]
        if where in self._below:
            return self._below[where]
        found = None
        for parent in ancestors(path):
            if parent not in self._seen:
                obj = self._lookup(parent)
                self._seen[parent] = _ancestor_protection(obj) if obj else None
            why = self._seen[parent]
            if why is not None:
                found = parent, why
                break
        self._below[where] = found
        return found

    def refusal(self, path: str, *objs: Obj | None) -> Refusal | None:
        """Why nsxplan must not write `path`, given the object(s) known there (live,
        pre-image, ...), or None. The path is checked first: nothing is looked up for a path
        that is not canonical."""
        bad = path_problem(path)
        if bad is not None:
            return Refusal(repr(path), bad)
        for obj in objs:
            why = protection(obj)
            if why is not None:
                return Refusal(path, f"is protected ({why})")
        found = self.ancestor(path)
        if found is not None:
            return Refusal(path, f"is under {found[0]}, which is {found[1]}")
        return None


def ownership_refusal(op: str, current: Obj | None, owner: str, *, adopt: bool = False
                      ) -> str | None:
    """Why `owner` may not do `op` (create|update|delete|replace) to the live object `current`
    (None: absent), or None. A phrase to follow the path."""
    if current is None:
        return None
    tag = owner_of(current)
    if tag is not None and tag != owner:
        return f"is owned by nsxplan owner {tag!r}, not {owner!r}"
    if tag == owner:
        return None
    if op == "delete":
        return f"is not tagged {OWNER_SCOPE}={owner}"
    if op == "replace" and not adopt:
        return f"is not tagged {OWNER_SCOPE}={owner} and the replace does not adopt it"
    if op == "update" and not adopt:
        return f"is not tagged {OWNER_SCOPE}={owner} and the update does not adopt it"
    return None
