"""Builders for the dependency-check tests: live states by hand (the static-routing lab the
simulator's demo state mirrors), H-API snapshots flattened into LiveState, small configs."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nsxplan.config.model import (
    Config,
    Dependencies,
    DnsServerDependency,
    NatRule,
    NextHop,
    RoutedUpstream,
    StaticRoute,
    Tier0,
    Tier1,
)
from nsxplan.errors import Source
from nsxplan.live.read import flatten_infra
from nsxplan.live.state import LiveState

# A copy of ../shared/fixtures/tanzu-bgp-lab.json: a clone of the repository lacks ../shared.
FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tanzu-bgp-lab.json"
T0 = "/infra/tier-0s/vcf-t0"
LS = T0 + "/locale-services/default"
EDGE_CLUSTER = "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"
NCP_TAGS = [{"scope": "ncp/cluster", "tag": "domain-c8"}, {"scope": "ncp/version", "tag": "1.2"}]


def obj(path: str, resource_type: str, **fields: Any) -> dict[str, Any]:
    # NSX's parent_path skips the collection segment (.../static-routes/r -> the gateway), except
    # for singletons such as .../bgp
    parent, _, oid = path.rpartition("/")
    if oid not in ("bgp", "dns-forwarder") and parent.count("/") > 1:
        parent = parent.rpartition("/")[0]
    return {"resource_type": resource_type, "id": oid, "path": path, "parent_path": parent,
            "_revision": 0, **fields}


def ncp(o: dict[str, Any]) -> dict[str, Any]:
    return {**o, "tags": NCP_TAGS, "_protection": "REQUIRE_OVERRIDE",
            "_create_user": "wcp-cluster-user-domain-c8-6f0c"}


def lab_objects() -> dict[str, dict[str, Any]]:
    """The static-routing lab: A/A Tier-0 vcf-t0 without BGP or static routes, uplink
    10.27.51.145/24; NCP's Tier-1s SNAT Any -> 30.0.0.5 and 30.0.0.16."""
    objs = [
        obj(T0, "Tier0", ha_mode="ACTIVE_ACTIVE", _create_user="admin"),
        obj(LS, "LocaleServices", edge_cluster_path=EDGE_CLUSTER),
        obj(LS + "/interfaces/uplink-1", "Tier0Interface", type="EXTERNAL",
            segment_path="/infra/segments/uplink-vlan",
            subnets=[{"ip_addresses": ["10.27.51.145"], "prefix_len": 24}]),
        obj("/infra/segments/uplink-vlan", "Segment", vlan_ids=["51"]),
    ]
    for t1, egress in (("domain-c8", "30.0.0.5"), ("vnet-domain-c8", "30.0.0.16")):
        base = f"/infra/tier-1s/{t1}"
        objs += [
            ncp(obj(base, "Tier1", tier0_path=T0,
                    route_advertisement_types=["TIER1_CONNECTED", "TIER1_NAT"])),
            ncp(obj(base + "/locale-services/default", "LocaleServices",
                    edge_cluster_path=EDGE_CLUSTER)),
            ncp(obj(base + "/nat/USER", "PolicyNat", nat_type="USER")),
            ncp(obj(base + "/nat/USER/nat-rules/snat-egress", "PolicyNatRule", action="SNAT",
                    translated_network=egress, enabled=True, sequence_number=1030)),
            ncp(obj(base + "/nat/USER/nat-rules/no-snat-cluster", "PolicyNatRule",
                    action="NO_SNAT", source_network="10.244.0.0/20",
                    destination_network="10.244.0.0/20", enabled=True)),
        ]
    objs.append(ncp(obj("/infra/segments/seg-domain-c8", "Segment",
                        connectivity_path="/infra/tier-1s/domain-c8",
                        subnets=[{"gateway_address": "10.244.0.1/28"}])))
    return {o["path"]: o for o in objs}


def live(objects: Mapping[str, Mapping[str, Any]] | None = None,
         extra: Iterable[Mapping[str, Any]] = (), drop: Iterable[str] = ()) -> LiveState:
    objs = dict(lab_objects() if objects is None else objects)
    for p in drop:
        objs.pop(p, None)
    for o in extra:
        objs[str(o["path"])] = o
    return LiveState(objects=objs, nsx_version="3.2.3")


def flatten(doc: Mapping[str, Any]) -> LiveState:
    """An H-API snapshot (GET /infra shape) flattened by the refresh path's own code."""
    return LiveState(objects=flatten_infra(doc))


def fixture_live() -> LiveState:
    return flatten(json.loads(FIXTURE.read_text()))


SRC = Source("stack.yaml", 1, 1)


def at(line: int) -> Source:
    return Source("stack.yaml", line, 5)


def route(rid: str, network: str, hop: str) -> StaticRoute:
    return StaticRoute(id=rid, network=network, next_hops=(NextHop(ip=hop),), source=at(10))


def reflexive(rid: str, source: str, translated: str, **kw: Any) -> NatRule:
    return NatRule(id=rid, action="REFLEXIVE", source_network=source,
                   translated_network=translated, source=at(20), **kw)


EXAMPLE_RULES = (reflexive("supervisor-egress", "30.0.0.5", "10.27.51.145"),
                 reflexive("tkg-egress", "30.0.0.16", "10.27.51.147"))
DEFAULT_ROUTE = route("default-route", "0.0.0.0/0", "10.27.51.1")


def config(*, routes: Iterable[StaticRoute] = (), nat: Iterable[NatRule] = (),
           dns: Iterable[DnsServerDependency] = (), routed: Iterable[str] = (),
           tier0: bool = True, tier1s: Iterable[Tier1] = (), dns_zones: Iterable[Any] = (),
           owner: str = "tanzu-egress") -> Config:
    t0s = (Tier0(id="vcf-t0", existing=True, static_routes=tuple(routes), nat_rules=tuple(nat),
                 source=at(5)),) if tier0 else ()
    return Config(
        version=1, owner=owner, files=("stack.yaml",), tier0s=t0s, tier1s=tuple(tier1s),
        dns_zones=tuple(dns_zones),
        dependencies=Dependencies(
            dns_servers=tuple(dns),
            routed_upstream=tuple(RoutedUpstream(c, source=at(40)) for c in routed)))


def dns_server(address: str, clients: Iterable[str] = ("30.0.0.0/24",),
               return_route: bool = False) -> DnsServerDependency:
    return DnsServerDependency(address=address, clients=tuple(clients),
                               return_route=return_route, source=at(30))


def by_id(checks: Iterable[Any], check_id: str) -> list[Any]:
    return [c for c in checks if c.id == check_id]


def deep(o: Any) -> Any:
    return copy.deepcopy(o)
