"""Model construction: validated documents -> frozen dataclasses with references resolved.

Runs only after the schema and the semantic rules found no problem, so it trusts types and
references; the one exception is a reference that cannot resolve (kept as None) so that a
missed rule can never turn into a traceback here.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from nsxplan.config.build_common import _common, _items, _str, _values
from nsxplan.config.build_routing import tier0_routing, top_level
from nsxplan.config.loader import MDict
from nsxplan.config.model import (
    Config,
    Dependencies,
    DnsForwarder,
    DnsServerDependency,
    DnsZone,
    Guards,
    Ignore,
    NatRule,
    NextHop,
    RoutedUpstream,
    StaticRoute,
    Target,
    Tier0,
    Tier1,
    Waiver,
)
from nsxplan.errors import Source
from nsxplan.nsx.addresses import is_any
from nsxplan.nsx.kinds import collection_path

TIER0_PATH_PREFIX = collection_path("Tier0") + "/"


def build_static_route(doc: MDict) -> StaticRoute:
    hops = tuple(NextHop(ip=str(hop["ip"]), admin_distance=hop.get("admin_distance"), source=src)
                 for hop, src in _items(doc, "next_hops"))
    return StaticRoute(id=doc["id"], network=str(doc["network"]), next_hops=hops, **_common(doc))


def _match(value: Any) -> str | None:
    """A NAT match as NSX stores it: Any (however written) is null, the rest as written."""
    text = _str(value)
    return None if is_any(text) else text


def build_nat_rule(doc: MDict) -> NatRule:
    return NatRule(
        id=doc["id"],
        action=doc["action"],
        source_network=_match(doc.get("source")),
        destination_network=_match(doc.get("destination")),
        translated_network=_str(doc.get("translated")),
        translated_ports=_str(doc.get("translated_ports")),
        service=doc.get("service"),
        sequence_number=doc.get("sequence"),
        firewall_match=doc.get("firewall_match"),
        enabled=doc.get("enabled"),
        logging=doc.get("logging"),
        **_common(doc),
    )


def _children(doc: MDict) -> dict[str, Any]:
    return {
        "static_routes": tuple(build_static_route(r) for r in _values(doc, "static_routes")),
        "nat_rules": tuple(build_nat_rule(r) for r in _values(doc, "nat_rules")),
    }


def build_tier0(doc: MDict) -> Tier0:
    return Tier0(
        id=doc["id"],
        existing=bool(doc.get("existing", False)),
        ha_mode=doc.get("ha_mode"),
        failover_mode=doc.get("failover_mode"),
        edge_cluster=doc.get("edge_cluster"),
        **_children(doc),
        **tier0_routing(doc),
        **_common(doc),
    )


def build_dns_zone(doc: MDict) -> DnsZone:
    return DnsZone(
        id=doc["id"],
        upstream_servers=tuple(str(s) for s in doc.get("upstream_servers", ())),
        domains=tuple(str(d) for d in doc.get("domains", ()) or ()),
        source_ip=_str(doc.get("source_ip")),
        **_common(doc),
    )


def build_dns_forwarder(doc: MDict, zones: dict[str, DnsZone]) -> DnsForwarder | None:
    default = zones.get(doc["default_zone"])
    if default is None:
        return None
    conditional = tuple(zones[z] for z in doc.get("conditional_zones", ()) or () if z in zones)
    return DnsForwarder(
        listener_ip=str(doc["listener_ip"]),
        default_zone=default,
        conditional_zones=conditional,
        enabled=doc.get("enabled"),
        log_level=doc.get("log_level"),
        **_common(doc),
    )


def tier0_path_of(reference: str) -> str:
    """A Tier-1's `tier0` (config id or policy path) as a policy path."""
    return reference if reference.startswith("/") else TIER0_PATH_PREFIX + reference


def _tier0_id(reference: str) -> str:
    """A path to a Tier-0 declared in the configuration resolves to it like its id does."""
    if reference.startswith(TIER0_PATH_PREFIX):
        return reference[len(TIER0_PATH_PREFIX):]
    return reference


