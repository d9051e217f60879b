"""Plan data: frozen actions with before/after, field diffs, checks; JSON round trip.

Renderers, apply and saved plan files all consume these objects (Terraform's plans.Change,
alembic's operation objects). Planning logic lives in plan/planner.py; this module is only data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from nsxplan.errors import Source

FORMAT_VERSION = 2           # what this nsxplan writes (plan/planfile.py)
READABLE_VERSIONS = (1, 2)   # what it reads: version 1 had every no-op in full

Op = Literal["create", "update", "delete", "replace", "no-op"]
"""What a plan does to one object (the `action` key of the plan JSON)."""

CREATE: Final = "create"
UPDATE: Final = "update"
DELETE: Final = "delete"
REPLACE: Final = "replace"
NOOP: Final = "no-op"
ACTIONS: tuple[Op, ...] = (CREATE, UPDATE, DELETE, REPLACE, NOOP)

# The one table of how an operation is shown: the text and Markdown renderers, the picture and
# apply's progress lines all read it.
SYMBOL: Final[Mapping[Op, str]] = {CREATE: "+", UPDATE: "~", DELETE: "-", REPLACE: "-/+",
                                   NOOP: " "}
VERB: Final[Mapping[Op, str]] = {CREATE: "create", UPDATE: "update", DELETE: "delete",
                                 REPLACE: "replace", NOOP: "no-op"}

CheckStatus = Literal["ok", "warn", "fail"]
Baseline = Literal["new", "left", "already", "fixed"]


def as_op(value: object) -> Op:
    """An operation read from outside (a plan file, a journal); ValueError when it is none."""
    for op in ACTIONS:
        if value == op:
            return op
    raise ValueError(f"unknown plan action {value!r}; expected one of {', '.join(ACTIONS)}")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str                 # dotted NSX field, e.g. "next_hops[0].ip_address", "tags"
    before: Any
    after: Any


@dataclass(frozen=True, kw_only=True, slots=True)
class Action:
    """One planned change to one NSX object.

    - `before`: the live object as read, server-managed fields dropped (None for create). It is the
      pre-image apply restores on rollback (re-create after delete, PUT/PATCH back after update).
    - `after`: the body apply sends (managed fields + the full tag list, foreign tags kept);
      None for delete. Never contains `_revision`: apply adds `revision` to updates.
    - `depends_on`: addresses of actions that must complete first (already reversed for deletes:
      a parent's delete depends on its children's deletes).
    """

    address: str               # e.g. "tier0s.vcf-t0.nat_rules.supervisor-egress"
    kind: str                  # NSX resource_type, e.g. "PolicyNatRule"
    path: str                  # NSX policy path
    action: Op
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    diff: tuple[FieldDiff, ...] = ()
    revision: int | None = None        # `_revision` read at plan time (None: object absent)
    source: Source | None = None       # where the configuration declares it (None for deletes)
    depends_on: tuple[str, ...] = ()
    reason: str = ""                   # why, in words (e.g. "owned by tanzu-egress, not in config")
    adopt: bool = False                # update that only adds the owner tag to an existing object
    modified_user: str | None = None   # who changed the live object last (`_last_modified_user`)
    modified_time: str | None = None   # and when (ISO 8601 UTC)


@dataclass(frozen=True)
class Unmanaged:
    """A live object under a managed gateway that nsxplan leaves alone."""

    path: str
    kind: str
    reason: str                # e.g. "created by wcp-cluster-user-… (NCP), protected"
    created_by: str | None = None
    rogue: bool = False        # made by hand where this configuration manages such objects
    modified_user: str | None = None
    modified_time: str | None = None


@dataclass(frozen=True, kw_only=True)
class Check:
    id: str                    # e.g. "dns.return-route", "egress.tier0-nat"
    status: CheckStatus
    subject: str               # e.g. "DNS server 10.27.51.10"
    message: str
    remediation: str | None = None
    source: Source | None = None
    paths: tuple[str, ...] = ()        # objects (or path prefixes) the check looked at
    was: CheckStatus | None = None     # status on the live state before the plan (None: n/a)
    baseline: Baseline | None = None   # checks/baseline.py
    waiver: str | None = None          # why a `waivers:` entry accepts it, and until when

    @property
    def blocks_at(self) -> CheckStatus | None:
        """The status that counts toward --fail-on-checks: a failure that was already there and
        that this plan does not touch, or a waived one, counts as nothing."""
        if self.waiver or self.baseline == "already":
            return None
        return self.status

    @property
    def pages(self) -> bool:
        """`drift` exits 2 for it: failing on NSX now (or after the plan), not waived."""
        return self.waiver is None and "fail" in (self.status, self.was)


@dataclass(frozen=True)
class Plan:
    target: str
    owner: str
    config_digest: str
    created_at: str            # ISO 8601 UTC
    nsxplan_version: str
    actions: tuple[Action, ...] = ()
    unmanaged: tuple[Unmanaged, ...] = ()
    checks: tuple[Check, ...] = ()
    config_files: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION
    meta: Mapping[str, Any] = field(default_factory=dict)   # e.g. {"nsx_version": "3.2.3"}

    @property
    def changes(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.action != NOOP)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    def summary(self) -> dict[str, int]:
        count = {k: sum(1 for a in self.actions if a.action == k) for k in ACTIONS}
        return {
            "create": count[CREATE],
            "update": count[UPDATE],
            "delete": count[DELETE],
            "replace": count[REPLACE],
            "unchanged": count[NOOP],
            "unmanaged": len(self.unmanaged),
            "checks_failed": sum(1 for c in self.checks if c.status == "fail"),
            "checks_warned": sum(1 for c in self.checks if c.status == "warn"),
            # What `drift` pages on besides changes (scripts reading the JSON need not redo it).
            "checks_paging": sum(1 for c in self.checks if c.pages),
            "rogue": sum(1 for u in self.unmanaged if u.rogue),
        }


def evolve(a: Action, **changes: Any) -> Action:
    """dataclasses.replace for the planner's hot loop (twice per object): a copy of the frozen
    Action with some fields changed, without replace's per-call field introspection and
    re-validation (its fields were validated when `a` was built). Unknown names are refused
    like replace refuses them."""
    unknown = changes.keys() - _ACTION_FIELDS
    if unknown:
        raise TypeError(f"Action has no field {sorted(unknown)[0]!r}")
    new = object.__new__(Action)
    for name, slot in _ACTION_SLOTS:
        # The slot's own descriptor: a frozen dataclass refuses plain attribute assignment.
        slot.__set__(new, changes[name] if name in changes else slot.__get__(a))
    return new


# Action has slots (one per field, no per-instance dict): 50,000 of them are held per plan.
_ACTION_FIELDS: Final = frozenset(Action.__slots__)
_ACTION_SLOTS: Final = tuple((name, Action.__dict__[name]) for name in Action.__slots__)

