"""Did a write land? Decided by reading NSX's state, never by a status code alone.

A status code tells what happened to one response, not to the object: NSX can commit a write
whose answer is then lost (a load balancer reset, a client timeout), and the retry of such an
update gets 412 because the first attempt already moved `_revision`. So after any write whose
outcome is unknown (timeout, dropped connection, 5xx, or an error on a retry) the object is read
back and compared:

  with the intended after-image (every field sent, NSX defaults inside it allowed) -> LANDED
  with the pre-image (`_revision` unchanged, or still absent / still present)     -> NOT_LANDED
  with neither: someone else changed it meanwhile                                 -> CHANGED

NOT_LANDED after 502/503/504 or a lost connection is retried with backoff (the same write: a
PUT, a PATCH carrying `_revision`, a DELETE and a create-PATCH of an absent object are all
idempotent when the state says the first attempt did not land). A 4xx on the first attempt is
NSX refusing the write, which it does atomically: NOT_LANDED without a read.

A landed write is read once more (PATCH answers with no body) to record the `_revision` and
`unique_id` it produced: rollback uses them to tell nsxplan's own state from a later edit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from nsxplan.errors import NsxApiError, NsxplanError, TransportError
from nsxplan.nsx.objects import SERVER_FIELDS, modified_by
from nsxplan.nsx.passwords import WRITE_ONLY_FIELDS

LANDED = "landed"
NOT_LANDED = "not-landed"
CHANGED = "changed"        # neither ours nor the pre-image: someone else wrote meanwhile
UNKNOWN = "unknown"        # could not even read the object back

RETRY_STATUSES = frozenset({502, 503, 504})
MAX_ATTEMPTS = 4


class WriteClient(Protocol):
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]: ...
    def patch(self, path: str, body: Mapping[str, Any], *,
              retry_unknown: bool = True) -> None: ...
    def put(self, path: str, body: Mapping[str, Any], *,
            retry_unknown: bool = True) -> dict[str, Any]: ...
    def delete(self, path: str, *, retry_unknown: bool = True) -> None: ...


@dataclass
class Outcome:
    state: str
    error: NsxplanError | None = None      # why it did not land (or the last error seen)
    current: Mapping[str, Any] | None = None   # the object as last read (LANDED/CHANGED)
    revision: int | None = None            # what our landed write produced, when known
    unique_id: str | None = None
    attempts: int = 1

    @property
    def landed(self) -> bool | None:
        """The StepResult tri-state: True, False, or None when it cannot be known."""
        if self.state == LANDED:
            return True
        if self.state == NOT_LANDED:
            return False
        return None

    def conflict_text(self, path: str) -> str:
        who = modified_by(self.current) if self.current is not None else "by someone else"
        rev = self.current.get("_revision") if self.current is not None else None
        at = f" (now _revision {rev}, {who})" if rev is not None else f" ({who})"
        return f"{path} was changed by someone else while nsxplan wrote it{at}"


def read_object(client: WriteClient, path: str) -> dict[str, Any] | None:
    """GET one object; None when NSX says 404."""
    try:
        return client.get(path)
    except NsxApiError as exc:
        if exc.status == 404:
            return None
        raise


def contains(actual: Any, expected: Any) -> bool:
    """Does `actual` (as NSX stores it) hold everything in `expected` (what was sent)?

    Mappings: every expected key, recursively (NSX adds defaults, also inside list items such
    as a next hop's admin_distance). Lists: same length, each expected item matched by a
    distinct actual item, in order if possible, else in any order (NSX does not promise to
    keep tags or set-like lists in order)."""
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            k in actual and contains(actual[k], v) for k, v in expected.items())
    if isinstance(expected, (list, tuple)):
        if not isinstance(actual, (list, tuple)) or len(actual) != len(expected):
            return False
        if all(contains(a, e) for a, e in zip(actual, expected, strict=True)):
            return True
        unused = list(actual)
        for e in expected:
            hit = next((i for i, a in enumerate(unused) if contains(a, e)), None)
            if hit is None:
                return False
            unused.pop(hit)
        return True
    return bool(actual == expected)


def matches_body(current: Mapping[str, Any] | None, body: Mapping[str, Any] | None) -> bool:
    """The live object shows this write: absent for a DELETE (body None), else every field
    sent (server fields and `_revision` aside)."""
    if body is None:
        return current is None
    if current is None:
        return False
    # a neighbor password is never read back (NSX does not return it)
    return contains(current, {k: v for k, v in body.items()
                              if k not in SERVER_FIELDS and k not in WRITE_ONLY_FIELDS})


def same_incarnation(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Is `b` exactly the object version `a` was (nothing written since)? Absent == absent."""
    if a is None or b is None:
        return a is None and b is None
    if "_revision" not in a or "_revision" not in b:
        return _content(a) == _content(b)
    if a.get("unique_id") and b.get("unique_id") and a["unique_id"] != b["unique_id"]:
        return False
    return bool(a["_revision"] == b["_revision"])


def _content(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in SERVER_FIELDS}


def settle(client: WriteClient, method: str, path: str, body: Mapping[str, Any] | None, *,
           pre: Mapping[str, Any] | None, attempts: int = MAX_ATTEMPTS,
           backoff: Callable[[int], float] | None = None,
           sleep: Callable[[float], None] | None = None, read_back: bool = True) -> Outcome:
    """Send one write (PATCH, PUT or DELETE of `path`) and decide its outcome by state.

    `pre` is the object as read just before (None: absent); `body` what is sent (None for a
    DELETE). `read_back=False`: a PATCH NSX answered 2xx is LANDED without reading what it
    produced (`revision` None: the caller reads many of them at once). Never raises
    NsxplanError: the outcome carries the error."""
    delay = backoff or _backoff(client)
    pause: Callable[[float], None] = (
        sleep or getattr(getattr(client, "retry", None), "sleep", None) or time.sleep)
    unsure = False            # an earlier attempt of this write may have landed
    n = 0
    while True:
        n += 1
        try:
            answer = _send(client, method, path, body)
        except (NsxApiError, TransportError) as exc:
            status = getattr(exc, "status", None)
            if status is not None and 400 <= status < 500 and not unsure:
                return Outcome(NOT_LANDED, exc, attempts=n)   # refused whole, nothing stored
            try:
                current = read_object(client, path)
            except NsxplanError as read_exc:
                return Outcome(UNKNOWN, read_exc, attempts=n)
            if matches_body(current, body):
                return _landed(client, method, path, body, current, n)
            if not same_incarnation(pre, current):
                return Outcome(CHANGED, exc, current, attempts=n)
            retryable = status is None or status in RETRY_STATUSES
            if not retryable or n >= attempts:
                return Outcome(NOT_LANDED, exc, current, attempts=n)
            unsure = True
            pause(delay(n - 1))
            continue
        if not read_back and method == "PATCH":
            return Outcome(LANDED, None, None, attempts=n)
        return _landed(client, method, path, body, answer, n, answered=True)


def _send(client: WriteClient, method: str, path: str, body: Mapping[str, Any] | None
          ) -> dict[str, Any] | None:
    if method == "DELETE":
        client.delete(path, retry_unknown=False)
        return None
    if method == "PUT":
        return client.put(path, body or {}, retry_unknown=False)
    client.patch(path, body or {}, retry_unknown=False)
    return None


def _landed(client: WriteClient, method: str, path: str, body: Mapping[str, Any] | None,
            seen: Mapping[str, Any] | None, n: int, answered: bool = False) -> Outcome:
    if method == "DELETE":
        return Outcome(LANDED, None, None, attempts=n)
    current = seen if seen and "_revision" in seen else None
    if current is None or (answered and method != "PUT"):
        try:
            current = read_object(client, path)
        except NsxplanError:
            return Outcome(LANDED, None, None, attempts=n)
    if not matches_body(current, body):
        # Someone wrote right after us: what our write produced is not known any more, and
        # rollback will decide by state (it will not take their version for ours).
        return Outcome(LANDED, None, current, attempts=n)
    assert current is not None
    rev = current.get("_revision")
    uid = current.get("unique_id")
    return Outcome(LANDED, None, current, rev if isinstance(rev, int) else None,
                   str(uid) if uid else None, attempts=n)


def _backoff(client: Any) -> Callable[[int], float]:
    policy = getattr(client, "retry", None)
    if policy is not None and hasattr(policy, "delay"):
        return lambda n: float(policy.delay(n, None))
    return lambda n: min(4.0, 0.25 * (2 ** n))
