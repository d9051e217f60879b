"""Apply reporters: how an apply tells the outside world what it is doing.

The executor and the rollback call one Reporter (resolvelib's BaseReporter pattern); the journal
is one reporter, the stderr line display another, and `Reporters` fans out to several. Every
method has a no-op default so a reporter implements only what it cares about.

Calls may come from worker threads: `Reporters` serializes them, so a reporter never sees two
calls at once and the journal's lines never interleave.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import IO, Any

from nsxplan.apply.records import Step, StepResult, UndoItem, UndoResult


class Reporter:
    """The reporter protocol, with do-nothing defaults."""

    def start(self, header: Mapping[str, Any], total: int) -> None:
        """Before the first step; `header` describes the run (target, owner, plan digest)."""

    def step_started(self, step: Step, pre_image: Mapping[str, Any] | None) -> None:
        """Just before the write is sent (after the pre-image was read)."""

    def step_waiting(self, step: Step, state: str, waited: float) -> None:
        """After each realization poll that did not finish the step: NSX's state so far and
        the seconds since the wait began (a Tier-1 on a busy edge can take minutes)."""

    def step_finished(self, result: StepResult) -> None:
        """After the write and its realization wait (or after it was refused)."""

    def refresh_started(self, target: str) -> None:
        """Before the live state is read (plan, drift, apply of a configuration)."""

    def refresh_finished(self, objects: int, requests: int, seconds: float) -> None:
        """After the live state was read."""

    def rollback_started(self, count: int, reason: str) -> None:
        """Before undoing `count` steps."""

    def rollback_step_started(self, item: UndoItem, operation: str,
                              body: Mapping[str, Any] | None) -> None:
        """Just before an inverse write is sent."""

    def rollback_step_finished(self, result: UndoResult) -> None:
        """After an inverse step (including 'nothing to undo')."""

    def rollback_finished(self, result: Any) -> None:
        """After the rollback and its verification (a RollbackResult)."""

    def summary(self, result: Any) -> None:
        """The end of the run (an ApplyResult or a RollbackResult)."""


class Reporters(Reporter):
    """Fans each call out to several reporters, one call at a time."""

    def __init__(self, reporters: Iterable[Reporter | None]):
        self._reporters = [r for r in reporters if r is not None]
        self._lock = threading.Lock()

    def _each(self, name: str, *args: Any) -> None:
        with self._lock:
            for r in self._reporters:
                getattr(r, name)(*args)

    def start(self, header: Mapping[str, Any], total: int) -> None:
        self._each("start", header, total)

    def step_started(self, step: Step, pre_image: Mapping[str, Any] | None) -> None:
        self._each("step_started", step, pre_image)

    def step_waiting(self, step: Step, state: str, waited: float) -> None:
        self._each("step_waiting", step, state, waited)

    def step_finished(self, result: StepResult) -> None:
        self._each("step_finished", result)

    def refresh_started(self, target: str) -> None:
        self._each("refresh_started", target)

    def refresh_finished(self, objects: int, requests: int, seconds: float) -> None:
        self._each("refresh_finished", objects, requests, seconds)

    def rollback_started(self, count: int, reason: str) -> None:
        self._each("rollback_started", count, reason)

    def rollback_step_started(self, item: UndoItem, operation: str,
                              body: Mapping[str, Any] | None) -> None:
        self._each("rollback_step_started", item, operation, body)

    def rollback_step_finished(self, result: UndoResult) -> None:
        self._each("rollback_step_finished", result)

    def rollback_finished(self, result: Any) -> None:
        self._each("rollback_finished", result)

    def summary(self, result: Any) -> None:
        self._each("summary", result)


class LineReporter(Reporter):
    """One stderr line per step as it starts and as it ends, then a summary:

        [ 3/12] + tier0s.vcf-t0.static_routes.x ...
        [ 3/12] + tier0s.vcf-t0.static_routes.x ... ok (0.4s)
    """

    WAIT_NOTE_EVERY = 30.0    # a CI log is never silent for minutes while NSX realizes

    def __init__(self, out: IO[str] | Callable[[str], None] | None = None, *,
                 summary: bool = True):
        """`out`: a text stream, a function taking one line (the CLI's note), or None for
        stderr (resolved at each line, so a swapped sys.stderr is honoured). `summary=False`
        when the caller prints the result itself (the CLI puts it on stdout)."""
        self._out = out
        self._total = 0
        self._summary = summary
        self._wait_noted: dict[int, int] = {}

    def _line(self, text: str) -> None:
        if callable(self._out):
            self._out(text)
            return
        stream = self._out if self._out is not None else sys.stderr
        stream.write(text + "\n")
        stream.flush()

    def _prefix(self, step: Step) -> str:
        width = len(str(self._total))
        return f"[{step.seq:>{width}}/{self._total}] {step.symbol} {step.label}"

    def start(self, header: Mapping[str, Any], total: int) -> None:
        self._total = total
        journal = header.get("journal")
        self._line(f"Applying {total} step(s) to {header.get('target')}"
                   + (f"; journal: {journal}" if journal else ""))

    def step_started(self, step: Step, pre_image: Mapping[str, Any] | None) -> None:
        self._line(f"{self._prefix(step)} ...")

    def step_waiting(self, step: Step, state: str, waited: float) -> None:
        bucket = int(waited // self.WAIT_NOTE_EVERY)
        if bucket > self._wait_noted.get(step.seq, 0):
            self._wait_noted[step.seq] = bucket
            self._line(f"{self._prefix(step)} ... still waiting for realization of "
                       f"{step.path} ({state}, {int(waited)} s)")

    def step_finished(self, result: StepResult) -> None:
        outcome = "ok" if result.ok else f"FAILED: {result.error}"
        self._line(f"{self._prefix(result.step)} ... {outcome} ({result.elapsed:.1f}s)")

    def rollback_started(self, count: int, reason: str) -> None:
        self._line(f"Rolling back {count} step(s): {reason}")

    def rollback_step_finished(self, result: UndoResult) -> None:
        if result.outcome == "skipped":
            self._line(f"  undo {result.item.path}: nothing to undo")
            return
        if result.outcome == "conflict":
            self._line(f"  undo {result.item.path}: CONFLICT: {result.error}")
            return
        outcome = "ok" if result.ok else f"FAILED: {result.error}"
        self._line(f"  undo {result.operation} {result.item.path} ... {outcome}")

    def summary(self, result: Any) -> None:
        if not self._summary:
            return
        for line in result.lines():
            self._line(line)
