"""The semantic rules of config-language.md, checked on the merged documents.

Every rule skips values of the wrong type (the schema has reported those), so all rules run on
every configuration and the user sees every problem in one pass. Problems sit on the value that
is wrong (or on the object when something is missing) and name the other place involved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

from nsxplan.config.address_rules import address_problems
from nsxplan.config.loader import MDict, MList, child_source, key_source
from nsxplan.config.routing_rules import (
    ip_block_problems,
    ip_pool_problems,
    segment_problems,
    tier0_routing_problems,
)
from nsxplan.errors import Problem, Source
from nsxplan.nsx.addresses import (
    AddressError,
    AddressRange,
    Block,
    block_size,
    is_any,
    match_key,
    parse_blocks,
)
from nsxplan.nsx.fields import RECORD_MAX, RECORDED, encode_record
from nsxplan.nsx.kinds import collection_path, path_of
from nsxplan.nsx.objects import OWNER_SCOPE

RESERVED_TAG_PREFIX = OWNER_SCOPE.split("/")[0] + "/"   # "nsxplan/": every scope of ours
TIER0_PATH = re.compile(re.escape(collection_path("Tier0")) + r"/[A-Za-z0-9][A-Za-z0-9_.-]{0,254}")
# An `existing: true` gateway is owned elsewhere: only these keys (its children) may be set.
EXISTING_ALLOWED = ("id", "existing", "static_routes", "nat_rules", "dns_forwarder")
# Children of an existing Tier-0's locale-services, and `adopt` meaning "take over the children
# declared here that exist without an owner tag" (the gateway itself stays untouched).
EXISTING_TIER0_ALLOWED = ("interfaces", "bgp", "route_redistribution", "prefix_lists",
                          "route_maps", "adopt")
NEEDS_TRANSLATED = ("SNAT", "DNAT", "REFLEXIVE")
FORBIDS_TRANSLATED = ("NO_SNAT", "NO_DNAT")
STATEFUL = ("SNAT", "DNAT")
KIND_NAMES = {"tier0s": "Tier-0", "tier1s": "Tier-1", "dns_zones": "DNS zone",
              "static_routes": "static route", "nat_rules": "NAT rule", "segments": "segment",
              "ip_blocks": "IP block", "ip_pools": "IP pool"}


def items(doc: Any, key: str) -> Iterator[tuple[MDict, Source]]:
    """The mapping items of a list field with their Sources; anything else is skipped."""
    value = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(value, MList):
        for i, item in enumerate(value):
            if isinstance(item, MDict):
                yield item, value.item_sources[i]


def mappings(doc: Any, key: str) -> Iterator[MDict]:
    """The mapping items of a list field, as `items` without their Sources (a rule that
    reports nothing needs none, and a large file has tens of thousands of items)."""
    value = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(value, MList):
        for item in value:
            if isinstance(item, MDict):
                yield item


def text(doc: MDict, key: str) -> str | None:
    value = doc.get(key)
    return value if isinstance(value, str) else None


def at(doc: MDict, key: str) -> Source:
    return child_source(doc, key, doc.source)


def semantic_problems(doc: MDict, today: date | None = None) -> list[Problem]:
    problems: list[Problem] = waiver_problems(doc, today or datetime.now(timezone.utc).date())
    for kind in ("tier0s", "tier1s", "dns_zones", "segments", "ip_blocks", "ip_pools"):
        problems += duplicate_ids(list(mappings(doc, kind)), KIND_NAMES[kind])
    zones = {z["id"]: z for z in mappings(doc, "dns_zones") if isinstance(z.get("id"), str)}
    tier0s = {t["id"]: t for t in mappings(doc, "tier0s") if isinstance(t.get("id"), str)}
    for kind in ("tier0s", "tier1s"):
        for gateway in mappings(doc, kind):
            problems += gateway_problems(gateway, KIND_NAMES[kind])
    for tier1 in mappings(doc, "tier1s"):
        problems += tier0_reference(tier1, tier0s)
        forwarder = tier1.get("dns_forwarder")
        if isinstance(forwarder, MDict):
            problems += forwarder_problems(forwarder, zones)
            problems += tag_problems(forwarder, "PolicyDnsForwarder")
    for tier0 in mappings(doc, "tier0s"):
        problems += active_active_nat(tier0)
        problems += tier0_routing_problems(tier0)
        problems += _routing_tags(tier0)
    for segment in mappings(doc, "segments"):
        problems += segment_problems(segment) + tag_problems(segment, "Segment")
    for block in mappings(doc, "ip_blocks"):
        problems += ip_block_problems(block) + tag_problems(block, "IpAddressBlock")
    for pool in mappings(doc, "ip_pools"):
        problems += ip_pool_problems(pool) + tag_problems(pool, "IpAddressPool")
        for subnet in mappings(pool, "subnets"):
            problems += tag_problems(subnet, "IpAddressPoolStaticSubnet")
    for zone in mappings(doc, "dns_zones"):
        problems += tag_problems(zone, "PolicyDnsForwarderZone")
    problems += address_problems(doc)
    return problems


def waiver_problems(doc: MDict, today: date) -> list[Problem]:
    """An expired waiver is a decision that ran out: the configuration is invalid until someone
    renews it (new date) or fixes the failure and removes it."""
    problems = []
    seen: dict[tuple[str, str], Source] = {}
    for waiver, where in items(doc, "waivers"):
        expires = text(waiver, "expires")
        key = (str(waiver.get("check")), str(waiver.get("subject")))
        if key in seen:
            problems.append(Problem(
                f"a second waiver for check `{key[0]}` on `{key[1]}` (first at {seen[key]})",
                where, hint="keep one waiver per check and subject"))
        seen.setdefault(key, where)
        if expires is None:
            continue
        try:
            until = date.fromisoformat(expires)
        except ValueError:
            problems.append(Problem(f"waiver expiry `{expires}` is not a date",
                                    at(waiver, "expires"),
                                    hint="write the last day it applies as YYYY-MM-DD"))
            continue
        if until < today:
            problems.append(Problem(
                f"waiver for check `{key[0]}` on `{key[1]}` expired on {until.isoformat()}",
                at(waiver, "expires"),
                hint="fix the failure and remove the waiver, or renew it with a later "
                     "`expires:` date and a reason that still holds"))
    return problems


def _routing_tags(tier0: MDict) -> list[Problem]:
    problems = [p for iface in mappings(tier0, "interfaces")
                for p in tag_problems(iface, "Tier0Interface")]
    problems += [p for pl in mappings(tier0, "prefix_lists")
                 for p in tag_problems(pl, "PrefixList")]
    problems += [p for rm in mappings(tier0, "route_maps")
                 for p in tag_problems(rm, "Tier0RouteMap")]
    bgp = tier0.get("bgp")
    if isinstance(bgp, MDict):
        problems += tag_problems(bgp, "BgpRoutingConfig")
        problems += [p for nb in mappings(bgp, "neighbors")
                     for p in tag_problems(nb, "BgpNeighborConfig")]
    return problems


def duplicate_ids(entries: list[MDict], kind: str) -> list[Problem]:
    seen: dict[str, MDict] = {}
    problems = []
    for entry in entries:
        ident = entry.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            problems.append(Problem(
                f"duplicate {kind} id `{ident}` (first defined at {at(seen[ident], 'id')})",
                at(entry, "id"),
                hint=f"each {kind} id may appear once: merge the two definitions or rename one"))
        else:
            seen[ident] = entry
    return problems


def gateway_problems(gateway: MDict, kind: str) -> list[Problem]:
    gateway_type = "Tier0" if kind == "Tier-0" else "Tier1"
    problems = tag_problems(gateway, gateway_type) + existing_problems(gateway, kind)
    for child, child_type in (("static_routes", "StaticRoutes"), ("nat_rules", "PolicyNatRule")):
        entries = list(mappings(gateway, child))
        problems += duplicate_ids(entries, KIND_NAMES[child])
        for entry in entries:
            problems += tag_problems(entry, child_type)
    for route in mappings(gateway, "static_routes"):
        problems += route_problems(route)
    rules = list(mappings(gateway, "nat_rules"))
    for rule in rules:
        problems += nat_matrix(rule)
    problems += nat_conflicts(rules)
    return problems


def tag_problems(doc: MDict, resource_type: str = "") -> list[Problem]:
    tags = doc.get("tags")
    found: list[tuple[str, Source]] = []
    if isinstance(tags, MDict):
        found = [(scope, key_source(tags, scope, tags.source)) for scope in tags]
    elif isinstance(tags, MList):
        found = [(t["scope"], at(t, "scope")) for t in mappings(doc, "tags")
                 if isinstance(t.get("scope"), str)]
    problems = [Problem(f"tag scope `{scope}` is reserved for nsxplan", where,
                        hint=f"use a scope that does not start with `{RESERVED_TAG_PREFIX}`; "
                             "nsxplan adds its owner tag itself")
                for scope, where in found if scope.lower().startswith(RESERVED_TAG_PREFIX)]
    if not found:
        return problems
    # The record of what nsxplan manages (nsxplan/managed) lists the tag scopes in one tag
    # value of at most 256 characters; counted as if every optional field were set too.
    fields = set(RECORDED.get(resource_type) or ("display_name", "description"))
    record = encode_record(fields, (scope for scope, _ in found))
    if len(record) > RECORD_MAX and isinstance(tags, (MDict, MList)):
        problems.append(Problem(
            f"these tag scopes make nsxplan's record tag (nsxplan/managed) {len(record)} "
            f"characters long; NSX allows {RECORD_MAX}",
            tags.source, hint="use fewer or shorter tag scopes on this object (nsxplan records "
                              "the scopes it sets in the tag nsxplan/managed)"))
    return problems


def existing_problems(gateway: MDict, kind: str) -> list[Problem]:
    if gateway.get("existing") is not True:
        return []
    problems = []
    for key in gateway:
        if key in EXISTING_ALLOWED or (kind == "Tier-0" and key in EXISTING_TIER0_ALLOWED):
            continue
        if key == "adopt":
            hint = ("choose one: `existing: true` leaves the gateway alone, "
                    "`adopt: true` takes it over")
        else:
            hint = (f"remove `{key}`: nsxplan never changes a {kind} declared `existing: true` "
                    "(only the children listed under it); drop `existing` to manage it, "
                    "or add `adopt: true` to take over an unowned one")
        problems.append(Problem(
            f"{kind} `{gateway.get('id')}` is `existing: true` and cannot set `{key}`",
            key_source(gateway, key, gateway.source), hint=hint))
    return problems


def tier0_reference(tier1: MDict, tier0s: dict[str, MDict]) -> list[Problem]:
    reference = text(tier1, "tier0")
    if reference is None:
        return []
    where = at(tier1, "tier0")
    if reference.startswith("/"):
        if TIER0_PATH.fullmatch(reference):
            return []
        return [Problem(f"`tier0: {reference}` is not a Tier-0 policy path", where,
                        hint="write /infra/tier-0s/ID, or the id of a Tier-0 in this "
                             "configuration")]
    if reference in tier0s:
        return []
    known = ", ".join(sorted(tier0s)) or "none"
    return [Problem(f"Tier-0 `{reference}` is not defined in this configuration", where,
                    hint=f"declare it under tier0s (with `existing: true` if it is managed "
                         f"elsewhere) or write its path {path_of('Tier0', reference)}; "
                         f"Tier-0s defined: {known}")]


def forwarder_problems(forwarder: MDict, zones: dict[str, MDict]) -> list[Problem]:
    problems = []
    default = text(forwarder, "default_zone")
    if default is not None:
        zone = zones.get(default)
        where = at(forwarder, "default_zone")
        if zone is None:
            problems.append(_missing_zone(default, where, zones))
        elif zone.get("domains"):
            problems.append(Problem(
                f"default_zone `{default}` has domains, so it is a conditional zone", where,
                hint=f"remove `domains` from zone `{default}` or list it under conditional_zones"))
    conditional = forwarder.get("conditional_zones")
    if isinstance(conditional, MList):
        seen: set[str] = set()
        for i, name in enumerate(conditional):
            if not isinstance(name, str):
                continue
            where = conditional.item_sources[i]
            zone = zones.get(name)
            if name == default:
                problems.append(Problem(f"zone `{name}` is already this forwarder's default_zone",
                                        where, hint="a zone is either the default or conditional"))
            elif name in seen:
                problems.append(Problem(f"zone `{name}` is listed twice in conditional_zones",
                                        where, hint="list each zone once"))
            elif zone is None:
                problems.append(_missing_zone(name, where, zones))
            elif not zone.get("domains"):
                problems.append(Problem(
                    f"conditional zone `{name}` has no domains", where,
                    hint=f"add `domains: [...]` to zone `{name}`, or use it as default_zone"))
            seen.add(name)
    return problems


def _missing_zone(name: str, where: Source, zones: dict[str, MDict]) -> Problem:
    known = ", ".join(sorted(zones)) or "none"
    return Problem(f"DNS zone `{name}` is not defined in dns_zones", where,
                   hint=f"add it under dns_zones or fix the id; zones defined: {known}")


def route_problems(route: MDict) -> list[Problem]:
    """A next hop equal to the routed network's own address can never forward the traffic."""
    network_text = text(route, "network")
    blocks = parse_blocks(network_text) if network_text else None
    if not isinstance(blocks, list) or len(blocks) != 1 or isinstance(blocks[0], AddressRange):
        return []  # malformed networks are reported by address_problems
    network = blocks[0]
    problems = []
    for hop in mappings(route, "next_hops"):
        ip_text = text(hop, "ip")
        hop_blocks = parse_blocks(ip_text, allow_list=False) if ip_text else None
        if not isinstance(hop_blocks, list):
            continue
        hop_ip = hop_blocks[0]
        if isinstance(hop_ip, AddressRange) or hasattr(hop_ip, "prefixlen"):
            continue
        base = getattr(network, "network_address", network)
        if hop_ip.version != base.version:
            problems.append(Problem(
                f"next hop {ip_text} is IPv{hop_ip.version} but network {network_text} "
                f"is IPv{base.version}", at(hop, "ip"),
                hint="a next hop must be of the same address family as the network"))
        elif hop_ip == base:
            problems.append(Problem(
                f"next hop {ip_text} equals the network {network_text} it routes", at(hop, "ip"),
                hint="the next hop is the router that forwards this network, "
                     "e.g. the uplink's gateway address"))
    return problems


