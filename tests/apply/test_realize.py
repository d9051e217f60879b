"""Realization polled in batches (apply/realize.py): what the search decides, what is asked per
intent, backoff and timeout, and the queries it sends."""

from __future__ import annotations

from typing import Any

from nsxplan.apply.realize import Intent, queries, quote, wait_many
from nsxplan.errors import ApiErrorInfo, NsxApiError


def status(path: str, consolidated: str, version: int = 0, message: str | None = None
           ) -> dict[str, Any]:
    ep: dict[str, Any] = {"consolidated_status": {"consolidated_status": consolidated}}
    if message:
        ep["alarm"] = {"message": message}
    return {"intent_path": path, "intent_version": str(version),
            "consolidated_status": {"consolidated_status": consolidated},
            "consolidated_status_per_enforcement_point": [ep]}


class Fake:
    """Answers searches from `rounds` (one dict path -> status per search) and per-intent reads
    from `single` (path -> list of answers, one per read)."""

    def __init__(self, rounds: list[dict[str, Any]], single: dict[str, list[Any]] | None = None):
        self.rounds = rounds
        self.single = single or {}
        self.searches: list[str] = []
        self.reads: list[str] = []

    def search(self, query: str, params: Any = None) -> list[dict[str, Any]]:
        self.searches.append(query)
        answer = self.rounds.pop(0) if len(self.rounds) > 1 else self.rounds[0]
        if isinstance(answer, Exception):
            raise answer
        return [{"path": p, "status": s} for p, s in answer.items()]

    def realization(self, path: str) -> tuple[str, str | None]:
        self.reads.append(path)
        answers = self.single[path]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def run(client: Any, intents: list[Intent], clock: Clock | None = None, timeout: float = 10.0
        ) -> dict[int, Any]:
    clock = clock or Clock()
    return wait_many(client, intents, timeout=timeout, poll_interval=0.5, sleep=clock.sleep,
                     clock=clock)


def api_error(status: int) -> NsxApiError:
    return NsxApiError(ApiErrorInfo(status=status, method="GET", path="/x", message="no"))


def created(key: int, path: str, **kw: Any) -> Intent:
    """An intent whose write's answer gave `_revision` 0 (a create), unless told otherwise."""
    return Intent(key, path, **{"revision": 0, **kw})


def test_one_search_per_round_decides_every_intent_it_shows() -> None:
    a, b = "/infra/tier-1s/a", "/infra/tier-1s/b"
    fake = Fake([{a: status(a, "IN_PROGRESS"), b: status(b, "SUCCESS")},
                 {a: status(a, "SUCCESS"), b: status(b, "SUCCESS")}])
    clock = Clock()
    out = run(fake, [created(1, a, kind="Tier1"), created(2, b, kind="Tier1")], clock)
    assert out == {1: (True, "REALIZED", None), 2: (True, "REALIZED", None)}
    assert len(fake.searches) == 2 and fake.reads == []
    assert clock.sleeps == [0.5]
    assert fake.searches[0] == f'resource_type:(Tier1) AND path:("{a}" OR "{b}")'


def test_missing_stale_or_deleted_intents_are_read_one_by_one() -> None:
    shown, missing, stale, gone, unknown = (f"/infra/tier-1s/{n}" for n in "smvdu")
    fake = Fake([{shown: status(shown, "SUCCESS"), stale: status(stale, "SUCCESS", version=2),
                  gone: status(gone, "SUCCESS"), unknown: status(unknown, "SUCCESS")}],
                {missing: [("REALIZED", None)], stale: [("REALIZED", None)],
                 gone: [api_error(404)], unknown: [("REALIZED", None)]})
    out = run(fake, [created(1, shown), created(2, missing), created(3, stale, revision=3),
                     created(4, gone, deleted=True), created(5, unknown, revision=None)])
    assert out == {1: (True, "REALIZED", None), 2: (True, "REALIZED", None),
                   3: (True, "REALIZED", None), 4: (True, "DELETED", None),
                   5: (True, "REALIZED", None)}
    # not in the results / an older intent version / a delete / what the write produced is
    # unknown (nothing to recognize its version by): the per-intent endpoint
    assert sorted(fake.reads) == sorted([missing, stale, gone, unknown])


def test_error_fails_with_nsx_text_from_search_or_from_the_intent() -> None:
    a, b = "/infra/tier-1s/a", "/infra/tier-1s/b"
    fake = Fake([{a: status(a, "ERROR", message="edge unreachable"), b: status(b, "ERROR")}],
                {b: [("ERROR", "no edge cluster")]})
    out = run(fake, [created(1, a), created(2, b)])
    assert out == {1: (False, "ERROR", "edge unreachable"), 2: (False, "ERROR", "no edge cluster")}
    assert fake.reads == [b]


