"""Whole commands, as a user runs them: `nsxplan plan` and `nsxplan validate` in fresh processes,
beside the per-object refresh and the floor, all against the same `nsxplan sim serve` in the
same run.

    python benchmarks/bench_commands.py --sizes 1000,3000,10000,50000 [--runs 3]
        [--latency-ms 20] [--threads 10] [--append docs/performance.md]

For each size, a workload (benchmarks/workload.py: a configuration and the state an apply of it
leaves) is served by `nsxplan sim serve --state FILE --latency-ms 20` in its own process, and
these are run in turn, `--runs` times each, interleaved so that machine noise spreads evenly:

  floor       a fresh Python process: one filtered Hierarchical API GET (the types nsxplan
              reads) + json.loads. No program that reads the tree can take less.
  plan        `nsxplan plan DIR --detailed-exitcode` (must exit 0: no changes); on Linux it
              runs its rules and checks on an idle second core when there is one.
  plan 1 process  the same with NSXPLAN_NO_FORK=1: everything in the one process.
  plan json   the same with `--format json` (stdout size reported).
  validate    `nsxplan validate DIR` (offline).
  per-object  a fresh process doing one GET per object over `--threads` threads with one
              keep-alive connection pool (the Terraform provider's refresh pattern).

Each child is timed with os.wait4: wall clock, CPU (user + system) and peak RSS of that process
(with the children it forked and waited for: their CPU is added, the peak is the largest).
Medians are printed with the ratios the issue names: per-object / plan and plan / floor.
Nothing is asserted; the exit code is 1 only when a command failed or a plan was not empty.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload  # noqa: E402

LIVE_TYPES = ("Tier0|Tier1|LocaleServices|StaticRoutes|PolicyNat|PolicyNatRule|"
              "PolicyDnsForwarder|PolicyDnsForwarderZone|Tier0Interface|Tier1Interface|"
              "BgpRoutingConfig|BgpNeighborConfig|Segment")

FLOOR = """
import base64, json, sys, urllib.parse, urllib.request
query = urllib.parse.urlencode({"filter": "Type-" + sys.argv[2]})
url = sys.argv[1] + "/policy/api/v1/infra?" + query
auth = "Basic " + base64.b64encode(b"bench:bench").decode()
with urllib.request.urlopen(urllib.request.Request(url, headers={"Authorization": auth})) as r:
    tree = json.loads(r.read())
print(len(tree.get("children") or ()))
"""

PER_OBJECT = """
import sys, threading
from concurrent.futures import ThreadPoolExecutor
import httpx
base, paths_file, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
paths = open(paths_file).read().split()
local = threading.local()
def get(path):
    client = getattr(local, "client", None)
    if client is None:
        client = local.client = httpx.Client(base_url=base, auth=("bench", "bench"), timeout=60)
    response = client.get("/policy/api/v1" + path)
    response.raise_for_status()
    return response.json()
with ThreadPoolExecutor(max_workers=threads) as pool:
    n = sum(1 for _ in pool.map(get, paths))
print(n)
"""


@dataclass
class Run:
    wall: float
    cpu: float
    rss_mb: float
    code: int
    out_bytes: int


@dataclass
class Series:
    runs: list[Run] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.runs)


def timed(argv: Sequence[str], env: dict[str, str], cwd: Path) -> Run:
    """Run a child to completion; wall, CPU and peak RSS of that child alone (os.wait4)."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(list(argv), stdout=out, stderr=subprocess.DEVNULL, env=env,
                                cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        size = out.tell()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, proc.returncode,
               size)


@contextmanager
def served(state: Path, latency_ms: float) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "nsxplan", "sim", "serve", "--state", str(state), "--port", "0",
         "--latency-ms", f"{latency_ms:g}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"the simulator did not start (exit {proc.poll()})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def nsxplan(*args: str) -> list[str]:
    return [sys.executable, "-m", "nsxplan", *args]


