"""Address arithmetic the checks rest on: NSX address strings and coverage by unions."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from nsxplan.checks.fixes import reflexive_rule_yaml
from nsxplan.nsx.addresses import as_networks, covers, fmt_net

nets = st.builds(lambda a, p: ipaddress.ip_network(f"10.0.{a}.0/{p}", strict=False),
                 st.integers(0, 3), st.integers(22, 30))
addrs = st.builds(lambda a, h: ipaddress.ip_network(f"10.0.{a}.{h}/32"),
                  st.integers(0, 3), st.integers(0, 255))


@settings(max_examples=200, deadline=None)
@given(st.lists(nets, max_size=4), st.one_of(nets, addrs))
def test_covers_matches_enumeration(container, target):
    union = {ip for n in container for ip in n}
    assert covers(container, target) == all(ip in union for ip in target)


def test_parse_nsx_address_strings():
    assert as_networks(None) is None and as_networks("") is None
    assert as_networks("ANY") is None
    assert as_networks("30.0.0.5") == (ipaddress.ip_network("30.0.0.5/32"),)
    assert as_networks("10.0.0.1-10.0.0.4, 192.168.0.0/30") == (
        ipaddress.ip_network("10.0.0.1/32"), ipaddress.ip_network("10.0.0.2/31"),
        ipaddress.ip_network("10.0.0.4/32"), ipaddress.ip_network("192.168.0.0/30"))
    assert as_networks("not-an-ip") == ()
    assert covers(as_networks("10.0.0.0-10.0.0.255"), ipaddress.ip_network("10.0.0.0/24"))


def test_mixed_families_never_cover_each_other():
    v6 = ipaddress.ip_network("2001:db8::/64")
    assert not covers((ipaddress.ip_network("0.0.0.0/0"),), v6)
    assert covers((ipaddress.ip_network("::/0"),), v6)


def test_rule_yaml_and_formatting():
    assert fmt_net(ipaddress.ip_network("30.0.0.5/32")) == "30.0.0.5"
    assert fmt_net(ipaddress.ip_network("30.0.0.0/24")) == "30.0.0.0/24"
    assert reflexive_rule_yaml(ipaddress.ip_network("30.0.0.0/28"), "10.1.1.0/28") == (
        "- {id: reflexive-30-0-0-0-28, action: REFLEXIVE, source: 30.0.0.0/28, "
        "translated: 10.1.1.0/28}")
