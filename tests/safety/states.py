"""Crafted simulator states for the safety attacks: the demo state plus hostile objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from nsxplan.sim import demo_state

T0 = "/infra/tier-0s/vcf-t0"
NCP_T1 = "/infra/tier-1s/domain-c8"
PI = "wcp-cluster-user-domain-c8-4f2b9c1e-7a3d-4e8f-b6a1-2d9e5c7f0a13"
NCP_TAGS = [{"scope": "ncp/cluster", "tag": "domain-c8"}, {"scope": "ncp/version", "tag": "1.2"}]


def owner_tags(owner: str) -> list[dict[str, str]]:
    return [{"scope": "nsxplan/owner", "tag": owner}]


def route(rid: str, network: str = "192.168.77.0/24", **extra: Any) -> dict[str, Any]:
    """A ChildStaticRoutes wrapper for a Tier-0 (or Tier-1) children list."""
    body = {"resource_type": "StaticRoutes", "id": rid, "display_name": rid,
            "network": network, "next_hops": [{"ip_address": "10.27.51.1"}],
            "_create_user": "admin", **extra}
    return {"resource_type": "ChildStaticRoutes", "StaticRoutes": body}


def gateway(state: dict[str, Any], resource_type: str, gw_id: str) -> dict[str, Any]:
    for wrapper in state["children"]:
        inner = wrapper.get(resource_type)
        if isinstance(inner, dict) and inner.get("id") == gw_id:
            return inner
    raise KeyError(gw_id)


def with_routes(*routes: dict[str, Any], on: tuple[str, str] = ("Tier0", "vcf-t0"),
                state: dict[str, Any] | None = None) -> dict[str, Any]:
    state = state if state is not None else demo_state()
    gateway(state, *on).setdefault("children", []).extend(routes)
    return state


def write_state(path: Path, state: dict[str, Any]) -> Path:
    path.write_text(json.dumps(state))
    return path
