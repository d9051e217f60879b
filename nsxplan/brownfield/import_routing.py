"""`nsxplan import` for a Tier-0's routing: its interfaces, BGP configuration and neighbors, and
its route redistribution, written in the configuration language (config-language.md, "Tier-0
routing"). Only values that differ from NSX's defaults are written, as a user would. A neighbor's
password cannot be read back from NSX: the header asks for its `password_env`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nsxplan.brownfield.import_common import common_fields
from nsxplan.live.state import LiveState

Obj = Mapping[str, Any]
SEGMENTS = "/infra/segments/"


def _subnets(subnets: Any) -> list[str]:
    return [f"{ip}/{s.get('prefix_len')}" for s in subnets or () if isinstance(s, Mapping)
            for ip in s.get("ip_addresses") or ()]


def _interface(obj: Obj) -> dict[str, Any]:
    out: dict[str, Any] = {"id": obj["id"]}
    if obj.get("type") and obj["type"] != "EXTERNAL":
        out["type"] = obj["type"]
    seg = str(obj.get("segment_path") or "")
    if seg:
        out["segment"] = seg[len(SEGMENTS):] if seg.startswith(SEGMENTS) else seg
    if obj.get("edge_path"):
        out["edge_node"] = obj["edge_path"]
    out["subnets"] = _subnets(obj.get("subnets"))
    if obj.get("mtu"):
        out["mtu"] = obj["mtu"]
    common_fields(obj, out)
    out["adopt"] = True
    return out


def _neighbor(obj: Obj) -> dict[str, Any]:
    out: dict[str, Any] = {"id": obj["id"], "address": obj["neighbor_address"],
                           "remote_as": str(obj["remote_as_num"])}
    if obj.get("source_addresses"):
        out["source_addresses"] = list(obj["source_addresses"])
    for nsx, ours, default in (("maximum_hop_limit", "hop_limit", 1),
                               ("hold_down_time", "hold_down_time", 180),
                               ("keep_alive_time", "keep_alive_time", 60)):
        if obj.get(nsx) not in (None, default):
            out[ours] = obj[nsx]
    bfd = obj.get("bfd")
    if isinstance(bfd, Mapping) and bfd.get("enabled"):
        extra = {k: bfd[k] for k, d in (("interval", 500), ("multiple", 3))
                 if bfd.get(k) not in (None, d)}
        out["bfd"] = {"enabled": True, **extra} if extra else True
    common_fields(obj, out)
    out["adopt"] = True
    return out


def _bgp(obj: Obj, neighbors: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if obj.get("local_as_num"):
        out["local_as"] = str(obj["local_as_num"])
    if obj.get("enabled") is False:
        out["enabled"] = False
    if obj.get("ecmp") is False:
        out["ecmp"] = False
    if obj.get("multipath_relax") is True:
        out["multipath_relax"] = True
    mode = (obj.get("graceful_restart_config") or {}).get("mode")
    if mode and mode != "HELPER_ONLY":
        out["graceful_restart"] = mode
    if neighbors:
        out["neighbors"] = neighbors
    out["adopt"] = True
    return out


def _redistribution(ls: Obj) -> list[dict[str, Any]] | None:
    config = ls.get("route_redistribution_config")
    if not isinstance(config, Mapping) or not config.get("redistribution_rules"):
        return None
    rules = []
    for r in config["redistribution_rules"]:
        rule: dict[str, Any] = {"name": r.get("name", ""),
                                "types": sorted(r.get("route_redistribution_types") or [])}
        if r.get("route_map_path"):
            rule["route_map"] = r["route_map_path"]
        rules.append(rule)
    return rules


def add_routing(live: LiveState, t0: Obj, entry: dict[str, Any],
                refused: Callable[[Obj], bool]) -> tuple[list[str], list[str]]:
    """A Tier-0's routing into its entry; returns (protected paths left out, neighbors whose
    password must be given)."""
    ls_path = f"{t0['path']}/locale-services/default"
    ls = live.get(ls_path)
    skipped: list[str] = []
    if ls is None:
        return skipped, []
    if refused(ls):
        return [ls_path], []
    interfaces = []
    for obj in live.children(ls_path, "Tier0Interface"):
        (skipped.append(obj["path"]) if refused(obj) else interfaces.append(_interface(obj)))
    if interfaces:
        entry["interfaces"] = interfaces
    bgp = live.get(f"{ls_path}/bgp")
    needs_password: list[str] = []
    if bgp is not None and not refused(bgp):
        neighbors = []
        for obj in live.children(f"{ls_path}/bgp", "BgpNeighborConfig"):
            if refused(obj):
                skipped.append(obj["path"])
                continue
            neighbors.append(_neighbor(obj))
            needs_password.append(str(obj["id"]))
        entry["bgp"] = _bgp(bgp, neighbors)
    rules = _redistribution(ls)
    if rules is not None:
        entry["route_redistribution"] = rules
        entry.setdefault("bgp", {"adopt": True})   # adopts the locale-services holding them
    return skipped, needs_password