def nat_matrix(rule: MDict) -> list[Problem]:
    action = text(rule, "action")
    if action is None:
        return []
    rid = rule.get("id")
    problems = []

    def need(field: str, why: str) -> None:
        value = rule.get(field)
        # "source: Any" on a rule that needs a source is as missing as no source at all
        if value is None or (isinstance(value, str) and is_any(value)):
            problems.append(Problem(f"{action} rule `{rid}` needs `{field}`", rule.source,
                                    hint=why))

    def forbid(field: str, why: str) -> None:
        if field in rule:
            problems.append(Problem(f"{action} rule `{rid}` cannot set `{field}`",
                                    key_source(rule, field, rule.source), hint=why))

    if action in NEEDS_TRANSLATED:
        need("translated", f"add `translated:` with the address {action} translates to")
    if action in FORBIDS_TRANSLATED:
        forbid("translated", f"{action} exempts traffic from translation; remove `translated`")
    if action == "REFLEXIVE":
        need("source", "REFLEXIVE translates a source network: add `source:`")
        forbid("destination", "NSX does not apply a destination to REFLEXIVE rules; remove it")
    if action in FORBIDS_TRANSLATED and rule.get("firewall_match") not in (None, "BYPASS"):
        problems.append(Problem(
            f"{action} rule `{rid}`: firewall_match must be BYPASS (or unset), not "
            f"{rule.get('firewall_match')!r}", at(rule, "firewall_match"),
            hint="NSX accepts only BYPASS for rules that exempt traffic from NAT"))
    if action == "DNAT":
        need("destination", "DNAT translates a destination: add `destination:`")
    if action != "DNAT":
        forbid("translated_ports", "translated_ports applies to DNAT rules only; remove it")
    translated = text(rule, "translated")
    if translated and action in ("REFLEXIVE", "DNAT"):
        blocks = parse_blocks(translated)
        single = isinstance(blocks, list) and len(blocks) == 1
        if isinstance(blocks, list) and (not single or (
                action == "REFLEXIVE" and isinstance(blocks[0], AddressRange))):
            what = "a single IP or CIDR" if action == "REFLEXIVE" else "a single IP, CIDR or range"
            problems.append(Problem(
                f"{action} rule `{rid}`: `translated` must be {what}, not {translated!r}",
                at(rule, "translated"), hint=f"NSX takes one translated address for {action}; "
                                             "write one rule per address"))
        elif isinstance(blocks, list) and single and action == "REFLEXIVE":
            problems += _reflexive_sizes(rule, rid, blocks[0])
    return problems


