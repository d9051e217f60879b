"""`nsxplan import`: write a configuration for existing live objects (brownfield adoption).

Every imported object carries `adopt: true`, so the next plan only adds the owner tag. A gateway
is written `existing: true` (VCF, vSphere with Tanzu or another team owns it) unless
`manage_gateways` takes it over too. Objects NCP or the system owns, and anything under them, are
never imported: `nsx.guard`, the rule the planner and apply use, decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from nsxplan.brownfield.import_common import common_fields
from nsxplan.brownfield.import_routing import add_routing
from nsxplan.errors import NsxplanError, Problem
from nsxplan.live.state import LiveState
from nsxplan.nsx.fields import nat_firewall_match
from nsxplan.nsx.guard import Guard
from nsxplan.nsx.kinds import locale_services_path, nat_section_path, path_of

Obj = Mapping[str, Any]


def _refused(guard: Guard, obj: Obj) -> str | None:
    """The planner's guard: protected, NCP's (by its creator or by NCP's runtime tags, also
    when NCP runs as admin), under such an object, or not a plain /infra path."""
    refusal = guard.refusal(str(obj.get("path")), obj)
    return None if refusal is None else refusal.phrase


def _route(obj: Obj) -> dict[str, Any]:
    out: dict[str, Any] = {"id": obj["id"], "network": obj["network"]}
    hops = []
    for hop in obj.get("next_hops") or []:
        h: dict[str, Any] = {"ip": hop["ip_address"]}
        if hop.get("admin_distance", 1) != 1:
            h["admin_distance"] = hop["admin_distance"]
        hops.append(h)
    out["next_hops"] = hops
    common_fields(obj, out)
    out["adopt"] = True
    return out


_NAT_FIELDS = (
    ("source_network", "source"),
    ("destination_network", "destination"),
    ("translated_network", "translated"),
    ("translated_ports", "translated_ports"),
    ("service", "service"),
    ("sequence_number", "sequence"),
)


def _nat(obj: Obj) -> dict[str, Any]:
    out: dict[str, Any] = {"id": obj["id"], "action": obj["action"]}
    for nsx, ours in _NAT_FIELDS:
        if obj.get(nsx) not in (None, ""):
            out[ours] = obj[nsx]
    # Left out, firewall_match is managed at its default (nsx/fields.py): written only when not.
    if obj.get("firewall_match") and obj["firewall_match"] != nat_firewall_match(
            str(obj["action"])):
        out["firewall_match"] = obj["firewall_match"]
    if obj.get("enabled") is False:
        out["enabled"] = False
    if obj.get("logging") is True:
        out["logging"] = True
    common_fields(obj, out)
    out["adopt"] = True
    return out


def _add_children(live: LiveState, gw: Obj, entry: dict[str, Any], guard: Guard,
                  with_edge: bool = True) -> list[str]:
    """Edge cluster (when the gateway itself is taken over), static routes and USER NAT rules of
    a gateway into its entry; returns the protected children left out."""
    path = gw["path"]
    skipped: list[str] = []
    ls = live.get(locale_services_path(path))
    if with_edge and ls is not None and ls.get("edge_cluster_path"):
        entry["edge_cluster"] = str(ls["edge_cluster_path"])
    for key, parent, kind, convert in (
            ("static_routes", path, "StaticRoutes", _route),
            ("nat_rules", nat_section_path(path), "PolicyNatRule", _nat)):
        kept = []
        for child in live.children(parent, kind):
            (skipped.append(child["path"]) if _refused(guard, child)
             else kept.append(convert(child)))
        if kept:
            entry[key] = kept
    return skipped


def _gateway(live: LiveState, kind: str, gw_id: str, guard: Guard) -> Obj:
    obj = live.get(path_of(kind, gw_id))
    if obj is None:
        raise NsxplanError(Problem(f"{kind} {gw_id!r} does not exist on this manager",
                                   hint=f"list them with: nsxplan export | grep -A3 '\"{kind}\"'"))
    why = _refused(guard, obj)
    if why is not None:
        raise NsxplanError(Problem(
            f"{kind} {gw_id!r} {why}; nsxplan will not manage it",
            hint="declare it with `existing: true` and manage only your own children under it"))
    return obj


def import_yaml(live: LiveState, *, owner: str, tier0s: Sequence[str] = (),
                tier1s: Sequence[str] = (), zones: Sequence[str] = (),
                target: str | None = None, manage_gateways: bool = False) -> str:
    """By default a gateway is written `existing: true` (VCF, vSphere with Tanzu or another team
    owns it) and only its children are imported, with `adopt: true`; `manage_gateways` takes
    the gateways themselves over too (their HA and failover modes, edge cluster, ...)."""
    guard = Guard(live.get)
    doc: dict[str, Any] = {"version": 1, "owner": owner}
    if target:
        doc["target"] = {"manager": target}
    skipped: list[str] = []
    zone_ids = list(dict.fromkeys(zones))
    out_t0 = []
    passwords: list[str] = []
    for gw_id in dict.fromkeys(tier0s):
        obj = _gateway(live, "Tier0", gw_id, guard)
        entry: dict[str, Any] = {"id": gw_id}
        if manage_gateways:
            common_fields(obj, entry)
            for f in ("ha_mode", "failover_mode"):
                if obj.get(f):
                    entry[f] = obj[f]
        else:
            entry["existing"] = True
        skipped += _add_children(live, obj, entry, guard, manage_gateways)
        left, neighbors = add_routing(live, obj, entry,
                                      lambda o: _refused(guard, o) is not None)
        skipped += left
        passwords += [f"{gw_id}/{n}" for n in neighbors]
        if manage_gateways:
            entry["adopt"] = True
        out_t0.append(entry)
    out_t1 = []
    for gw_id in dict.fromkeys(tier1s):
        obj = _gateway(live, "Tier1", gw_id, guard)
        entry = {"id": gw_id}
        if manage_gateways:
            common_fields(obj, entry)
            t0 = obj.get("tier0_path")
            if t0:
                t0_id = str(t0).rsplit("/", 1)[-1]
                entry["tier0"] = t0_id if t0_id in tier0s else t0
            if obj.get("route_advertisement_types"):
                entry["route_advertisement"] = sorted(obj["route_advertisement_types"])
            if obj.get("failover_mode"):
                entry["failover_mode"] = obj["failover_mode"]
        else:
            entry["existing"] = True
        skipped += _add_children(live, obj, entry, guard, manage_gateways)
        fwd = live.get(path_of("PolicyDnsForwarder", parent=obj["path"]))
        if fwd is not None and not _refused(guard, fwd):
            entry["dns_forwarder"] = _forwarder(fwd, zone_ids)
        if manage_gateways:
            entry["adopt"] = True
        out_t1.append(entry)
    out_zones = [_zone(live, z, guard) for z in zone_ids]
    if out_t0:
        doc["tier0s"] = out_t0
    if out_t1:
        doc["tier1s"] = out_t1
    if out_zones:
        doc["dns_zones"] = out_zones
    header = [f"# Imported by nsxplan for owner {owner}. Every object has `adopt: true`: the next",
              "# plan adds only the ownership tag; remove `adopt` once applied."]
    if not manage_gateways and (out_t0 or out_t1):
        header.append("# Gateways are `existing: true`: their own settings stay with whoever "
                      "owns them (import --manage-gateway takes them over too).")
    header += [f"# Not imported (protected: created by a principal identity or the system): {p}"
               for p in skipped]
    if passwords:
        header.append("# BGP neighbor passwords cannot be read from NSX: if a session has one, "
                      "add `password_env: VAR` to it: " + ", ".join(passwords))
    body = str(yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=100))
    return "\n".join(header) + "\n" + body


def _forwarder(obj: Obj, zone_ids: list[str]) -> dict[str, Any]:
    def zid(path: str) -> str:
        z = path.rsplit("/", 1)[-1]
        if z not in zone_ids:
            zone_ids.append(z)   # a forwarder needs its zones in the same configuration
        return z

    out: dict[str, Any] = {"listener_ip": obj["listener_ip"],
                           "default_zone": zid(str(obj["default_forwarder_zone_path"]))}
    cond = [zid(str(p)) for p in obj.get("conditional_forwarder_zone_paths") or []]
    if cond:
        out["conditional_zones"] = cond
    # Left out, firewall_match is managed at its default (nsx/fields.py): written only when not.
    if obj.get("firewall_match") and obj["firewall_match"] != nat_firewall_match(
            str(obj["action"])):
        out["firewall_match"] = obj["firewall_match"]
    if obj.get("enabled") is False:
        out["enabled"] = False
    if obj.get("log_level") and obj["log_level"] != "INFO":
        out["log_level"] = obj["log_level"]
    out["adopt"] = True
    return out


def _zone(live: LiveState, zone_id: str, guard: Guard) -> dict[str, Any]:
    obj = live.get(path_of("PolicyDnsForwarderZone", zone_id))
    if obj is None:
        raise NsxplanError(Problem(f"DNS forwarder zone {zone_id!r} does not exist on this manager",
                                   hint="check the id (nsxplan export shows every zone)"))
    why = _refused(guard, obj)
    if why is not None:
        raise NsxplanError(Problem(f"DNS zone {zone_id!r} {why}; nsxplan "
                                   "will not manage it",
                                   hint="leave it out of the import"))
    out: dict[str, Any] = {"id": zone_id}
    if obj.get("dns_domain_names"):
        out["domains"] = list(obj["dns_domain_names"])
    out["upstream_servers"] = list(obj.get("upstream_servers") or [])
    if obj.get("source_ip"):
        out["source_ip"] = obj["source_ip"]
    common_fields(obj, out)
    out["adopt"] = True
    return out

