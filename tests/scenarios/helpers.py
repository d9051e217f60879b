"""Configurations shared by several scenarios."""

from __future__ import annotations

# v1 then v2 of one stack: v1 -> v2 creates 4 objects, updates 2, deletes 2, on the Tier-0 and
# on nsxplan's own Tier-1s, so an interrupted apply has something of every kind to undo.
V1 = """\
version: 1
owner: faults
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.1}]
      - id: lab-route
        network: 192.168.50.0/24
        next_hops: [{ip: 10.27.51.2}]
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
tier1s:
  - id: apps-t1
    tier0: vcf-t0
    description: apps v1
    static_routes:
      - id: legacy
        network: 192.168.60.0/24
        next_hops: [{ip: 10.96.0.1}]
"""
# The Tier-0 REFLEXIVE rules for NCP's egress addresses (30.0.0.5, 30.0.0.16): with them the
# dependency checks pass and never block an apply.
EGRESS_NAT = """\
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
      - id: tkg-egress
        action: REFLEXIVE
        source: 30.0.0.16
        translated: 10.27.51.147
"""
V2 = """\
version: 1
owner: faults
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: default-route
        network: 0.0.0.0/0
        next_hops: [{ip: 10.27.51.254, admin_distance: 2}]
""" + EGRESS_NAT + """\
tier1s:
  - id: apps-t1
    tier0: vcf-t0
    description: apps v2
    static_routes:
      - id: new-route
        network: 192.168.70.0/24
        next_hops: [{ip: 10.96.0.1}]
  - id: web-t1
    tier0: vcf-t0
    static_routes:
      - id: web-default
        network: 0.0.0.0/0
        next_hops: [{ip: 10.97.0.1}]
"""


# The dns-forwarder example, then both of its zones swapped for new ones: zones must exist before
# the forwarder points at them, and the old ones can go only after it no longer does.
DNS_V1 = """\
version: 1
owner: dns
tier0s:
  - id: vcf-t0
    existing: true
dns_zones:
  - {id: corp-dns, upstream_servers: [192.168.10.10]}
  - {id: lab-zone, domains: [rainpole.com], upstream_servers: [192.168.10.11],
     source_ip: 10.27.51.150}
tier1s:
  - id: apps-t1
    tier0: vcf-t0
    edge_cluster: /infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01
    route_advertisement: [TIER1_CONNECTED, TIER1_DNS_FORWARDER_IP]
    dns_forwarder:
      listener_ip: 10.96.10.53
      default_zone: corp-dns
      conditional_zones: [lab-zone]
dependencies:
  routed_upstream: [30.0.0.0/24]
"""
DNS_V2 = (DNS_V1.replace("id: corp-dns,", "id: corp-dns2,")
          .replace("default_zone: corp-dns", "default_zone: corp-dns2")
          .replace("id: lab-zone, domains: [rainpole.com]", "id: new-zone, domains: [vmware.com]")
          .replace("conditional_zones: [lab-zone]", "conditional_zones: [new-zone]"))
