"""Normalization: one canonical spelling per value, so that apply followed by plan is empty.

Pure functions over plain dicts. The planner compares `canonical(desired body)` with
`canonical(live object projected onto the desired body's keys)`: only fields the configuration
sets are compared, whatever else the server filled in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nsxplan.nsx.addresses import canon_ip, canonical_match
from nsxplan.nsx.fields import OWN_SCOPES
from nsxplan.nsx.kinds import KINDS
from nsxplan.nsx.objects import SERVER_FIELDS

# Enum values: NSX answers in upper case; users write either.
ENUM_FIELDS = frozenset({
    "action", "firewall_match", "ha_mode", "failover_mode", "log_level",
    "route_advertisement_types", "policy_based_vpn_mode", "type",
})
# Address fields: "10.0.0.5/32" and "10.0.0.5" are the same host, IPv6 case/zero compression.
IP_FIELDS = frozenset({
    "source_network", "destination_network", "translated_network", "network", "listener_ip",
    "source_ip", "upstream_servers", "neighbor_address", "source_addresses", "cidr",
    "gateway_ip", "dns_nameservers",
})
# NAT match fields, where Any (absent, "", "Any") is null: nsx/addresses.py holds the one meaning.
ANY_FIELDS = frozenset({"source_network", "destination_network"})
INT_FIELDS = frozenset({"sequence_number", "admin_distance", "mtu", "size",
                        "maximum_hop_limit", "hold_down_time", "keep_alive_time"})
# NSX stores these as strings; YAML users write numbers.
STR_FIELDS = frozenset({"local_as_num", "remote_as_num"})
DEFAULT_ADMIN_DISTANCE = 1


def canon_field(name: str, value: Any) -> Any:
    """Canonical value of one field (not knowing the kind: field names are unambiguous here)."""
    if value is None:
        return None
    if name in ANY_FIELDS and isinstance(value, str):
        return canonical_match(value)
    if name == "tags":
        return canon_tags(value)
    if name == "next_hops":
        return [canon_next_hop(h) for h in value]
    if name == "dns_domain_names":
        return [str(d).strip().rstrip(".").lower() for d in value]
    nested = _NESTED.get(name)
    if nested is not None:
        return nested(value)
    if name in STR_FIELDS:
        return str(value)
    if name in ENUM_FIELDS:
        if isinstance(value, (list, tuple)):
            return [str(v).upper() for v in value]
        return str(value).upper()
    if name in IP_FIELDS:
        if isinstance(value, (list, tuple)):
            return [canon_ip(str(v)) for v in value]
        return canon_ip(str(value))
    if name in INT_FIELDS and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, tuple):
        return list(value)
    return value


# --- nested routing objects (issue 12) -----------------------------------------------------------
# NSX fills defaults inside nested objects (a BFD interval, redistribution destinations) and PATCH
# replaces a nested object whole: both sides get the same defaults before they are compared.

def _subnets(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    return [{"ip_addresses": sorted(canon_ip(str(a)) for a in s.get("ip_addresses") or ()),
             "prefix_len": int(s.get("prefix_len") or 0)}
            if isinstance(s, Mapping) and "ip_addresses" in s else s for s in value]


def _bfd(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    return {"enabled": value.get("enabled") is True, "interval": int(value.get("interval") or 500),
            "multiple": int(value.get("multiple") or 3)}


def _graceful_restart(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    found = value.get("timer")
    timer: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    return {"mode": str(value.get("mode") or "HELPER_ONLY").upper(),
            "timer": {"restart_timer": int(timer.get("restart_timer") or 180),
                      "stale_route_timer": int(timer.get("stale_route_timer") or 600)}}


def _redistribution(value: Any) -> Any:
    if not isinstance(value, Mapping):
        return value
    rules = []
    for r in value.get("redistribution_rules") or ():
        if not isinstance(r, Mapping):
            continue
        rule = {"name": str(r.get("name") or ""),
                "route_redistribution_types": sorted({str(x).upper() for x in
                                                      r.get("route_redistribution_types") or ()}),
                "destinations": sorted({str(x).upper() for x in r.get("destinations") or ["BGP"]})}
        if r.get("route_map_path"):
            rule["route_map_path"] = str(r["route_map_path"])
        rules.append(rule)
    return {"bgp_enabled": value.get("bgp_enabled") is not False,
            "ospf_enabled": value.get("ospf_enabled") is True,
            "redistribution_rules": sorted(rules, key=lambda r: str(r["name"]))}


def _ha_vips(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    return [{"enabled": v.get("enabled") is not False,
             "external_interface_paths": sorted(v.get("external_interface_paths") or ()),
             "vip_subnets": _subnets(v.get("vip_subnets") or [])}
            if isinstance(v, Mapping) else v for v in value]


def _ranges(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    return [{"start": canon_ip(str(r.get("start"))), "end": canon_ip(str(r.get("end")))}
            if isinstance(r, Mapping) else r for r in value]


def _prefixes(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    out = []
    for px in value:
        if not isinstance(px, Mapping):
            out.append(px)
            continue
        network = str(px.get("network") or "")
        entry: dict[str, Any] = {
            "network": "ANY" if network.upper() == "ANY" else canon_ip(network),
            "action": str(px.get("action") or "PERMIT").upper()}
        for bound in ("ge", "le"):
            if px.get(bound) is not None:
                entry[bound] = int(px[bound])
        out.append(entry)
    return out


def _route_map_entries(value: Any) -> Any:
    if not isinstance(value, (list, tuple)):
        return value
    return [{"action": str(e.get("action") or "PERMIT").upper(),
             "prefix_list_matches": sorted(e.get("prefix_list_matches") or ())}
            if isinstance(e, Mapping) else e for e in value]


_NESTED: dict[str, Any] = {
    "prefixes": _prefixes, "entries": _route_map_entries,
    "subnets": _subnets, "bfd": _bfd, "graceful_restart_config": _graceful_restart,
    "route_redistribution_config": _redistribution, "ha_vip_configs": _ha_vips,
    "allocation_ranges": _ranges, "vlan_ids": lambda v: [str(x) for x in v],
}


def canon_next_hop(hop: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: canon_field(k, v) for k, v in hop.items() if v is not None}
    if "ip_address" in out:
        out["ip_address"] = canon_ip(str(out["ip_address"]))
    # NSX fills admin_distance 1 when unset: the two spellings are the same route.
    out["admin_distance"] = int(out.get("admin_distance") or DEFAULT_ADMIN_DISTANCE)
    if "scope" in out and isinstance(out["scope"], list):
        out["scope"] = sorted(out["scope"])
    return out


def canon_tags(tags: Iterable[Mapping[str, Any]] | None) -> list[dict[str, str]]:
    seen = {(str(t.get("scope") or ""), str(t.get("tag") or "")) for t in (tags or ())}
    return [{"scope": s, "tag": t} for s, t in sorted(seen)]


def canonical(resource_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical form of an object body: server fields dropped, values canonical, sets sorted."""
    k = KINDS.get(resource_type)
    set_fields = k.set_fields if k else _TAGS_ONLY
    return {name: _canonical_value(set_fields, name, value) for name, value in body.items()
            if name not in SERVER_FIELDS}


