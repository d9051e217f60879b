"""Waiting for realization: one intent at a time, or many per request through NSX's search.

NSX's search (`GET /policy/api/v1/search/query`) answers the list shape with a `status` block
per object, the object's ConsolidatedRealizedStatus (reference §7, §8): the same answer the
per-intent status endpoint gives, for up to a page of objects per request. `wait_many` polls
every pending intent of a wave that way, a few hundred paths per query, paging through the
results, with the per-intent backoff of `wait_realization`.

NSX's search index is eventually consistent (docs/design-brief.md: never read state through
it right after a write), so its answer is trusted only where it is provably about the object
version our write produced; everything else is asked of the per-intent endpoint, which is what
the per-object mode always did (so the batch never costs more requests than one poll each):

  * an object missing from the results (not indexed yet, or the query matched too little);
  * a result whose `unique_id` or `_revision` is not what our write produced (the version
    before our update, the object a replace deleted), or whose status has an older
    `intent_version`; any result when what the write produced is not known;
  * ERROR without a message (the per-intent read fetches NSX's text from realized entities);
  * deletes: NSX hides objects marked for delete from reads, so only the status endpoint
    says when it no longer knows the intent (UNKNOWN or 404);
  * a manager whose search refuses the query (400/404, an older version): every poll;
  * an intent still pending in the search when the timeout comes: its own status has the last
    word (an index may keep an old IN_PROGRESS).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from nsxplan.apply.records import StepResult
from nsxplan.apply.report import Reporter
from nsxplan.client import consolidated_realization
from nsxplan.errors import NsxApiError, NsxplanError, Problem

# Per-intent status reads in flight at once (a manager without search, intents the search
# cannot tell): below the client's 20 requests in flight (client/ratelimit.py).
POLLERS = 16
# Characters of search query per request: the query travels in the URL, and managers and the
# proxies before them commonly cap a request line at 8 KiB.
QUERY_CHARS = 3500
#: (ok, last state, NSX's error text or why it is not done)
Outcome = tuple[bool, str, str | None]


class RealizationClient(Protocol):
    def realization(self, intent_path: str) -> tuple[str, str | None]: ...


def wait_realization(client: RealizationClient, path: str, *, deleted: bool, timeout: float,
                     poll_interval: float, sleep: Callable[[float], None] = time.sleep,
                     clock: Callable[[], float] = time.monotonic,
                     on_poll: Callable[[str, float], None] | None = None,
                     ) -> Outcome:
    """Poll realization until done: (ok, last state, NSX's error text).

    The client keys on the intent's consolidated realization status (the same on every NSX
    version and kind, unlike realized entity types). A write is done when it says REALIZED.
    A delete is done when NSX no longer knows the intent's realization (UNKNOWN, or 404): a
    GET of the intent would say 404 at once, because NSX hides objects marked for delete, so
    it proves nothing about the data plane. ERROR fails at once; timeout fails with the last
    state seen. The interval doubles from `poll_interval` up to a cap of max(2 s, interval)."""
    deadline = clock() + timeout
    delay = poll_interval
    cap = max(2.0, poll_interval)
    state, message = "UNKNOWN", None
    started = clock()
    while True:
        try:
            state, message = client.realization(path)
        except NsxApiError as exc:
            if deleted and exc.status == 404:
                return True, "DELETED", None
            raise
        done = _judge(state, message, deleted)
        if done is not None:
            return done
        remaining = deadline - clock()
        if on_poll is not None:
            on_poll(state, clock() - started)
        if remaining <= 0:
            return False, state, _timed_out(timeout, state, message, deleted)
        sleep(min(delay, remaining))
        delay = min(delay * 2, cap)


def _judge(state: str, message: str | None, deleted: bool) -> Outcome | None:
    """The outcome when this state ends the wait; None while it is still pending."""
    if state == "ERROR":
        return False, state, message or "NSX reported a realization error"
    if deleted and state == "UNKNOWN":
        return True, "DELETED", None
    if not deleted and state == "REALIZED":
        return True, state, None
    return None


def _timed_out(timeout: float, state: str, message: str | None, deleted: bool) -> str:
    what = "removed" if deleted else "REALIZED"
    return (f"not {what} within {timeout:g}s (last state {state}"
            + (f": {message})" if message else ")"))


@dataclass(frozen=True)
class Intent:
    """One write whose realization is awaited."""

    key: int                     # the caller's id for it (a step's seq)
    path: str
    deleted: bool = False
    kind: str | None = None      # NSX resource_type (narrows the search)
    revision: int | None = None  # the `_revision` the write produced, when known
    unique_id: str | None = None  # and the object's `unique_id`


def wait_many(client: Any, intents: Sequence[Intent], *, timeout: float, poll_interval: float,
              sleep: Callable[[float], None] = time.sleep,
              clock: Callable[[], float] = time.monotonic,
              on_poll: Callable[[Intent, str, float], None] | None = None,
              ) -> dict[int, Outcome | NsxplanError]:
    """Poll the realization of many intents together until each is done, failed or timed out.

    Same states, backoff and timeout as `wait_realization`, for the whole set: an intent's
    outcome is final as soon as one poll decides it. An error reading one intent (after the
    client's retries) is that intent's outcome, not the others'."""
    deadline = clock() + timeout
    delay = poll_interval
    cap = max(2.0, poll_interval)
    started = clock()
    pending = {i.key: i for i in intents}
    last: dict[int, tuple[str, str | None]] = {k: ("UNKNOWN", None) for k in pending}
    out: dict[int, Outcome | NsxplanError] = {}
    searchable = callable(getattr(client, "search", None))
    searched: set[int] = set()      # intents whose last state came from the search
    with ThreadPoolExecutor(max_workers=POLLERS, thread_name_prefix="nsxplan-poll") as pool:
        while pending:
            found: Mapping[str, Mapping[str, Any]] = {}
            # (a result is recognized by what the write produced: without it, never)
            wanted = [i for i in pending.values() if not i.deleted and i.revision is not None]
            if searchable and wanted:
                try:
                    found = search_results(client, wanted)
                except NsxApiError as exc:
                    # A manager whose search cannot answer this query: per intent from now on.
                    searchable = exc.status not in (400, 404)
                except NsxplanError:
                    pass        # this round per intent; the search is tried again next round
            states: dict[int, tuple[str, str | None] | NsxplanError] = {}
            ask: list[Intent] = []
            for key, intent in pending.items():
                obj = found.get(intent.path)
                if obj is not None and _ours(obj, intent):
                    state, message = consolidated_realization(obj["status"])
                    if not (state == "ERROR" and message is None):
                        states[key] = (state, message)
                        searched.add(key)
                        continue
                ask.append(intent)      # ERROR without text: NSX's text from the intent
                searched.discard(key)
            states.update(_ask_each(pool, client, ask))
            for key, state_or_error in states.items():
                if isinstance(state_or_error, NsxplanError):
                    out[key] = state_or_error
                    del pending[key]
                    continue
                last[key] = state_or_error
                done = _judge(*state_or_error, pending[key].deleted)
                if done is not None:
                    out[key] = done
                    del pending[key]
            if not pending:
                break
            remaining = deadline - clock()
            if on_poll is not None:
                for key, intent in pending.items():
                    on_poll(intent, last[key][0], clock() - started)
            if remaining <= 0:
                # A search index may hold an old status: the intent's own endpoint has the last
                # word before a timeout is declared.
                final = _ask_each(pool, client, [pending[k] for k in pending if k in searched])
                for key, intent in pending.items():
                    seen = final.get(key, last[key])
                    if isinstance(seen, NsxplanError):
                        out[key] = seen
                        continue
                    state, message = seen
                    done = _judge(state, message, intent.deleted)
                    out[key] = done if done is not None else (
                        False, state, _timed_out(timeout, state, message, intent.deleted))
                break
            sleep(min(delay, remaining))
            delay = min(delay * 2, cap)
    return out


def _ask_each(pool: ThreadPoolExecutor, client: RealizationClient, intents: Sequence[Intent]
              ) -> dict[int, tuple[str, str | None] | NsxplanError]:
    """Each intent's own status, read in parallel; an error is that intent's answer."""
    def one(intent: Intent) -> tuple[str, str | None] | NsxplanError:
        try:
            return _per_intent(client, intent)
        except NsxplanError as exc:
            return exc
    return {i.key: answer for i, answer in zip(intents, pool.map(one, intents), strict=True)}


def _per_intent(client: RealizationClient, intent: Intent) -> tuple[str, str | None]:
    """The intent's own consolidated status; for a delete, 404 means NSX let go of it."""
    try:
        return client.realization(intent.path)
    except NsxApiError as exc:
        if intent.deleted and exc.status == 404:
            return "UNKNOWN", None
        raise


def _ours(obj: Mapping[str, Any], intent: Intent) -> bool:
    """Is this search result provably about the object version our write produced? The index
    lags: it may still hold the version before our update, or an object of the same path that
    a replace deleted (another `unique_id`). Deletes are never judged by the search."""
    status = obj.get("status")
    if intent.deleted or intent.revision is None or not isinstance(status, Mapping):
        return False        # (what the write produced unknown: nothing to recognize it by)
    if intent.unique_id is not None and obj.get("unique_id") not in (None, intent.unique_id):
        return False
    if obj.get("_revision") not in (None, intent.revision):
        return False
    return not _older(status, intent.revision)


def _older(status: Mapping[str, Any], revision: int | None) -> bool:
    """Is this status about an intent version before the one our write produced?"""
    version = status.get("intent_version")
    if revision is None or version is None:
        return False
    try:
        return int(str(version)) < revision
    except ValueError:
        return False


def quote(text: str) -> str:
    """A phrase term of NSX's search syntax."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def queries(intents: Sequence[Intent], limit: int = QUERY_CHARS) -> list[str]:
    """Search queries that together ask for every intent's path, each at most about `limit`
    characters: `resource_type:(A OR B) AND path:("p1" OR "p2" ...)`."""
    out: list[str] = []
    chunk: list[Intent] = []
    size = 0
    for intent in sorted(intents, key=lambda i: i.path):
        term = len(intent.path) + 6
        if chunk and size + term > limit:
            out.append(_query(chunk))
            chunk, size = [], 0
        chunk.append(intent)
        size += term
    if chunk:
        out.append(_query(chunk))
    return out


def _query(chunk: Sequence[Intent]) -> str:
    kinds = sorted({i.kind for i in chunk if i.kind})
    paths = " OR ".join(quote(i.path) for i in chunk)
    if kinds and all(i.kind for i in chunk):
        return f"resource_type:({' OR '.join(kinds)}) AND path:({paths})"
    return f"path:({paths})"


def search_results(client: Any, intents: Sequence[Intent]) -> dict[str, Mapping[str, Any]]:
    """{path: search result} of the intents NSX's search returned with a `status` block. A
    full-text match can return more than was asked (a phrase inside a longer path): only exact
    paths count."""
    wanted = {i.path for i in intents}
    found: dict[str, Mapping[str, Any]] = {}
    for query in queries(intents):
        for obj in client.search(query):
            if not isinstance(obj, Mapping):
                continue
            path = obj.get("path")
            if path in wanted and isinstance(obj.get("status"), Mapping):
                found[str(path)] = obj
    return found


def realize_results(client: Any, landed: Sequence[StepResult], reporter: Reporter, *,
                    timeout: float, poll_interval: float) -> None:
    """Await the realization of landed steps together and record it in their results:
    `realized`, `ok`, or the error (NSX's realization error, the timeout, a failed read)."""
    by_seq = {r.step.seq: r for r in landed}
    outcomes = wait_many(
        client,
        [Intent(r.step.seq, r.step.path, deleted=r.step.op == "delete", kind=r.step.action.kind,
                revision=r.revision, unique_id=r.unique_id) for r in landed],
        timeout=timeout, poll_interval=poll_interval,
        on_poll=lambda intent, state, waited: reporter.step_waiting(
            by_seq[intent.key].step, state, waited))
    for seq, outcome in outcomes.items():
        result = by_seq[seq]
        if isinstance(outcome, NsxplanError):
            result.problem = outcome.problems[0] if outcome.problems else Problem(str(outcome))
            result.error = result.problem.message
            continue
        ok, state, message = outcome
        result.realized = state
        if ok:
            result.ok = True
        else:
            result.error = f"realization {state} for {result.step.path}: {message}"
