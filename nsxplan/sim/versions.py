"""NSX Manager versions the simulator can play, and what differs between them.

Only differences a source documents are modelled (nsxplan/sim/README.md, "Versions"):

- stateful Active/Active services (`Tier0.stateful_services`, which lift the "SNAT/DNAT only on
  ACTIVE_STANDBY" rule) exist from 4.1; a 3.2 manager does not know the field;
- the per-enforcement-point items of a realization status carry a `resource_type` from 4.2 (the
  4.2 model makes them polymorphic); 3.2 and 4.1 send the plain object.
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
