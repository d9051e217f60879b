"""A live status line for a terminal: what refresh and apply are doing, redrawn in place.

    [3/12] ~ tier0s.vcf-t0.static_routes.r1 · waiting for realization of /infra/..., 40 s · 1:02

Finished steps (and rollback steps) are printed above it as permanent lines, the same lines
LineReporter prints, so the scrollback reads as a log; the status line itself is redrawn on every
event and twice a second by a ticker thread (elapsed time moves while NSX realizes), and cleared
at the end. Plain ANSI (carriage return, erase line): one line of state needs no library. Used
only when stderr is a terminal; anything else gets LineReporter's plain lines.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Mapping
from typing import IO, Any

from nsxplan.apply.records import Step, StepResult, UndoResult
from nsxplan.apply.report import LineReporter

CLEAR = "\r\x1b[K"


def clock_text(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"


class StatusReporter(LineReporter):
    """LineReporter's permanent lines plus one status line redrawn in place."""

    TICK = 0.5

    def __init__(self, stream: IO[str], *, clock: Callable[[], float] = time.monotonic,
                 width: int | None = None, ticker: bool = True):
        super().__init__(stream, summary=False)
        self._stream = stream
        self._clock = clock
        self._width = width
        self._ticker = ticker
        self._lock = threading.RLock()
        self._began: float | None = None
        self._phase = ""                     # what happens when no step is in flight
        self._done = 0
        self._running: dict[int, tuple[Step, str]] = {}     # seq -> (step, what it waits on)
        self._shown = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- drawing ----------------------------------------------------------------------------

    def status_text(self) -> str:
        """The status line as it reads now (without escape codes)."""
        with self._lock:
            elapsed = clock_text(self._clock() - self._began) if self._began is not None else ""
            if self._running:
                seq = min(self._running)
                step, waiting = self._running[seq]
                more = len(self._running) - 1
                what = (f"waiting for realization of {step.label}{waiting}" if waiting
                        else f"writing {step.label}")
                parts = [f"[{self._done}/{self._total}] {step.symbol} {what}"
                         + (f" (+{more} more in flight)" if more else "")]
            else:
                parts = [self._phase] if self._phase else []
            if elapsed:
                parts.append(elapsed)
            return " · ".join(p for p in parts if p)

    def _draw(self) -> None:
        text = self.status_text()
        columns = self._width or shutil.get_terminal_size((100, 24)).columns
        if len(text) > columns - 1:
            text = text[: max(10, columns - 2)] + "…"
        self._stream.write(CLEAR + text)
        self._stream.flush()
        self._shown = bool(text)

    def _line(self, text: str) -> None:
        """A permanent line above the status line."""
        with self._lock:
            self._stream.write(CLEAR + text + "\n")
            self._shown = False
            if self._running or self._phase:
                self._draw()
            self._stream.flush()

    def _begin(self) -> None:
        if self._began is None:
            self._began = self._clock()
        if self._ticker and self._thread is None:
            self._thread = threading.Thread(target=self._tick, name="nsxplan-status",
                                            daemon=True)
            self._thread.start()

    def _tick(self) -> None:
        while not self._stop.wait(self.TICK):
            with self._lock:
                if self._running or self._phase:
                    self._draw()

    def close(self) -> None:
        """Stop redrawing and clear the status line (idempotent)."""
        self._stop_ticker()
        with self._lock:
            if self._shown:
                self._stream.write(CLEAR)
                self._stream.flush()
                self._shown = False
            self._phase = ""
            self._running.clear()

    # -- the reporter protocol ----------------------------------------------------------------

    def refresh_started(self, target: str) -> None:
        with self._lock:
            self._begin()
            self._phase = f"reading the live state of {target}"
            self._draw()

    def refresh_finished(self, objects: int, requests: int, seconds: float) -> None:
        with self._lock:
            self._phase = ""
            self._line(f"Read {objects} objects in {seconds:.1f}s "
                       f"({requests} request{'s' if requests != 1 else ''})")
        # Nothing is shown until apply starts (if it does): no ticker meanwhile, so that the
        # planning that follows runs in a single-threaded process and may fork (perf.Beside).
        self._stop_ticker()

    def _stop_ticker(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self._stop = threading.Event()

    def start(self, header: Mapping[str, Any], total: int) -> None:
        with self._lock:
            self._begin()
            super().start(header, total)
            self._phase = f"applying to {header.get('target')}"
            self._draw()

    def step_started(self, step: Step, pre_image: Mapping[str, Any] | None) -> None:
        with self._lock:
            self._running[step.seq] = (step, "")
            self._draw()

    def step_waiting(self, step: Step, state: str, waited: float) -> None:
        with self._lock:
            self._running[step.seq] = (step, f" ({state}), {int(waited)} s")
            self._draw()

    def step_finished(self, result: StepResult) -> None:
        with self._lock:
            self._running.pop(result.step.seq, None)
            self._done += 1
            super().step_finished(result)

    def rollback_started(self, count: int, reason: str) -> None:
        with self._lock:
            self._running.clear()
            self._phase = "rolling back"
            super().rollback_started(count, reason)

    def rollback_step_finished(self, result: UndoResult) -> None:
        with self._lock:
            super().rollback_step_finished(result)

    def rollback_finished(self, result: Any) -> None:
        with self._lock:
            self._phase = ""

    def summary(self, result: Any) -> None:
        self.close()
