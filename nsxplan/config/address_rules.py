"""Semantic rule: every IP, CIDR, range and domain name in the configuration parses.

Kept apart from config/rules.py because it is a walk over every address-carrying field rather than a
rule about how objects relate.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from nsxplan.config.loader import MDict, MList, child_source
from nsxplan.errors import Problem, Source
from nsxplan.nsx.addresses import AddressError, address_problem, parse_cidr, parse_ip

# Letters, digits, `-` and `_` (seen in AD zones) per label; a reverse zone is a domain too.
DOMAIN = re.compile(r"(?=.{1,253}$)([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*"
                    r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?")

Check = Callable[[str], "AddressError | None"]


def _ip(value: str) -> AddressError | None:
    result = parse_ip(value)
    return result if isinstance(result, AddressError) else None


def _ipv4(value: str) -> AddressError | None:
    result = parse_ip(value)
    if isinstance(result, AddressError):
        return result
    if result.version != 4:
        return AddressError(f"{value!r} is not an IPv4 address",
                            "the DNS forwarder listens on an IPv4 address")
    return None


def _cidr(value: str) -> AddressError | None:
    result = parse_cidr(value)
    return result if isinstance(result, AddressError) else None


def _range_or_ip(value: str) -> AddressError | None:
    result = parse_cidr(value, allow_bare_ip=True)
    return result if isinstance(result, AddressError) else None


def _nat_match(value: str) -> AddressError | None:
    return address_problem(value, any_ok=True)


def _nat_translation(value: str) -> AddressError | None:
    return address_problem(value, any_ok=False)


def _domain(value: str) -> AddressError | None:
    if DOMAIN.fullmatch(value):
        return None
    return AddressError(f"{value!r} is not a DNS domain name",
                        "write a domain like corp.example.com or 13.12.30.in-addr.arpa")


def _check(problems: list[Problem], doc: MDict, key: str, check: Check, what: str) -> None:
    # Sources are looked up only for a problem: every address of a large file passes here.
    value = doc.get(key)
    if isinstance(value, str):
        error = check(value)
        if error is not None:
            _report(problems, error, child_source(doc, key, doc.source), what)
    elif isinstance(value, MList):
        for i, item in enumerate(value):
            if isinstance(item, str):
                error = check(item)
                if error is not None:
                    _report(problems, error, value.item_sources[i], what)


def _report(problems: list[Problem], error: AddressError, where: Source, what: str) -> None:
    problems.append(Problem(f"{what}: {error.message}", where, hint=error.hint))


def _mappings(doc: Any, key: str) -> list[MDict]:
    value = doc.get(key) if isinstance(doc, dict) else None
    return [v for v in value if isinstance(v, MDict)] if isinstance(value, list) else []


def address_problems(doc: MDict) -> list[Problem]:
    problems: list[Problem] = []
    for kind in ("tier0s", "tier1s"):
        for gateway in _mappings(doc, kind):
            for route in _mappings(gateway, "static_routes"):
                name = f"static route `{route.get('id')}`"
                _check(problems, route, "network", _cidr, f"{name} network")
                for hop in _mappings(route, "next_hops"):
                    _check(problems, hop, "ip", _ip, f"{name} next hop")
            for rule in _mappings(gateway, "nat_rules"):
                for key, check in (("source", _nat_match), ("destination", _nat_match),
                                   ("translated", _nat_translation)):
                    _check(problems, rule, key, check, f"NAT rule `{rule.get('id')}` {key}")
            forwarder = gateway.get("dns_forwarder")
            if isinstance(forwarder, MDict):
                _check(problems, forwarder, "listener_ip", _ipv4, "DNS forwarder listener_ip")
    for zone in _mappings(doc, "dns_zones"):
        name = f"DNS zone `{zone.get('id')}`"
        _check(problems, zone, "upstream_servers", _ip, f"{name} upstream server")
        _check(problems, zone, "source_ip", _ip, f"{name} source_ip")
        _check(problems, zone, "domains", _domain, f"{name} domain")
    dependencies = doc.get("dependencies")
    if isinstance(dependencies, MDict):
        for server in _mappings(dependencies, "dns_servers"):
            _check(problems, server, "address", _ip, "DNS server dependency address")
            _check(problems, server, "clients", _range_or_ip, "DNS server dependency client")
        _check(problems, dependencies, "routed_upstream", _range_or_ip, "routed_upstream")
    return problems
