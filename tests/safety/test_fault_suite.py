"""The randomized fault suite (tests/safety/fault_runs.py), seeded and bounded: every run ends
fully applied or exactly restored (by the automatic rollback, or by `nsxplan rollback JOURNAL`
when it said it was incomplete), and nsxplan never claims "(verified)" or "Apply complete"
when NSX's state says otherwise. benchmarks/fault_suite.py runs more seeds."""

from __future__ import annotations

import pytest

from tests.safety.fault_runs import run_many


@pytest.mark.slow
def test_random_faults_never_leave_a_partial_state_or_a_false_claim() -> None:
    counts, bad = run_many(60, first_seed=1000)
    assert counts["partial"] == 0 and counts["false_claims"] == 0, bad[:3]
    # The faults really bit: some runs were rolled back, some applied despite them.
    assert counts["restored"] + counts["finished_by_rollback"] > 0, counts
    assert counts["applied"] > 0, counts
