"""Performance switches shared by the stages that handle large inputs."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


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

