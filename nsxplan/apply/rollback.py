"""Undo: put back the pre-images of the steps an apply started, newest first, then verify.

Every inverse is decided against the object as it is NOW, which makes undo idempotent (run it
twice: the second run finds nothing to do) and lets one code path serve both the automatic
rollback after a failed apply and `nsxplan rollback JOURNAL` after a crash, where a step may have
`begin` but no `end`:

  same as the pre-image                     -> nothing to undo
  not what nsxplan left there               -> CONFLICT: left alone, reported (who, when)
  pre-image absent  (the step created it)   -> DELETE
  object now absent (the step deleted it)   -> PATCH the pre-image minus server fields (re-create)
  both present, different                   -> PUT the pre-image minus server fields, with the
                                               `_revision` nsxplan's own write produced

Never clobber: an object someone changed after nsxplan wrote it is theirs now. "What nsxplan
left there" is the `_revision` + `unique_id` its landed write produced (journaled), or, for a
write whose outcome was never known (a crash, a lost answer), an object showing every field that
write sent; absent after nsxplan's delete. Anything else is a conflict unless `force` is given,
and the PUT carries that `_revision`, so an edit racing the rollback gets NSX's 412, not lost.

Why PUT for updates: PATCH is a top-level merge, so a field the apply added that the pre-image
lacks (a description set for the first time, say) would survive a PATCH of the pre-image. PUT
replaces the object with exactly the pre-image, which is what "restored" means. The pre-image
is the complete object as GET returned it just before the write, so PUT loses nothing.

Nothing is written that the guard (nsxplan.guard) refuses: a journal is a file anyone with
access can edit, so each undo is checked like a saved plan's write (canonical /infra path,
nothing protected or under something protected, deletes and restores only of this owner's
objects).

Verification re-reads every path a write may have reached (landed, or outcome unknown) and
compares it with its earliest pre-image on the fields that matter: every field of the pre-image
plus every field the apply wrote (server bookkeeping fields excluded). "(verified)" is said only
when every one of them matches. A write counts as not landed only when NSX's state says so (see
nsxplan.outcome), never because a retry was refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nsxplan.apply.executor import Client, wait_realization
from nsxplan.apply.outcome import CHANGED, LANDED, matches_body, read_object, settle
from nsxplan.apply.records import (
    Leftover,
    Mark,
    RollbackResult,
    UndoItem,
    UndoOperation,
    UndoResult,
)
from nsxplan.apply.report import Reporter
from nsxplan.errors import NsxplanError
from nsxplan.nsx.guard import Guard, owner_of, path_problem, protection
from nsxplan.nsx.objects import OWNER_SCOPE, SERVER_FIELDS, modified_by, strip_server_fields
from nsxplan.plan.model import REPLACE


def _norm(field_name: str, value: Any) -> Any:
    # Tag order carries no meaning in NSX; everything else compares as is.
    if field_name == "tags" and isinstance(value, list):
        return sorted(value, key=lambda t: (str(t.get("scope", "")), str(t.get("tag", "")))
                      if isinstance(t, Mapping) else ("", str(t)))
    return value


def differences(expected: Mapping[str, Any] | None, actual: Mapping[str, Any] | None,
                fields: Iterable[str] = ()) -> list[str]:
    """What differs between the expected object (None = absent) and the live one, one phrase
    each. Compared: the expected object's own fields plus `fields`, server fields excluded."""
    if expected is None and actual is None:
        return []
    if expected is None:
        return ["exists, but did not before the apply"]
    if actual is None:
        return ["is missing, but existed before the apply"]
    keys = (set(expected) | set(fields)) - SERVER_FIELDS
    found = []
    for key in sorted(keys):
        before, now = _norm(key, expected.get(key)), _norm(key, actual.get(key))
        if before != now:
            found.append(f"{key}: live {now!r}, before {before!r}")
    return found


