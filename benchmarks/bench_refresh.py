"""Inner-loop benchmark: bulk H-API read vs one GET per object (the Terraform provider's
pattern), in one process; bench_commands.py times whole commands.

Starts the simulator on a 127.0.0.1 socket with per-request latency (like `nsxplan sim serve
--latency-ms 20`) and a generated state of N objects (Tier-1 gateways x static routes x NAT
rules), then measures in the same run:

  bulk        read_live(client): one Hierarchical API GET + one version GET
  per-object  one GET per object path, 10 parallel threads

and prints both timings and their ratio. Client-side rate limiting is off for both so that the
comparison measures the access pattern, not our own throttle (with the default 50 req/s the
per-object refresh of 10,000 objects alone would take 200 s).

    python benchmarks/bench_refresh.py [--objects 10000] [--latency-ms 20] [--threads 10]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nsxplan.client import NsxClient  # noqa: E402
from nsxplan.connect import connect  # noqa: E402
from nsxplan.sim import Simulator  # noqa: E402
from nsxplan.sim.compose import build_wsgi  # noqa: E402
from nsxplan.sim.server import serve_in_thread  # noqa: E402

T0 = "/infra/tier-0s/bench-t0"


def generate(objects: int, per_gateway: int = 200) -> tuple[dict[str, Any], list[str]]:
    """A snapshot with about `objects` policy objects and the list of their paths."""
    gateways = max(1, objects // per_gateway)
    routes = (per_gateway - 1) // 2
    rules = per_gateway - 1 - routes
    paths = [T0]
    tier1s = []
    for g in range(gateways):
        t1 = f"/infra/tier-1s/gw-{g:04d}"
        paths.append(t1)
        kids: list[dict[str, Any]] = []
        for r in range(routes):
            rid = f"r-{r:04d}"
            paths.append(f"{t1}/static-routes/{rid}")
            kids.append({"resource_type": "ChildStaticRoutes", "StaticRoutes": {
                "resource_type": "StaticRoutes", "id": rid,
                "network": f"10.{g % 250}.{r % 250}.0/24",
                "next_hops": [{"ip_address": "192.0.2.1", "admin_distance": 1}]}})
        nat_rules = []
        for n in range(rules):
            nid = f"n-{n:04d}"
            paths.append(f"{t1}/nat/USER/nat-rules/{nid}")
            nat_rules.append({"resource_type": "ChildPolicyNatRule", "PolicyNatRule": {
                "resource_type": "PolicyNatRule", "id": nid, "action": "DNAT",
                "destination_network": f"203.0.{g % 250}.{n % 250}",
                "translated_network": f"10.1.{g % 250}.{n % 250}", "sequence_number": n}})
        kids.append({"resource_type": "ChildPolicyNat", "PolicyNat": {
            "resource_type": "PolicyNat", "id": "USER", "children": nat_rules}})
        tier1s.append({"resource_type": "ChildTier1", "Tier1": {
            "resource_type": "Tier1", "id": f"gw-{g:04d}", "tier0_path": T0, "children": kids}})
    state = {"resource_type": "Infra", "children": [
        {"resource_type": "ChildTier0", "Tier0": {"resource_type": "Tier0", "id": "bench-t0",
                                                  "ha_mode": "ACTIVE_STANDBY"}},
        *tier1s]}
    return state, paths


def bulk_refresh(client: NsxClient) -> int:
    """The planner's refresh when it exists, else our own single H-API GET."""
    try:
        from nsxplan.live.read import read_live
    except ImportError:
        from nsxplan.brownfield.export import EXPORT_TYPES
        tree = client.get_infra(EXPORT_TYPES)
        return len(tree.get("children") or [])
    return len(read_live(client).objects)


def per_object_refresh(client: NsxClient, paths: list[str], threads: int) -> int:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return sum(1 for _ in pool.map(client.get, paths))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=10)
    args = parser.parse_args()

    state, paths = generate(args.objects)
    t = time.perf_counter()
    sim = Simulator(state)
    print(f"generated and loaded {len(paths)} objects in {time.perf_counter() - t:.2f} s")
    app = build_wsgi(sim, latency_ms=args.latency_ms)
    with serve_in_thread(app) as server:
        conn = connect(server.url, rate_limit=None, max_in_flight=max(args.threads, 20))
        client = conn.client
        try:
            before = client.request_count
            t = time.perf_counter()
            n_bulk = bulk_refresh(client)
            bulk_s = time.perf_counter() - t
            bulk_req = client.request_count - before

            before = client.request_count
            t = time.perf_counter()
            n_each = per_object_refresh(client, paths, args.threads)
            each_s = time.perf_counter() - t
            each_req = client.request_count - before
        finally:
            conn.close()
    print(f"latency {args.latency_ms:g} ms/request, {len(paths)} objects")
    print(f"bulk refresh (H-API GET):            {bulk_s:8.2f} s  {bulk_req:6d} requests  "
          f"({n_bulk} objects)")
    print(f"per-object GETs ({args.threads} threads):        {each_s:8.2f} s  {each_req:6d} "
          f"requests  ({n_each} objects)")
    print(f"ratio per-object / bulk: {each_s / bulk_s:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
