"""Prometheus textfile for `drift --metrics`."""

from __future__ import annotations

import dataclasses
import re
import stat
from datetime import datetime, timezone

import pytest

from nsxplan.errors import MetricsError
from nsxplan.render.metrics import drift_metrics, write_metrics
from tests.render.helpers import empty_plan, sample_plan

NOW = datetime(2026, 11, 21, 19, 0, tzinfo=timezone.utc)
_SAMPLE = re.compile(r'^([a-z_]+)\{((?:[a-z_]+="(?:[^"\\]|\\.)*",?)*)\} (-?[0-9.e+]+)$')


def _series(text: str) -> dict[tuple[str, frozenset], float]:
    """Parse the exposition format strictly: every line is a HELP/TYPE comment or a sample, every
    sample's metric declared by a TYPE line before it."""
    typed: set[str] = set()
    out = {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            name, kind = line.split()[2:4]
            assert kind == "gauge"
            typed.add(name)
            continue
        if line.startswith("# HELP "):
            continue
        m = _SAMPLE.match(line)
        assert m, line
        assert m.group(1) in typed, line
        labels = frozenset(re.findall(r'([a-z_]+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def test_changes_checks_and_timestamp():
    series = _series(drift_metrics(sample_plan(), now=NOW))
    owner = ("owner", "tanzu-egress")

    def get(name, **labels):
        return series[(name, frozenset({owner, *labels.items()}))]

    assert get("nsxplan_drift_changes", action="create") == 1
    assert get("nsxplan_drift_changes", action="update") == 2
    assert get("nsxplan_drift_changes", action="delete") == 2
    assert get("nsxplan_drift_changes", action="replace") == 1
    assert ("nsxplan_drift_changes", frozenset({owner, ("action", "no-op")})) not in series
    assert get("nsxplan_drift_unchanged_objects") == 1
    assert get("nsxplan_drift_detected") == 1
    assert get("nsxplan_checks", status="ok") == 1
    assert get("nsxplan_checks", status="warn") == 1
    assert get("nsxplan_checks", status="fail") == 1
    assert get("nsxplan_drift_last_run_timestamp_seconds") == NOW.timestamp()


def test_in_sync_plan_reports_zeroes():
    series = _series(drift_metrics(empty_plan(), now=1_700_000_000.5))
    changes = [v for (name, _), v in series.items() if name == "nsxplan_drift_changes"]
    assert changes == [0, 0, 0, 0]
    assert series[("nsxplan_drift_detected", frozenset({("owner", "tanzu-egress")}))] == 0
    assert series[("nsxplan_drift_last_run_timestamp_seconds",
                   frozenset({("owner", "tanzu-egress")}))] == 1_700_000_000.5


def test_label_values_are_escaped():
    plan = dataclasses.replace(sample_plan(), owner='we"ird\\own\ner')
    text = drift_metrics(plan, now=NOW)
    assert 'owner="we\\"ird\\\\own\\ner"' in text
    assert len(_series(text)) > 0


def test_write_is_atomic_and_readable_by_the_collector(tmp_path):
    path = tmp_path / "nsxplan.prom"
    text = drift_metrics(sample_plan(), now=NOW)
    write_metrics(path, text)
    write_metrics(path, text)
    assert path.read_text(encoding="utf-8") == text
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["nsxplan.prom"]


def test_unwritable_path_is_a_clear_error(tmp_path):
    with pytest.raises(MetricsError) as err:
        write_metrics(tmp_path / "no-such-dir" / "x.prom", "x 1\n")
    assert "cannot write" in str(err.value)
