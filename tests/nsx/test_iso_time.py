"""iso_time answers from its per-second cache exactly what datetime says."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.nsx.objects import iso_time


def _direct(ms: float) -> str | None:
    try:
        moment = datetime.fromtimestamp(ms / 1000.0, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.integers(min_value=-10**13, max_value=10**14),
                 st.floats(allow_nan=True, allow_infinity=True)))
def test_cached_answers_are_datetimes(ms: float) -> None:
    first, again = iso_time(ms), iso_time(ms)
    assert first == again == _direct(ms)


def test_not_a_time() -> None:
    assert iso_time(None) is None and iso_time("1716980205000") is None and iso_time(True) is None
    assert iso_time(1716980205000) == "2024-05-29T10:56:45Z"
    assert iso_time(1716980205999) == "2024-05-29T10:56:45Z"
