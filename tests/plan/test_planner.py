"""make_plan on model objects and hand-written live objects: actions, order, dependencies."""

from __future__ import annotations

from nsxplan.config.model import (
    DnsForwarder,
    DnsZone,
    NatRule,
    NextHop,
    StaticRoute,
    Tag,
    Tier0,
    Tier1,
)
from nsxplan.plan.model import CREATE, DELETE, NOOP, REPLACE, UPDATE
from tests.plan.helpers import (
    NOW,
    OWNER,
    T0,
    by_address,
    config,
    live,
    obj,
    owned,
    plan,
    src,
    tier0,
)

ROUTE = StaticRoute("default-route", "0.0.0.0/0", (NextHop("10.27.51.1"),), source=src(6))
REFLEXIVE = NatRule("supervisor-egress", "REFLEXIVE", "30.0.0.5",
                    translated_network="10.27.51.145", source=src(10))


def existing_t0(**kw: object) -> Tier0:
    return Tier0("vcf-t0", existing=True, source=src(3), **kw)  # type: ignore[arg-type]


def route_obj(rid: str = "default-route", hop: str = "10.27.51.1", **kw: object) -> dict:
    kw.setdefault("tags", owned())
    kw.setdefault("next_hops", [{"ip_address": hop, "admin_distance": 1}])
    return obj(f"{T0}/static-routes/{rid}", "StaticRoutes", network="0.0.0.0/0", **kw)


def test_create_children_of_an_existing_gateway_and_no_action_for_the_gateway() -> None:
    p = plan(config(tier0s=(existing_t0(static_routes=(ROUTE,), nat_rules=(REFLEXIVE,)),)),
             live(tier0()))
    acts = by_address(p)
    assert set(acts) == {"tier0s.vcf-t0.static_routes.default-route",
                         "tier0s.vcf-t0.nat_rules.supervisor-egress"}
    route = acts["tier0s.vcf-t0.static_routes.default-route"]
    assert route.action == CREATE and route.before is None and route.revision is None
    assert route.path == f"{T0}/static-routes/default-route"
    assert route.after == {"resource_type": "StaticRoutes", "id": "default-route",
                           "display_name": "default-route", "network": "0.0.0.0/0",
                           "next_hops": [{"ip_address": "10.27.51.1"}],
                           "tags": [{"scope": "nsxplan/owner", "tag": OWNER}]}
    assert route.source == src(6)
    nat = acts["tier0s.vcf-t0.nat_rules.supervisor-egress"]
    assert nat.path == f"{T0}/nat/USER/nat-rules/supervisor-egress"
    assert {d.field for d in nat.diff} >= {"action", "source_network", "translated_network"}
    assert p.created_at == "2026-01-02T03:04:05Z" and p.owner == OWNER
    assert p.config_digest == "sha256:test" and p.config_files == ("stack.yaml",)


def test_in_sync_object_is_a_kept_no_op_with_revision_and_preimage() -> None:
    p = plan(config(tier0s=(existing_t0(static_routes=(ROUTE,)),)),
             live(tier0(), route_obj(next_hops=[{"ip_address": "10.27.51.1/32"}])))
    (a,) = p.actions
    assert a.action == NOOP and a.diff == () and a.revision == 3
    assert a.before is not None and "_revision" not in a.before and "path" not in a.before
    assert not p.has_changes and p.summary()["unchanged"] == 1


def test_update_shows_field_level_diff_with_dotted_names() -> None:
    p = plan(config(tier0s=(existing_t0(static_routes=(ROUTE,)),)),
             live(tier0(), route_obj(hop="10.27.51.254")))
    (a,) = p.actions
    assert a.action == UPDATE and a.revision == 3
    assert [(d.field, d.before, d.after) for d in a.diff] == [
        ("next_hops[0].ip_address", "10.27.51.254", "10.27.51.1")]
    assert a.after is not None and a.after["next_hops"] == [{"ip_address": "10.27.51.1"}]
    assert "display_name" not in a.after     # not set by the user: never sent on update


def test_owned_object_missing_from_config_is_deleted_unowned_left_alone() -> None:
    p = plan(config(tier0s=(existing_t0(),)),
             live(tier0(), route_obj("old"), route_obj("colleague", tags=[])))
    (a,) = p.actions
    assert a.action == DELETE and a.address == "tier0s.vcf-t0.static_routes.old"
    assert a.after is None and a.before is not None and a.revision == 3
    assert [u.path for u in p.unmanaged] == [f"{T0}/static-routes/colleague"]
    assert p.unmanaged[0].created_by == "admin"


def test_other_owners_objects_are_never_deleted() -> None:
    p = plan(config(tier0s=(existing_t0(),)), live(tier0(), route_obj("x", tags=owned("b"))))
    assert p.actions == ()
    assert "owned by nsxplan owner 'b'" in p.unmanaged[0].reason


def test_owned_gateway_removed_from_config_is_deleted_after_its_children() -> None:
    t1 = "/infra/tier-1s/apps"
    state = live(tier0(), obj(t1, "Tier1", tags=owned(), tier0_path=T0),
                 obj(f"{t1}/static-routes/r", "StaticRoutes", tags=owned(), network="1.0.0.0/8",
                     next_hops=[{"ip_address": "1.1.1.1"}]),
                 obj(f"{t1}/nat/USER/nat-rules/n", "PolicyNatRule", tags=owned(),
                     action="SNAT", translated_network="1.2.3.4"))
    p = plan(config(), state)
    order = [a.address for a in p.actions]
    assert order == ["tier1s.apps.nat_rules.n", "tier1s.apps.static_routes.r", "tier1s.apps"]
    assert p.actions[-1].depends_on == ("tier1s.apps.nat_rules.n", "tier1s.apps.static_routes.r")


