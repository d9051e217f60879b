"""Reading many pre-images at once: dependency waves and one Hierarchical API GET per wave.

Both executors run a plan wave by wave (every step's dependencies lie in earlier waves) and
read the pre-images of a whole wave in one filtered `GET /infra` (reference §7: `filter=Type-
A|B` selects types in the tree) instead of one GET per object.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nsxplan.apply.records import Step
from nsxplan.live.read import flatten_infra
from nsxplan.nsx.kinds import KINDS

# Path segment -> resource type of the objects under it. Interfaces depend on the gateway kind;
# an IP pool's subnets are of two types under one H-API wrapper name (IpAddressPoolSubnet).
WRAPPED = {"ip-subnets": "IpAddressPoolSubnet"}
_BY_COLLECTION = {k.collection: k.resource_type for k in KINDS.values()
                  if k.collection != "interfaces"} | WRAPPED


def waves(steps: Sequence[Step]) -> list[list[Step]]:
    """Topological generations: a step lands in the wave after the last of its dependencies."""
    level: dict[int, int] = {}
    for step in sorted(steps, key=lambda s: s.seq):     # dependencies have smaller seqs
        level[step.seq] = 1 + max((level[d] for d in step.depends if d in level), default=-1)
    out: list[list[Step]] = [[] for _ in range(max(level.values(), default=-1) + 1)]
    for step in sorted(steps, key=lambda s: s.seq):
        out[level[step.seq]].append(step)
    return out


def chain(path: str) -> list[tuple[str, str]]:
    """`/infra/tier-1s/t1/nat/USER/nat-rules/r` -> [(Tier1, t1), (PolicyNat, USER),
    (PolicyNatRule, r)]. Raises ValueError for a path outside the kinds nsxplan writes."""
    parts = path.split("/")
    if parts[:2] != ["", "infra"]:
        raise ValueError(f"{path} is not under /infra")
    out: list[tuple[str, str]] = []
    i = 2
    while i < len(parts):
        resource_type = _BY_COLLECTION.get(parts[i])
        if parts[i] == "interfaces":
            resource_type = "Tier0Interface" if parts[2] == "tier-0s" else "Tier1Interface"
        if resource_type is None:
            raise ValueError(f"{path}: unknown collection {parts[i]!r}")
        if resource_type in KINDS and KINDS[resource_type].singleton:
            out.append((resource_type, parts[i]))
            i += 1
        else:
            if i + 1 >= len(parts):
                raise ValueError(f"{path}: no id after {parts[i]!r}")
            out.append((resource_type, parts[i + 1]))
            i += 2
    return out


def types_for(steps: Sequence[Step]) -> list[str]:
    """The resource types a filtered tree must hold to show every object of `steps` (the
    objects' own types and their ancestors')."""
    return sorted({resource_type for s in steps for resource_type, _ in chain(s.path)})


def read_pre_images(client: Any, steps: Sequence[Step]) -> dict[str, dict[str, Any]]:
    """{path: object} of every live object of the types `steps` write, in one H-API GET (the
    client's `get_infra`). A path of `steps` missing from it is absent on NSX."""
    tree = client.get_infra(types_for(steps))
    return flatten_infra(tree, in_place=True)