def undo(items: Sequence[UndoItem], client: Client, reporter: Reporter, *, reason: str,
         realization_timeout: float = 60.0, poll_interval: float = 0.2,
         journal_path: Path | None = None, owner: str | None = None, force: bool = False,
         marks: Mapping[str, Sequence[Mark]] | None = None) -> RollbackResult:
    """Undo `items` (every write the apply started, in the order started) newest first, then
    verify. `marks`: states of each path that earlier rollback runs produced (journal replay).

    A signal (Ctrl-C, SIGTERM: KeyboardInterrupt) during the undo stops it at once: the result
    says so, is not verified, and the journal tells `nsxplan rollback` where to pick up."""
    # A write that certainly did not land (refused before sending, NSX's atomic 4xx, or the
    # object read back unchanged) changed nothing: neither undone nor verified. What someone
    # else did to that object meanwhile is theirs.
    items = [i for i in items if i.landed is not False]
    # One inverse per path, back to the path's EARLIEST pre-image: a replace (DELETE then PATCH
    # of one path) is undone by one restore, and a second run finds nothing to do. Paths are
    # undone in reverse order of their last write, so children go before parents on the way
    # back from creates and parents before children on the way back from deletes.
    groups = _by_path(items)
    last_write = {item.path: n for n, item in enumerate(items)}
    order = sorted(groups, key=last_write.__getitem__, reverse=True)
    guard = Guard(_object_reader(client))
    undone: list[UndoResult] = []
    try:
        reporter.rollback_started(len(items), reason)
        for path in order:
            group = groups[path]
            bad = path_problem(path)
            if bad is not None:
                # Not even read: an HTTP client collapses `..` and would reach another object.
                refused = UndoResult(group[0], "none", "failed",
                                     f"{path!r} {bad}; nsxplan never reads or writes it")
                reporter.rollback_step_finished(refused)
                undone.append(refused)
                continue
            known = [m for m in (i.mark() for i in group) if m is not None]
            known += list((marks or {}).get(path, ()))
            undone.append(_undo_one(group, known, client, reporter, realization_timeout,
                                    poll_interval, owner, guard, force))
        left = verify(items, client)
    except KeyboardInterrupt as exc:
        result = RollbackResult(restored=False, undone=undone, journal_path=journal_path,
                                interrupted=int(getattr(exc, "signum", 2)))
        reporter.rollback_finished(result)
        return result
    result = RollbackResult(restored=not left, undone=undone, left=left,
                            journal_path=journal_path)
    reporter.rollback_finished(result)
    return result


def _object_reader(client: Client) -> Any:
    def lookup(path: str) -> Mapping[str, Any] | None:
        obj = read_object(client, path)
        # A collection's list answer is not an object (and so protects nothing).
        return obj if obj and obj.get("path") in (None, path) and "results" not in obj else None

    return lookup


def _by_path(items: Sequence[UndoItem]) -> dict[str, list[UndoItem]]:
    groups: dict[str, list[UndoItem]] = {}
    for item in items:
        groups.setdefault(item.path, []).append(item)
    return groups


def _undo_one(group: Sequence[UndoItem], known: Sequence[Mark], client: Client,
              reporter: Reporter, timeout: float, poll_interval: float, owner: str | None,
              guard: Guard, force: bool) -> UndoResult:
    item = group[0]
    fields = _written_fields(group)
    operation: UndoOperation = "none"
    try:
        current = read_object(client, item.path)
        if not differences(item.pre_image, current, fields):
            result = UndoResult(item, "none", "skipped")
            reporter.rollback_step_finished(result)
            return result
        refusal = _refusal(group, current, owner, guard)
        if refusal is not None:
            result = UndoResult(item, "none", "failed", refusal)
            reporter.rollback_step_finished(result)
            return result
        if not force and not is_ours(current, known):
            result = UndoResult(item, "none", "conflict", _conflict(item.path, current, known))
            reporter.rollback_step_finished(result)
            return result
        body: dict[str, Any] | None
        if item.pre_image is None:
            operation, body, method = "delete", None, "DELETE"
        elif current is None:
            operation, body, method = "re-create", strip_server_fields(item.pre_image), "PATCH"
        else:
            operation, method = "restore", "PUT"
            body = {**strip_server_fields(item.pre_image), "_revision": current.get("_revision")}
        reporter.rollback_step_started(item, operation, body)
        outcome = settle(client, method, item.path, body, pre=current)
        if outcome.state == CHANGED:
            result = UndoResult(item, operation, "conflict",
                                outcome.conflict_text(item.path) + "; left alone")
        elif getattr(outcome.error, "status", None) == 412:
            # The restore carried nsxplan's own `_revision`: someone wrote in between the read
            # and the PUT. Theirs now, like any later edit.
            result = UndoResult(item, operation, "conflict",
                                f"{item.path} changed while nsxplan was restoring it (NSX 412); "
                                "left alone")
        elif outcome.state != LANDED:
            result = UndoResult(item, operation, "failed", str(outcome.error or "unknown"),
                                deleted=operation == "delete", body=body)
        else:
            ok, state, message = wait_realization(
                client, item.path, deleted=operation == "delete", timeout=timeout,
                poll_interval=poll_interval)
            # The intent is what rollback restores; a realization problem is reported, and
            # verification (on intent) decides whether the object counts as restored.
            result = UndoResult(item, operation, "ok", None if ok else f"realization: {message}",
                                state, outcome.revision, outcome.unique_id,
                                operation == "delete", body)
    except NsxplanError as exc:
        result = UndoResult(item, operation, "failed",
                            exc.problems[0].message if exc.problems else str(exc))
    reporter.rollback_step_finished(result)
    return result


