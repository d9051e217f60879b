"""Apply benchmark: N independent creates (static routes on one Tier-0) against the simulator on
a 127.0.0.1 socket with NSX's rate limit (like `nsxplan sim serve --rate-limit 100`).

Reports the requests/s the apply achieved against the limit (target >= 90 %) and the requests
NSX refused (429/5xx; target 0). The client throttles itself just under the limit
(`--client-rate`, default 95 % of it): an apply that leans on NSX's 429s to pace itself wastes
requests and retry budget in a change window. For scale, the same run first measures the
apply's raw throughput on a smaller plan with no limit at all.

Every create costs three requests: the pre-image GET (404), the PATCH, one realization poll.

    python benchmarks/bench_apply.py [--creates 1000] [--rate-limit 100] [--parallelism 4]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from nsxplan.apply import apply_plan  # noqa: E402
from nsxplan.client import NsxClient  # noqa: E402
from nsxplan.plan.model import CREATE, Action, Plan  # noqa: E402
from nsxplan.sim import Simulator, demo_state  # noqa: E402
from nsxplan.sim.compose import build_wsgi  # noqa: E402
from nsxplan.sim.server import serve_in_thread  # noqa: E402

T0 = "/infra/tier-0s/vcf-t0"
OWNER = "bench"


class StatusCounter:
    """Outermost WSGI layer: counts every response status the simulator's edge sends."""

    def __init__(self, app: Callable[..., Iterable[bytes]]):
        self.app = app
        self.statuses: Counter[int] = Counter()
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        def counting(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            with self._lock:
                self.statuses[int(status.split()[0])] += 1
            return start_response(status, headers, exc_info)
        return self.app(environ, counting)


def plan_of(creates: int) -> Plan:
    actions = tuple(
        Action(address=f"tier0s.vcf-t0.static_routes.bench-{i:05d}", kind="StaticRoutes",
               path=f"{T0}/static-routes/bench-{i:05d}", action=CREATE,
               after={"resource_type": "StaticRoutes", "id": f"bench-{i:05d}",
                      "network": f"10.{i // 250}.{i % 250}.0/24",
                      "next_hops": [{"ip_address": "172.27.51.1", "admin_distance": 1}],
                      "tags": [{"scope": "nsxplan/owner", "tag": OWNER}]})
        for i in range(creates))
    return Plan(target="bench", owner=OWNER, config_digest="bench", created_at="",
                nsxplan_version="bench", actions=actions)


def run(creates: int, *, server_rate: float | None, client_rate: float | None,
        parallelism: int) -> dict[str, Any]:
    sim = Simulator(demo_state())
    counter = StatusCounter(build_wsgi(sim, rate_limit=server_rate))
    with serve_in_thread(counter) as server, tempfile.TemporaryDirectory() as tmp:
        client = NsxClient(httpx.Client(base_url=server.url, timeout=30.0),
                           rate_limit=client_rate, label="bench")
        started = time.monotonic()
        result = apply_plan(plan_of(creates), client, parallelism=parallelism,
                            journal_path=Path(tmp) / "journal.jsonl")
        elapsed = time.monotonic() - started
        requests = client.request_count
        client.close()
    refused = sum(n for s, n in counter.statuses.items() if s == 429 or s >= 500)
    return {"status": result.status, "elapsed": elapsed, "requests": requests,
            "rate": requests / elapsed, "refused": refused, "statuses": dict(counter.statuses)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--creates", type=int, default=1000)
    ap.add_argument("--rate-limit", type=float, default=100.0, help="the simulator's (NSX's)")
    ap.add_argument("--client-rate", type=float, default=None,
                    help="nsxplan's own limit (default: 95%% of --rate-limit)")
    ap.add_argument("--parallelism", type=int, default=4)
    ap.add_argument("--baseline-creates", type=int, default=200)
    args = ap.parse_args()
    client_rate = args.client_rate or args.rate_limit * 0.95

    base = run(args.baseline_creates, server_rate=None, client_rate=None,
               parallelism=args.parallelism)
    print(f"baseline (no limit anywhere): {args.baseline_creates} creates, "
          f"{base['requests']} requests in {base['elapsed']:.2f}s = {base['rate']:.0f} req/s")

    got = run(args.creates, server_rate=args.rate_limit, client_rate=client_rate,
              parallelism=args.parallelism)
    ratio = got["rate"] / args.rate_limit
    print(f"limited: {args.creates} creates, parallelism {args.parallelism}, NSX limit "
          f"{args.rate_limit:g} req/s, client limit {client_rate:g} req/s")
    print(f"  apply {got['status']}: {got['requests']} requests in {got['elapsed']:.1f}s = "
          f"{got['rate']:.1f} req/s = {ratio:.1%} of the limit (target >= 90%)")
    print(f"  refused by NSX (429/5xx): {got['refused']} (target 0); "
          f"responses by status: {got['statuses']}")
    print(f"  headroom: the apply alone could do {base['rate']:.0f} req/s "
          f"({base['rate'] / args.rate_limit:.1f}x the limit)")
    ok = got["status"] == "applied" and ratio >= 0.9 and got["refused"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
