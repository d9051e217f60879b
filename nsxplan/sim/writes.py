"""Writes to the policy tree as transactions: apply, check the final state, undo on failure.

Single-object PATCH/PUT/DELETE and a whole Hierarchical API PATCH both run as one Transaction, so
"validated whole before any write" holds for both: each step is applied to the live store (under
the simulator's lock, invisible to readers), cross-object integrity is checked against the final
state (so an H-API body may create a Tier-0 after the Tier-1 that references it, or delete a
Tier-1 after its Tier-0), and any error undoes every step in reverse.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from nsxplan.sim import ipam, routing, rules
from nsxplan.sim.apierror import (
    ALREADY_EXISTS,
    NAT_ACTIVE_ACTIVE,
    PATH_INVALID,
    PROTECTED,
    STALE_REVISION,
    SYSTEM_MANAGED,
    SYSTEM_OWNED,
    ApiError,
    bad_request,
    delete_blocked,
    invalid_path,
)
from nsxplan.sim.fields import field_error
from nsxplan.sim.kinds import COMMON_DEFAULTS, KINDS, NAT_SECTIONS, Kind, Target, child_path
from nsxplan.sim.store import Node, Obj, Store, ref_values
from nsxplan.sim.versions import DEFAULT as DEFAULT_VERSION
from nsxplan.sim.versions import FIELD_SINCE, NsxVersion, knows

# Fields the server owns: ignored when a client sends them (reference §2).
SERVER_FIELDS = frozenset(
    {
        "_revision",
        "_create_time",
        "_create_user",
        "_last_modified_time",
        "_last_modified_user",
        "_protection",
        "_system_owned",
        "_self",
        "_links",
        "_schema",
        "path",
        "parent_path",
        "relative_path",
        "unique_id",
        "realization_id",
        "marked_for_delete",
        "overridden",
        "owner_id",
        "origin_site_id",
        "remote_path",
        "resource_type",
        "id",
        "children",
    }
)
PROTECTED_STATES = ("REQUIRE_OVERRIDE", "PROTECTED")


@dataclass
class RealizationRule:
    predicate: Callable[[str], bool]
    state: str
    message: str


@dataclass
class Caller:
    user: str = "admin"
    allow_overwrite: bool = False  # request header X-Allow-Overwrite: true
    # What the caller's new objects get: a protected principal identity (NCP's
    # wcp-cluster-user-...) stamps PROTECTED, everybody else NOT_PROTECTED.
    protection: str = "NOT_PROTECTED"


def fast_uuid4() -> str:
    """A random (version 4) UUID string; uuid.uuid4() reads os.urandom per call, which costs a
    third of loading a 20,000-object snapshot. Ids need uniqueness, not unpredictability."""
    n = random.getrandbits(128)
    n = (n & ~(0xF000 << 64)) | (0x4000 << 64)  # version 4
    n = (n & ~(0xC000 << 48)) | (0x8000 << 48)  # RFC 4122 variant
    h = f"{n:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def now_ms() -> int:
    return int(time.time() * 1000)


def server_fields(
    kind: Kind,
    path: str,
    parent_path: str,
    obj_id: str,
    user: str,
    stamp: int,
    protection: str = "NOT_PROTECTED",
) -> Obj:
    """Server-managed fields of a newly created object."""
    uid = fast_uuid4()
    return {
        "resource_type": kind.resource_type,
        "id": obj_id,
        "path": path,
        "parent_path": parent_path,
        "relative_path": obj_id,
        "unique_id": uid,
        "realization_id": uid,
        "marked_for_delete": False,
        "overridden": False,
        "_system_owned": False,
        "_protection": protection,
        "_create_user": user,
        "_create_time": stamp,
        "_last_modified_user": user,
        "_last_modified_time": stamp,
        "_revision": 0,
    }


def with_defaults(kind: Kind, obj: Obj) -> Obj:
    for key, value in COMMON_DEFAULTS.items():
        obj.setdefault(key, list(value) if isinstance(value, list) else value)
    if kind.resource_type == "PolicyNatRule" and obj.get("action") in ("NO_SNAT", "NO_DNAT"):
        # NO_SNAT/NO_DNAT accept only BYPASS (reference §4.7), so the schema default
        # MATCH_INTERNAL_ADDRESS cannot be what NSX stores for them.
        obj.setdefault("firewall_match", "BYPASS")
    for key, value in kind.defaults.items():
        obj.setdefault(key, list(value) if isinstance(value, list) else value)
    if kind.resource_type == "StaticRoutes" and isinstance(obj.get("next_hops"), list):
        obj["next_hops"] = [
            {"admin_distance": 1, **hop} if isinstance(hop, dict) else hop
            for hop in obj["next_hops"]
        ]
    obj.setdefault("display_name", obj["id"])
    return obj


@dataclass
class Transaction:
    store: Store
    caller: Caller
    clock: Callable[[], float]
    realization_rules: list[RealizationRule]
    check_revision: bool = True
    delete_delay: float = 0.0  # how long deleted objects stay listed as marked_for_delete
    version: NsxVersion = DEFAULT_VERSION
    _undo: list[Callable[[], None]] = field(default_factory=list)
    _upserted: dict[str, None] = field(default_factory=dict)
    _removed: dict[str, tuple[Obj, Kind]] = field(default_factory=dict)
    _passwords: dict[str, str] = field(default_factory=dict)  # path -> fingerprint, on commit

    # ---- public steps -------------------------------------------------------------------------

    def upsert(self, target: Target, body: Obj, replace: bool) -> Obj:
        """PATCH (top-level merge) or PUT (replace) one object; returns the stored object."""
        kind, obj_id, path = target.kind, target.obj_id, target.path
        assert obj_id is not None
        rules.check_id(obj_id)
        rules.reject_bad_type(kind, body)
        parent = self.store.get(target.parent_path)
        if parent is None:
            # Documented choice (brief): 404 with the "path is invalid" code, naming the parent.
            raise ApiError(
                404,
                PATH_INVALID,
                f"The path=[{target.parent_path}] is invalid: the parent object of {path} "
                "does not exist.",
            )
        if kind.fixed_ids is not None:
            raise bad_request(
                f"The NAT section path=[{path}] is managed by the system: its sections "
                f"{sorted(kind.fixed_ids)} exist with every gateway and cannot be written.",
                SYSTEM_MANAGED,
            )
        existing = self.store.get(path)
        if existing is None:
            self._check_protection(target.parent_path, parent)
        else:
            self._check_system_owned(path, existing)
            self._check_protection(path, existing)
        if existing is not None and replace and body.get("_revision") is None:
            # PUT "must include the current _revision ... missing or stale, the operation will
            # be rejected" (every object's _revision doc). Without one a PUT is a create, and
            # the object exists: the answer a mock of NSX gives (reference §5).
            raise bad_request(
                f"Cannot create an object with path=[{path}] as it already exists. To replace "
                "it, send its current _revision.",
                ALREADY_EXISTS,
            )
        if existing is not None and self.check_revision and body.get("_revision") is not None:
            if body["_revision"] != existing.obj.get("_revision"):
                raise ApiError(
                    412,
                    STALE_REVISION,
                    f"The object {path} was modified by somebody else (given _revision "
                    f"{body['_revision']}, current {existing.obj.get('_revision')}). "
                    "Fetch the latest copy of the object and retry.",
                )
        user_fields = {k: v for k, v in body.items() if k not in SERVER_FIELDS}
        self._check_version_fields(kind, user_fields)
        stamp = now_ms()
        if existing is None:
            new = server_fields(
                kind,
                path,
                target.parent_path,
                obj_id,
                self.caller.user,
                stamp,
                self.caller.protection,
            )
        else:
            old = existing.obj
            new = {k: v for k, v in old.items() if k in SERVER_FIELDS}
            if not replace:
                new.update((k, v) for k, v in old.items() if k not in SERVER_FIELDS)
            new["_revision"] = int(old.get("_revision", 0)) + 1
            new["_last_modified_user"] = self.caller.user
            new["_last_modified_time"] = stamp
        new.update(user_fields)
        new = {k: v for k, v in new.items() if v is not None}
        if kind.variants is not None:
            old_obj = existing.obj if existing is not None else None
            new["resource_type"] = routing.variant_of(kind, body, old_obj)
        with_defaults(kind, new)
        rules.check_object(kind, new, parent_id=target.parent_path.rsplit("/", 1)[-1])
        password = routing.take_password(new)
        if password is not None:
            self._passwords[path] = password
        self._put(path, target.parent_path, kind, new)
        if existing is None and kind.key in ("Tier0", "Tier1"):
            self._create_nat_sections(kind, path, stamp)
        return new

    def delete(self, path: str, cascade: bool) -> None:
        """DELETE one object (absent: no-op); ``cascade`` removes its subtree (H-API)."""
        node = self.store.get(path)
        if node is None or path == "/infra":
            return
        if node.kind.resource_type == "BgpRoutingConfig":
            return  # NSX deletes only an overridden (Global Manager) BGP config: 200, no effect
        if node.kind.fixed_ids is not None:
            raise bad_request(
                f"The NAT section path=[{path}] is managed by the system and cannot be deleted.",
                SYSTEM_MANAGED,
            )
        self._check_system_owned(path, node)
        self._check_protection(path, node)
        if cascade:
            for sub in self.store.subtree(path):
                self._check_system_owned(sub, self.store.nodes[sub])
                self._check_protection(sub, self.store.nodes[sub], ancestors=False)
        else:
            blocker = self._blocking_child(node)
            if blocker is not None:
                raise delete_blocked(path, blocker)
        parent_path = node.obj["parent_path"]
        parent = self.store.nodes[parent_path]
        order = dict(parent.children)
        saved = [(p, self.store.nodes[p].copy()) for p in self.store.subtree(path)]
        self.store.remove(path)
        self._removed.update((p, (copy.obj, copy.kind)) for p, copy in saved)

        def undo() -> None:
            for sub, copy in saved:
                self.store.put(
                    sub,
                    copy.obj["parent_path"],
                    copy.kind,
                    copy.obj,
                    copy.written_at,
                    copy.realization,
                )
            self.store.nodes[parent_path].children = order

        self._undo.append(undo)

    def walk_into(self, target: Target) -> Node:
        """H-API ChildResourceReference / NAT section wrapper: the node must already exist."""
        node = self.store.get(target.path)
        if node is None:
            raise invalid_path(target.path, "the referenced object does not exist")
        return node

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Leaving the block commits: integrity is checked on the final state, and any error,
        in the block or in the check, undoes every step."""
        if exc_type is not None:
            self.rollback()
            return
        try:
            self._check_final()
        except Exception:
            self.rollback()
            raise
        self._undo.clear()
        self._update_tombstones()
        routing.keep_passwords(self.store, self._passwords, self._removed)

    def rollback(self) -> None:
        while self._undo:
            self._undo.pop()()

    # ---- helpers ------------------------------------------------------------------------------

    def _update_tombstones(self) -> None:
        tombstones, now = self.store.tombstones, self.clock()
        for path in [p for p, (_o, _k, expiry) in tombstones.items() if expiry <= now]:
            del tombstones[path]
        for path in self._upserted:
            tombstones.pop(path, None)
        if self.delete_delay <= 0:
            return
        for path, (obj, kind) in self._removed.items():
            if path not in self.store.nodes:
                marked = {**obj, "marked_for_delete": True}
                tombstones[path] = (marked, kind, now + self.delete_delay)

    def _put(self, path: str, parent_path: str, kind: Kind, obj: Obj) -> None:
        realization = self._realization_for(path)  # may raise: before anything changes
        old = self.store.get(path)
        saved = old.copy() if old is not None else None
        self.store.put(path, parent_path, kind, obj, self.clock(), realization)
        self._upserted[path] = None

        def undo() -> None:
            if saved is None:
                self.store.remove(path)
            else:
                self.store.put(
                    path, parent_path, kind, saved.obj, saved.written_at, saved.realization
                )

        self._undo.append(undo)

    def _realization_for(self, path: str) -> tuple[str, str] | None:
        for rule in self.realization_rules:
            if rule.predicate(path):
                return rule.state, rule.message
        return None

    def _create_nat_sections(self, gw_kind: Kind, gw_path: str, stamp: int) -> None:
        kind = KINDS[f"{gw_kind.key}/PolicyNat"]
        for section in sorted(NAT_SECTIONS):
            path = child_path(gw_path, kind, section)
            obj = server_fields(kind, path, gw_path, section, "system", stamp)
            obj["nat_type"] = section
            self._put(path, gw_path, kind, with_defaults(kind, obj))

    def _check_version_fields(self, kind: Kind, fields: Obj) -> None:
        """Fields a manager of this version does not know are refused like any unknown field."""
        for name, value in fields.items():
            if value is not None and not knows(self.version, kind.resource_type, name):
                since = ".".join(map(str, FIELD_SINCE[(kind.resource_type, name)]))
                raise field_error(
                    f"{name}: not a property of {kind.resource_type} in NSX "
                    f"{self.version.name} (it exists from NSX {since})"
                )

    def _check_system_owned(self, path: str, node: Node) -> None:
        """NSX refuses any client write to a system-owned object, superuser override or not.
        Only the object itself: NSX lets clients create children under system-owned parents
        (groups under /infra/domains/default)."""
        if node.obj.get("_system_owned") is True:
            raise ApiError(
                403,
                SYSTEM_OWNED,
                f"The object path=[{path}] is system owned: it cannot be modified or deleted "
                f"by '{self.caller.user}'.",
            )

    def _check_protection(self, path: str, node: Node, ancestors: bool = True) -> None:
        """Objects of a protected principal identity (and their subtrees) resist other callers.

        ``node`` (at ``path``) and, with ``ancestors``, every ancestor below Infra are checked:
        creating or changing a child under a protected parent follows the parent's rule
        (documented choice: NCP owns the whole subtree of its Tier-1s).
        """
        cur: Node | None = node
        cur_path = path
        while cur is not None and cur_path != "/infra":
            prot = cur.obj.get("_protection")
            owner = cur.obj.get("_create_user", "")
            if prot in PROTECTED_STATES and owner != self.caller.user:
                if prot == "PROTECTED" or not self.caller.allow_overwrite:
                    hint = (
                        ""
                        if prot == "PROTECTED"
                        else " Send the header X-Allow-Overwrite: true to override as a superuser."
                    )
                    raise ApiError(
                        403,
                        PROTECTED,
                        f"The object path=[{cur_path}] is owned by principal identity "
                        f"'{owner}' and its protection is {prot}: it cannot be modified or "
                        f"deleted by '{self.caller.user}'.{hint}",
                    )
            if not ancestors:
                return
            cur_path = cur.obj.get("parent_path", "/infra")
            cur = self.store.get(cur_path)

    def _blocking_child(self, node: Node) -> str | None:
        for child in node.children:
            child_node = self.store.nodes[child]
            # NAT sections and the BGP config exist with their parent and go with it (the BGP
            # config cannot be deleted on its own); what they hold still blocks.
            implicit = child_node.kind.fixed_ids is not None or (
                child_node.kind.resource_type == "BgpRoutingConfig")
            if not implicit:
                return child
            if child_node.children:  # a NAT section with rules, a BGP config with neighbors
                return next(iter(child_node.children))
        return None

    def _check_final(self) -> None:
        nodes = self.store.nodes
        for path in self._upserted:
            node = nodes.get(path)
            if node is None:
                continue
            for _field, target in ref_values(node.kind, node.obj):
                ref_node = nodes.get(target)
                accepted = next(r.targets for r in node.kind.refs if r.field == _field)
                if ref_node is None or ref_node.kind.resource_type not in accepted:
                    raise invalid_path(target)
            self._check_nat_ha(path, node)
            self._check_edge_membership(path, node)
            allocated = ipam.allocate(self.store, path, node)
            if allocated is not None:
                self._put(path, node.obj["parent_path"], node.kind, allocated)
        routing.check(self.store, list(self._upserted), list(self._removed))
        for path in self._removed:
            if path in nodes:
                continue
            referrers = self.store.referrers(path)
            if referrers:
                raise delete_blocked(path, sorted(referrers)[0])

    def _check_edge_membership(self, path: str, node: Node) -> None:
        """An uplink's edge node must belong to its locale services' edge cluster."""
        edge = node.obj.get("edge_path")
        if node.kind.key != "Tier0/Interface" or not edge:
            return
        cluster = self.store.nodes[node.obj["parent_path"]].obj.get("edge_cluster_path")
        if cluster and not edge.startswith(cluster + "/edge-nodes/"):
            raise bad_request(
                f"The edge node path=[{edge}] of interface {path} is not a member of the "
                f"edge cluster path=[{cluster}] of its locale services.",
                PATH_INVALID,
            )

    def _check_nat_ha(self, path: str, node: Node) -> None:
        """SNAT/DNAT need an ACTIVE_STANDBY Tier-0 unless stateful A/A services are on (§4.7)."""
        if node.kind.key == "Tier0":
            t0_path, t0 = path, node.obj
        elif node.kind.key == "Tier0/PolicyNatRule":
            t0_path = path.split("/nat/")[0]
            t0 = self.store.nodes[t0_path].obj
        else:
            return
        stateful = self.version.stateful_active_active and (
            t0.get("stateful_services") or {}
        ).get("enabled")
        if t0.get("ha_mode") != "ACTIVE_ACTIVE" or stateful:
            return
        rules_to_check = (
            [path]
            if node.kind.key != "Tier0"
            else [
                rule
                for section in node.children
                if self.store.nodes[section].kind.fixed_ids is not None
                for rule in self.store.nodes[section].children
            ]
        )
        for rule_path in rules_to_check:
            action = self.store.nodes[rule_path].obj.get("action")
            if action in ("SNAT", "DNAT"):
                way = (
                    ", or enable stateful_services on the Tier-0"
                    if self.version.stateful_active_active
                    else ""
                )
                raise bad_request(
                    f"{action} rule path=[{rule_path}] is not supported on Tier-0 {t0_path} "
                    "whose ha_mode is ACTIVE_ACTIVE: use a stateless REFLEXIVE rule, or an "
                    f"ACTIVE_STANDBY Tier-0{way}.",
                    NAT_ACTIVE_ACTIVE,
                )