def _reflexive_sizes(rule: MDict, rid: object, translated: Block) -> list[Problem]:
    """Stateless NAT maps addresses one to one: NSX requires #source == #translated."""
    source = text(rule, "source")
    blocks = parse_blocks(source) if source else None
    if not isinstance(blocks, list):
        return []   # a missing or malformed source is reported by its own rule
    n_source = sum(block_size(b) for b in blocks)
    n_translated = block_size(translated)
    if n_source == n_translated:
        return []
    return [Problem(
        f"REFLEXIVE rule `{rid}` maps {n_source} source address(es) to {n_translated} "
        "translated address(es); stateless NAT needs as many of each",
        at(rule, "translated"),
        hint="translate a single IP to a single IP, or a /N block to a /N block")]


def active_active_nat(tier0: MDict) -> list[Problem]:
    """Stateful NAT on an ACTIVE_ACTIVE Tier-0. An `existing` Tier-0 without ha_mode is left to
    `plan`, which knows its live HA mode."""
    ha_mode = tier0.get("ha_mode")
    if tier0.get("existing") is True and ha_mode is None:
        return []
    if (ha_mode or "ACTIVE_ACTIVE") != "ACTIVE_ACTIVE":
        return []
    implied = "" if ha_mode else " (ha_mode unset means ACTIVE_ACTIVE)"
    problems = []
    for rule in mappings(tier0, "nat_rules"):
        action = text(rule, "action")
        if action in STATEFUL:
            problems.append(Problem(
                f"{action} rule `{rule.get('id')}` on ACTIVE_ACTIVE Tier-0 `{tier0.get('id')}`"
                f"{implied}: NSX allows only stateless REFLEXIVE NAT there",
                at(rule, "action"),
                hint="use `action: REFLEXIVE`, set `ha_mode: ACTIVE_STANDBY` on the Tier-0, "
                     "or put the rule on a Tier-1"))
    return problems


def nat_conflicts(rules: list[MDict]) -> list[Problem]:
    """Two rules that match the same traffic but translate it differently: which one wins
    depends on sequence numbers nobody meant to rely on."""
    seen: dict[tuple[Any, ...], MDict] = {}
    problems = []
    for rule in rules:
        action = text(rule, "action")
        source = match_key(text(rule, "source"))
        destination = match_key(text(rule, "destination"))
        if action is None or source is None or destination is None:
            continue
        match = (action, source, destination, text(rule, "service"))
        first = seen.get(match)
        if first is None:
            seen[match] = rule
            continue
        if _translation(first) != _translation(rule):
            problems.append(Problem(
                f"NAT rule `{rule.get('id')}` matches the same traffic as `{first.get('id')}` "
                f"(defined at {first.source}) but translates it differently",
                rule.source,
                hint="remove one of the two rules, or make their source, destination or "
                     "service differ"))
    return problems


def _translation(rule: MDict) -> tuple[Any, ...]:
    return match_key(text(rule, "translated")), str(rule.get("translated_ports"))


__all__ = ["AddressError", "semantic_problems"]