def canonical_value(resource_type: str, name: str, value: Any) -> Any:
    """One field of `canonical(resource_type, body)` (None for a server field, which canonical
    drops): the planner compares single fields this way when their raw values differ."""
    if name in SERVER_FIELDS:
        return None
    k = KINDS.get(resource_type)
    return _canonical_value(k.set_fields if k else _TAGS_ONLY, name, value)


_TAGS_ONLY = frozenset({"tags"})


def _canonical_value(set_fields: frozenset[str], name: str, value: Any) -> Any:
    v = canon_field(name, value)
    if name in set_fields and name != "tags" and isinstance(v, list):
        # Set-like lists hold scalars (enums, paths, domains): sorted and deduplicated.
        v = sorted(set(v), key=str)
    return v


def project(live: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """The live object seen through the fields the configuration manages (absent = None)."""
    return {f: live.get(f) for f in fields}


# --- tags ---------------------------------------------------------------------------------------

def merged_tags(desired: Iterable[Mapping[str, str]],
                live: Iterable[Mapping[str, Any]] | None,
                drop: Iterable[str] = ()) -> list[dict[str, str]]:
    """Desired tags plus the live object's foreign tags (scopes the configuration does not set).

    Foreign tags (`ncp/cluster` on a Tier-0 an administrator tagged for NCP discovery, tags a
    colleague added in the UI) are kept in the body sent and so never show as a diff. A tag whose
    scope the configuration sets is managed: its value is the configured one.
    """
    want = [{"scope": str(t["scope"]), "tag": str(t["tag"])} for t in desired]
    # nsxplan's own scopes and the user scopes the record says were set and are no longer
    # configured (`drop`) are removed; any other scope is foreign and kept.
    managed_scopes = {t["scope"] for t in want} | set(OWN_SCOPES) | set(drop)
    foreign = [{"scope": str(t.get("scope") or ""), "tag": str(t.get("tag") or "")}
               for t in (live or ()) if str(t.get("scope") or "") not in managed_scopes]
    out: list[dict[str, str]] = []
    for t in want + foreign:
        if t not in out:
            out.append(t)
    return out
