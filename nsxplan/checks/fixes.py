"""Remediation text for the dependency checks: the config lines a user pastes to fix them.

The suggested translated address of a missing REFLEXIVE rule has to be stable and unique across
all checks of one run (the egress check and the DNS check must name the same rule), so one
ReflexiveAddressPool is shared by the checks of a run_checks call.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections.abc import Iterator

from nsxplan.checks.topology import Tier0View, Topology
from nsxplan.nsx.addresses import IPAddress, IPNetwork, as_network, fmt_net


class ReflexiveAddressPool:
    """Suggests the translated address of a missing Tier-0 REFLEXIVE rule.

    REFLEXIVE NAT is stateless 1:1, so every egress address needs its own translated address;
    the suggestions must differ from each other and from what the Tier-0 already uses. The same
    egress address always gets the same suggestion, so the egress and DNS checks name the same
    rule. First choice is the uplink address itself (as the static-routing lab does), then the
    next free addresses of the uplink subnet."""

    _SCAN_LIMIT = 4096

    def __init__(self, topology: Topology) -> None:
        self._topology = topology
        self._memo: dict[tuple[str, IPNetwork], str] = {}
        self._taken: dict[str, set[IPAddress]] = {}
        self._uplinks: dict[str, tuple[IPAddress, IPNetwork] | None] = {}
        self._exhausted: set[str] = set()

    def _uplink(self, t0: Tier0View) -> tuple[IPAddress, IPNetwork] | None:
        """The uplink facing the default route (else the first EXTERNAL one)."""
        if t0.path not in self._uplinks:
            toward = t0.uplink_toward(ipaddress.ip_network("0.0.0.0/0"))
            self._uplinks[t0.path] = next(
                ((ip, subnet) for i in t0.external for ip, subnet in i.addresses
                 if toward is None or ip == toward), None)
        return self._uplinks[t0.path]

    def _taken_by(self, t0: Tier0View) -> set[IPAddress]:
        if t0.path not in self._taken:
            taken: set[IPAddress] = set()
            for rule in t0.nat:
                for n in rule.translated or ():
                    if n.num_addresses <= 256:
                        taken.update(n)
            for route in t0.routes:
                for hop in route.next_hops:
                    hop_net = as_network(hop)
                    if hop_net is not None:
                        taken.add(hop_net.network_address)
            self._taken[t0.path] = taken
        return self._taken[t0.path]

    def translated_for(self, t0: Tier0View, egress: IPNetwork) -> str:
        key = (t0.path, egress)
        if key in self._memo:
            return self._memo[key]
        uplink = self._uplink(t0)
        if egress.num_addresses > 1:
            choice = f"<a /{egress.prefixlen} the upstream routes to {t0.id}>"
        elif uplink is None:
            choice = f"<a free address in {t0.id}'s uplink subnet>"
        else:
            choice = self._free(t0, *uplink)
        self._memo[key] = choice
        return choice

    def _free(self, t0: Tier0View, uplink_ip: IPAddress, subnet: IPNetwork) -> str:
        taken = self._taken_by(t0)
        interface_ips = {ip for i in t0.interfaces for ip, _ in i.addresses}
        peering = _peering(t0)
        if uplink_ip not in taken and uplink_ip not in peering:
            taken.add(uplink_ip)
            return str(uplink_ip)
        if t0.path in self._exhausted:
            return f"<a free address in {t0.id}'s uplink subnet {subnet}>"
        reserved = {subnet.network_address, subnet.broadcast_address} | interface_ips | set(peering)
        # scan upward from the uplink first (addresses next to it are the likely free ones in a
        # lab), then the whole subnet; bounded so an IPv6 /64 cannot stall a plan
        for ip in itertools.chain(_upward(uplink_ip, subnet),
                                  itertools.islice(subnet.hosts(), self._SCAN_LIMIT)):
            if ip not in taken and ip not in reserved:
                taken.add(ip)  # type: ignore[arg-type]  # hosts() is typed as the base class
                return str(ip)
        self._exhausted.add(t0.path)
        return f"<a free address in {t0.id}'s uplink subnet {subnet}>"


def _peering(t0: Tier0View) -> dict[IPAddress, str]:
    """On a Tier-0 that runs BGP, the addresses a REFLEXIVE rule must never translate to."""
    return t0.peering_addresses() if t0.bgp_enabled or t0.neighbors else {}


def peering_caveat(t0: Tier0View) -> str:
    """Why the suggestion avoids the uplink address on a BGP Tier-0 (empty otherwise)."""
    avoided = _peering(t0)
    if not avoided:
        return ""
    names = "; ".join(f"{ip} ({why})" for ip, why in sorted(avoided.items(), key=lambda x: x[0])
                      if any(ip == a for i in t0.external for a, _ in i.addresses)) or \
        ", ".join(str(ip) for ip in sorted(avoided))
    return (f"\nnever translate to {names}: {t0.id} runs BGP, and a stateless rule onto an "
            "address the neighbors peer with rewrites the BGP session's packets too, dropping "
            "the peering; use a free address of the uplink subnet or a range the upstream "
            f"routes to {t0.id}")


def _upward(start: IPAddress, subnet: IPNetwork) -> Iterator[IPAddress]:
    ip = start
    for _ in range(ReflexiveAddressPool._SCAN_LIMIT):
        try:
            ip = ip + 1
        except ipaddress.AddressValueError:
            return
        if ip not in subnet:
            return
        yield ip


def reflexive_rule_yaml(egress: IPNetwork, translated: str) -> str:
    """The config line a user pastes under tier0s[...].nat_rules."""
    rid = "reflexive-" + fmt_net(egress).replace(".", "-").replace(":", "-").replace("/", "-")
    return (f"- {{id: {rid}, action: REFLEXIVE, source: {fmt_net(egress)}, "
            f"translated: {translated}}}")


def default_route_yaml(t0: Tier0View) -> str:
    """The static route line a user pastes under tier0s[...].static_routes."""
    subnets = t0.uplink_subnets()
    hop = f"<upstream router in {subnets[0]}>" if subnets else "<upstream router>"
    return f"- {{id: default-route, network: 0.0.0.0/0, next_hops: [{{ip: {hop}}}]}}"
