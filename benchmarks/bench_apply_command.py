"""`nsxplan apply` as a user runs it, creating ~N objects against `nsxplan sim serve
--rate-limit 100` (NSX's default per-user limit), counting every request the simulator answered.

    python benchmarks/bench_apply_command.py --creates 1000 [--rate-limit 100]
        [--latency-ms 20] [--modes per-object,atomic] [--parallelism 4] [--runs 1]

For each mode, a fresh simulator with an empty manager serves the workload of
benchmarks/workload.py (a Tier-0, then Tier-1s with locale-services, static routes and DNAT
rules), and `nsxplan apply DIR --auto-approve` runs in its own process. The simulator logs every
request (`-v`); the benchmark counts them by status. Reported: the whole command's wall time,
the requests the simulator answered (all of them, refresh and stale check included) per object
created, the apply phase's request rate against the limit (from the apply's own summary line:
its steps, seconds and requests) and the requests NSX refused (429, 5xx). Targets (issue #14):
>= 90 % of the limit, <= 1.5 requests per object, 0 refused. With `--runs N` each mode runs N
times (alternating modes) and the run of median wall time is reported: the machine is shared.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload  # noqa: E402

STATUS = re.compile(r'" (\d{3}) ')
SUMMARY = re.compile(r"Apply complete: .*\((\d+) steps?, ([0-9.]+)s, (\d+) requests?\)")


def run(mode: str, args: argparse.Namespace, root: Path, n: int = 0) -> dict[str, object]:
    work = workload.write(root / f"{mode}-{n}", args.creates, applied=False)
    log = root / f"{mode}-{n}-sim.log"
    with log.open("w") as log_file:
        sim = subprocess.Popen(
            [sys.executable, "-m", "nsxplan", "sim", "serve", "--state", str(work.state),
             "--port", "0", "--rate-limit", f"{args.rate_limit:g}",
             "--latency-ms", f"{args.latency_ms:g}", "-v"],
            stdout=subprocess.PIPE, stderr=log_file, text=True)
        try:
            assert sim.stdout is not None
            url = sim.stdout.readline().strip()
            env = {**os.environ, "NSX_USERNAME": "bench", "NSX_PASSWORD": "bench",
                   "NO_COLOR": "1"}
            env.pop("PYTHONDONTWRITEBYTECODE", None)     # as installed: bytecode compiled
            argv = [sys.executable, "-m", "nsxplan", "apply", str(work.config), "--manager", url,
                    "--auto-approve", "--parallelism", str(args.parallelism),
                    "--journal", str(root / f"{mode}-{n}-journal.jsonl")]
            if mode == "atomic":
                argv.append("--atomic")
            started = time.perf_counter()
            done = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
            wall = time.perf_counter() - started
        finally:
            sim.terminate()
            sim.wait(timeout=30)
    statuses = Counter(int(m.group(1)) for m in STATUS.finditer(log.read_text()))
    summary = SUMMARY.search(done.stdout + done.stderr)
    steps, apply_s, apply_requests = (int(summary.group(1)), float(summary.group(2)),
                                      int(summary.group(3))) if summary else (0, 0.0, 0)
    served = sum(statuses.values())
    return {"mode": mode, "code": done.returncode, "objects": work.objects, "wall": wall,
            "served": served, "per_object": served / work.objects,
            "apply_rate": apply_requests / apply_s if apply_s else 0.0,
            "apply_s": apply_s, "apply_requests": apply_requests, "steps": steps,
            "refused": sum(n for s, n in statuses.items() if s == 429 or s >= 500),
            "statuses": dict(sorted(statuses.items())),
            "tail": (done.stdout + done.stderr).strip().splitlines()[-3:]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=1000)
    parser.add_argument("--rate-limit", type=float, default=100.0)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--parallelism", type=int, default=4)
    parser.add_argument("--modes", default="per-object,atomic")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    modes = args.modes.split(",")
    runs: dict[str, list[dict[str, object]]] = {m: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="nsxplan-bench-apply-") as tmp:
        for n in range(max(1, args.runs)):
            for mode in modes:
                runs[mode].append(run(mode, args, Path(tmp), n))
    rows = [sorted(runs[m], key=lambda r: float(r["wall"]))[len(runs[m]) // 2]  # type: ignore[arg-type]
            for m in modes]
    print(f"`nsxplan apply` creating ~{args.creates} objects, simulator --rate-limit "
          f"{args.rate_limit:g} --latency-ms {args.latency_ms:g}, parallelism "
          f"{args.parallelism}" + (f", median of {args.runs} runs" if args.runs > 1 else ""))
    print("| mode | objects | exit | wall | requests answered | per object | apply phase "
          "req/s (of the limit) | refused (429/5xx) |")
    print("|---|---|---|---|---|---|---|---|")
    bad = False
    for r in rows:
        share = float(r["apply_rate"]) / args.rate_limit  # type: ignore[arg-type]
        print(f"| {r['mode']} | {r['objects']} | {r['code']} | {r['wall']:.1f} s "
              f"| {r['served']} | {r['per_object']:.2f} | {r['apply_rate']:.1f} "
              f"({share:.0%}) | {r['refused']} |")
        bad = bad or r["code"] != 0
        if r["code"] != 0:
            print("   " + "\n   ".join(r["tail"]), file=sys.stderr)  # type: ignore[arg-type]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
