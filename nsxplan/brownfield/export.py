"""`nsxplan export`: the live policy tree, in the Hierarchical API format.

The output is exactly what `GET /policy/api/v1/infra?filter=...` returns (Infra with Child*
wrappers), which is also the simulator's state format: an operator can export production and
rehearse a change with `--manager sim:prod.json`. One request, whatever the size of the tree.
"""

from __future__ import annotations

from typing import Any

from nsxplan.live.read import InfraReader
from nsxplan.redact import SECRET_JSON_KEYS

# Every kind nsxplan knows, parents included so the tree stays connected.
EXPORT_TYPES: tuple[str, ...] = (
    "Tier0", "Tier1", "LocaleServices", "Tier0Interface", "Tier1Interface",
    "BgpRoutingConfig", "BgpNeighborConfig", "PrefixList", "Tier0RouteMap", "StaticRoutes",
    "PolicyNat", "PolicyNatRule",
    "PolicyDnsForwarder", "PolicyDnsForwarderZone", "Segment", "IpAddressBlock",
    "IpAddressPool", "IpAddressPoolSubnet", "IpAddressPoolBlockSubnet",
    "IpAddressPoolStaticSubnet",
)

# Links and schema pointers are per-response noise; they would only make snapshots diff.
# Secrets (a BGP neighbor's password: NSX never returns it, a simulator may) are dropped, not
# masked: exports are rehearsed on as they are, and a masked value would become a real one.
_NOISE = frozenset({"_links", "_self", "_schema"}) | SECRET_JSON_KEYS


def export_snapshot(client: InfraReader, types: tuple[str, ...] = EXPORT_TYPES) -> dict[str, Any]:
    tree = client.get_infra(types)
    children = [_clean(child) for child in tree.get("children") or []]
    return {"resource_type": "Infra", "children": _sorted(children)}


def _clean(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _clean(v) for k, v in node.items() if k not in _NOISE}
        if isinstance(out.get("children"), list):
            out["children"] = _sorted(out["children"])
        return out
    if isinstance(node, list):
        return [_clean(v) for v in node]
    return node


def _sorted(children: list[Any]) -> list[Any]:
    """Deterministic order (kind, then id) so two exports of the same state are identical."""
    def key(wrapper: Any) -> tuple[str, str]:
        if not isinstance(wrapper, dict):
            return ("", "")
        kind = str(wrapper.get("resource_type", ""))
        inner = wrapper.get(kind[len("Child"):]) if kind.startswith("Child") else None
        ident = (inner or {}).get("id") if isinstance(inner, dict) else wrapper.get("id")
        return (kind, str(ident or ""))
    return sorted(children, key=key)
