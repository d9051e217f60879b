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
    nat_rules:
      - id: supervisor-egress
        action: REFLEXIVE
        source: 30.0.0.5
        translated: 10.27.51.145
      - id: tkg-egress
        action: REFLEXIVE
        source: 30.0.0.16
        translated: 10.27.51.147
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