def build_tier1(doc: MDict, tier0s: dict[str, Tier0], zones: dict[str, DnsZone]) -> Tier1:
    reference = doc.get("tier0")
    forwarder = doc.get("dns_forwarder")
    advertisement = doc.get("route_advertisement")
    return Tier1(
        id=doc["id"],
        existing=bool(doc.get("existing", False)),
        tier0=tier0s.get(_tier0_id(reference)) if isinstance(reference, str) else None,
        tier0_path=tier0_path_of(reference) if isinstance(reference, str) else None,
        route_advertisement=tuple(advertisement) if advertisement is not None else None,
        failover_mode=doc.get("failover_mode"),
        edge_cluster=doc.get("edge_cluster"),
        dns_forwarder=(build_dns_forwarder(forwarder, zones) if isinstance(forwarder, MDict)
                       else None),
        **_children(doc),
        **_common(doc),
    )


def build_target(doc: Any, declared_in: str | None) -> Target:
    if not isinstance(doc, MDict):
        return Target()
    manager = doc.get("manager")
    if isinstance(manager, str) and manager.startswith("sim:") and declared_in is not None:
        state = manager[len("sim:"):]
        if not os.path.isabs(state):
            # Relative to the file that declares it, and absolute so that it means the same from
            # any cwd, in saved plans, and to target.connect(base_dir=...).
            state = os.path.abspath(os.path.join(os.path.dirname(declared_in), state))
        manager = "sim:" + state
    return Target(
        manager=manager,
        verify_tls=bool(doc.get("verify_tls", True)),
        ca_bundle=doc.get("ca_bundle"),
        auth=doc.get("auth", "basic"),
        source=doc.source,
    )


def build_dependencies(doc: Any) -> Dependencies:
    if not isinstance(doc, MDict):
        return Dependencies()
    servers = tuple(
        DnsServerDependency(
            address=str(d["address"]),
            clients=tuple(str(c) for c in d.get("clients", ()) or ()),
            return_route=bool(d.get("return_route", False)),
            source=src,
        )
        for d, src in _items(doc, "dns_servers"))
    routed = tuple(RoutedUpstream(cidr=str(c), source=src)
                   for c, src in _items(doc, "routed_upstream"))
    return Dependencies(dns_servers=servers, routed_upstream=routed)


def build_waivers(doc: MDict) -> tuple[Waiver, ...]:
    return tuple(Waiver(check=str(w["check"]), subject=str(w["subject"]),
                        reason=str(w["reason"]), expires=parse_date(w["expires"]), source=src)
                 for w, src in _items(doc, "waivers"))


def parse_date(value: Any) -> date:
    """YAML reads 2026-12-31 as a date already; a quoted one is a string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def parse_ignore(text: str, source: Source | None = None) -> Ignore:
    """`PATTERN` or `PATTERN:field,field` (policy path or address glob)."""
    pattern, _, fields = text.partition(":")
    return Ignore(pattern=pattern.strip(),
                  fields=tuple(f.strip() for f in fields.split(",") if f.strip()),
                  source=source)


def build_guards(doc: Any) -> Guards:
    if not isinstance(doc, MDict):
        return Guards()
    return Guards(max_deletes=int(doc.get("max_deletes", 10)),
                  max_delete_percent=int(doc.get("max_delete_percent", 25)))


def build_config(doc: MDict, files: Sequence[str], digest: str) -> Config:
    zones = {z.id: z for z in (build_dns_zone(d) for d in _values(doc, "dns_zones"))}
    tier0_list = [build_tier0(d) for d in _values(doc, "tier0s")]
    tier0s = {t.id: t for t in tier0_list}
    target = doc.get("target")
    declared_in = target.source.file if isinstance(target, MDict) else None
    return Config(
        version=int(doc["version"]),
        owner=doc["owner"],
        files=tuple(files),
        target=build_target(target, declared_in),
        tier0s=tuple(tier0_list),
        tier1s=tuple(build_tier1(d, tier0s, zones) for d in _values(doc, "tier1s")),
        dns_zones=tuple(zones.values()),
        **top_level(doc),
        dependencies=build_dependencies(doc.get("dependencies")),
        digest=digest,
        waivers=build_waivers(doc),
        ignore=tuple(parse_ignore(str(text), src) for text, src in _items(doc, "ignore")),
        guards=build_guards(doc.get("guards")),
    )
