"""Properties over random write sequences: a refused write (single or H-API) changes nothing,
and the state always survives a snapshot round trip."""

from __future__ import annotations

from typing import Any

from core_support import P, client_for
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nsxplan.sim import Simulator

GATEWAYS = ["/infra/tier-0s/a", "/infra/tier-0s/b", "/infra/tier-1s/c", "/infra/tier-1s/d"]
IDS = st.sampled_from(["x", "y"])
BAD_OR_GOOD_IP = st.sampled_from(["10.0.0.1", "10.0.0.300", "30.0.0.5"])


def _route(gw: str, rid: str, hop: str) -> tuple[str, str, dict[str, Any]]:
    return ("PATCH", f"{gw}/static-routes/{rid}",
            {"network": "10.1.0.0/16", "next_hops": [{"ip_address": hop}]})  # fmt: skip


def _rule(gw: str, rid: str, action: str) -> tuple[str, str, dict[str, Any]]:
    body = {"action": action, "source_network": "10.0.0.0/24", "destination_network": "1.1.1.1",
            "translated_network": "30.0.0.5"}  # fmt: skip
    return "PATCH", f"{gw}/nat/USER/nat-rules/{rid}", body


def _tier0(gw: str, ha: str) -> tuple[str, str, dict[str, Any]]:
    return "PATCH", gw, {"ha_mode": ha} if "tier-0s" in gw else {"tier0_path": "/infra/tier-0s/a"}


def _hapi(gw: str, rid: str, delete: bool) -> tuple[str, str, dict[str, Any]]:
    kind = "Tier0" if "tier-0s" in gw else "Tier1"
    gw_id = gw.rsplit("/", 1)[1]
    route = {
        "resource_type": "ChildStaticRoutes",
        "StaticRoutes": {
            "id": rid,
            "network": "10.2.0.0/16",
            "next_hops": [{"ip_address": "10.0.0.9"}],
        },
    }
    body = {"resource_type": "Infra", "children": [{
        "resource_type": f"Child{kind}", kind: {"id": gw_id, "children": [route]},
        "marked_for_delete": delete}]}  # fmt: skip
    return "PATCH", "/infra", body


def _gateway(kind: str, gw_id: str, **fields: Any) -> dict[str, Any]:
    return {"resource_type": f"Child{kind}", kind: {"resource_type": kind, "id": gw_id, **fields}}


# Some gateways exist from the start (one of each HA mode), others appear and go during a run.
START = {"resource_type": "Infra", "children": [
    _gateway("Tier0", "a", ha_mode="ACTIVE_STANDBY"),
    _gateway("Tier0", "b", ha_mode="ACTIVE_ACTIVE"),
    _gateway("Tier1", "c", tier0_path="/infra/tier-0s/a"),
]}  # fmt: skip

OPS = st.one_of(
    st.builds(_route, st.sampled_from(GATEWAYS), IDS, BAD_OR_GOOD_IP),
    st.builds(
        _rule,
        st.sampled_from(GATEWAYS),
        IDS,
        st.sampled_from(["SNAT", "DNAT", "REFLEXIVE", "NO_SNAT"]),
    ),  # fmt: skip
    st.builds(
        _tier0, st.sampled_from(GATEWAYS), st.sampled_from(["ACTIVE_ACTIVE", "ACTIVE_STANDBY"])
    ),
    st.builds(_hapi, st.sampled_from(GATEWAYS), IDS, st.booleans()),
    st.builds(lambda gw: ("DELETE", gw, {}), st.sampled_from(GATEWAYS)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, min_size=1, max_size=12))
def test_refused_writes_change_nothing(ops: list[tuple[str, str, dict[str, Any]]]) -> None:
    sim = Simulator(START)
    with client_for(sim) as c:
        for method, path, body in ops:
            before = sim.snapshot()
            kw = {"json": body} if method != "DELETE" else {}
            resp = c.request(method, P + path, **kw)
            assert resp.status_code in (200, 400, 404, 412), resp.text
            if resp.status_code != 200:
                assert sim.snapshot() == before, (method, path, resp.text)
        snap = sim.snapshot()
        assert Simulator(snap).snapshot() == snap
