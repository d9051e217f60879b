"""Inner-loop benchmark: how long `load_config` takes on a large configuration, against plain
PyYAML on the same text (bench_commands.py times whole commands).

    python benchmarks/bench_load_config.py [MEGABYTES]   (default 10)

Prints the time of each stage and the ratio to `yaml.load(text, CSafeLoader)` (with the cyclic
GC paused, as load_config does) measured in the same run, so figures from different machines
compare through the ratio.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

from nsxplan.config import load_config
from nsxplan.config.loader import load_files, merge_documents
from nsxplan.config.rules import semantic_problems
from nsxplan.config.schema import schema_problems
from nsxplan.perf import paused_gc


def big_config(megabytes: float) -> str:
    lines = ["version: 1", "owner: bench", "tier0s:", "  - id: t0", "    ha_mode: ACTIVE_STANDBY",
             "    static_routes:"]
    size, i = 0, 0
    budget = int(megabytes * 1_000_000)
    while size < budget // 2:
        line = (f"      - {{id: r{i}, network: 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}/32, "
                f"next_hops: [{{ip: 192.168.0.1, admin_distance: 2}}]}}")
        lines.append(line)
        size, i = size + len(line) + 1, i + 1
    lines.append("    nat_rules:")
    j = 0
    while size < budget:
        line = (f"      - {{id: n{j}, action: SNAT, source: 10.{j >> 16 & 255}.{j >> 8 & 255}."
                f"{j & 255}, translated: 172.16.2.1}}")
        lines.append(line)
        size, j = size + len(line) + 1, j + 1
    return "\n".join(lines) + "\n"


def timed(label: str, fn, baseline: float | None = None) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    ratio = f"  ({elapsed / baseline:.2f}x PyYAML)" if baseline else ""
    print(f"{label:<34} {elapsed:7.2f} s{ratio}")
    return elapsed


def main() -> None:
    megabytes = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    text = big_config(megabytes)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text, encoding="utf-8")
        print(f"{len(text) / 1e6:.1f} MB, {text.count(chr(10))} lines")
        timed("yaml.load(CSafeLoader), GC on", lambda: yaml.load(text, yaml.CSafeLoader))
        with paused_gc():
            base = timed("baseline: the same, GC paused", lambda: yaml.load(text, yaml.CSafeLoader))
        with paused_gc():
            files, _ = load_files(path)
            doc = files[0].document
            timed("load (parse events + marks)", lambda: load_files(path), base)
            timed("schema", lambda: schema_problems(doc, doc.source), base)
            merged, _ = merge_documents(files)
            timed("semantic rules", lambda: semantic_problems(merged), base)
        timed("load_config total", lambda: load_config(path), base)


if __name__ == "__main__":
    main()
