"""The refresh started before the configuration is read (`plan` and `drift`).

Reading NSX does not depend on the configuration, only on where NSX is and how to reach it:
the tree of every type nsxplan manages is read in one GET whatever the YAML says. When the
command line (--manager or NSX_MANAGER, or a `target:` block found by a plain text scan of
the files) already names a manager (not the embedded simulator) and the credentials are at
hand, a forked child (perf.Beside: Linux, one thread, an idle core) connects and reads the
tree while this process parses and validates the YAML. On NSX the GET takes seconds at scale
and the YAML a few tenths: the two overlap instead of adding up.

Nothing is trusted that the configuration would not have trusted: once it is read, the
connection it asks for (manager, TLS trust, authentication, credentials: commands.target_args)
is compared with the one the child used, and any difference throws the answer away (the child
is killed) and the refresh runs as usual. A file naming a `ca_bundle` outside the scanned
`target:` block, a UTF-16 file or more than one `target:` line disables it up front, so a
narrower trust written in the YAML is never bypassed by a guess. A child that fails for any
reason but an NSX or transport error simply means the usual refresh; those errors are
reported as the usual refresh would report them (without asking NSX twice, which would count
a wrong password twice against the manager's lockout).
"""

from __future__ import annotations

import logging
import marshal
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nsxplan.config.loader import find_files
from nsxplan.config.model import Target
from nsxplan.errors import NsxplanError, Source
from nsxplan.live.state import LiveState
from nsxplan.perf import Beside, paused_gc

# What the child answers: the connection's label, NSX's version, the request count and the
# flattened objects as marshal bytes (a plain JSON-like structure: marshal reads it back about
# twice as fast as pickle, and keeps the strings the flattening shares shared); or the
# NsxplanError the refresh raised.
_Answer = tuple[str, str | None, int, bytes] | NsxplanError | None

log = logging.getLogger("nsxplan.prefetch")


@dataclass(frozen=True)
class Fetched:
    label: str
    live: LiveState
    seconds: float          # from the start of the prefetch to its answer


class Prefetch:
    """A refresh running in a forked child; `take()` once the configuration is read."""

    def __init__(self, manager: str, how: dict[str, Any], job: Beside[_Answer]) -> None:
        self._manager = manager
        self._how = dict(how)
        self._job: Beside[_Answer] | None = job
        self._began = time.monotonic()

    @classmethod
    def start(cls, manager: str, how: dict[str, Any]) -> Prefetch | None:
        """None where no child can run beside this process (then the refresh runs as usual)."""
        if manager == "sim" or manager.startswith("sim:") or how.get("record_http"):
            return None             # the embedded simulator: nothing to wait for
        job: Beside[_Answer] = Beside(lambda: _fetch(manager, how), fallback=lambda: None)
        if not job.forked:
            job.__exit__()
            log.debug("NSX is read after the configuration: no idle core (or forking is off)")
            return None
        return cls(manager, how, job)

    def take(self, manager: str, how: dict[str, Any]) -> Fetched | None:
        """The live state read for exactly this connection, or None (read it as usual)."""
        job, self._job = self._job, None
        if job is None:
            return None
        if (manager, how) != (self._manager, self._how):
            job.__exit__()
            log.debug("prefetched refresh discarded: the configuration asks for another "
                      "connection")
            return None
        answer = job.result()
        if answer is None:
            log.debug("prefetched refresh failed: reading NSX again")
            return None
        if isinstance(answer, NsxplanError):
            raise answer
        label, version, requests, blob = answer
        with paused_gc():           # a large structure that is all kept: nothing to collect
            objects = marshal.loads(blob)
        log.debug("refresh prefetched while the configuration was read: %d objects",
                  len(objects))
        return Fetched(label, LiveState(objects=objects, nsx_version=version, requests=requests),
                       time.monotonic() - self._began)

    def close(self) -> None:
        job, self._job = self._job, None
        if job is not None:
            job.__exit__()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fetch(manager: str, how: dict[str, Any]) -> _Answer:
    """In the child: connect, read, close; the answer for take()."""
    from nsxplan.connect import connect
    from nsxplan.live.read import read_live

    try:
        conn = connect(manager, **how)
        try:
            live = read_live(conn.client)
        finally:
            conn.close()
    except NsxplanError as exc:
        return exc
    return conn.label, live.nsx_version, live.requests, marshal.dumps(dict(live.objects))


# --- what the files say about the target, without parsing them ----------------------------------

_TARGET_LINE = re.compile(rb"^target[ \t]*:", re.MULTILINE)
# The end of a top-level block: the next line that starts with anything but a space, a tab,
# a comment or the end of the line.
_NEXT_TOP = re.compile(rb"^[^ \t#\r\n]", re.MULTILINE)


def scan_target(path: str | Path) -> Target | None:
    """The configuration's `target:` as a line scan of its files finds it (Target() when no
    file has one), or None when the scan cannot be sure: then nothing is started early. Only
    a guess: the configuration as loaded decides (Prefetch.take compares)."""
    files, problems = find_files(Path(path), str(path))
    if problems or not files:
        return None
    found: Target | None = None
    for file_path, name in files:
        try:
            raw = file_path.read_bytes()
        except OSError:
            return None
        if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return None             # UTF-16: the byte patterns below would not match
        lines = _target_lines(raw)
        if not lines:
            if b"ca_bundle" in raw:
                return None         # a CA bundle the scan did not place: wait for the YAML
            continue
        if len(lines) > 1 or found is not None:
            return None             # the loader will refuse or merge it: not guessed here
        start = lines[0].start()
        after = _NEXT_TOP.search(raw, lines[0].end())
        end = after.start() if after is not None else len(raw)
        if b"ca_bundle" in raw[:start] or b"ca_bundle" in raw[end:]:
            return None
        found = _target_block(raw[start:end], Source(name, raw.count(b"\n", 0, start) + 1, 1))
        if found is None:
            return None
    return found if found is not None else Target()


def _target_lines(raw: bytes) -> list[re.Match[bytes]]:
    """The lines that open a top-level `target:` (a search for the word at line starts,
    then the pattern there: a fifth of a multi-line regex's time over a 1 MB file)."""
    starts = [0] if raw.startswith(b"target") else []
    at = raw.find(b"\ntarget")
    while at >= 0:
        starts.append(at + 1)
        at = raw.find(b"\ntarget", at + 1)
    return [match for start in starts if (match := _TARGET_LINE.match(raw, start)) is not None]


def _target_block(block: bytes, source: Source) -> Target | None:
    import yaml

    try:
        document = yaml.load(block, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError):
        return None
    target = document.get("target") if isinstance(document, dict) else None
    if not isinstance(target, dict):
        return None
    manager, verify, ca_bundle, auth = (target.get("manager"), target.get("verify_tls", True),
                                        target.get("ca_bundle"), target.get("auth", "basic"))
    if not (isinstance(manager, str | None) and verify is True and isinstance(auth, str)
            and isinstance(ca_bundle, str | None)):
        return None
    return Target(manager=manager, verify_tls=True, ca_bundle=ca_bundle, auth=auth,
                  source=source)
