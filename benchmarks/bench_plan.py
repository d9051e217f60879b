"""Inner-loop benchmark: read_live + make_plan of ~10,000 objects, in one process, against a
simulator on a socket. It leaves out what a user also waits for (interpreter start, imports,
loading the configuration, checks, rendering): bench_commands.py times the whole command.

Builds a configuration (one Tier-0, Tier-1s with locale-services, static routes and NAT rules)
from the model dataclasses, loads the objects it declares (owner-tagged, as after an apply) into
a simulator served on 127.0.0.1 with per-request latency (like `nsxplan sim serve --latency-ms
20`), then measures in the same run:

  nsxplan     read_live (one Hierarchical API GET + version) + make_plan
  per-object  one GET per object, 10 parallel threads (the Terraform provider's refresh
              pattern) + the same make_plan over what those GETs returned

Both plans must come out with no changes. Client-side rate limiting is off for both, so the
figures compare access patterns; against a real manager (100 req/s per user) the per-object
refresh of 10,000 objects could not take less than 100 s. bench_refresh.py (client) measures the
refresh alone.

    python benchmarks/bench_plan.py [--objects 10000] [--latency-ms 20] [--threads 10]
                                    [--server process|thread] [--planner-runs N]
                                    [--no-per-object] [--workload]

`--planner-runs N` also times make_plan alone, N times over the state read (the innermost loop:
no network, no configuration loading; no-op bodies left out as `nsxplan plan` does), and prints
the median and the fastest run. `--no-per-object` skips the per-object refresh (24 s at 10,000
objects) when only that figure is wanted. `--workload` plans bench_commands.py's workload
(benchmarks/workload.py: its YAML loaded as `nsxplan plan` loads it, its state as written there,
without record tags) instead of the configuration built here, whose applied state carries the
record tag an apply writes on each NAT rule (its sequence number).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload  # noqa: E402

from nsxplan.client import NsxClient  # noqa: E402
from nsxplan.config import load_config  # noqa: E402
from nsxplan.config.model import Config, NatRule, NextHop, StaticRoute, Tier0, Tier1  # noqa: E402
from nsxplan.connect import connect  # noqa: E402
from nsxplan.live.read import read_live  # noqa: E402
from nsxplan.live.state import LiveState  # noqa: E402
from nsxplan.plan.model import Plan  # noqa: E402
from nsxplan.plan.planner import make_plan  # noqa: E402
from nsxplan.sim import Simulator  # noqa: E402
from nsxplan.sim.compose import build_wsgi  # noqa: E402
from nsxplan.sim.server import serve_in_thread  # noqa: E402

EDGE = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
PER_GATEWAY = 250       # objects per Tier-1: itself, locale-services, routes and rules


def build_config(objects: int) -> Config:
    gateways = max(1, objects // PER_GATEWAY)
    routes = (PER_GATEWAY - 2) // 2
    rules = PER_GATEWAY - 2 - routes
    t0 = Tier0("bench-t0", ha_mode="ACTIVE_STANDBY")
    t1s = tuple(
        Tier1(f"gw-{g:04d}", tier0=t0, tier0_path=t0.path, edge_cluster=EDGE,
              route_advertisement=("TIER1_NAT", "TIER1_CONNECTED"),
              static_routes=tuple(
                  StaticRoute(f"r-{r:04d}", f"10.{g % 250}.{r % 250}.0/24",
                              (NextHop("192.0.2.1"),)) for r in range(routes)),
              nat_rules=tuple(
                  NatRule(f"n-{n:04d}", "DNAT", destination_network=f"203.0.{g % 250}.{n % 250}",
                          translated_network=f"10.1.{g % 250}.{n % 250}", sequence_number=n)
                  for n in range(rules)))
        for g in range(gateways))
    return Config(version=1, owner="bench", files=("bench.yaml",), tier0s=(t0,), tier1s=t1s,
                  digest="bench")


def applied_state(plan: Plan) -> dict[str, Any]:
    """The H-API snapshot a successful apply of `plan` would leave (bodies nested by path)."""
    nodes: dict[str, dict[str, Any]] = {}
    root: dict[str, Any] = {"resource_type": "Infra", "id": "infra", "children": []}
    for a in plan.actions:                      # parents come first in plan order
        assert a.after is not None
        body = dict(a.after)
        nodes[a.path] = body
        parent_path = a.path.rsplit("/", 2)[0]
        if body["resource_type"] == "PolicyNatRule":
            section = parent_path                # …/nat/USER
            if section not in nodes:
                nat = {"resource_type": "PolicyNat", "id": "USER", "nat_type": "USER"}
                nodes[section] = nat
                _attach(nodes, root, section.rsplit("/", 2)[0], nat)
        _attach(nodes, root, parent_path, body)
    return root


def _attach(nodes: dict[str, dict[str, Any]], root: dict[str, Any], parent_path: str,
            body: dict[str, Any]) -> None:
    holder = root if parent_path == "/infra" else nodes[parent_path]
    rt = body["resource_type"]
    holder.setdefault("children", []).append({"resource_type": f"Child{rt}", rt: body})


def per_object_live(client: NsxClient, paths: list[str], threads: int) -> LiveState:
    with ThreadPoolExecutor(max_workers=threads) as pool:
        objects = list(pool.map(client.get, paths))
    return LiveState(objects=dict(zip(paths, objects, strict=True)))


@contextmanager
def served(state: dict[str, Any], latency_ms: float, mode: str) -> Iterator[str]:
    """URL of a simulator serving `state`: a separate `nsxplan sim serve` process (as in the
    issue's setup: the server does not compete with the planner for the GIL) or a thread."""
    if mode == "thread":
        app = build_wsgi(Simulator(state), latency_ms=latency_ms)
        with serve_in_thread(app) as server:
            yield server.url
        return
    with tempfile.TemporaryDirectory() as tmp:
        state_file = Path(tmp) / "state.json"
        state_file.write_text(json.dumps(state), encoding="utf-8")
        code = "import sys; from nsxplan.sim.cli import main; raise SystemExit(main(sys.argv[1:]))"
        proc = subprocess.Popen(
            [sys.executable, "-c", code, "serve", "--state", str(state_file), "--port", "0",
             "--latency-ms", f"{latency_ms:g}"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            if not url.startswith("http"):
                raise SystemExit(f"simulator did not start (exit {proc.poll()})")
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--server", choices=("process", "thread"), default="process")
    parser.add_argument("--planner-runs", type=int, default=0)
    parser.add_argument("--no-per-object", action="store_true")
    parser.add_argument("--workload", action="store_true")
    args = parser.parse_args()

    if args.workload:
        with tempfile.TemporaryDirectory() as tmp:
            work = workload.write(Path(tmp) / "w", args.objects)
            config = load_config(work.config)
            state = json.loads(work.state.read_text(encoding="utf-8"))
            paths = work.paths.read_text(encoding="utf-8").split()
    else:
        config = build_config(args.objects)
        greenfield = make_plan(config, LiveState(), target="bench")
        paths = [a.path for a in greenfield.actions]
        state = applied_state(greenfield)
    with served(state, args.latency_ms, args.server) as url:
        conn = connect(url, rate_limit=None, max_in_flight=max(args.threads, 20))
        client = conn.client
        try:
            client.version()    # both sides start with the version known
            t = time.perf_counter()
            live = read_live(client)
            refreshed = time.perf_counter()
            plan = make_plan(config, live, target=url)
            bulk_s = time.perf_counter() - t
            bulk_refresh_s = refreshed - t
            assert not plan.has_changes, plan.summary()

            each_s = each_req = 0.0
            if not args.no_per_object:
                before = client.request_count
                t = time.perf_counter()
                slow_live = per_object_live(client, paths, args.threads)
                slow_plan = make_plan(config, slow_live, target=url)
                each_s = time.perf_counter() - t
                each_req = client.request_count - before
                assert not slow_plan.has_changes, slow_plan.summary()
        finally:
            conn.close()
    n = len(plan.actions)
    print(f"no-change plan of {n} objects, latency {args.latency_ms:g} ms/request, "
          f"simulator in a {args.server}")
    print(f"nsxplan (H-API refresh + plan):       {bulk_s:8.2f} s  {live.requests:6d} requests"
          f"  (refresh {bulk_refresh_s:.2f} s, planning {bulk_s - bulk_refresh_s:.2f} s)")
    if not args.no_per_object:
        print(f"per-object GETs ({args.threads} threads) + plan:  {each_s:8.2f} s  "
              f"{each_req:6.0f} requests")
        print(f"ratio per-object / nsxplan: {each_s / bulk_s:.1f}x")
    if args.planner_runs > 0:
        runs = planner_alone(config, live, args.planner_runs)
        print(f"make_plan alone (inner loop, {len(runs)} runs): median "
              f"{statistics.median(runs):.3f} s, fastest {min(runs):.3f} s")
    return 0


def planner_alone(config: Config, live: LiveState, runs: int) -> list[float]:
    """Seconds of each of `runs` no-change make_plan calls over one live state."""
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        plan = make_plan(config, live, target="bench", unchanged_bodies=False)
        out.append(time.perf_counter() - t)
        assert not plan.has_changes, plan.summary()
    return out


if __name__ == "__main__":
    raise SystemExit(main())
