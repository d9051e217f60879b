"""Performance switches shared by the stages that handle large inputs: the collector paused
where nothing is garbage, a network wait overlapped on a thread, and a step computed on an idle
second core (docs/decisions.md, "A plan uses a second core when one is idle")."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, NoReturn, TypeVar, cast

T = TypeVar("T")


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic GC around an allocation-heavy step that frees nothing (loading a 10 MB
    file, flattening and planning over a 10,000-object tree): the collector would rescan the
    growing heap again and again (about 3x the time) and find no garbage. Reference counting
    still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --- one step waiting on the network beside another --------------------------------------------


class OnThread(Generic[T]):
    """`fn()` on a thread of its own, for a step that mostly waits on the network (the GIL is
    free meanwhile); join() returns its value or raises its error. Always joined before the
    caller goes on to anything that must run single-threaded (Beside)."""

    def __init__(self, fn: Callable[[], T], name: str) -> None:
        self._fn = fn
        self._value: T | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - handed to join()
            self._error = exc

    def join(self, *, quiet: bool = False) -> T | None:
        """The value; `quiet`: wait for the thread but keep its error to itself (the caller
        has a better one to report)."""
        self._thread.join()
        if self._error is not None and not quiet:
            raise self._error
        return self._value


# --- one step on the second core ----------------------------------------------------------------
#
# A plan's dependency checks (both runs: after the plan and on NSX as it is) need the
# configuration and the live state, not the plan, and their answer is a few dozen small records:
# they can run in a forked child while this process plans (so can the configuration's semantic
# rules while it connects and reads NSX). The child starts with everything
# already in memory (copy-on-write, nothing serialized on the way in) and pickles only its
# answer back. Where forking is unsafe or unavailable the step simply runs in this
# process when its result is asked for: the answer is the same either way.
#
# The answer goes through an anonymous in-memory file (memfd), read once the child has exited:
# through a pipe, a large answer (the live tree a prefetch reads: 3.6 MB at 10,000 objects)
# crossed in 64 KB turns, each waiting for the other process to be scheduled (20-60 ms on a
# busy machine, measured, against about 1 ms).

NO_FORK_ENV = "NSXPLAN_NO_FORK"     # set (to anything but "" or "0") to run everything in-process


class Beside(Generic[T]):
    """`fn()` computed beside the caller; `result()` joins it. Use as a context manager so a
    caller that fails before asking still reaps the child.

    `fallback`: what computes the same answer here should the child fail, when keeping `fn`
    (and what it holds) alive until then would cost memory; by default `fn` itself."""

    def __init__(self, fn: Callable[[], T], *, fallback: Callable[[], T] | None = None) -> None:
        self._fn = fn
        self._pid: int | None = None
        self._answer: int | None = None
        self.forked = False
        if not _may_fork():
            return
        try:
            answer = os.memfd_create("nsxplan-beside", os.MFD_CLOEXEC)
        except (AttributeError, OSError):   # no memfd (a kernel before 3.17): run it here later
            return
        try:
            pid = os.fork()
        except OSError:          # out of processes or memory: just run it here later
            os.close(answer)
            return
        if pid == 0:             # the child: compute, answer, and leave without cleanup
            _answer(answer, fn)
        self._pid, self._answer, self.forked = pid, answer, True
        _MINE.add(pid)
        if fallback is not None:
            self._fn = fallback   # fn's inputs may be freed here: the child has its own copy

    def result(self) -> T:
        if self._pid is None:
            return self._fn()
        data = self._wait()
        if not data:             # the child failed, died or was killed: compute it here
            return self._fn()
        # here, not at the top: every command imports this module
        import pickle

        try:
            return cast(T, pickle.loads(data))
        except Exception:  # noqa: BLE001 - a truncated answer: compute it here
            return self._fn()

    def _wait(self) -> bytes:
        """The child's answer once it has exited; empty if it did not finish cleanly."""
        assert self._answer is not None and self._pid is not None
        try:
            _, status = os.waitpid(self._pid, 0)
        except BaseException:
            # Interrupted while waiting (a SIGTERM sent to this process alone): the answer is
            # not needed any more, the child is not waited for.
            self._reap(kill=True)
            raise
        _MINE.discard(self._pid)
        self._pid = None
        fd, self._answer = self._answer, None
        try:
            if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
                return b""
            size = os.fstat(fd).st_size
            chunks = []
            offset = 0
            while offset < size and (chunk := os.pread(fd, size - offset, offset)):
                chunks.append(chunk)
                offset += len(chunk)
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)
        finally:
            os.close(fd)

    def _reap(self, *, kill: bool) -> None:
        if self._answer is not None:
            os.close(self._answer)
            self._answer = None
        if self._pid is not None:
            if kill:
                try:
                    os.kill(self._pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.waitpid(self._pid, 0)
            except ChildProcessError:
                pass
            _MINE.discard(self._pid)
            self._pid = None

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        # Not asked for (the caller failed, or was interrupted): the answer is not needed.
        self._reap(kill=True)


def _may_fork() -> bool:
    """Linux only (macOS system libraries are not fork-safe; Windows has no fork), only while
    this process has a single thread (a lock another thread holds would stay held in the child
    forever), and only with a core to spare."""
    return (sys.platform == "linux" and hasattr(os, "fork")
            and os.environ.get(NO_FORK_ENV, "") in ("", "0")
            and threading.active_count() == 1 and spare_core())


def spare_core() -> bool:
    """Whether a core is idle now: fewer threads are runnable, this one included, than this
    process may use (/proc/loadavg's running count, sampled at once: a 1-minute average would
    still count a benchmark's or a build's previous step). A forked child is not free: both
    processes copy the memory pages they touch (about 0.1 s of system time for a
    10,000-object plan), which pays back only when the child really runs beside the parent;
    on a busy machine it would just queue behind it."""
    try:
        cores = len(os.sched_getaffinity(0))
        with open("/proc/loadavg", encoding="ascii") as fh:
            running = int(fh.read().split()[3].split("/")[0])
    except (AttributeError, OSError, ValueError, IndexError):
        return False
    return cores >= 2 and running - _running(_MINE) < cores


# This process's forked children not yet reaped. One of them running (the refresh read while
# the configuration is parsed, prefetch.py) does not make the machine busy: it is this
# command's own work, about to end, and what is forked next (the configuration's rules, whose
# answer is not needed until the plan is made) fills the gaps it leaves.
_MINE: set[int] = set()


def _running(pids: set[int]) -> int:
    count = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
                # "pid (comm) S ...": the state follows the command name's closing parenthesis
                count += fh.read().rsplit(")", 1)[1].split()[0] == "R"
        except (OSError, IndexError):
            pass
    return count


def _answer(fd: int, fn: Callable[[], object]) -> NoReturn:
    code = 1
    try:
        try:
            import pickle

            payload = pickle.dumps(fn(), protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:  # noqa: BLE001 - no answer: the parent computes it itself, and
            payload = b""      # raises the same error there, with its own traceback
        view = memoryview(payload)
        while view:
            view = view[os.write(fd, view):]
        code = 0
    finally:
        # No atexit handlers, no flushing of the parent's buffered output a second time.
        os._exit(code)

