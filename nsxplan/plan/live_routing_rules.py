"""Tier-0 routing rules that need the live state (validate checks what the configuration alone
decides): a BGP neighbor on an existing Tier-0's live uplinks, and references to segments and
IP blocks that are neither declared nor in NSX. Problems here stop the plan with file:line
instead of an NSX error halfway through an apply."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from nsxplan.config.model import Config, Tier0
from nsxplan.errors import Problem
from nsxplan.live.state import LiveState

Iface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


def routing_problems(config: Config, live: LiveState) -> list[Problem]:
    problems: list[Problem] = []
    segments = {s.path for s in config.segments}
    blocks = {b.path for b in config.ip_blocks}
    for t0 in config.tier0s:
        if t0.bgp is not None and not t0.interfaces:
            problems.extend(_neighbors(t0, live))
        for iface in t0.interfaces:
            ref = iface.segment_path
            if ref and ref not in segments and ref not in live:
                problems.append(Problem(
                    f"interface `{iface.id}` of Tier-0 {t0.id!r}: segment {ref} does not exist",
                    iface.source, "declare it under `segments` (a VLAN segment) or fix the id"))
    for pool in config.ip_pools:
        for sub in pool.subnets:
            ref = sub.ip_block_path
            if ref and ref not in blocks and ref not in live:
                problems.append(Problem(
                    f"IP pool subnet `{sub.id}` of {pool.id!r}: IP block {ref} does not exist",
                    sub.source, "declare it under `ip_blocks` or fix the id"))
    return problems


def _addresses(subnets: Iterable[Any]) -> list[Iface]:
    out: list[Iface] = []
    for sn in subnets:
        if not isinstance(sn, Mapping):
            continue
        for ip in sn.get("ip_addresses") or ():
            try:
                out.append(ipaddress.ip_interface(f"{ip}/{sn.get('prefix_len')}"))
            except ValueError:
                continue
    return out


def _neighbors(t0: Tier0, live: LiveState) -> list[Problem]:
    """The Tier-0's uplinks exist only live here: its declared neighbors must sit on them."""
    own = [a for o in live.under(t0.path) if o.get("resource_type") == "Tier0Interface"
           for a in _addresses(o.get("subnets") or ())]
    if not own or t0.bgp is None:
        return []   # NSX accepts neighbors before any interface exists
    subnets = ", ".join(sorted({str(a.network) for a in own}))
    problems = []
    for nb in t0.bgp.neighbors:
        try:
            peer = ipaddress.ip_address(nb.address)
        except ValueError:
            continue    # validate reported it
        if nb.source_addresses:
            bad = [s for s in nb.source_addresses if s not in {str(a.ip) for a in own}]
            if bad:
                problems.append(Problem(
                    f"BGP neighbor `{nb.id}` of Tier-0 {t0.id!r}: source address {bad[0]} is "
                    f"not an address of its interfaces ({subnets}, in NSX)", nb.source,
                    "source the session from one of the Tier-0's uplink addresses"))
        elif (nb.hop_limit or 1) == 1 and not any(peer in a.network for a in own):
            problems.append(Problem(
                f"BGP neighbor `{nb.id}` of Tier-0 {t0.id!r}: {peer} is on no subnet of its "
                f"interfaces ({subnets}, in NSX), so NSX refuses the session", nb.source,
                "peer with a router on an uplink subnet, or set source_addresses and hop_limit "
                "for a multihop session"))
    return problems
