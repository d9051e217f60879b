"""Rehearsing a change window offline: export "production", plan and apply against the snapshot.

The plan against `sim:SNAPSHOT` must be the plan against the manager it came from, the rehearsal
must converge, and a snapshot served again exports byte for byte what it was made from.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.scenarios.conftest import Sim, nsxplan, write_config
from tests.scenarios.helpers import V2


def changes(doc: dict[str, Any]) -> list[tuple[str, str, Any]]:
    # plan format 2 summarizes unchanged objects (no diff): compare what each change carries
    return [(c["path"], c["action"], c.get("diff")) for c in doc["changes"]]


def test_rehearsal_against_an_export_matches_production(
        v1_state: Path, sims: Callable[..., Sim], tmp_path: Path) -> None:
    state = tmp_path / "prod-state.json"
    shutil.copy(v1_state, state)
    prod = sims("--state", str(state))
    snapshot = tmp_path / "prod.json"
    res = nsxplan("export", "--manager", prod.url, "--out", snapshot, sim=prod)
    assert res.code == 0, res.err
    config = write_config(tmp_path / "change", V2)

    live = nsxplan("plan", config, "--manager", prod.url, "--format", "json", sim=prod)
    offline = nsxplan("plan", config, "--manager", f"sim:{snapshot}", "--format", "json")
    assert live.code == 0 and offline.code == 0, live.err + offline.err
    assert changes(offline.json) == changes(live.json)
    assert [c["revision"] for c in offline.json["changes"]] == [
        c["revision"] for c in live.json["changes"]]
    assert offline.json["checks"] == live.json["checks"]

    rehearsal = tmp_path / "rehearsal.json"
    shutil.copy(snapshot, rehearsal)
    applied = nsxplan("apply", config, "--manager", f"sim:{rehearsal}", "--auto-approve")
    assert applied.code == 0, applied.out + applied.err
    again = nsxplan("plan", config, "--manager", f"sim:{rehearsal}", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
    # Production itself was not touched by the rehearsal.
    assert nsxplan("plan", config, "--manager", prod.url, "--detailed-exitcode",
                   sim=prod).code == 2

    # A snapshot is a faithful state: served again, it exports exactly what it was made from.
    copy = tmp_path / "served-copy.json"
    shutil.copy(snapshot, copy)
    served = sims("--state", str(copy))
    round_trip = tmp_path / "round-trip.json"
    res = nsxplan("export", "--manager", served.url, "--out", round_trip, sim=served)
    assert res.code == 0, res.err
    assert round_trip.read_bytes() == snapshot.read_bytes()


def test_concurrent_commands_on_one_state_file_lose_nothing(tmp_path: Path) -> None:
    """Two commands at once on the same `sim:FILE` (two people rehearsing on one snapshot) each
    load the file, work in memory and write it back: the second used to load before the first
    wrote back, then overwrite it, silently dropping its change. Now the second waits."""
    from nsxplan.connect import connect

    state = tmp_path / "shared.json"
    assert nsxplan("export", "--manager", f"sim:{state}", "--out", state).code == 0
    route = "/policy/api/v1/infra/tier-0s/vcf-t0/static-routes/"
    first = connect(f"sim:{state}")
    seen: list[int] = []

    def second_command() -> None:
        with connect(f"sim:{state}") as conn:   # waits until `first` is closed
            seen.append(conn.client.http.get(route + "r-first").status_code)
            conn.client.http.patch(route + "r-second", json={
                "network": "198.51.100.0/24", "next_hops": [{"ip_address": "10.27.51.1"}]})
            conn.persist()

    worker = threading.Thread(target=second_command)
    worker.start()
    first.client.http.patch(route + "r-first", json={
        "network": "192.0.2.0/24", "next_hops": [{"ip_address": "10.27.51.1"}]})
    first.persist()
    first.close()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert seen == [200], "the second command loaded the state before the first wrote it back"
    text = state.read_text()
    assert "r-first" in text and "r-second" in text


def test_served_state_saved_on_exit_is_what_was_applied(
        sims: Callable[..., Sim], lab: Path, tmp_path: Path) -> None:
    """`sim serve --state FILE --save-on-exit`: after SIGTERM the file holds what was applied,
    so the same configuration planned against `sim:FILE` has nothing to do."""
    state = tmp_path / "served.json"
    assert nsxplan("export", "--manager", "sim", "--out", state).code == 0
    sim = sims("--state", str(state), "--save-on-exit")
    assert nsxplan("apply", lab, "--manager", sim.url, "--auto-approve", sim=sim).code == 0
    sim.stop()
    assert sim.proc.returncode == 0, sim.stderr_path.read_text()
    again = nsxplan("plan", lab, "--manager", f"sim:{state}", "--detailed-exitcode")
    assert again.code == 0, again.out + again.err
