"""Undo: put back the pre-images of the steps an apply started, newest first, then verify.

Every inverse is decided against the object as it is NOW, which makes undo idempotent (run it
twice: the second run finds nothing to do) and lets one code path serve both the automatic
rollback after a failed apply and `nsxplan rollback JOURNAL` after a crash, where a step may have
`begin` but no `end`:

  pre-image absent  (the step created it)   -> DELETE if it exists
  object now absent (the step deleted it)   -> PATCH the pre-image minus server fields (re-create)
  both present, different                   -> PUT the pre-image minus server fields, with the
                                               CURRENT `_revision`
  same as the pre-image                     -> nothing to undo

Why PUT for updates: PATCH is a top-level merge, so a field the apply added that the pre-image
lacks (a description set for the first time, say) would survive a PATCH of the pre-image. PUT
replaces the object with exactly the pre-image, which is what "restored" means. The pre-image
is the complete object as GET returned it just before the write, so PUT loses nothing.

Verification re-reads every touched path and compares it with its earliest pre-image on the
fields that matter: every field of the pre-image plus every field the apply wrote (server
bookkeeping fields excluded), so a field the server fills in by default does not count as a
difference but anything nsxplan changed does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from nsxplan.apply.executor import Client, is_protected, read_object, wait_realization
from nsxplan.apply.records import Leftover, RollbackResult, UndoItem, UndoResult
from nsxplan.apply.report import Reporter
from nsxplan.errors import NsxplanError
from nsxplan.nsx.kinds import gateway_of
from nsxplan.nsx.objects import OWNER_SCOPE, SERVER_FIELDS, strip_server_fields
from nsxplan.nsx.ownership import owner_of


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
         journal_path: Path | None = None, owner: str | None = None) -> RollbackResult:
    """Undo `items` (given in the order they were started) newest first, then verify.

    With `owner`, an object is deleted only when it carries that owner tag: everything an
    apply creates does, and a journal edited to call someone else's object "created" must not
    get it deleted."""
    reporter.rollback_started(len(items), reason)
    # One inverse per path, back to the path's EARLIEST pre-image: a replace (DELETE then PATCH
    # of one path) is undone by one restore, and a second run finds nothing to do. Paths are
    # undone in reverse order of their last write, so children go before parents on the way
    # back from creates and parents before children on the way back from deletes.
    groups = _by_path(items)
    last_write = {item.path: n for n, item in enumerate(items)}
    order = sorted(groups, key=last_write.__getitem__, reverse=True)
    guard = AncestorGuard(client)
    undone = [_undo_one(groups[path][0], _written_fields(groups[path]), client, reporter,
                        realization_timeout, poll_interval, owner, guard) for path in order]
    left = verify(items, client)
    result = RollbackResult(restored=not left, undone=undone, left=left,
                            journal_path=journal_path)
    reporter.rollback_finished(result)
    return result


def _by_path(items: Sequence[UndoItem]) -> dict[str, list[UndoItem]]:
    groups: dict[str, list[UndoItem]] = {}
    for item in items:
        groups.setdefault(item.path, []).append(item)
    return groups


def _undo_one(item: UndoItem, fields: set[str], client: Client, reporter: Reporter,
              timeout: float, poll_interval: float, owner: str | None = None,
              guard: AncestorGuard | None = None) -> UndoResult:
    operation = "none"
    try:
        current = read_object(client, item.path)
        if not differences(item.pre_image, current, fields):
            result = UndoResult(item, "none", "skipped")
            reporter.rollback_step_finished(result)
            return result
        refusal = _refusal(item, current, owner) or (guard.refusal(item.path) if guard else None)
        if refusal is not None:
            result = UndoResult(item, "none", "failed", refusal)
            reporter.rollback_step_finished(result)
            return result
        body: dict[str, Any] | None
        if item.pre_image is None:
            operation, body = "delete", None
        elif current is None:
            operation, body = "re-create", strip_server_fields(item.pre_image)
        else:
            operation = "restore"
            body = {**strip_server_fields(item.pre_image), "_revision": current.get("_revision")}
        reporter.rollback_step_started(item, operation, body)
        if operation == "delete":
            client.delete(item.path)
        elif operation == "re-create":
            client.patch(item.path, body or {})
        else:
            client.put(item.path, body or {})
        ok, state, message = wait_realization(
            client, item.path, deleted=operation == "delete", timeout=timeout,
            poll_interval=poll_interval)
        # The intent is what rollback restores; a realization problem is reported, and
        # verification (on intent) decides whether the object counts as restored.
        result = UndoResult(item, operation, "ok", None if ok else f"realization: {message}",
                            state)
    except NsxplanError as exc:
        result = UndoResult(item, operation, "failed",
                            exc.problems[0].message if exc.problems else str(exc))
    reporter.rollback_step_finished(result)
    return result


class AncestorGuard:
    """Refuses writes under a protected ancestor (a journal edited to re-create a child of NCP's
    Tier-1 would change NCP's Tier-1). The ancestors nsxplan's kinds can have are the gateway
    and a NAT section; each is read once per rollback (collections are never listed)."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._seen: dict[str, bool] = {}

    def refusal(self, path: str) -> str | None:
        for parent in _object_ancestors(path):
            if parent not in self._seen:
                self._seen[parent] = is_protected(read_object(self._client, parent))
            if self._seen[parent]:
                return f"{path} is under protected {parent}; nsxplan never writes there"
        return None


def _object_ancestors(path: str) -> list[str]:
    gateway = gateway_of(path)
    if gateway is None or gateway == path:
        return []
    out = [gateway]
    rest = path[len(gateway):].split("/")          # ['', 'nat', 'USER', 'nat-rules', 'r']
    if len(rest) > 3 and rest[1] == "nat":
        out.append(f"{gateway}/nat/{rest[2]}")
    return out


def _refusal(item: UndoItem, current: Mapping[str, Any] | None, owner: str | None
             ) -> str | None:
    """Why undo must not write this object, or None."""
    if is_protected(current):
        return f"{item.path} is now protected; nsxplan never writes it"
    if is_protected(item.pre_image):
        # Only an edited journal says nsxplan changed a protected object: never re-create one.
        return f"{item.path} was protected before the apply; nsxplan never writes it"
    tag = owner_of(current) if current is not None else None
    if owner is not None and tag is not None and tag != owner:
        return f"{item.path} is owned by nsxplan owner {tag!r}, not {owner!r}; never written"
    if (item.pre_image is None and current is not None and owner is not None
            and tag != owner):
        return (f"{item.path} is not tagged {OWNER_SCOPE}={owner}; nsxplan deletes only "
                "objects it owns")
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
        try:
            current = read_object(client, path)
        except NsxplanError as exc:
            left.append(Leftover(path, earliest.address, [f"could not re-read: {exc}"]))
            continue
        diff = differences(earliest.pre_image, current, _written_fields(group))
        if diff:
            left.append(Leftover(path, earliest.address, diff))
    return left


