"""nsxplan never sends X-Allow-Overwrite (the superuser override of NCP's protection): every
request of a plan, an apply and a rollback through the real CLI is inspected."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from nsxplan.sim import Simulator
from tests.safety.helpers import NO_CHECKS, Lab


def test_apply_and_rollback_never_send_allow_overwrite(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[str, str | None]] = []
    serve = Simulator.__call__

    def recording(self: Simulator, environ: dict[str, Any],
                  start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen.append((environ["REQUEST_METHOD"], environ.get("HTTP_X_ALLOW_OVERWRITE")))
        return serve(self, environ, start_response)

    monkeypatch.setattr(Simulator, "__call__", recording)
    lab = Lab(tmp_path)
    journal = tmp_path / "journal.jsonl"
    for args in (("plan", lab.dir), ("apply", lab.dir, "--auto-approve", "--journal", journal),
                 ("rollback", journal)):
        res = lab.run(*args, *(NO_CHECKS if args[0] != "rollback" else ()))
        assert res.code in (0, 2), res.out + res.err
    methods = {m for m, _ in seen}
    assert {"GET", "PUT", "DELETE"} <= methods, methods      # creates are PUTs
    assert [h for _, h in seen if h is not None] == []
