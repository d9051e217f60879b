"""run_checks as a function: deterministic, pure, ordered; blocking() levels."""

from __future__ import annotations

import pytest

from nsxplan.checks import blocking, run_checks
from nsxplan.errors import UsageError
from nsxplan.live.state import LiveState
from nsxplan.plan.model import Check
from tests.checks.helpers import DEFAULT_ROUTE, config, deep, dns_server, lab_objects, live


def test_deterministic_and_does_not_touch_live_state():
    objects = lab_objects()
    before = deep(objects)
    cfg = config(dns=[dns_server("192.168.10.10")])
    first = run_checks(cfg, LiveState(objects=objects))
    # same objects inserted in another order: same checks in the same order
    reordered = LiveState(objects=dict(reversed(list(objects.items()))))
    assert run_checks(cfg, reordered) == first
    assert objects == before
    assert isinstance(first, tuple) and all(isinstance(c, Check) for c in first)


def test_order_is_dns_then_egress_then_forwarders():
    checks = run_checks(config(dns=[dns_server("192.168.10.10")]), live())
    ids = [c.id for c in checks]
    assert ids == ["dns.route", "dns.return-route", "egress.tier0-nat", "egress.tier0-nat",
                   "egress.default-route"]
    assert {c.status for c in checks} <= {"ok", "warn", "fail"}


def test_blocking_levels():
    checks = run_checks(config(routes=[], dns=[dns_server("10.27.51.10", return_route=True)]),
                        live())
    statuses = sorted({c.status for c in checks})
    assert statuses == ["fail", "ok", "warn"]
    assert {c.status for c in blocking(checks)} == {"fail"}
    assert {c.status for c in blocking(checks, "fail")} == {"fail"}
    assert {c.status for c in blocking(checks, "warn")} == {"fail", "warn"}
    assert blocking(checks, "never") == []
    ok_only = run_checks(config(routes=[DEFAULT_ROUTE]), None)
    assert ok_only and blocking(ok_only, "warn") == []


def test_unknown_level_is_a_usage_error():
    with pytest.raises(UsageError) as err:
        blocking([], "error")
    assert "fail, warn, never" in err.value.format()
