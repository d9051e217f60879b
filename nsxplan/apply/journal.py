"""The apply journal: append-only JSON lines, fsync'd around every write to NSX.

It is what `nsxplan rollback JOURNAL` works from after a crash (kill -9), so every line is on
disk before the write it announces is sent (`begin`, carrying the pre-image) and after NSX
answered (`end`). Records, one JSON object per line, each with `type`:

  header         format, nsxplan_version, target, owner, plan_digest, config_digest, started, steps
  begin          seq, address, kind, action, op, method, path, pre_image, body, time
  end            seq, address, path, outcome (ok|failed), error, realized, landed, revision,
                 unique_id, elapsed, time
  rollback_start count, reason, time
  undo_begin     seq, path, operation (delete|restore|re-create), body, time
  undo_end       seq, path, operation, outcome (ok|failed|skipped|conflict), error, revision,
                 unique_id, time

`landed` is decided from NSX's state (true, false, or null: unknown); `revision` and `unique_id`
are what a landed write left on the object, read back from NSX: rollback treats any other
version of the object as someone else's edit and leaves it alone (outcome `conflict`).
  rollback_end   restored, left[{path, differences}], time
  final          status, message, time

Credentials never reach the journal: nsxplan bodies hold none (NSX never returns secrets on GET),
and as a second line of defence any key that looks like a secret is replaced by "<redacted>".
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nsxplan.apply.executor import Client
from nsxplan.apply.records import (
    Mark,
    RollbackResult,
    Step,
    StepResult,
    UndoItem,
    UndoResult,
)
from nsxplan.apply.report import Reporter, Reporters
from nsxplan.apply.rollback import undo
from nsxplan.durable import fsync_dir
from nsxplan.errors import ApplyError, JournalError, Problem
from nsxplan.plan.model import CREATE, DELETE
from nsxplan.redact import redact_keys

FORMAT = "nsxplan-journal/1"


def utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _lock_exclusively(fd: int, path: Path) -> None:
    """One writer per journal, for as long as it is open: `nsxplan rollback JOURNAL` run from
    another terminal while the apply is still writing (it looked stuck) would undo objects under
    the apply's feet, and two applies given the same --journal would interleave. The lock goes
    with the process (kill -9 included), so a crashed apply never blocks its own rollback."""
    try:
        import fcntl
    except ImportError:      # not POSIX: no locking
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise JournalError(Problem(
            f"journal {path} is in use by another nsxplan apply or rollback",
            hint="wait for it to finish (its last lines say how it ended), then run the "
                 "command again; nothing was changed")) from None


class Journal(Reporter):
    """A reporter that appends records to the journal file, durably."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            created = not self.path.exists()
            # 0600: pre-images reveal topology, like saved plans. Append mode: a crash can cut
            # at most the line being written, and read_journal ignores a torn last line.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        except OSError as exc:
            # Raised before the first write: refusing is safe, applying without a journal is not.
            raise ApplyError(f"cannot write journal {self.path}: {exc.strerror or exc}",
                             hint="pass --journal FILE in a writable directory; "
                                  "nothing was changed") from None
        _lock_exclusively(fd, self.path)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._lock = threading.Lock()
        if created:
            fsync_dir(self.path.parent)

    def write(self, record: Mapping[str, Any]) -> None:
        line = json.dumps(redact_keys(dict(record)), sort_keys=False, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()
            os.fsync(self._file.fileno())

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reporter hooks -------------------------------------------------------------------
    def start(self, header: Mapping[str, Any], total: int) -> None:
        self.write({"type": "header", "format": FORMAT, **header, "steps": total})

    def step_started(self, step: Step, pre_image: Mapping[str, Any] | None) -> None:
        self.write({"type": "begin", "seq": step.seq, "address": step.address,
                    "kind": step.action.kind, "action": step.action.action, "op": step.op,
                    "method": step.method, "path": step.path, "pre_image": pre_image,
                    "body": step.body, "time": utc_now()})

    def step_finished(self, result: StepResult) -> None:
        self.write({"type": "end", "seq": result.step.seq, "address": result.step.address,
                    "path": result.step.path, "outcome": "ok" if result.ok else "failed",
                    "error": result.error, "realized": result.realized, "landed": result.landed,
                    "revision": result.revision, "unique_id": result.unique_id,
                    "elapsed": round(result.elapsed, 3), "time": utc_now()})

    def rollback_started(self, count: int, reason: str) -> None:
        self.write({"type": "rollback_start", "count": count, "reason": reason,
                    "time": utc_now()})

    def rollback_step_started(self, item: UndoItem, operation: str,
                              body: Mapping[str, Any] | None) -> None:
        self.write({"type": "undo_begin", "seq": item.seq, "path": item.path,
                    "operation": operation, "body": body, "time": utc_now()})

    def rollback_step_finished(self, result: UndoResult) -> None:
        self.write({"type": "undo_end", "seq": result.item.seq, "path": result.item.path,
                    "operation": result.operation, "outcome": result.outcome,
                    "error": result.error, "revision": result.revision,
                    "unique_id": result.unique_id, "time": utc_now()})

    def rollback_finished(self, result: Any) -> None:
        self.write({"type": "rollback_end", "restored": result.restored,
                    "left": [{"path": lo.path, "differences": lo.differences}
                             for lo in result.left], "time": utc_now()})

    def summary(self, result: Any) -> None:
        self.write({"type": "final", "status": result.status, "message": result.headline(),
                    "time": utc_now()})


@dataclass
class JournalContents:
    path: Path
    header: dict[str, Any] | None = None
    records: list[dict[str, Any]] = field(default_factory=list)

    def of_type(self, kind: str) -> Iterator[dict[str, Any]]:
        return (r for r in self.records if r.get("type") == kind)


def read_journal(path: Path | str) -> JournalContents:
    """Parse a journal; a torn last line (crash mid-write) is ignored, any other bad line is an
    error (the file is not a journal, or was edited)."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise JournalError(Problem(f"cannot read journal {p}: {exc.strerror}",
                                 hint="pass the journal path `nsxplan apply` printed")) from exc
    contents = JournalContents(p)
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if n == len(lines):
                break
            raise JournalError(Problem(f"{p}:{n}: not a journal line ({exc.msg})",
                                     hint="pass the journal path `nsxplan apply` printed")
                             ) from exc
        if not isinstance(record, dict):
            raise JournalError(Problem(f"{p}:{n}: not a journal record"))
        if record.get("type") == "header" and contents.header is None:
            contents.header = record
        contents.records.append(record)
    if contents.header is None or contents.header.get("format") != FORMAT:
        raise JournalError(Problem(f"{p}: not an nsxplan journal (no `{FORMAT}` header)",
                                 hint="pass the journal path `nsxplan apply` printed"))
    return contents


def read_header(path: Path | str) -> dict[str, Any]:
    """The journal's header record (target, owner, plan digest, ...)."""
    header = read_journal(path).header
    assert header is not None  # read_journal refuses a journal without one
    return header


def items_from_journal(records: Iterable[Mapping[str, Any]]) -> list[UndoItem]:
    """Every step the apply started, in the order started, with what its `end` says: landed
    (true, false, unknown: a crash between `begin` and `end`) and the revision it produced.
    Steps that certainly did not land are kept: verification covers them too."""
    begins: list[Mapping[str, Any]] = []
    ends: dict[int, Mapping[str, Any]] = {}
    for r in records:
        if r.get("type") == "begin":
            begins.append(r)
        elif r.get("type") == "end":
            ends[_int(r.get("seq"))] = r
    items = []
    for b in begins:
        seq = _int(b.get("seq"))
        end = ends.get(seq, {})
        landed = end.get("landed") if end else None
        pre, body = b.get("pre_image"), b.get("body")
        items.append(UndoItem(
            seq, str(b.get("address", "")), str(b.get("path")),
            str(b.get("op", CREATE if pre is None else DELETE)),
            pre if isinstance(pre, Mapping) else None,
            body if isinstance(body, Mapping) else None,
            landed if isinstance(landed, bool) else None,
            _opt_int(end.get("revision")), _opt_str(end.get("unique_id")),
            str(b.get("action") or "")))
    return items


def marks_from_journal(records: Iterable[Mapping[str, Any]]) -> dict[str, list[Mark]]:
    """The states earlier rollback runs left on each path (so that a rollback stopped halfway
    and run again recognises its own writes): landed undo writes with their revision, and undo
    writes whose answer never came, by their body."""
    begun: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    out: dict[str, list[Mark]] = {}
    for r in records:
        key = (r.get("seq"), r.get("path"))
        if r.get("type") == "undo_begin":
            begun[key] = r
        elif r.get("type") == "undo_end":
            start = begun.pop(key, None)
            if start is None or r.get("outcome") != "ok":
                continue
            deleted = start.get("operation") == "delete"
            out.setdefault(str(r.get("path")), []).append(Mark(
                None if deleted else _mapping(start.get("body")), deleted,
                _opt_int(r.get("revision")), _opt_str(r.get("unique_id"))))
    for (_seq, path), start in begun.items():     # no end: the outcome was never known
        deleted = start.get("operation") == "delete"
        out.setdefault(str(path), []).append(
            Mark(None if deleted else _mapping(start.get("body")), deleted))
    return out


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _opt_int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> Mapping[str, Any] | None:
    return value if isinstance(value, Mapping) else None


def rollback_journal(journal_path: Path | str, client: Client, *, reporter: Reporter | None = None,
                     realization_timeout: float = 60.0, poll_interval: float = 0.2,
                     force: bool = False) -> RollbackResult:
    """Restore the pre-apply state recorded in a journal; appends its own records to it.
    `force`: overwrite objects changed since nsxplan wrote them (never the guard's refusals)."""
    contents = read_journal(journal_path)
    items = items_from_journal(contents.records)
    marks = marks_from_journal(contents.records)
    with Journal(contents.path) as journal:
        rep = Reporters([journal, reporter])
        header = contents.header or {}
        owner = header.get("owner") if isinstance(header.get("owner"), str) else None
        result = undo(items, client, rep, reason=f"nsxplan rollback {contents.path}",
                      realization_timeout=realization_timeout, poll_interval=poll_interval,
                      journal_path=contents.path, owner=owner, force=force, marks=marks)
        rep.summary(result)
    return result

