"""make_plan: configuration + live state -> Plan. Pure: no I/O, no clock unless `now` is None.

Steps: desired objects (plan/desired.py) -> live checks and safety rails (every problem collected,
raised together as one PlanError) -> one action per desired object (create/update/replace/no-op)
-> deletes of owned objects the configuration no longer declares -> unmanaged objects under
managed gateways -> dependency edges -> deterministic topological order (plan/order.py).

Decisions:
- Adoption (`adopt: true` / --adopt) adds the owner tag AND applies the other managed fields
  that differ, in the same update (Action.adopt, reason names the fields): the configuration is
  the declared truth, and a second plan right after adopting would otherwise show them anyway.
  Adopting never overrides another owner's tag or a protected object.
- Deletes: any live object of a managed kind tagged with this owner and absent from the
  configuration, wherever it is (one bulk read sees the whole tree, so an owned route left on a
  gateway the configuration no longer mentions is still cleaned up). Gateways the configuration
  lists (`existing: true` included) are never deleted.
- A delete NSX would refuse (unowned children or referrers left behind) is a PlanError rather
  than a failed apply halfway through.
- An update compares and sends what plan/managed.py decides: the configured fields, the resets
  of what the record tag says nsxplan set and the configuration no longer does, and the tags
  (foreign ones kept); `ignore:` entries leave fields out of both.
- `protect: true` (tag nsxplan/protect) refuses a delete or replace as a PlanError; rogue
  unmanaged objects (hand-made routes, NAT rules, forwarders under a configured gateway) are
  flagged for drift; each action and unmanaged object carries who changed it last and when.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from nsxplan import __version__
from nsxplan.config.model import Config, Tag, Tier0, Tier1
from nsxplan.errors import PlanError, Problem
from nsxplan.live.state import LiveState
from nsxplan.nsx.fields import RECORD_SCOPE, is_protected_by_tag
from nsxplan.nsx.guard import Guard, ncp_scopes_problem, path_problem
from nsxplan.nsx.kinds import (
    GATEWAY_TYPES,
    KINDS,
    Kind,
    address_for_path,
    gateway_of,
    reference_paths,
)
from nsxplan.nsx.objects import OWNER_SCOPE, WithoutServerFields, iso_time
from nsxplan.nsx.ownership import Ownership, classify, creator, unmanaged_reason
from nsxplan.nsx.passwords import (
    PASSWORD_SCOPE,
    desired_tag,
    password_problem,
    password_tag,
    read_secret,
    salt_for,
)
from nsxplan.perf import paused_gc
from nsxplan.plan.desired import Desired, desired_objects
from nsxplan.plan.diff import field_diff
from nsxplan.plan.live_rules import live_problems
from nsxplan.plan.managed import (
    Managed,
    OwnTags,
    create_body,
    ignored_fields,
    managed,
    tag_set,
)
from nsxplan.plan.model import (
    CREATE,
    DELETE,
    NOOP,
    REPLACE,
    UPDATE,
    Action,
    FieldDiff,
    Plan,
    Unmanaged,
    evolve,
)
from nsxplan.plan.normalize import canonical, canonical_value, merged_tags
from nsxplan.plan.order import order_actions

_IDENTITY = ("resource_type", "id")
# What someone adds by hand inside a gateway: a route, a NAT rule, a DNS forwarder, an
# interface, a BGP neighbor.
ROGUE_KINDS = frozenset({"StaticRoutes", "PolicyNatRule", "PolicyDnsForwarder",
                         "Tier0Interface", "BgpNeighborConfig"})


def make_plan(config: Config, live: LiveState, *, target: str, adopt_all: bool = False,
              now: datetime | None = None, env: Mapping[str, str] | None = None,
              unchanged_bodies: bool = True) -> Plan:
    """`env`: where `password_env` variables are read (default: this process's environment).
    `unchanged_bodies=False`: no-op actions carry no `after` body (only a `--full` JSON plan
    shows them; at 50,000 objects they are 24 MB)."""
    with paused_gc():
        return _make_plan(config, live, target=target, adopt_all=adopt_all, now=now,
                          env=os.environ if env is None else env, bodies=unchanged_bodies)


def _make_plan(config: Config, live: LiveState, *, target: str, adopt_all: bool,
               now: datetime | None, env: Mapping[str, str], bodies: bool) -> Plan:
    desired = desired_objects(config)
    problems: list[Problem] = list(live_problems(config, live))
    drafts: dict[str, Action] = {}
    guard = Guard(live.get)
    seen: dict[str, Ownership] = {}     # each live object is classified once per plan
    own = OwnTags(config.owner)
    for d in desired:
        ignored = ignored_fields(config.ignore, d.path, d.address) if config.ignore else None
        action, problem = _plan_one(d, live, config.owner, adopt_all, guard, ignored, env, seen,
                                    bodies, own)
        if problem is not None:
            problems.append(problem)
        elif action is not None:
            drafts[d.address] = action
    wanted = {d.path for d in desired}
    kept = {gw.path for gw in _all_gateways(config)}   # existing gateways too
    deletes, delete_problems = _deletes(live, config.owner, wanted | kept, guard)
    problems.extend(delete_problems)
    problems.extend(_blocked_deletes(deletes, wanted, live))
    if problems:
        raise PlanError(problems)
    for a in deletes:
        drafts[a.address] = a
    unmanaged = _unmanaged(config, live, wanted, {a.path for a in deletes}, desired)
    actions = order_actions(drafts, desired, live)
    return Plan(
        target=target, owner=config.owner, config_digest=config.digest,
        created_at=_timestamp(now), nsxplan_version=__version__, actions=actions,
        unmanaged=unmanaged, config_files=tuple(config.files),
        meta={"nsx_version": live.nsx_version, "refresh_requests": live.requests,
              "guards": {"max_deletes": config.guards.max_deletes,
                         "max_delete_percent": config.guards.max_delete_percent,
                         "owned_objects": _owned_count(live, config.owner, seen)}},
    )


def _owned_count(live: LiveState, owner: str, seen: Mapping[str, Ownership]) -> int:
    """Objects this owner has in NSX: the base of the mass-change percentage (plan/guards.py).
    `seen`: the objects planning classified already (by path)."""
    count = 0
    for path, o in live.objects.items():
        k = KINDS.get(str(o.get("resource_type")))
        if k is not None and k.managed and (seen.get(path) or classify(o, owner)).state == "owned":
            count += 1
    return count


def _timestamp(now: datetime | None) -> str:
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one desired object ---------------------------------------------------------------------

def _plan_one(d: Desired, live: LiveState, owner: str, adopt_all: bool,
              guard: Guard, ignored: frozenset[str] | None = None,
              env: Mapping[str, str] | None = None, seen: dict[str, Ownership] | None = None,
              bodies: bool = True, own: OwnTags | None = None
              ) -> tuple[Action | None, Problem | None]:
    bad = path_problem(d.path)
    if bad is not None:
        return None, Problem(f"{d.address}: {d.path!r} {bad}", d.source,
                             "ids may not contain '/', '%', '?', '#', ';' or whitespace")
    above = guard.ancestor(d.path)
    if above is not None:
        # Creating or changing anything under an NCP/system object is refused like the object
        # (the object's own protection is reported below, with its owner).
        return None, Problem(
            f"{d.address}: would write {d.path} under {above[0]}, which is {above[1]}; "
            "nsxplan never changes it", d.source,
            "manage NCP's gateways through vSphere with Tanzu; put nsxplan objects on "
            "a gateway an administrator created")
    # Most objects carry no tags of their own: nothing to ask then.
    forged = ncp_scopes_problem(t.scope for t in d.tags) if d.tags else None
    if forged is not None:
        # The tags NCP stamps on its own objects: an object carrying them is NCP's, so nsxplan
        # would be creating (or keeping) an object NCP believes it owns.
        return None, Problem(
            f"{d.address}: its tags mark it as NCP's ({forged}); nsxplan never creates or "
            "manages NCP's objects", d.source,
            "remove it from the configuration (an import of an NCP object), or drop the ncp/ "
            "tags NCP uses for the objects it creates")
    obj = live.get(d.path)
    password_changed = False
    if d.password_env is not None:
        secret = read_secret(os.environ if env is None else env, d.password_env)
        why = password_problem(secret)
        if why is not None or secret is None:
            return None, Problem(
                f"{d.address}: password_env {d.password_env} {why}", d.source,
                f"export {d.password_env} with the neighbor's password before planning; "
                "nsxplan reads it only from there and never writes it to plans or logs")
        value, password_changed = desired_tag(d.password_env, secret,
                                              password_tag(obj.get("tags") if obj else None),
                                              salt_for(d.path, owner))
        # One of nsxplan's own tags from here on (recorded, so removing password_env removes
        # the digest and a later one re-sends the password).
        d = dataclasses.replace(d, tags=(*d.tags, Tag(PASSWORD_SCOPE, value)))
    if obj is None:
        after = create_body(d, owner)
        return Action(address=d.address, kind=d.kind, path=d.path, action=CREATE, before=None,
                      after=after,
                      diff=_create_diff(after), revision=None, source=d.source, depends_on=(),
                      reason="not in NSX"), None
    o = classify(obj, owner)
    if seen is not None:
        seen[d.path] = o
    if o.state == "protected":
        return None, Problem(
            f"{d.address}: would change {d.path}, which is {o.reason}; nsxplan never changes it",
            d.source, "remove it from the configuration (it is managed by NCP or NSX itself)")
    if o.state == "foreign":
        return None, Problem(
            f"{d.address}: {d.path} belongs to nsxplan owner {o.owner!r}, not {owner!r}",
            d.source, "remove it from this configuration, or from the other owner's first")
    adopting = o.state == "unowned"
    if adopting and not (d.adopt or adopt_all):
        made_by = f" (created by {creator(obj)})" if creator(obj) else ""
        return None, Problem(
            f"{d.address}: {d.path} already exists{made_by} and is not tagged "
            f"{OWNER_SCOPE}={owner}", d.source,
            "add `adopt: true` to it (or pass --adopt) to take it over; adoption only adds "
            "the owner tag and applies the configured fields")
    action = _update(d, obj, managed(d, obj, owner, ignored, own), adopting, bodies)
    if action.action == REPLACE and (d.protect or is_protected_by_tag(obj)):
        return None, Problem(
            f"{d.address}: {action.reason}, so the plan would replace {d.path} (delete, then "
            "create), but it is protected (`protect: true` / tag nsxplan/protect)", d.source,
            "change it back, or set `protect: false`, apply, and then make the change")
    if password_changed and action.action == UPDATE and not adopting:
        action = dataclasses.replace(
            action, reason=f"password changed (from ${d.password_env})"
            + ("" if len(action.diff) == 1 else ", and other fields differ"))
    return action, None


def _modified(obj: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """Who changed the live object last and when: drift names them."""
    user = obj.get("_last_modified_user") or obj.get("_create_user")
    when = iso_time(obj.get("_last_modified_time") or obj.get("_create_time"))
    return (str(user) if user else None), when


def _with_modified(action: Action, obj: Mapping[str, Any]) -> Action:
    user, when = _modified(obj)
    return evolve(action, modified_user=user, modified_time=when)


def _update(d: Desired, obj: Mapping[str, Any], m: Managed, adopting: bool,
            bodies: bool = True) -> Action:
    """The update, replace or no-op of `d`, with who changed `obj` last and when; a no-op
    without its `after` body unless `bodies`."""
    before = WithoutServerFields(obj)
    revision = obj.get("_revision")
    revision = int(revision) if isinstance(revision, int) else None
    k = KINDS[d.kind]
    user, when = _modified(obj)
    if not adopting and _same_raw(k, obj, m.body, m.compared, m.scopes):
        # Fast path, exact: equal raw values have equal canonical forms, and fields whose raw
        # values differ are compared canonically one by one. After an apply most objects come
        # back as sent (or with a server default, such as a next hop's admin_distance), and a
        # 10,000-object no-change plan should not pay for canonicalizing each of them twice,
        # nor for merging the tags of a body it does not keep (`bodies` off).
        after = _after(m, obj) if bodies else None
        return Action(address=d.address, kind=d.kind, path=d.path, action=NOOP, before=before,
                      after=after, diff=(), revision=revision, source=d.source,
                      depends_on=(), reason="in sync", adopt=False,
                      modified_user=user, modified_time=when)
    after = _after(m, obj)
    live_view = _managed_view(obj, m.body, m.scopes)
    want_view = _managed_view(after, m.body, m.scopes)
    forcing = sorted(f for f in k.replace_fields
                     if f in want_view and want_view[f] != live_view.get(f))
    diff = field_diff(live_view, want_view, k.set_fields & {"tags"})
    if forcing:
        # Re-created from scratch: unset fields are simply left out.
        after = {k: v for k, v in {**d.create_extra, **after}.items() if v is not None}
        return Action(address=d.address, kind=d.kind, path=d.path, action=REPLACE, before=before,
                      after=after, diff=diff, revision=revision,
                      source=d.source, depends_on=(),
                      reason=f"{', '.join(forcing)} cannot change in place", adopt=adopting,
                      modified_user=user, modified_time=when)
    if not diff:
        return Action(address=d.address, kind=d.kind, path=d.path, action=NOOP, before=before,
                      after=after if bodies else None, diff=(), revision=revision, source=d.source,
                      depends_on=(), reason="in sync", adopt=False,
                      modified_user=user, modified_time=when)
    if adopting:
        others = [f.field for f in diff if f.field != "tags"]
        reason = "adopt: add the owner tag" + (f" and change {', '.join(others)}"
                                               if others else "")
    elif m.removed:
        reason = f"removed from the configuration: {', '.join(m.removed)}"
    elif [f.field for f in diff] == ["tags"] and _only_record(diff[0]):
        reason = f"record what nsxplan manages on it (tag {RECORD_SCOPE})"
    else:
        reason = "differs from the configuration"
    return Action(address=d.address, kind=d.kind, path=d.path, action=UPDATE, before=before,
                  after=after, diff=diff, revision=revision, source=d.source,
                  depends_on=(), reason=reason, adopt=adopting,
                  modified_user=user, modified_time=when)


def _only_record(diff: FieldDiff) -> bool:
    def others(tags: Any) -> list[Any]:
        return [t for t in tags or () if t.get("scope") != RECORD_SCOPE]
    return others(diff.before) == others(diff.after)


def _after(m: Managed, obj: Mapping[str, Any]) -> dict[str, Any]:
    """The body an update sends: the managed fields and the tags, foreign ones kept."""
    return {**m.body, "tags": merged_tags(m.tags, obj.get("tags"), drop=m.drop)}


def _same_raw(k: Kind, obj: Mapping[str, Any], body: Mapping[str, Any],
              want_tags: frozenset[tuple[str, str]], scopes: frozenset[str]) -> bool:
    """Whether `obj` shows no diff against the body `_after` would build: `body`'s fields
    (its tags aside) and `want_tags`, the compared tags of that body (Managed.compared: the
    foreign tags merged_tags adds are never of a compared scope; tests/plan/test_fast_paths.py
    holds the two to each other)."""
    for f, v in body.items():
        if f == "tags":
            continue
        live = obj.get(f)
        if live != v and (f in _IDENTITY or not (
                f == "next_hops" and _hops_with_default(live, v))
                and not _same_field(k, f, live, v)):
            return False
    # Tags as _managed_view and canon_tags see them: only the compared scopes, as a set.
    return tag_set(obj.get("tags"), scopes) == want_tags


def _hops_with_default(live: Any, want: Any) -> bool:
    """Next hops equal but for the admin_distance 1 NSX fills in where the configuration left it
    out (normalize.canon_next_hop treats the two as one): the common difference after an
    apply, decided without canonicalizing. False means "ask the canonical comparison"."""
    if not isinstance(live, list) or not isinstance(want, list) or len(live) != len(want):
        return False
    for have, hop in zip(live, want, strict=True):
        if have == hop:
            continue
        if not isinstance(have, dict) or not isinstance(hop, dict) or "admin_distance" in hop \
                or have.get("admin_distance") != 1 or len(have) != len(hop) + 1:
            return False
        if any(have.get(key, _MISSING) != value for key, value in hop.items()):
            return False
    return True


_MISSING = object()


def _same_field(k: Kind, name: str, live: Any, want: Any) -> bool:
    """Whether one field would show no diff and force no replace (field_diff's rule: None, []
    and "" on both sides are the same; a replace field must be canonically equal)."""
    a = canonical_value(k.resource_type, name, live)
    b = canonical_value(k.resource_type, name, want)
    if a == b:
        return True
    return name not in k.replace_fields and a in _EMPTY and b in _EMPTY


_EMPTY: tuple[Any, ...] = (None, [], "")


def _managed_view(obj: Mapping[str, Any], body: Mapping[str, Any],
                  scopes: frozenset[str]) -> dict[str, Any]:
    """Canonical managed fields of an object; tags limited to the scopes we manage, so foreign
    tags (ncp/…) never appear in a diff although they are kept in the body sent."""
    view = {f: obj.get(f) for f in body if f not in _IDENTITY}
    view["tags"] = [t for t in obj.get("tags") or () if str(t.get("scope") or "") in scopes]
    return canonical(str(body.get("resource_type")), view)


def _create_diff(after: Mapping[str, Any]) -> tuple[FieldDiff, ...]:
    kind = str(after.get("resource_type"))
    shown = canonical(kind, {k: v for k, v in after.items() if k not in _IDENTITY})
    return field_diff({}, shown)


# --- deletes and unmanaged ------------------------------------------------------------------

def _deletes(live: LiveState, owner: str, keep: set[str],
             guard: Guard) -> tuple[list[Action], list[Problem]]:
    actions: list[Action] = []
    problems: list[Problem] = []
    # Sorted after leaving out what is kept (most of a large plan): the same order, a far
    # shorter sort.
    for path in sorted(p for p in live.objects if p not in keep):
        obj = live.objects[path]
        k = KINDS.get(str(obj.get("resource_type")))
        if k is None or not k.managed or not k.deletable:
            continue
        o = classify(obj, owner)
        if o.owner != owner:
            continue
        if o.state == "protected":
            problems.append(Problem(
                f"{path} carries {OWNER_SCOPE}={owner} but is {o.reason}; nsxplan will not "
                "delete it", None, "remove the owner tag from it in NSX, or delete it there"))
            continue
        refusal = guard.refusal(path)
        if refusal is not None:
            # Deleting a child of NCP's Tier-1 changes NCP's Tier-1, whoever tagged the child.
            problems.append(Problem(
                f"{path} carries {OWNER_SCOPE}={owner} but {refusal.phrase}"
                "; nsxplan will not delete it", None,
                "remove the owner tag from it in NSX, or delete it there"))
            continue
        if is_protected_by_tag(obj):
            problems.append(Problem(
                f"{address_for_path(path)}: the configuration no longer declares {path}, but it "
                "is protected (tag nsxplan/protect=true); nsxplan will not delete it", None,
                "declare it again with `protect: false` and apply, then remove it; or keep it"))
            continue
        rev = obj.get("_revision")
        actions.append(_with_modified(Action(
            address=address_for_path(path), kind=k.resource_type, path=path, action=DELETE,
            before=WithoutServerFields(obj),
            after=None, diff=(), revision=rev if isinstance(rev, int) else None, source=None,
            depends_on=(),
            reason=f"owned by {owner}, not in the configuration"), obj))
    return actions, problems


def _blocked_deletes(deletes: list[Action], wanted: set[str],
                     live: LiveState) -> list[Problem]:
    """Deletes NSX would refuse (500030) because something nsxplan leaves alone still hangs
    below the object or points at it: better refused at plan time than half-applied."""
    if not deletes:
        return []       # a plan without deletes (most): no need to read every reference
    gone = {a.path for a in deletes}
    referrers: dict[str, list[str]] = {}
    for path, obj in live.objects.items():
        for ref in reference_paths(obj):
            if ref in gone and path not in gone and path not in wanted:
                referrers.setdefault(ref, []).append(path)
    problems: list[Problem] = []
    for a in deletes:
        below = [o for o in live.under(a.path) if o.get("path") not in gone
                 and o.get("path") != a.path and _blocks(o)] \
            if a.kind in GATEWAY_TYPES or a.kind == "LocaleServices" else []
        left = sorted({str(o.get("path")) for o in below} | set(referrers.get(a.path, ())))
        if left:
            problems.append(Problem(
                f"{a.address}: cannot delete {a.path} (owned by this configuration, no longer "
                f"in it): NSX refuses while {', '.join(left[:3])}"
                f"{f' and {len(left) - 3} more' if len(left) > 3 else ''} still "
                "depend on it and nsxplan does not own them", None,
                "remove those in NSX first, or keep the object in the configuration "
                "(`existing: true` keeps a gateway without managing its fields)"))
    return problems


def _blocks(obj: Mapping[str, Any]) -> bool:
    # NAT sections and the BGP config come and go with their gateway; everything else under a
    # gateway blocks it.
    k = KINDS.get(str(obj.get("resource_type")))
    return k is not None and k.managed and k.deletable


def _rogue_kinds(config: Config, desired: list[Desired]) -> dict[str, frozenset[str]]:
    """Per configured gateway, the kinds a hand-made object of is rogue: every ROGUE_KINDS kind
    on a gateway nsxplan manages itself; on an `existing: true` one (VCF's, another team's),
    only the kinds this configuration declares there (its NAT rules, say), so that the
    routes and interfaces its owner made do not page anyone."""
    declared: dict[str, set[str]] = {}
    for d in desired:
        if d.gateway is not None:
            declared.setdefault(d.gateway, set()).add(d.kind)
    return {gw.path: ROGUE_KINDS if not gw.existing
            else ROGUE_KINDS & frozenset(declared.get(gw.path, ()))
            for gw in _all_gateways(config)}


def _unmanaged(config: Config, live: LiveState, wanted: set[str],
               deleted: set[str], desired: list[Desired]) -> tuple[Unmanaged, ...]:
    gateways = {gw.path for gw in _all_gateways(config)}
    rogue_kinds = _rogue_kinds(config, desired)
    out: list[Unmanaged] = []
    # Most of a large plan is wanted: left out before sorting (the order stays the same).
    for path in sorted(p for p in live.objects if p not in wanted and p not in deleted):
        gw_path = gateway_of(path)
        if gw_path is None or gw_path == path or gw_path not in gateways:
            continue
        obj = live.objects[path]
        k = KINDS.get(str(obj.get("resource_type")))
        if k is None or not k.managed:
            continue
        reason = unmanaged_reason(obj, config.owner)
        made_by = creator(obj)
        gw_obj = live.get(gw_path) or {}
        gw_guard = classify(gw_obj, config.owner)
        state = classify(obj, config.owner).state
        if gw_guard.state == "protected" and state != "protected":
            # NCP does not stamp every child (locale-services): the gateway's rule covers it.
            reason = f"under {gw_path}, which is {gw_guard.reason}"
            made_by = made_by or creator(gw_obj)
            state = "protected"
        # Rogue: made by hand where this configuration manages that kind of object, owned by
        # nobody (not NCP's, the system's or another nsxplan owner's) and not `ignore`d.
        rogue = (state == "unowned" and k.resource_type in rogue_kinds.get(gw_path, ())
                 and ignored_fields(config.ignore, path, address_for_path(path)) is None)
        user = obj.get("_last_modified_user") or obj.get("_create_user")
        out.append(Unmanaged(path, k.resource_type, reason, made_by, rogue=rogue,
                             modified_user=str(user) if user else None,
                             modified_time=iso_time(obj.get("_last_modified_time")
                                                    or obj.get("_create_time"))))
    return tuple(out)


def _all_gateways(config: Config) -> list[Tier0 | Tier1]:
    return [*config.tier0s, *config.tier1s]
