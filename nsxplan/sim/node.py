"""Manager-node endpoints outside the policy tree: version, health, and the type specs clients read.

- `GET /api/v1/node/version` -> NodeVersion {node_version, product_version}.
- `GET /api/v1/reverse-proxy/node/health` -> 200 `{"healthy": true, "components_health": ...}`,
  503 with `"healthy": false` when the simulator is marked unhealthy. OpenStack's NSX library
  validates every manager connection on it and marks a manager down unless `healthy` is true.
- `GET /api/v1/spec/vmware/types/{Tag,ManagedResource}` -> the JSON schema of the type; the same
  library reads tag limits there (`properties.scope.maxLength`, `properties.tag.maxLength`,
  `properties.tags.maxItems`). Limits: scope 128, tag 256, 30 tags (reference §2).
"""

from __future__ import annotations

from typing import Any

COMPONENTS_UP = "POLICY:UP, SEARCH:UP, MANAGER:UP, NODE_MGMT:UP, UI:UP"
COMPONENTS_DOWN = "POLICY:DOWN, SEARCH:UP, MANAGER:DOWN, NODE_MGMT:UP, UI:UP"

TAG_SCOPE_MAX = 128
TAG_MAX = 256
TAGS_MAX = 30

_TAG_SPEC: dict[str, Any] = {
    "id": "Tag",
    "module_id": "Common",
    "type": "object",
    "title": "Arbitrary key-value pairs that may be attached to an entity",
    "additionalProperties": False,
    "properties": {
        "scope": {
            "type": "string",
            "title": "Tag searches may optionally be restricted by scope",
            "maxLength": TAG_SCOPE_MAX,
            "default": "",
        },
        "tag": {
            "type": "string",
            "title": "Identifier meaningful to user with maximum length of 256 characters",
            "maxLength": TAG_MAX,
            "default": "",
        },
    },
}

_MANAGED_RESOURCE_SPEC: dict[str, Any] = {
    "id": "ManagedResource",
    "module_id": "Common",
    "type": "object",
    "title": "Base type for resources that are managed by API clients",
    "extends": {"$ref": "RevisionedResource"},
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "title": "Unique identifier of this resource"},
        "display_name": {"type": "string", "maxLength": 255},
        "description": {"type": "string", "maxLength": 1024},
        "resource_type": {"type": "string", "title": "The type of this resource."},
        "tags": {
            "type": "array",
            "title": "Opaque identifiers meaningful to the API user",
            "maxItems": TAGS_MAX,
            "items": {"$ref": "Tag"},
        },
        "_create_time": {"type": "integer", "readonly": True},
        "_create_user": {"type": "string", "readonly": True},
        "_last_modified_time": {"type": "integer", "readonly": True},
        "_last_modified_user": {"type": "string", "readonly": True},
        "_protection": {"type": "string", "readonly": True},
        "_system_owned": {"type": "boolean", "readonly": True},
        "_revision": {"type": "integer"},
    },
}

TYPE_SPECS: dict[str, dict[str, Any]] = {
    "Tag": _TAG_SPEC,
    "ManagedResource": _MANAGED_RESOURCE_SPEC,
}


def version_body(product_version: str) -> dict[str, Any]:
    return {"node_version": product_version, "product_version": product_version}


def health_body(healthy: bool) -> tuple[int, dict[str, Any]]:
    if healthy:
        return 200, {"healthy": True, "components_health": COMPONENTS_UP}
    return 503, {"healthy": False, "components_health": COMPONENTS_DOWN}
