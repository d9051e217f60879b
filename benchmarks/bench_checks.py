"""Inner-loop benchmark: the dependency checks of a no-change plan, in one process. It leaves
out everything else a user waits for (bench_commands.py times the whole command).

A plan runs `checks.both_runs(config, live)` (the checks after the plan and on NSX as it is)
in a forked child beside the planner (perf.Beside); once planning is fast, the checks are what
the plan waits for. Measured here, the collector off as the command runs them, medians of
`--runs`:

  both_runs, forked   in a fresh child for each run, as the command runs them: the
                      address caches as loading the configuration leaves them
  both_runs           again in this process (what each run parses is cached by then)
  judge_plan          the two runs classified against each other (after the planner)
  validate's checks   run_checks(config, None), what `nsxplan validate` runs offline: in a
                      fresh child, once, after loading with the parsed addresses kept, as
                      the command runs them

The workload is benchmarks/workload.py's (one Tier-0, Tier-1s of 124 routes and 124 DNAT
rules each, every object owner-tagged as after an apply), its live objects given the
bookkeeping fields NSX adds (who changed them, when); or `--config FILE --tree FILE` (a
Hierarchical API tree as NSX returns it for that configuration).

    python benchmarks/bench_checks.py [--objects 10000] [--runs 9] [--profile]
                                      [--config FILE --tree FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import os
import pstats
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import workload  # noqa: E402

from nsxplan.checks import both_runs, judge_plan, run_checks  # noqa: E402
from nsxplan.config import load_config  # noqa: E402
from nsxplan.live.read import flatten_infra  # noqa: E402
from nsxplan.live.state import LiveState  # noqa: E402

STAMP = 1796008839314      # epoch ms: the objects were applied together, as after one apply


def _stamped(tree: dict[str, Any]) -> dict[str, Any]:
    """The snapshot's objects with the fields NSX adds to what it returns."""
    for child in tree.get("children") or ():
        for key, value in child.items():
            if isinstance(value, dict) and key != "resource_type":
                value.update(_create_user="admin", _last_modified_user="admin",
                             _create_time=STAMP, _last_modified_time=STAMP, _revision=0)
                _stamped(value)
    return tree


def _median(fn: Callable[[], float], runs: int) -> tuple[float, float]:
    times = [fn() for _ in range(runs)]
    return statistics.median(times), min(times)


def _timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def _forked(timing: Callable[[], float]) -> float:
    """A timing taken in a fresh child of this process, as perf.Beside runs the checks."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:    # pragma: no cover - the child
        os.close(read)
        os.write(write, repr(timing()).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as answer:
        took = float(answer.read())
    os.waitpid(pid, 0)
    return took


def _validate_checks(config_path: Path) -> float:
    """The checks' time in `nsxplan validate` (commands.validate's loading, then the checks)."""
    config = load_config(config_path, keep_parsed_addresses=True, with_digest=False)
    return _timed(lambda: run_checks(config, None))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--objects", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--config", type=Path)
    ap.add_argument("--tree", type=Path)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of one run")
    args = ap.parse_args()
    gc.disable()
    with tempfile.TemporaryDirectory() as tmp:
        if args.config and args.tree:
            config_path, tree = args.config, json.loads(args.tree.read_text())
        else:
            work = workload.write(Path(tmp), args.objects)
            config_path, tree = work.config, _stamped(json.loads(work.state.read_text()))
        _measure(args, config_path, tree)


def _measure(args: argparse.Namespace, config_path: Path, tree: dict[str, Any]) -> None:
    config = load_config(config_path)
    live = LiveState(objects=flatten_infra(tree, in_place=True), nsx_version="4.1", requests=2)
    print(f"inner loop: dependency checks, {len(live.objects):,} live objects, "
          f"medians (min) of {args.runs} runs")
    forked = _median(lambda: _forked(lambda: _timed(lambda: both_runs(config, live))),
                     args.runs)
    runs = both_runs(config, live)
    here = _median(lambda: _timed(lambda: both_runs(config, live)), args.runs)
    judged = _median(lambda: _timed(lambda: judge_plan(config, runs, ())), args.runs)
    offline = _median(lambda: _forked(lambda: _validate_checks(config_path)), args.runs)
    for name, (med, low) in (("both_runs, forked", forked), ("both_runs", here),
                             ("judge_plan", judged), ("validate's checks", offline)):
        print(f"  {name:<18} {med * 1000:9.3f} ms  ({low * 1000:.3f})")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(both_runs, config, live)
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)

if __name__ == "__main__":
    main()
