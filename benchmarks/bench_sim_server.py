"""What the socket edge costs: the simulator over a real socket vs in-process.

    python benchmarks/bench_sim_server.py [--objects 20000] [--requests 2000]

Prints requests/s for small GETs (in-process httpx.WSGITransport = the baseline, then plain
HTTP keep-alive, HTTPS keep-alive, the full edge stack with auth + rate limit + faults, and 8
client threads), then the time of a full-tree filtered GET /infra on a generated state, in-process
and over the socket, with the ratio. Figures only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import ssl
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nsxplan.sim import Simulator, demo_state  # noqa: E402
from nsxplan.sim.compose import build_wsgi  # noqa: E402
from nsxplan.sim.server import serve_in_thread  # noqa: E402

P = "/policy/api/v1"
T0 = P + "/infra/tier-0s/vcf-t0"


def generated_state(objects: int) -> dict[str, Any]:
    """A Tier-0, then Tier-1s with 19 static routes each, until `objects` objects."""
    per_t1 = 20
    tier1s = []
    for i in range(max(1, objects // per_t1)):
        routes = [{"resource_type": "ChildStaticRoutes", "StaticRoutes": {
            "resource_type": "StaticRoutes", "id": f"r{j}", "network": f"10.{j}.{i % 256}.0/24",
            "next_hops": [{"ip_address": "192.0.2.1"}]}} for j in range(per_t1 - 1)]
        tier1s.append({"resource_type": "ChildTier1", "Tier1": {
            "resource_type": "Tier1", "id": f"t1-{i:05d}", "tier0_path": "/infra/tier-0s/t0",
            "children": routes}})
    t0 = {"resource_type": "ChildTier0", "Tier0": {"resource_type": "Tier0", "id": "t0",
                                                    "ha_mode": "ACTIVE_STANDBY"}}
    return {"resource_type": "Infra", "children": [t0, *tier1s]}


def rate(label: str, fn: Callable[[], Any], n: int, baseline: float | None = None) -> float:
    fn()  # warm up (connection, TLS handshake)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    per_s = n / (time.perf_counter() - start)
    ratio = f"  ({per_s / baseline:.2f}x in-process)" if baseline else ""
    print(f"{label:<44} {per_s:9.0f} req/s{ratio}")
    return per_s


def threaded_rate(url: str, n: int, threads: int, baseline: float) -> None:
    def worker() -> None:
        with httpx.Client(base_url=url) as client:
            for _ in range(n // threads):
                client.get(T0).raise_for_status()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    per_s = n / (time.perf_counter() - start)
    print(f"{f'socket, {threads} client threads':<44} {per_s:9.0f} req/s  "
          f"({per_s / baseline:.2f}x in-process)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--objects", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    n = args.requests

    sim = Simulator(demo_state())
    with httpx.Client(transport=httpx.WSGITransport(app=sim), base_url="http://nsx") as inproc:
        base = rate("in-process WSGITransport (baseline)", lambda: inproc.get(T0), n)
    with serve_in_thread(build_wsgi(sim)) as server, httpx.Client(base_url=server.url) as c:
        rate("socket, HTTP keep-alive", lambda: c.get(T0), n, base)
        threaded_rate(server.url, n, 8, base)
    with serve_in_thread(build_wsgi(sim), tls=True) as server:
        assert server.ca_file is not None
        ctx = ssl.create_default_context(cafile=server.ca_file)
        with httpx.Client(base_url=server.url, verify=ctx) as c:
            rate("socket, HTTPS keep-alive", lambda: c.get(T0), n, base)
    edge = build_wsgi(sim, username="admin", password="pw", rate_limit=1e9,
                      concurrency_limit=100, faults=[{"match": {"path": "/nothing"},
                                                      "respond": {"status": 500}}])
    with serve_in_thread(edge) as server, httpx.Client(base_url=server.url,
                                                       auth=("admin", "pw")) as c:
        rate("socket, auth + limits + faults", lambda: c.get(T0), n, base)

    state = generated_state(args.objects)
    start = time.perf_counter()
    big = Simulator(state)
    load = time.perf_counter() - start
    params = {"filter": "Type-Tier0|Tier1|StaticRoutes"}
    print(f"\nstate of ~{args.objects} objects loaded in {load:.2f} s")
    with httpx.Client(transport=httpx.WSGITransport(app=big), base_url="http://nsx") as inproc:
        start = time.perf_counter()
        size = len(inproc.get(P + "/infra", params=params).content)
        t_in = time.perf_counter() - start
    with serve_in_thread(build_wsgi(big)) as server, httpx.Client(base_url=server.url,
                                                                  timeout=60) as c:
        start = time.perf_counter()
        assert len(c.get(P + "/infra", params=params).content) == size
        t_sock = time.perf_counter() - start
    print(f"full-tree filtered GET /infra ({size / 1e6:.1f} MB): in-process {t_in:.3f} s, "
          f"socket {t_sock:.3f} s ({t_sock / t_in:.2f}x)")


if __name__ == "__main__":
    main()
