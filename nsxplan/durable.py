"""Writing files so that a crash never leaves half of one: temp file, fsync, rename, fsync dir.

Plans, metrics, exports and the journal's directory entry all go through here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from nsxplan.errors import NsxplanError, Problem


def write_atomic(path: Path, text: str | bytes, *, mode: int,
                 error: type[NsxplanError] = NsxplanError) -> None:
    """Write `text` to `path` atomically with permissions `mode` (also on overwrite); failures
    raise `error` with a one-line problem.

    mkstemp creates the temp file 0600, so the content is never readable by others, even for an
    instant, before the chmod to `mode`.
    """
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise error(Problem(f"{path}: cannot write: {exc.strerror or exc}",
                                    hint="check that the directory exists and is writable")) \
            from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8") if isinstance(text, str) else text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        _unlink_quietly(tmp)
        raise error(Problem(f"{path}: cannot write: {exc.strerror or exc}",
                                    hint="check the path and the free space")) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    fsync_dir(directory)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def fsync_dir(directory: Path) -> None:
    # Makes the rename durable; not possible on every platform/filesystem, and not fatal.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
