"""NSX Manager versions the simulator can play, and what differs between them.

Only differences a source documents are modelled (nsxplan/sim/README.md, "Versions"):

- stateful Active/Active services (`Tier0.stateful_services`, which lift the "SNAT/DNAT only on
  ACTIVE_STANDBY" rule) exist from 4.1; a 3.2 manager does not know the field;
- the per-enforcement-point items of a realization status carry a `resource_type` from 4.2 (the
  4.2 model makes them polymorphic); 3.2 and 4.1 send the plain object;
- fields newer than a version are unknown to it, so a write carrying them is refused
  (`FIELD_SINCE`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NsxVersion:
    name: str  # "3.2", "4.1", "4.2"
    product_version: str  # what /api/v1/node/version reports (build numbers illustrative)
    stateful_active_active: bool
    status_item_resource_type: bool


VERSIONS: dict[str, NsxVersion] = {
    v.name: v
    for v in (
        NsxVersion("3.2", "3.2.3.0.0.21703624", False, False),
        NsxVersion("4.1", "4.1.2.0.0.22589037", True, False),
        NsxVersion("4.2", "4.2.1.0.0.24304122", True, True),
    )
}
DEFAULT = VERSIONS["3.2"]

# (resource_type, field) -> first version whose model has it (reference §4: "(new)" fields).
FIELD_SINCE: dict[tuple[str, str], tuple[int, int]] = {
    ("Tier0", "stateful_services"): (4, 1),  # BRC Tier0StatefulServicesConfig, 4.1/4.2
    ("Tier1", "ha_mode"): (4, 0),  # not in the 3.2 model; Terraform: A/A Tier-1 needs 4.0
    ("PolicyNatRule", "policy_based_vpn_mode"): (4, 0),  # reference §4.7 "(new, 4.0+)"
    ("Tier0", "enable_rd_per_edge"): (4, 2),  # Terraform sends it only from 4.2.0
    ("Tier0", "multi_vrf_inter_sr_routing"): (4, 2),  # Terraform: from 4.2.1
}


def knows(version: NsxVersion, resource_type: str, field: str) -> bool:
    since = FIELD_SINCE.get((resource_type, field))
    if since is None:
        return True
    major, minor = (int(p) for p in version.name.split("."))
    return (major, minor) >= since


def for_product_version(product_version: str) -> NsxVersion:
    """The profile a product_version string belongs to (major.minor); the nearest older one for
    versions in between, the newest for later ones."""
    try:
        major, minor = (int(p) for p in product_version.split(".")[:2])
    except ValueError:
        return DEFAULT
    best = DEFAULT
    for v in VERSIONS.values():
        vmaj, vmin = (int(p) for p in v.name.split("."))
        if (vmaj, vmin) <= (major, minor):
            best = v
    return best
