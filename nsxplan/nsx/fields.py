"""What nsxplan manages on each kind when the configuration leaves a field out, and the record
tag that remembers which optional fields and tags nsxplan set.

Three policies (the table is in docs/config-language.md, "Fields left out"):

- DEFAULTS: the language documents a default; a field left out is managed AT that default, so a
  rule disabled in the UI is drift like any other change. The value is sent explicitly: NSX
  versions disagree on some defaults (`firewall_match`), the configuration does not.
- structural fields (a NAT rule's match and translation, a route's next hops, a zone's domains)
  are always managed; left out means unset (Any, none). desired.py emits them as None.
- RECORDED: free text and optional settings with no language default (`description`,
  `sequence`, `tier0`, ...). nsxplan manages them once it has set them, and lists them in the
  `nsxplan/managed` tag on the object; when they leave the configuration the plan resets them
  (to NSX's default, or unset), and a value someone set in the UI on a field nsxplan never set
  is left alone.

The record also lists the user tag scopes nsxplan set (`tag:<scope>`), so removing a tag from
the YAML removes it from NSX while tags other tools put there (`ncp/...`) are never touched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from nsxplan.nsx.objects import OWNER_SCOPE

RECORD_SCOPE = "nsxplan/managed"
PROTECT_SCOPE = "nsxplan/protect"
#: Scopes nsxplan writes itself; a live tag of one of these scopes is never a foreign tag.
OWN_SCOPES = frozenset({OWNER_SCOPE, RECORD_SCOPE, PROTECT_SCOPE})
#: NSX's limit on a tag value (reference §2).
RECORD_MAX = 256
#: Tags NSX allows on one object, minus the three nsxplan may add.
MAX_USER_TAGS = 30 - len(OWN_SCOPES)

NAT_EXEMPT = frozenset({"NO_SNAT", "NO_DNAT"})


def nat_firewall_match(action: str) -> str:
    """NO_SNAT/NO_DNAT accept only BYPASS; the others default to MATCH_INTERNAL_ADDRESS (the
    NSX 3.2 schema's default; the Terraform provider's BYPASS default differs, which is why the
    value is always sent)."""
    return "BYPASS" if action.upper() in NAT_EXEMPT else "MATCH_INTERNAL_ADDRESS"


#: kind -> field -> the value a field left out of the configuration is managed at.
DEFAULTS: dict[str, dict[str, Any]] = {
    "PolicyNatRule": {"enabled": True, "logging": False},   # + firewall_match by action
    "PolicyDnsForwarder": {"enabled": True, "log_level": "INFO"},
}

#: The id stands in for "the object's own id" (NSX's default display_name).
ID = object()

#: kind -> recorded field -> the value sent when it leaves the configuration.
RECORDED: dict[str, dict[str, Any]] = {
    # ha_mode: NSX's default applies when nsxplan creates the Tier-0; an existing one's HA mode
    # is never changed because a line was never written (it moves traffic between edges).
    "Tier0": {"display_name": ID, "description": "", "failover_mode": "NON_PREEMPTIVE",
              "ha_mode": "ACTIVE_ACTIVE"},
    "Tier1": {"display_name": ID, "description": "", "failover_mode": "NON_PREEMPTIVE",
              "tier0_path": None, "route_advertisement_types": []},
    "StaticRoutes": {"display_name": ID, "description": ""},
    "PolicyNatRule": {"display_name": ID, "description": "", "sequence_number": 0},
    "PolicyDnsForwarder": {"display_name": ID, "description": ""},
    "PolicyDnsForwarderZone": {"display_name": ID, "description": "", "source_ip": None},
    # Tier-0 routing (#12): NSX's documented defaults (reference §4.2-4.4, §4.10-4.11).
    "LocaleServices": {"route_redistribution_config": {"bgp_enabled": True,
                                                       "redistribution_rules": []},
                       "ha_vip_configs": []},
    "Tier0Interface": {"display_name": ID, "description": "", "type": "EXTERNAL",
                       "mtu": None},
    "BgpRoutingConfig": {"display_name": ID, "description": "", "enabled": True, "ecmp": True,
                         "multipath_relax": None,
                         "graceful_restart_config": {"mode": "HELPER_ONLY"}},
    "BgpNeighborConfig": {"display_name": ID, "description": "", "source_addresses": [],
                          "maximum_hop_limit": 1, "hold_down_time": 180,
                          "keep_alive_time": 60, "bfd": {"enabled": False}},
    "PrefixList": {"display_name": ID, "description": ""},
    "Tier0RouteMap": {"display_name": ID, "description": ""},
    "Segment": {"display_name": ID, "description": ""},
    "IpAddressBlock": {"display_name": ID, "description": ""},
    "IpAddressPool": {"display_name": ID, "description": ""},
    "IpAddressPoolBlockSubnet": {"display_name": ID, "description": ""},
    "IpAddressPoolStaticSubnet": {"display_name": ID, "description": "", "gateway_ip": None,
                                  "dns_nameservers": []},
}


def reset_value(kind: str, field: str, obj_id: str) -> Any:
    value = RECORDED.get(kind, {}).get(field)
    return obj_id if value is ID else value


# --- the record tag ----------------------------------------------------------------------------

_TAG = "tag:"


def _quote(scope: str) -> str:
    # ',' separates entries; '%' must round-trip.
    return scope.replace("%", "%25").replace(",", "%2C")


def _unquote(text: str) -> str:
    return text.replace("%2C", ",").replace("%2c", ",").replace("%25", "%")


def encode_record(fields: Iterable[str], scopes: Iterable[str]) -> str:
    """`description,sequence_number,tag:env,tag:team`: sorted, so equal records compare equal."""
    entries = sorted(set(fields)) + [_TAG + _quote(s) for s in sorted(set(scopes))]
    return ",".join(entries)


def decode_record(value: str) -> tuple[frozenset[str], frozenset[str]]:
    """(fields, tag scopes) from a record tag value; unknown entries are ignored."""
    fields: set[str] = set()
    scopes: set[str] = set()
    for entry in value.split(","):
        entry = entry.strip()
        if entry.startswith(_TAG):
            scopes.add(_unquote(entry[len(_TAG):]))
        elif entry:
            fields.add(entry)
    return frozenset(fields), frozenset(scopes)


def live_record(obj: Mapping[str, Any]) -> tuple[frozenset[str], frozenset[str]] | None:
    """The record on a live object; None when it has none (created before records existed, or
    never carried anything optional)."""
    for t in obj.get("tags") or ():
        # `type(t) is dict` first: a JSON tag is one, and the Mapping check is an ABC lookup.
        if (type(t) is dict or isinstance(t, Mapping)) and t.get("scope") == RECORD_SCOPE:
            return decode_record(str(t.get("tag") or ""))
    return None


def is_protected_by_tag(obj: Mapping[str, Any]) -> bool:
    return any(isinstance(t, Mapping) and t.get("scope") == PROTECT_SCOPE
               and str(t.get("tag") or "").lower() == "true" for t in obj.get("tags") or ())