def test_timeout_reports_the_last_state_and_backs_off_like_one_intent() -> None:
    a = "/infra/tier-1s/a"
    fake = Fake([{a: status(a, "IN_PROGRESS")}], {a: [("UNREALIZED", None)]})
    clock = Clock()
    out = run(fake, [created(1, a)], clock, timeout=5.0)
    assert out == {1: (False, "UNREALIZED", "not REALIZED within 5s (last state UNREALIZED)")}
    assert clock.sleeps == [0.5, 1.0, 2.0, 1.5]
    # the intent's own endpoint has the last word before a timeout (the index may lag)
    assert fake.reads == [a]


def test_a_status_the_search_index_kept_does_not_time_out_a_realized_intent() -> None:
    a = "/infra/tier-1s/a"
    fake = Fake([{a: status(a, "IN_PROGRESS")}], {a: [("REALIZED", None)]})
    out = run(fake, [created(1, a)], timeout=2.0)
    assert out == {1: (True, "REALIZED", None)} and fake.reads == [a]


def test_a_search_result_of_another_object_version_is_not_trusted() -> None:
    """The index lags: an update's old version, or the object a replace deleted (another
    unique_id), may still be found at the path; the intent's own status is read instead."""
    old, other = "/infra/tier-1s/old", "/infra/tier-1s/other"
    results = {old: {**status(old, "SUCCESS", version=4)},
               other: {**status(other, "SUCCESS")}}

    class Indexed(Fake):
        def search(self, query: str, params: Any = None) -> list[dict[str, Any]]:
            self.searches.append(query)
            return [{"path": old, "_revision": 4, "unique_id": "u-1", "status": results[old]},
                    {"path": other, "_revision": 0, "unique_id": "u-gone",
                     "status": results[other]}]

    fake = Indexed([{}], {old: [("UNREALIZED", None), ("REALIZED", None)],
                          other: [("REALIZED", None)]})
    out = run(fake, [created(1, old, revision=5, unique_id="u-1"),
                     created(2, other, revision=0, unique_id="u-new")])
    assert out == {1: (True, "REALIZED", None), 2: (True, "REALIZED", None)}
    assert sorted(fake.reads) == sorted([old, other, old])     # (read in parallel)


def test_a_search_the_manager_cannot_answer_is_not_asked_again() -> None:
    a = "/infra/tier-1s/a"
    fake = Fake([api_error(400)], {a: [("UNREALIZED", None), ("REALIZED", None)]})
    out = run(fake, [created(1, a)])
    assert out == {1: (True, "REALIZED", None)}
    assert len(fake.searches) == 1 and fake.reads == [a, a]


def test_a_failed_search_round_falls_back_then_tries_again() -> None:
    a = "/infra/tier-1s/a"
    fake = Fake([api_error(503), {a: status(a, "SUCCESS")}], {a: [("UNREALIZED", None)]})
    out = run(fake, [created(1, a)])
    assert out == {1: (True, "REALIZED", None)}
    assert len(fake.searches) == 2 and fake.reads == [a]


def test_an_error_reading_one_intent_is_that_intents_outcome_only() -> None:
    a, b = "/infra/tier-1s/a", "/infra/tier-1s/b"
    fake = Fake([{b: status(b, "SUCCESS")}], {a: [api_error(500)]})
    out = run(fake, [created(1, a), created(2, b)])
    assert isinstance(out[1], NsxApiError) and out[2] == (True, "REALIZED", None)


def test_queries_cover_every_path_in_bounded_chunks() -> None:
    intents = [Intent(n, f"/infra/tier-1s/gw-{n:04d}/static-routes/r-{n:04d}",
                      kind="StaticRoutes") for n in range(300)]
    sent = queries(intents, limit=2000)
    assert len(sent) > 1 and all(len(q) < 2100 for q in sent)
    joined = " ".join(sent)
    assert all(quote(i.path) in joined for i in intents)
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    # a mix with an unknown kind asks by path alone
    assert queries([Intent(1, "/infra/x", kind="Tier1"), Intent(2, "/infra/y")]) == [
        'path:("/infra/x" OR "/infra/y")']


def test_intents_the_search_cannot_tell_are_read_in_parallel() -> None:
    """A manager without search: one round reads every intent's status at once, not one
    latency after another."""
    import threading

    paths = [f"/infra/tier-1s/t{n}" for n in range(8)]
    barrier = threading.Barrier(8, timeout=5)

    class Slow(Fake):
        def realization(self, path: str) -> tuple[str, str | None]:
            barrier.wait()          # only passes when all eight reads are in flight together
            return "REALIZED", None

    fake = Slow([api_error(404)])
    out = run(fake, [created(n, p) for n, p in enumerate(paths)])
    assert out == {n: (True, "REALIZED", None) for n in range(8)}
