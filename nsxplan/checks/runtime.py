"""`nsxplan verify`: what NSX reports at runtime after apply, judged against the configuration.

Pure: commands.verify reads the views (a Tier-0's BGP neighbor status and routing table) and
hands them here. One line per fact an operator checks by hand after a change window: each
declared BGP neighbor Established, a default route present (and through whom), and each
Tier-1 egress address of this configuration in the Tier-0's table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from nsxplan.config.model import Config, Tier0
from nsxplan.plan.model import Check

NEIGHBOR_ID = "verify.bgp-neighbor"
DEFAULT_ROUTE_ID = "verify.default-route"
EGRESS_ID = "verify.egress-route"
ROUTE_TYPES = {"b": "BGP", "t0s": "static", "t0c": "connected", "t1n": "Tier-1 NAT",
               "t1c": "Tier-1 connected"}


def _entries(table: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for r in table.get("results") or () if isinstance(r, Mapping)
            for e in r.get("route_entries") or () if isinstance(e, Mapping)]


def verify_tier0(config: Config, t0: Tier0, status: Mapping[str, Any],
                 table: Mapping[str, Any]) -> list[Check]:
    out: list[Check] = []
    subject = f"Tier-0 {t0.id}"
    reported = {str(r.get("neighbor_address")): r for r in status.get("results") or ()
                if isinstance(r, Mapping)}
    declared = {n.address: n.id for n in (t0.bgp.neighbors if t0.bgp else ())}
    for address in sorted({*declared, *reported}):
        name = f"{address} ({declared[address]})" if address in declared else address
        row = reported.get(address)
        state = str(row.get("connection_state")) if row else "not reported"
        if state == "ESTABLISHED":
            via = f" from {row['source_address']}" if row and row.get("source_address") else ""
            out.append(Check(id=NEIGHBOR_ID, status="ok", subject=subject,
                             message=f"BGP neighbor {name} Established{via}", source=t0.source,
                             paths=(t0.path,)))
        else:
            out.append(Check(
                id=NEIGHBOR_ID, status="fail", subject=subject,
                message=f"BGP neighbor {name} is {state}",
                remediation=("check the neighbor's AS, password and address on both sides, and "
                             f"that it is on a subnet of {t0.id}'s uplinks"),
                source=t0.source, paths=(t0.path,)))
    entries = _entries(table)
    defaults = [e for e in entries if str(e.get("network")) in ("0.0.0.0/0", "::/0")]
    if defaults:
        via = ", ".join(f"{e.get('next_hop') or 'connected'} "
                        f"({ROUTE_TYPES.get(str(e.get('route_type')), e.get('route_type'))})"
                        for e in defaults)
        out.append(Check(id=DEFAULT_ROUTE_ID, status="ok", subject=subject,
                         message=f"0.0.0.0/0 present via {via}",
                         source=t0.source, paths=(t0.path,)))
    else:
        out.append(Check(id=DEFAULT_ROUTE_ID, status="fail", subject=subject,
                         message=f"{t0.id}'s routing table has no default route",
                         remediation="a BGP neighbor that announces one, or a static route "
                                     "0.0.0.0/0 via a router on an uplink subnet",
                         source=t0.source, paths=(t0.path,)))
    out.extend(_egress(config, t0, entries))
    return out


def _egress(config: Config, t0: Tier0, entries: Sequence[Mapping[str, Any]]) -> list[Check]:
    nets = []
    for e in entries:
        try:
            nets.append(ipaddress.ip_network(str(e.get("network")), strict=False))
        except ValueError:
            continue
    out = []
    for t1 in config.tier1s:
        if t1.tier0_path != t0.path:
            continue
        for rule in t1.nat_rules:
            if rule.action.upper() != "SNAT" or not rule.translated_network:
                continue
            try:
                addr = ipaddress.ip_network(rule.translated_network.split(",")[0].strip(),
                                            strict=False)
            except ValueError:
                continue
            found = any(n.version == addr.version and n.prefixlen > 0
                        and addr.subnet_of(n) for n in nets)  # type: ignore[arg-type]
            text = str(addr.network_address) if addr.num_addresses == 1 else str(addr)
            out.append(Check(
                id=EGRESS_ID, status="ok" if found else "fail",
                subject=f"egress {text} of Tier-1 {t1.id}",
                message=f"{text} is in {t0.id}'s routing table" if found else
                f"{text} is not in {t0.id}'s routing table: the Tier-1 does not advertise it",
                remediation=None if found else "advertise TIER1_NAT on the Tier-1",
                source=rule.source, paths=(t1.path,)))
    return out