def measure(size: int, args: argparse.Namespace, root: Path) -> dict[str, Series]:
    work = workload.write(root / f"w{size}", size)
    env = {**os.environ, "NSX_USERNAME": "bench", "NSX_PASSWORD": "bench", "NO_COLOR": "1"}
    env.pop("NSX_MANAGER", None)
    # Installed packages carry compiled bytecode; a checkout gets it on the first run, unless
    # writing it is switched off, which would add the compiling of every module to every run.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    series = {name: Series() for name in
              ("floor", "plan", "plan 1 process", "plan json", "validate", "per-object")}
    # `plan` uses an idle second core when there is one (NSXPLAN_NO_FORK documents it); the
    # same command held to one process is measured beside it, so a busy machine shows in both.
    one_process = {**env, "NSXPLAN_NO_FORK": "1"}
    with served(work.state, args.latency_ms) as url:
        commands = {
            "floor": [sys.executable, "-c", FLOOR, url, LIVE_TYPES],
            "plan": nsxplan("plan", str(work.config), "--manager", url, "--detailed-exitcode"),
            "plan 1 process": nsxplan("plan", str(work.config), "--manager", url,
                                      "--detailed-exitcode"),
            "plan json": nsxplan("plan", str(work.config), "--manager", url, "--format", "json",
                                 "--detailed-exitcode"),
            "validate": nsxplan("validate", str(work.config)),
            "per-object": [sys.executable, "-c", PER_OBJECT, url, str(work.paths),
                           str(args.threads)],
        }
        timed(commands["plan"], env, work.directory)         # warm the OS file cache
        for i in range(args.runs):
            for name, argv in commands.items():
                if name == "per-object" and i >= args.baseline_runs:
                    continue
                series[name].runs.append(timed(
                    argv, one_process if name == "plan 1 process" else env, work.directory))
    series["objects"] = Series([Run(0, 0, 0, 0, work.objects)])
    return series


def check(results: dict[int, dict[str, Series]]) -> list[str]:
    bad = []
    for size, series in results.items():
        for name, s in series.items():
            for r in s.runs:
                if name != "objects" and r.code != 0:
                    bad.append(f"{size}: {name} exited {r.code}")
    return bad


def table(results: dict[int, dict[str, Series]]) -> str:
    head = ("| objects | floor (GET + json.loads) | `nsxplan plan` wall / CPU / peak RSS "
            "| plan / floor | per-object refresh | per-object / plan | `plan`, one process "
            "(NSXPLAN_NO_FORK=1): wall, per-object / plan | `plan --format json` "
            "wall / RSS / output | `validate` CPU |")
    rows = [head, "|" + "---|" * 9]
    for series in results.values():
        n = series["objects"].runs[0].out_bytes
        floor = series["floor"].median("wall")
        plan = series["plan"]
        js = series["plan json"]
        one = series["plan 1 process"]
        each = series["per-object"].median("wall")
        rows.append(
            f"| {n:,} | {floor:.2f} s | {plan.median('wall'):.2f} s / {plan.median('cpu'):.2f} s"
            f" / {plan.median('rss_mb'):.0f} MiB | {plan.median('wall') / floor:.1f}x "
            f"| {each:.1f} s | {each / plan.median('wall'):.1f}x "
            f"| {one.median('wall'):.2f} s, {each / one.median('wall'):.1f}x "
            f"| {js.median('wall'):.2f} s / {js.median('rss_mb'):.0f} MiB / "
            f"{js.median('out_bytes') / 1e6:.1f} MB | {series['validate'].median('cpu'):.2f} s |")
    return "\n".join(rows)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


def installed() -> str:
    """Where the measured nsxplan comes from: an editable install (a checkout) imports through
    a finder hook every Python start pays for, floor included; `pip install .` does not."""
    where = subprocess.run([sys.executable, "-c", "import nsxplan; print(nsxplan.__file__)"],
                           capture_output=True, text=True, cwd=tempfile.gettempdir()
                           ).stdout.strip()
    return ("installed (site-packages)" if "site-packages" in where
            else f"from a checkout ({where or 'not importable'})")


def version() -> str:
    try:
        return subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True, cwd=Path(__file__).parent, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-runs", type=int, default=None,
                        help="per-object refresh runs (default: --runs; 50k takes ~2 min each)")
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=10)
    parser.add_argument("--append", type=Path, default=None,
                        help="append the results table (with method and machine) to this file")
    args = parser.parse_args()
    args.baseline_runs = args.runs if args.baseline_runs is None else args.baseline_runs
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, dict[str, Series]] = {}
    with tempfile.TemporaryDirectory(prefix="nsxplan-bench-") as tmp:
        for size in sizes:
            results[size] = measure(size, args, Path(tmp))
            print(f"{size}: done", file=sys.stderr)
    text = table(results)
    command = "python benchmarks/bench_commands.py " + " ".join(sys.argv[1:])
    print(text)
    bad = check(results)
    for line in bad:
        print(f"FAILED: {line}", file=sys.stderr)
    if args.append is not None:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        with args.append.open("a", encoding="utf-8") as fh:
            fh.write(f"\n### {stamp}, nsxplan {version()}\n\n"
                     f"Machine: {machine()}. nsxplan {installed()}. "
                     f"Simulator latency {args.latency_ms:g} ms/request, "
                     f"per-object refresh over {args.threads} threads, medians of {args.runs} "
                     f"runs ({args.baseline_runs} for the per-object refresh).\n\n"
                     f"    {command}\n\n{text}\n")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
