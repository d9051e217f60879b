"""Simulator core benchmark: load a generated 20,000-object state and serve full-tree GETs.

Run: python benchmarks/bench_sim.py [--objects N]
Targets (issue 3): load < 2 s, full-tree filtered GET /infra < 1 s. Figures are printed with their
ratio to json.loads of the same snapshot, measured in the same run (a machine-independent view).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from nsxplan.sim import Simulator


def child(rt: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {"resource_type": f"Child{rt}", rt: {"resource_type": rt, **obj}}


def generate(target: int) -> dict[str, Any]:
    """Tier-1s with locale services, NAT rules and static routes, plus segments and zones."""
    per_t1 = 1 + 1 + 3 + 60 + 30  # itself, locale services, 3 NAT sections, rules, routes
    n_t1 = max(1, -(-(target - 101) // (per_t1 + 1)))  # + its segment; 10 Tier-0s, 90 zones
    children: list[dict[str, Any]] = [
        child("Tier0", {"id": f"t0-{i}", "ha_mode": "ACTIVE_STANDBY"}) for i in range(10)
    ]
    children += [
        child("PolicyDnsForwarderZone", {"id": f"z{i}", "upstream_servers": ["10.0.0.53"]})
        for i in range(90)
    ]
    for t in range(n_t1):
        rules = [
            child("PolicyNatRule", {"id": f"r{r}", "action": "SNAT", "sequence_number": r,
                                    "source_network": f"10.{t % 250}.{r}.0/24",
                                    "translated_network": f"30.0.{t % 250}.{r}"})
            for r in range(60)
        ]  # fmt: skip
        routes = [
            child("StaticRoutes", {"id": f"s{r}", "network": f"172.{r}.{t % 250}.0/24",
                                   "next_hops": [{"ip_address": "192.0.2.1"}]})
            for r in range(30)
        ]  # fmt: skip
        children.append(
            child("Tier1", {"id": f"t1-{t}", "tier0_path": f"/infra/tier-0s/t0-{t % 10}",
                            "tags": [{"scope": "team", "tag": f"t{t % 7}"}],
                            "children": [child("LocaleServices", {"id": "default"}),
                                         child("PolicyNat", {"id": "USER", "children": rules}),
                                         *routes]})
        )  # fmt: skip
        children.append(
            child("Segment", {"id": f"seg-{t}", "connectivity_path": f"/infra/tier-1s/t1-{t}",
                              "subnets": [{"gateway_address": f"10.{t % 250}.255.1/24"}]})
        )  # fmt: skip
    return {"resource_type": "Infra", "children": children}


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    state = generate(args.objects)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "state.json")
        with open(path, "w") as fh:
            json.dump(state, fh)
        size_mb = os.path.getsize(path) / 1e6
        baseline, _ = best_of(args.runs, lambda: json.loads(open(path).read()))
        load_s, sim = best_of(args.runs, lambda: Simulator.from_file(path))
        with httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://nsx") as c:
            # the first read after load: objects are encoded at load, cached until written
            cold_s, resp = best_of(
                1, lambda: c.get("/policy/api/v1/infra", params={"filter": "Type-.*"})
            )
            full_s, resp = best_of(
                args.runs, lambda: c.get("/policy/api/v1/infra", params={"filter": "Type-.*"})
            )
            assert resp.status_code == 200
            tree_mb = len(resp.content) / 1e6
            some_s, _ = best_of(
                args.runs,
                lambda: c.get(
                    "/policy/api/v1/infra", params={"filter": "Type-Tier1|PolicyNatRule"}
                ),
            )
            pages = []
            for _ in range(args.runs):
                start = time.perf_counter()
                resp = c.get("/policy/api/v1/infra/tier-1s/t1-0/nat/USER/nat-rules")
                pages.append(time.perf_counter() - start)
            patch_s, _ = best_of(
                args.runs,
                lambda: c.patch("/policy/api/v1/infra/tier-1s/t1-0/static-routes/s0",
                                json={"display_name": "x"}),
            )  # fmt: skip
        save_s, _ = best_of(args.runs, lambda: sim.save(os.path.join(tmp, "out.json")))
    n = len(sim)
    print(f"state: {n} objects, snapshot {size_mb:.1f} MB (GET tree {tree_mb:.1f} MB)")
    print(f"{'baseline json.loads(snapshot):':<44}{baseline * 1000:8.1f} ms")
    for label, secs, limit in [
        ("load Simulator.from_file", load_s, 2.0),
        ("first GET /infra?filter=Type-.* (cold)", cold_s, 1.0),
        ("GET /infra?filter=Type-.* (full tree)", full_s, 1.0),
        ("GET /infra?filter=Type-Tier1|PolicyNatRule", some_s, 1.0),
        ("save (atomic write)", save_s, None),
    ]:
        verdict = (
            "" if limit is None else (" ok" if secs < limit else f" OVER {limit:.0f} s TARGET")
        )
        print(
            f"{label + ':':<44}{secs * 1000:8.1f} ms  ({secs / baseline:5.1f}x baseline){verdict}"
        )
    print(f"{'list 60 NAT rules (median):':<44}{statistics.median(pages) * 1000:8.2f} ms")
    print(f"{'single PATCH:':<44}{patch_s * 1000:8.2f} ms")


if __name__ == "__main__":
    main()
