"""Realization state of intent objects (reference §8), computed on read from the write time.

An object written at time t is UNREALIZED until ``t + delay`` on the simulator's clock, then
REALIZED, or the state of the realization rule that matched its path when it was written (faults
use this to make an accepted write realize to ERROR). Objects loaded from a snapshot are realized.

Realized entities are the ones NSX lists for the intent (README "Realization"): a gateway
realizes as a ``RealizedLogicalRouter`` (a Tier-1 linked to a Tier-0 also as the
``RealizedLogicalRouterPort`` of that link), a gateway interface as a
``RealizedLogicalRouterPort``, a segment as a ``RealizedLogicalSwitch``. The sources name no
entity type for the other kinds (static routes, NAT rules, DNS forwarder and zones, locale
services, BGP), so they list none rather than a made-up one. Every intent's state is published
through the consolidated status, the one answer every intent has (clients should key on it).
"""

from __future__ import annotations

from typing import Any

from nsxplan.sim.store import Node
from nsxplan.sim.versions import NsxVersion

ENFORCEMENT_POINT = "/infra/sites/default/enforcement-points/default"
SITE = "/infra/sites/default"
_CONSOLIDATED = {"REALIZED": "SUCCESS", "UNREALIZED": "IN_PROGRESS", "ERROR": "ERROR"}

ROUTER = "RealizedLogicalRouter"
ROUTER_PORT = "RealizedLogicalRouterPort"
SWITCH = "RealizedLogicalSwitch"

# kind key -> entity types its intent realizes as (before the Tier-1 link port, added on read)
ENTITY_TYPES: dict[str, tuple[str, ...]] = {
    "Tier0": (ROUTER,),
    "Tier1": (ROUTER,),
    "Tier0/Interface": (ROUTER_PORT,),
    "Tier1/Interface": (ROUTER_PORT,),
    "Segment": (SWITCH,),
}


def state_of(node: Node, now: float, delay: float) -> tuple[str, str | None]:
    if node.written_at is not None and now - node.written_at < delay:
        return "UNREALIZED", None
    if node.realization is not None:
        return node.realization
    return "REALIZED", None


def entity_types(node: Node) -> tuple[str, ...]:
    types = ENTITY_TYPES.get(node.kind.key)
    if types is None:
        return ()
    if node.kind.key == "Tier1" and node.obj.get("tier0_path"):
        return (*types, ROUTER_PORT)
    return types


def _entity(node: Node, entity_type: str, index: int, state: str, message: str | None
            ) -> dict[str, Any]:
    obj = node.obj
    # One realized id per (intent, entity): stable across reads, distinct between entities.
    rid = obj["unique_id"] if index == 0 else f"{obj['unique_id'][:-4]}{index:04x}"
    entity: dict[str, Any] = {
        "resource_type": "GenericPolicyRealizedResource",
        "id": rid,
        "display_name": obj.get("display_name", obj["id"]),
        "path": f"{ENFORCEMENT_POINT}/realized-entities/{rid}",
        "parent_path": ENFORCEMENT_POINT,
        "relative_path": rid,
        "entity_type": entity_type,
        "realization_specific_identifier": rid,
        "intent_paths": [obj["path"]],
        "intent_reference": [obj["path"]],
        "enforcement_point_path": ENFORCEMENT_POINT,
        "state": state,
        "runtime_status": "UP" if state == "REALIZED" else "UNKNOWN",
        "extended_attributes": [],
        "alarms": [],
        "_revision": obj.get("_revision", 0),
    }
    if state == "ERROR":
        entity["runtime_error"] = message
        entity["alarms"] = [
            {
                "message": message,
                "error_details": {"error_message": message, "error_code": 500099},
                "source_reference": obj["path"],
            }
        ]
    return entity


def realized_entities(node: Node | None, now: float, delay: float) -> dict[str, Any]:
    if node is None:
        return {"results": [], "result_count": 0}
    state, message = state_of(node, now, delay)
    results = [_entity(node, t, i, state, message) for i, t in enumerate(entity_types(node))]
    return {"results": results, "result_count": len(results)}


def consolidated_status(node: Node, now: float, delay: float, version: NsxVersion
                        ) -> dict[str, Any]:
    """A ConsolidatedRealizedStatus: only the model's fields. The error text of a failed
    realization travels in the per-enforcement-point ``alarm`` (PolicyRuntimeAlarm)."""
    state, message = state_of(node, now, delay)
    consolidated = {"consolidated_status": _CONSOLIDATED.get(state, "UNKNOWN")}
    per_ep: dict[str, Any] = {
        "enforcement_point_path": ENFORCEMENT_POINT,
        "enforcement_point_id": "default",
        "consolidated_status": consolidated,
    }
    if version.status_item_resource_type:
        per_ep = {"resource_type": "ConsolidatedStatusPerEnforcementPoint", **per_ep,
                  "site_path": SITE}
    if message is not None and state == "ERROR":
        per_ep["alarm"] = {
            "message": message,
            "error_id": "500099",
            "error_details": {"error_code": 500099, "error_message": message,
                              "module_name": "Policy"},
        }
    return {
        "intent_path": node.obj["path"],
        "intent_version": str(node.obj.get("_revision", 0)),
        "publish_status": state,
        "consolidated_status": consolidated,
        "consolidated_status_per_enforcement_point": [per_ep],
    }
