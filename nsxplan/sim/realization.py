"""Realization state of intent objects (reference §8), computed on read from the write time.

An object written at time t is UNREALIZED until ``t + delay`` on the simulator's clock, then
REALIZED, or the state of the realization rule that matched its path when it was written (faults
use this to make an accepted write realize to ERROR). Objects loaded from a snapshot are realized.
"""

from __future__ import annotations

from typing import Any

from nsxplan.sim.store import Node

ENFORCEMENT_POINT = "/infra/sites/default/enforcement-points/default"
_CONSOLIDATED = {"REALIZED": "SUCCESS", "UNREALIZED": "IN_PROGRESS", "ERROR": "ERROR"}


def state_of(node: Node, now: float, delay: float) -> tuple[str, str | None]:
    if node.written_at is not None and now - node.written_at < delay:
        return "UNREALIZED", None
    if node.realization is not None:
        return node.realization
    return "REALIZED", None


def realized_entities(node: Node | None, now: float, delay: float) -> dict[str, Any]:
    if node is None:
        return {"results": [], "result_count": 0}
    state, message = state_of(node, now, delay)
    obj = node.obj
    entity: dict[str, Any] = {
        "resource_type": "GenericPolicyRealizedResource",
        "id": obj["unique_id"],
        "display_name": obj.get("display_name", obj["id"]),
        "path": f"{ENFORCEMENT_POINT}/realized-entities/{obj['unique_id']}",
        "entity_type": "Realized" + node.kind.resource_type,
        "realization_specific_identifier": obj["unique_id"],
        "intent_paths": [obj["path"]],
        "intent_reference": [obj["path"]],
        "enforcement_point_path": ENFORCEMENT_POINT,
        "state": state,
        "runtime_status": "UP" if state == "REALIZED" else "UNKNOWN",
        "extended_attributes": [],
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
    else:
        entity["alarms"] = []
    return {"results": [entity], "result_count": 1}


def consolidated_status(node: Node, now: float, delay: float) -> dict[str, Any]:
    state, message = state_of(node, now, delay)
    consolidated = _CONSOLIDATED.get(state, "UNKNOWN")
    body: dict[str, Any] = {
        "intent_path": node.obj["path"],
        "intent_version": str(node.obj.get("_revision", 0)),
        "publish_status": state,
        "consolidated_status": {"consolidated_status": consolidated},
        "enforced_status": {
            "status": {"consolidated_status": {"consolidated_status": consolidated}},
        },
    }
    if message is not None:
        body["publish_status_error_details"] = [{"error_message": message}]
    return body
