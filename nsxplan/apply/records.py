"""What an apply and a rollback produce, as data: the steps, their results, the undo items and
the overall outcome. A leaf within apply/: the executor, the rollback, the reporters and the
journal all import it and it imports none of them, which is what keeps them free of cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from nsxplan.errors import EXIT_ERROR, EXIT_OK, ApplyError, Problem
from nsxplan.plan.model import CREATE, DELETE, REPLACE, SYMBOL, UPDATE, Action


def signal_name(signum: int) -> str:
    return {2: "SIGINT", 15: "SIGTERM"}.get(signum, f"signal {signum}")


ApplyStatus = Literal["applied", "nothing-to-do", "rolled-back", "rollback-incomplete", "failed"]
APPLIED: Final = "applied"
NOTHING: Final = "nothing-to-do"
ROLLED_BACK: Final = "rolled-back"
ROLLBACK_INCOMPLETE: Final = "rollback-incomplete"
FAILED: Final = "failed"      # failed with rollback=False: left as is

WriteOp = Literal["create", "update", "delete"]     # what one write does (a replace is two)
Method = Literal["PATCH", "PUT", "DELETE"]
UndoOperation = Literal["delete", "restore", "re-create", "none"]
UndoOutcome = Literal["ok", "failed", "skipped", "conflict"]


@dataclass(frozen=True, kw_only=True)
class Step:
    seq: int                   # 1-based, plan order
    action: Action
    op: WriteOp                # what THIS write does
    method: Method
    body: Mapping[str, Any] | None
    depends: tuple[int, ...] = ()

    @property
    def path(self) -> str:
        return self.action.path

    @property
    def address(self) -> str:
        return self.action.address

    @property
    def symbol(self) -> str:
        if self.action.action == REPLACE:
            return "-/+"
        return SYMBOL[self.op]

    @property
    def label(self) -> str:
        if self.action.action == REPLACE:
            return f"{self.address} ({self.op})"
        return self.address


@dataclass
class StepResult:
    step: Step
    ok: bool
    error: str | None = None
    realized: str | None = None
    elapsed: float = 0.0
    # Did the write reach NSX? True: yes; False: certainly not (refused before sending, or NSX
    # answered 4xx, which it applies atomically); None: unknown (5xx, connection lost).
    landed: bool | None = False
    pre_image: Mapping[str, Any] | None = None
    problem: Problem | None = None
    # What the landed write produced (read back): rollback tells nsxplan's own version of the
    # object from a later edit by these. None when not known.
    revision: int | None = None
    unique_id: str | None = None


@dataclass(frozen=True)
class UndoItem:
    """One started write, as far as undo needs it (built from a StepResult or a journal)."""

    seq: int
    address: str
    path: str
    op: str                                  # create | update | delete (what the write did)
    pre_image: Mapping[str, Any] | None      # the object just before the write; None = absent
    body: Mapping[str, Any] | None = None    # what was written (None for a DELETE)
    landed: bool | None = None               # False: certainly not (verified, never undone)
    revision: int | None = None              # what the landed write produced, when known
    unique_id: str | None = None
    action: str = ""                         # the plan action (replace: DELETE + create)

    def mark(self) -> Mark | None:
        """What NSX showed right after this write, for telling nsxplan's state from a later
        edit; None when the write certainly did not land."""
        if self.landed is False:
            return None
        return Mark(None if self.op == DELETE else self.body, self.op == DELETE,
                    self.revision, self.unique_id)


@dataclass(frozen=True)
class Mark:
    """One state of an object that nsxplan itself produced (an apply step or an undo write)."""

    body: Mapping[str, Any] | None           # what was sent (outcome unknown: compare to it)
    deleted: bool = False                    # the write left the object absent
    revision: int | None = None              # known: the `_revision` it produced
    unique_id: str | None = None


@dataclass
class UndoResult:
    item: UndoItem
    operation: UndoOperation
    outcome: UndoOutcome    # conflict: someone else changed it since
    error: str | None = None
    realized: str | None = None
    revision: int | None = None     # what the undo write produced, when known
    unique_id: str | None = None
    deleted: bool = False           # the undo write left the object absent
    body: Mapping[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.outcome not in ("failed", "conflict")


@dataclass(frozen=True)
class Leftover:
    path: str
    address: str
    differences: list[str]


@dataclass
class RollbackResult:
    restored: bool
    undone: list[UndoResult] = field(default_factory=list)
    left: list[Leftover] = field(default_factory=list)
    journal_path: Path | None = None
    interrupted: int | None = None    # the signal that stopped the rollback (not verified)

    @property
    def status(self) -> str:
        if self.interrupted is not None:
            return "interrupted"
        return "restored" if self.restored else "incomplete"

    @property
    def conflicts(self) -> list[UndoResult]:
        return [u for u in self.undone if u.outcome == "conflict"]

    @property
    def ok(self) -> bool:
        return self.restored

    @property
    def exit_code(self) -> int:
        if self.interrupted is not None:
            return 128 + self.interrupted
        return 0 if self.restored else 1

    @property
    def summary(self) -> str:
        return "\n".join(self.lines())

    def headline(self) -> str:
        acted = sum(1 for u in self.undone if u.operation != "none" and u.outcome == "ok")
        if self.interrupted is not None:
            return (f"Rollback INTERRUPTED ({signal_name(self.interrupted)}) after "
                    f"{len(self.undone)} object(s): NSX is NOT verified to match its pre-apply "
                    "state.")
        if self.restored:
            done = f"{acted} object(s) put back" if acted else "nothing to undo"
            return (f"Rollback complete: {done}; every touched object matches its pre-apply "
                    f"state (verified).")
        return (f"Rollback INCOMPLETE: {len(self.left)} object(s) differ from their pre-apply "
                f"state.")

    def lines(self) -> list[str]:
        out = [self.headline()]
        for u in self.undone:
            if u.outcome == "conflict":
                out.append(f"  conflict: {u.error}")
            elif u.outcome == "failed":
                out.append(f"  undo {u.operation} {u.item.path} failed: {u.error}")
            elif u.error:
                out.append(f"  undo {u.operation} {u.item.path}: {u.error}")
        for lo in self.left:
            out.append(f"  left: {lo.path} ({lo.address}): " + "; ".join(lo.differences))
        if not self.restored and self.journal_path:
            out.append(f"  journal: {self.journal_path}")
            out.append(f"  restore the pre-apply state with: nsxplan rollback {self.journal_path}"
                       " (safe to run again)")
            if self.conflicts:
                out.append(f"  to overwrite the changes made since, after checking them: "
                           f"nsxplan rollback --force {self.journal_path}")
        return out

    def problems(self) -> list[Problem]:
        hint = (f"run `nsxplan rollback {self.journal_path}` to retry" if self.journal_path
                else None)
        return [Problem(f"{lo.path} not restored: " + "; ".join(lo.differences), hint=hint)
                for lo in self.left]


@dataclass
class ApplyResult:
    status: ApplyStatus
    results: list[StepResult] = field(default_factory=list)
    total_steps: int = 0
    rollback: RollbackResult | None = None
    journal_path: Path | None = None
    elapsed: float = 0.0
    requests: int = 0
    counts: Mapping[str, int] = field(default_factory=dict)
    interrupted: bool = False      # Ctrl-C/SIGTERM: nothing new was started after it
    signal: int | None = None      # which signal (SIGINT 2, SIGTERM 15)
    left_as_is: str | None = None  # why no rollback ran although one was due

    @property
    def ok(self) -> bool:
        return self.status in (APPLIED, NOTHING)

    @property
    def exit_code(self) -> int:
        """0 applied, 1 failed; interrupted: 128 + the signal (130 Ctrl-C, 143 SIGTERM),
        whether or not the rollback that followed completed."""
        if self.interrupted:
            return 128 + (self.signal or 2)
        return EXIT_OK if self.ok else EXIT_ERROR

    @property
    def failures(self) -> list[StepResult]:
        return [r for r in self.results if not r.ok]

    @property
    def not_run(self) -> int:
        return self.total_steps - len(self.results)

    def headline(self) -> str:
        if self.status == NOTHING:
            return "Nothing to apply: the plan has no changes."
        if self.status == APPLIED:
            c = self.counts
            return (f"Apply complete: {c.get(CREATE, 0)} created, {c.get(UPDATE, 0)} updated, "
                    f"{c.get(DELETE, 0)} deleted, {c.get(REPLACE, 0)} replaced "
                    f"({_count(self.total_steps, 'step')}, {self.elapsed:.1f}s, "
                    f"{_count(self.requests, 'request')}).")
        first = self.failures[0] if self.failures else None
        # NSX messages usually end with a full stop; one is added below.
        how = "Ctrl-C" if (self.signal or 2) == 2 else signal_name(self.signal or 2)
        failed = (f"Apply FAILED at {first.step.address}: {str(first.error).rstrip('. ')}"
                  if first else f"Apply INTERRUPTED ({how})")
        done = sum(1 for r in self.results if r.ok)
        if self.status == ROLLED_BACK:
            return (f"{failed}. Rolled back: NSX matches its pre-apply state on every touched "
                    f"object (verified).")
        if self.status == ROLLBACK_INCOMPLETE:
            assert self.rollback is not None
            if self.rollback.interrupted is not None:
                return f"{failed}. {self.rollback.headline()}"
            return (f"{failed}. Rollback INCOMPLETE: {len(self.rollback.left)} object(s) differ "
                    f"from their pre-apply state.")
        why = self.left_as_is or "--no-rollback"
        return (f"{failed}. Left as is ({why}): {done} of {self.total_steps} step(s) "
                f"applied.")

    def lines(self) -> list[str]:
        out = [self.headline()]
        for r in self.failures[1:]:
            out.append(f"  also failed: {r.step.address}: {r.error}")
        if self.not_run and not self.ok:
            out.append(f"  {self.not_run} step(s) not started.")
        if self.rollback is not None:
            out.extend(self.rollback.lines()[1:])
        if self.status == FAILED and self.journal_path:   # (an incomplete rollback says it)
            out.append(f"  journal: {self.journal_path}")
            out.append(f"  restore the pre-apply state with: nsxplan rollback {self.journal_path}")
        return out

    @property
    def summary(self) -> str:
        return "\n".join(self.lines())

    def problems(self) -> list[Problem]:
        return [Problem(line.strip()) for line in self.lines()]

    def raise_for_status(self) -> None:
        if not self.ok:
            raise ApplyError(self.problems())


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")