def is_ours(current: Mapping[str, Any] | None, known: Iterable[Mark]) -> bool:
    """Is `current` a state nsxplan itself left at this path (see the module docstring)?"""
    for mark in known:
        if mark.deleted:
            if current is None:
                return True
            continue
        if current is None:
            continue
        if mark.revision is not None:
            if current.get("_revision") == mark.revision and (
                    not mark.unique_id or current.get("unique_id") in (None, mark.unique_id)):
                return True
        elif matches_body(current, mark.body):
            return True
    return False


def _conflict(path: str, current: Mapping[str, Any] | None, known: Sequence[Mark]) -> str:
    ours = next((m.revision for m in reversed(known) if m.revision is not None), None)
    if current is None:
        what = f"{path} was deleted by someone else after nsxplan wrote it"
    elif ours is not None:
        what = (f"{path} changed since nsxplan wrote it (_revision {ours} -> "
                f"{current.get('_revision')}, {modified_by(current)})")
    elif not known:
        what = (f"{path} is not what this apply left there (_revision "
                f"{current.get('_revision')}, {modified_by(current)})")
    else:
        what = (f"{path} changed since nsxplan wrote it (now _revision "
                f"{current.get('_revision')}, {modified_by(current)})")
    return f"{what}; left alone"


def _refusal(group: Sequence[UndoItem], current: Mapping[str, Any] | None,
             owner: str | None, guard: Guard) -> str | None:
    """Why undo must not write this path at all (force or not), or None."""
    item = group[0]
    refused = guard.refusal(item.path, current)
    if refused is not None and refused.phrase.startswith("is protected"):
        return f"{item.path} is now {refused.phrase.removeprefix('is ')}; nsxplan never writes it"
    if refused is not None:
        return f"{refused}; nsxplan never writes it"
    why = protection(item.pre_image)
    if why is not None:
        # Only an edited journal says nsxplan changed a protected object: never re-create one.
        return f"{item.path} was protected before the apply ({why}); nsxplan never writes it"
    if owner is None:
        return f"{item.path}: the journal names no owner; nsxplan writes only what an owner owns"
    tag = owner_of(current)
    if tag is not None and tag != owner:
        return f"{item.path} is owned by nsxplan owner {tag!r}, not {owner!r}; never written"
    before = owner_of(item.pre_image)
    if before is not None and before != owner:
        return f"{item.path} was owned by nsxplan owner {before!r}, not {owner!r}; never written"
    if current is not None and tag != owner:
        # Every write nsxplan makes carries its owner tag: an object without it now is not
        # one this apply left behind (a journal edited to "undo" an administrator's object).
        what = "deletes" if item.pre_image is None else "restores"
        return (f"{item.path} is not tagged {OWNER_SCOPE}={owner}; nsxplan {what} only "
                "objects it owns")
    if current is None and before != owner and not any(i.action == REPLACE for i in group):
        return (f"{item.path} was not tagged {OWNER_SCOPE}={owner} before the apply; nsxplan "
                "re-creates only objects it deleted")
    return None


def _written_fields(items: Iterable[UndoItem]) -> set[str]:
    written: set[str] = set()
    for item in items:
        written.update(item.body or {})
    return written - {"_revision"}


def verify(items: Sequence[UndoItem], client: Client) -> list[Leftover]:
    """Re-read every touched path; compare with its state before the apply's first write."""
    left = []
    for path, group in _by_path(items).items():
        earliest = group[0]
        bad = path_problem(path)
        if bad is not None:
            left.append(Leftover(path, earliest.address, [f"{bad}: not read"]))
            continue
        try:
            current = read_object(client, path)
        except NsxplanError as exc:
            left.append(Leftover(path, earliest.address, [f"could not re-read: {exc}"]))
            continue
        diff = differences(earliest.pre_image, current, _written_fields(group))
        if diff:
            left.append(Leftover(path, earliest.address, diff))
    return left


