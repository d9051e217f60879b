"""Run one apply in a separate process, for the kill -9 test:

    python tests/apply/apply_driver.py URL PLAN.json JOURNAL

PLAN.json is a list of Action fields (dataclasses.asdict). The process is meant to be killed
mid-apply; it never cleans up after itself, exactly like a crashed `nsxplan apply`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

from nsxplan.apply import apply_plan
from nsxplan.client import NsxClient
from nsxplan.plan.model import Action
from tests.apply.helpers import make


def main(url: str, plan_file: str, journal: str) -> int:
    actions = [Action(**{**a, "depends_on": tuple(a["depends_on"]), "diff": ()})
               for a in json.loads(Path(plan_file).read_text())]
    client = NsxClient(httpx.Client(base_url=url, timeout=10.0), rate_limit=None)
    result = apply_plan(make(actions), client, parallelism=1, journal_path=Path(journal),
                        poll_interval=0.01, realization_timeout=5.0)
    return result.exit_code


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(*sys.argv[1:4]))