def test_order_parents_first_zone_before_forwarder_and_dependencies() -> None:
    corp = DnsZone("corp", ("192.168.10.10",), source=src(2))
    lab = DnsZone("lab", ("192.168.10.11",), domains=("rainpole.com",), source=src(4))
    t0 = Tier0("t0", ha_mode="ACTIVE_STANDBY", source=src(8))
    t1 = Tier1("apps", tier0=t0, tier0_path="/infra/tier-0s/t0", source=src(12),
               route_advertisement=("TIER1_NAT", "TIER1_CONNECTED"),
               dns_forwarder=DnsForwarder("10.96.10.53", corp, (lab,), source=src(15)))
    p = plan(config(tier0s=(t0,), tier1s=(t1,), dns_zones=(corp, lab)), live())
    order = [a.address for a in p.actions]
    assert order == ["dns_zones.corp", "dns_zones.lab", "tier0s.t0", "tier1s.apps",
                     "tier1s.apps.dns_forwarder"]
    acts = by_address(p)
    assert acts["tier1s.apps"].depends_on == ("tier0s.t0",)
    assert acts["tier1s.apps.dns_forwarder"].depends_on == (
        "dns_zones.corp", "dns_zones.lab", "tier1s.apps")
    fwd = acts["tier1s.apps.dns_forwarder"].after
    assert fwd is not None
    assert fwd["default_forwarder_zone_path"] == "/infra/dns-forwarder-zones/corp"
    assert fwd["conditional_forwarder_zone_paths"] == ["/infra/dns-forwarder-zones/lab"]


def test_forwarder_deleted_before_the_zone_it_references() -> None:
    t1 = "/infra/tier-1s/apps"
    zone = "/infra/dns-forwarder-zones/corp"
    state = live(obj(t1, "Tier1", tags=owned()),
                 obj(f"{t1}/dns-forwarder", "PolicyDnsForwarder", tags=owned(),
                     listener_ip="10.0.0.53", default_forwarder_zone_path=zone),
                 obj(zone, "PolicyDnsForwarderZone", tags=owned(), upstream_servers=["1.1.1.1"]))
    p = plan(config(tier1s=(Tier1("apps", existing=True, source=src(1)),)), state)
    assert [a.address for a in p.actions] == ["tier1s.apps.dns_forwarder", "dns_zones.corp"]
    assert p.actions[1].depends_on == ("tier1s.apps.dns_forwarder",)


def test_nat_action_change_is_a_replace() -> None:
    live_rule = obj(f"{T0}/nat/USER/nat-rules/supervisor-egress", "PolicyNatRule",
                    tags=owned(), action="SNAT", source_network="30.0.0.5",
                    translated_network="10.27.51.145", enabled=True, logging=False,
                    firewall_match="MATCH_INTERNAL_ADDRESS")
    p = plan(config(tier0s=(existing_t0(ha_mode=None, nat_rules=(REFLEXIVE,)),)),
             live(tier0(), live_rule))
    (a,) = p.actions
    assert a.action == REPLACE and "action" in a.reason
    assert [(d.field, d.before, d.after) for d in a.diff] == [("action", "SNAT", "REFLEXIVE")]
    assert a.after is not None and a.after["display_name"] == "supervisor-egress"


def test_user_tags_plus_owner_tag_and_foreign_tags_kept_but_not_diffed() -> None:
    t0 = Tier0("vcf-t0", tags=(Tag("env", "prod"),), source=src(1))
    ncp = {"scope": "ncp/cluster", "tag": "domain-c1006"}
    p = plan(config(tier0s=(t0,)), live(tier0(tags=[ncp, {"scope": "env", "tag": "dev"}],
                                              _create_user="admin"), ), adopt_all=True)
    (a,) = p.actions
    assert a.action == UPDATE and a.adopt
    assert a.after is not None and ncp in a.after["tags"]
    (d,) = a.diff
    assert d.field == "tags"
    assert d.before == [{"scope": "env", "tag": "dev"}]
    assert d.after == [{"scope": "env", "tag": "prod"}, {"scope": "nsxplan/owner", "tag": OWNER}]


def test_created_at_defaults_to_now_in_utc() -> None:
    from nsxplan.plan.planner import make_plan
    p = make_plan(config(), live(), target="sim")
    assert p.created_at.endswith("Z") and p.created_at >= NOW.strftime("%Y")


def test_locale_services_deleted_after_the_nat_rules_it_serves() -> None:
    t1 = "/infra/tier-1s/apps"
    state = live(obj(t1, "Tier1", tags=owned()),
                 obj(f"{t1}/locale-services/default", "LocaleServices", tags=owned(),
                     edge_cluster_path="/infra/ec"),
                 obj(f"{t1}/nat/USER/nat-rules/z", "PolicyNatRule", tags=owned(),
                     action="SNAT", translated_network="1.2.3.4"))
    p = plan(config(tier1s=(Tier1("apps", existing=True, source=src(1)),)), state)
    assert [a.address for a in p.actions] == ["tier1s.apps.nat_rules.z",
                                              "tier1s.apps.locale_services.default"]
    assert p.actions[1].depends_on == ("tier1s.apps.nat_rules.z",)
