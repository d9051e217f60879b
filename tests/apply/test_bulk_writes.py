"""The per-object mode with bulk pre-images, creates as PUT and realization polled in batches:
what it sends, and that an edit landing after the bulk read is refused as before."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from nsxplan.apply import apply_plan
from nsxplan.apply.records import APPLIED, ROLLED_BACK
from nsxplan.errors import ApiErrorInfo, NsxApiError
from tests.apply.helpers import (
    FAST,
    OWNER_TAG,
    T0,
    P,
    delete,
    make,
    managed,
    nsx,
    seed,
    t0_update,
    zone,
)

SEARCH = P + "/search/query"


class Spy:
    """Delegates to a real client, counting (method, kind of path) and running `after_bulk`
    once right after the first bulk pre-image read of the apply (the stale check's read is the
    first `get_infra` without a filter; a wave's read names the types it needs)."""

    def __init__(self, client: Any, after_bulk: Any = None, after_get: Any = None) -> None:
        self._client = client
        self.calls: Counter[tuple[str, str]] = Counter()
        self._after_bulk, self._after_get = after_bulk, after_get

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_infra(self, types: Any, *args: Any, **kw: Any) -> Any:
        tree = self._client.get_infra(types, *args, **kw)
        self.calls["GET", "infra"] += 1
        if types and self._after_bulk is not None:
            self._after_bulk()
            self._after_bulk = None
        return tree

    def get(self, path: str, params: Any = None) -> Any:
        self.calls["GET", "realization" if "realized-state" in path else "object"] += 1
        answer = self._client.get(path, params)
        if self._after_get is not None and "realized-state" not in path:
            self._after_get()
            self._after_get = None
        return answer

    def realization(self, intent_path: str) -> Any:
        self.calls["GET", "realization"] += 1
        return self._client.realization(intent_path)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        self.calls["PUT", "object"] += 1
        return self._client.put(path, body, **kw)

    def patch(self, path: str, body: Any, **kw: Any) -> None:
        self.calls["PATCH", "object"] += 1
        self._client.patch(path, body, **kw)

    def search(self, query: str, params: Any = None) -> Any:
        self.calls["GET", "search"] += 1
        return self._client.search(query, params)


def test_creates_cost_one_request_each_plus_one_read_and_one_poll_per_wave(tmp_path: Path
                                                                            ) -> None:
    with nsx() as (_, client):
        spy = Spy(client)
        plan = make([zone(f"z{n:02d}") for n in range(30)])
        result = apply_plan(plan, spy, journal_path=tmp_path / "j.jsonl",  # type: ignore[arg-type]
                            **FAST)
        assert result.status == APPLIED, result.lines()
        # the stale check's read and the wave's pre-images; a PUT each (its answer is the
        # post-image: no read-back); one search for the whole wave's realization
        assert spy.calls == {("GET", "infra"): 2, ("PUT", "object"): 30, ("GET", "search"): 1}
        stored = client.get("/infra/dns-forwarder-zones/z07")
        done = {r.step.seq: r for r in result.results}
        assert done[8].revision == stored["_revision"] and done[8].unique_id == stored["unique_id"]
        assert all(r.realized == "REALIZED" for r in result.results)


def test_a_create_over_an_object_that_appeared_after_the_bulk_read_is_refused_by_nsx(
        tmp_path: Path) -> None:
    with nsx() as (sim, client):
        t0 = client.get(T0)

        def colleague() -> None:
            client.patch("/infra/dns-forwarder-zones/corp", {
                "resource_type": "PolicyDnsForwarderZone", "upstream_servers": ["1.1.1.1"]})

        plan = make([t0_update(t0), zone("corp")])
        before = managed(sim.snapshot())
        result = apply_plan(plan, Spy(client, after_bulk=colleague), parallelism=1,  # type: ignore[arg-type]
                            journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        failure = result.failures[0]
        assert failure.step.address == "dns_zones.corp" and failure.landed is False
        # NSX refused the PUT (no _revision: a create); the same words as the pre-image check
        assert "appeared since the plan (created by admin at 20" in (failure.error or "")
        colleague_zone = client.get("/infra/dns-forwarder-zones/corp")
        assert colleague_zone["upstream_servers"] == ["1.1.1.1"]       # theirs, untouched
        after = managed(sim.snapshot())
        assert {k for k in after if k not in before} == {"/PolicyDnsForwarderZone:corp"}
        assert client.get(T0).get("description") == t0.get("description")


def test_an_update_whose_revision_moved_after_the_read_before_it_gets_nsx_412_as_a_refusal(
        tmp_path: Path) -> None:
    with nsx() as (sim, client):
        t0 = client.get(T0)

        def colleague() -> None:
            client.patch(T0, {"resource_type": "Tier0", "description": "theirs"})

        plan = make([t0_update(t0)])
        # the edit lands between the GET right before the PATCH and the PATCH itself
        result = apply_plan(plan, Spy(client, after_get=colleague), parallelism=1,  # type: ignore[arg-type]
                            journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == ROLLED_BACK, result.lines()
        failure = result.failures[0]
        assert failure.landed is False
        rev = t0["_revision"]
        assert f"changed since the plan (_revision {rev} -> {rev + 1}, by admin at 20" in (
            failure.error or "")
        assert client.get(T0)["description"] == "theirs"


class NoSearch(Spy):
    """A manager whose search cannot answer the query (an older version)."""

    def search(self, query: str, params: Any = None) -> Any:
        self.calls["GET", "search"] += 1
        raise NsxApiError(ApiErrorInfo(status=400, method="GET", path=SEARCH,
                                       message="Invalid search query"))


def test_without_search_realization_is_polled_per_object(tmp_path: Path) -> None:
    with nsx() as (_, client):
        spy = NoSearch(client)
        result = apply_plan(make([zone(f"z{n}") for n in range(5)]), spy,  # type: ignore[arg-type]
                            journal_path=tmp_path / "j.jsonl", **FAST)
        assert result.status == APPLIED, result.lines()
        assert spy.calls["GET", "search"] == 1          # asked once, then never again
        assert spy.calls["GET", "realization"] == 5


def test_updates_and_deletes_read_their_object_first_and_are_read_back_per_wave(
        tmp_path: Path) -> None:
    with nsx() as (_, client):
        seed(client, (f"{T0}/static-routes/old", {
            "resource_type": "StaticRoutes", "network": "10.9.0.0/16",
            "next_hops": [{"ip_address": "172.27.51.1"}], "tags": [OWNER_TAG]}))
        t0 = client.get(T0)
        old = client.get(f"{T0}/static-routes/old")
        spy = Spy(client)
        plan = make([t0_update(t0), delete("tier0s.vcf-t0.static_routes.old", "StaticRoutes",
                                           old)])
        result = apply_plan(plan, spy, journal_path=tmp_path / "j.jsonl",  # type: ignore[arg-type]
                            **FAST)
        assert result.status == APPLIED, result.lines()
        # the stale check; a GET of each object right before its write; the PATCH; one bulk
        # read of what the wave's PATCHes produced; one search (the update's realization) and
        # the per-intent status of the delete (NSX hides what it is deleting from searches)
        assert spy.calls == {("GET", "infra"): 2, ("GET", "object"): 2, ("PATCH", "object"): 1,
                             ("GET", "search"): 1, ("GET", "realization"): 1}
        update = next(r for r in result.results if r.step.op == "update")
        stored = client.get(T0)
        assert update.revision == stored["_revision"] == t0["_revision"] + 1
        assert update.unique_id == stored["unique_id"]
