"""Every policy path nsxplan builds comes from the kind table (nsx/kinds.py)."""

from __future__ import annotations

import pytest

from nsxplan.nsx.kinds import (
    KINDS,
    address_for_path,
    child_path,
    collection_path,
    locale_services_path,
    nat_rule_path,
    nat_section_path,
    path_of,
)

T0 = "/infra/tier-0s/t0"
LS = f"{T0}/locale-services/default"


@pytest.mark.parametrize("args,path", [
    (("Tier0", "t0"), T0),
    (("Tier1", "t1"), "/infra/tier-1s/t1"),
    (("Segment", "uplink-a"), "/infra/segments/uplink-a"),
    (("IpAddressBlock", "b"), "/infra/ip-blocks/b"),
    (("IpAddressPool", "p"), "/infra/ip-pools/p"),
    (("IpAddressPoolBlockSubnet", "s", "/infra/ip-pools/p"), "/infra/ip-pools/p/ip-subnets/s"),
    (("PolicyDnsForwarderZone", "z"), "/infra/dns-forwarder-zones/z"),
    (("StaticRoutes", "default", T0), f"{T0}/static-routes/default"),
    (("Tier0Interface", "up-1", LS), f"{LS}/interfaces/up-1"),
    (("BgpNeighborConfig", "peer", f"{LS}/bgp"), f"{LS}/bgp/neighbors/peer"),
])
def test_path_of(args: tuple[str, ...], path: str) -> None:
    assert path_of(*args) == path


def test_singletons_and_gateway_children() -> None:
    assert path_of("PolicyDnsForwarder", parent="/infra/tier-1s/t1") == (
        "/infra/tier-1s/t1/dns-forwarder")
    assert path_of("BgpRoutingConfig", parent=LS) == f"{LS}/bgp"
    assert locale_services_path(T0) == LS
    assert nat_section_path(T0) == f"{T0}/nat/USER"
    assert nat_rule_path(T0, "r") == f"{T0}/nat/USER/nat-rules/r"
    assert collection_path("Tier0") == "/infra/tier-0s"


def test_child_path_agrees_and_addresses_read_back() -> None:
    for rt in KINDS:
        assert child_path(T0, rt, "x") == path_of(rt, "x", T0)
    assert child_path(T0, "Unknown", "x") == f"{T0}/Unknown/x"
    assert address_for_path(nat_rule_path(T0, "r")) == "tier0s.t0.nat_rules.r"
    assert address_for_path(path_of("StaticRoutes", "d", T0)) == "tier0s.t0.static_routes.d"
