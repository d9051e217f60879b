"""Randomized fault suite: N seeded runs of a mixed create/update/delete/replace apply under
random faults (5xx, dropped connections, answers lost after the write committed, 503 storms,
realization errors); each run is judged by the simulator's final state.

Prints the endings (applied, restored, finished_by_rollback, refused) and the two numbers that
must be zero: partial (neither fully applied nor exactly restored) and false_claims ("(verified)"
or "Apply complete" said while NSX shows otherwise). Exit 1 if either is not zero.

    python benchmarks/fault_suite.py [--runs 500] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.safety.fault_runs import run_many  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0, help="first seed (runs use seed..seed+N-1)")
    args = parser.parse_args()
    started = time.perf_counter()
    counts, bad = run_many(args.runs, args.seed)
    elapsed = time.perf_counter() - started
    print(f"{args.runs} runs (seeds {args.seed}..{args.seed + args.runs - 1}) in {elapsed:.1f}s")
    for key in ("applied", "restored", "finished_by_rollback", "refused", "partial",
                "false_claims"):
        print(f"  {key:22} {counts.get(key, 0)}")
    for seed, detail in bad[:5]:
        print(f"\nseed {seed}: {detail}")
    return 1 if counts["partial"] or counts["false_claims"] else 0


if __name__ == "__main__":
    sys.exit(main())
