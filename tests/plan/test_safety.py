"""Safety rails: ownership, adoption, protected (NCP/system) objects, live checks."""

from __future__ import annotations

import pytest

from nsxplan.config.model import NatRule, NextHop, StaticRoute, Tier0, Tier1
from nsxplan.errors import PlanError
from nsxplan.plan.model import NOOP, UPDATE
from tests.plan.helpers import (
    NCP_USER,
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
ROUTE_ADOPT = StaticRoute("default-route", "0.0.0.0/0", (NextHop("10.27.51.1"),), adopt=True,
                          source=src(6))
NCP_TAGS = [{"scope": "ncp/cluster", "tag": "domain-c1006"}, {"scope": "ncp/version",
                                                              "tag": "1.2.0"}]
SUP = "/infra/tier-1s/t1-sup"


def route_live(**kw: object) -> dict:
    kw.setdefault("next_hops", [{"ip_address": "10.27.51.1"}])
    return obj(f"{T0}/static-routes/default-route", "StaticRoutes", network="0.0.0.0/0", **kw)


def ncp_t1(**kw: object) -> dict:
    kw.setdefault("_protection", "REQUIRE_OVERRIDE")
    return obj(SUP, "Tier1", tags=NCP_TAGS, _create_user=NCP_USER, tier0_path=T0, **kw)


def errors(exc: pytest.ExceptionInfo[PlanError]) -> list[str]:
    return [p.message for p in exc.value.problems]


def t0_with(*routes: StaticRoute, **kw: object) -> Tier0:
    return Tier0("vcf-t0", existing=True, static_routes=routes, source=src(3), **kw)  # type: ignore[arg-type]


def test_existing_unowned_object_is_an_error_located_at_its_source() -> None:
    with pytest.raises(PlanError) as exc:
        plan(config(tier0s=(t0_with(ROUTE),)), live(tier0(), route_live()))
    (p,) = exc.value.problems
    assert p.source == src(6)
    assert "already exists (created by admin)" in p.message
    assert "nsxplan/owner=tanzu-egress" in p.message
    assert p.hint is not None and "adopt: true" in p.hint and "--adopt" in p.hint


@pytest.mark.parametrize("adopt_all", [False, True])
def test_adoption_only_adds_the_owner_tag(adopt_all: bool) -> None:
    route = ROUTE if adopt_all else ROUTE_ADOPT
    p = plan(config(tier0s=(t0_with(route),)),
             live(tier0(), route_live(tags=[{"scope": "team", "tag": "net"}])),
             adopt_all=adopt_all)
    (a,) = p.actions
    assert a.action == UPDATE and a.adopt and a.reason == "adopt: add the owner tag"
    assert [d.field for d in a.diff] == ["tags"]
    assert a.after is not None
    assert a.after["tags"] == [{"scope": "nsxplan/owner", "tag": OWNER},
                               {"scope": "team", "tag": "net"}]


def test_adoption_also_applies_configured_field_changes_and_says_so() -> None:
    state = live(tier0(), route_live(next_hops=[{"ip_address": "10.0.0.1"}]))
    (a,) = plan(config(tier0s=(t0_with(ROUTE_ADOPT),)), state).actions
    assert a.adopt and a.reason == "adopt: add the owner tag and change next_hops[0].ip_address"


def test_object_of_another_owner_is_an_error_naming_the_owner() -> None:
    with pytest.raises(PlanError) as exc:
        plan(config(tier0s=(t0_with(ROUTE_ADOPT),)), live(tier0(), route_live(tags=owned("b"))),
             adopt_all=True)
    assert errors(exc) == [f"tier0s.vcf-t0.static_routes.default-route: {T0}/static-routes/"
                           "default-route belongs to nsxplan owner 'b', not 'tanzu-egress'"]


@pytest.mark.parametrize("fields", [
    {"_protection": "PROTECTED"},
    {"_protection": "REQUIRE_OVERRIDE"},
    {"_protection": "UNKNOWN"},
    {"_system_owned": True},
    {"_protection": "NOT_PROTECTED", "tags": NCP_TAGS, "_create_user": NCP_USER},
])
def test_protected_object_is_never_changed_even_with_adopt(fields: dict) -> None:
    with pytest.raises(PlanError) as exc:
        plan(config(tier0s=(t0_with(ROUTE_ADOPT),)), live(tier0(), route_live(**fields)),
             adopt_all=True)
    (msg,) = errors(exc)
    assert "nsxplan never changes it" in msg and f"{T0}/static-routes/default-route" in msg


def test_protected_error_names_the_creator() -> None:
    with pytest.raises(PlanError) as exc:
        plan(config(tier1s=(Tier1("t1-sup", route_advertisement=("TIER1_NAT",),
                                  source=src(2)),)),
             live(tier0(), ncp_t1()))
    (p,) = exc.value.problems
    assert NCP_USER in p.message and SUP in p.message and p.source == src(2)


def test_creating_a_child_under_an_ncp_gateway_is_refused() -> None:
    rule = NatRule("mine", "SNAT", "10.0.0.0/24", translated_network="1.2.3.4", source=src(9))
    cfg = config(tier1s=(Tier1("t1-sup", existing=True, nat_rules=(rule,), source=src(2)),))
    with pytest.raises(PlanError) as exc:
        plan(cfg, live(tier0(), ncp_t1(), obj(f"{SUP}/locale-services/default", "LocaleServices",
                                              edge_cluster_path="/infra/ec")))
    (p,) = exc.value.problems
    assert p.source == src(9)
    assert f"under {SUP}" in p.message and NCP_USER in p.message


def test_ncp_objects_under_a_managed_gateway_are_listed_unmanaged() -> None:
    rule_path = f"{SUP}/nat/USER/nat-rules/snat-egress"
    state = live(tier0(), ncp_t1(), obj(rule_path, "PolicyNatRule", action="SNAT",
                                        tags=NCP_TAGS, _create_user=NCP_USER,
                                        _protection="REQUIRE_OVERRIDE"))
    p = plan(config(tier1s=(Tier1("t1-sup", existing=True, source=src(2)),)), state)
    assert p.actions == ()
    (u,) = p.unmanaged
    assert u.path == rule_path and u.created_by == NCP_USER
    assert "REQUIRE_OVERRIDE" in u.reason and "(NCP)" in u.reason


# What an administrator puts on a Tier-0 (and IP blocks, pools) so that NCP finds it.
DISCOVERY_TAGS = [{"scope": "ncp/cluster", "tag": "domain-c1006"},
                  {"scope": "ncp/no_snat", "tag": "domain-c1006"},
                  {"scope": "ncp/external", "tag": "true"}]


def test_admin_tier0_tagged_for_ncp_discovery_stays_manageable_and_keeps_tags() -> None:
    t0_live = tier0(tags=DISCOVERY_TAGS + owned(), _create_user="admin",
                    ha_mode="ACTIVE_STANDBY")
    p = plan(config(tier0s=(Tier0("vcf-t0", failover_mode="PREEMPTIVE", source=src(1)),)),
             live(t0_live))
    (a,) = p.actions
    assert a.action == UPDATE and [d.field for d in a.diff] == ["failover_mode"]
    assert a.after is not None and all(t in a.after["tags"] for t in DISCOVERY_TAGS)


@pytest.mark.parametrize("tags", [
    [{"scope": "ncp/version", "tag": "1.2.0"}],
    [{"scope": "ncp/cluster", "tag": "c"}, {"scope": "ncp/project", "tag": "ns"}],
    [{"scope": "ncp/cluster", "tag": "c"}, {"scope": "ncp/some_new_scope", "tag": "x"}],
    [{"scope": "nsx-op/cluster", "tag": "c"}, {"scope": "nsx-op/namespace", "tag": "ns"}],
])
def test_ncp_running_as_admin_is_recognised_by_its_runtime_tags(tags: list) -> None:
    t0_live = tier0(tags=tags + owned(), _create_user="admin")
    with pytest.raises(PlanError) as exc:
        plan(config(tier0s=(Tier0("vcf-t0", failover_mode="PREEMPTIVE", source=src(1)),)),
             live(t0_live))
    assert "NCP's: tagged" in errors(exc)[0] and "created by admin" in errors(exc)[0]


def test_owned_object_that_became_protected_is_not_deleted() -> None:
    with pytest.raises(PlanError) as exc:
        plan(config(tier0s=(t0_with(),)),
             live(tier0(), route_live(tags=owned(), _protection="PROTECTED")))
    assert "will not delete it" in errors(exc)[0]


def test_existing_gateway_that_does_not_exist() -> None:
    with pytest.raises(PlanError) as exc:
        plan(config(tier0s=(t0_with(ROUTE),), tier1s=(Tier1("gone", existing=True,
                                                             source=src(20)),)), live())
    msgs = errors(exc)
    assert msgs == [
        f"Tier-0 'vcf-t0' is marked `existing: true` but {T0} does not exist",
        "Tier-1 'gone' is marked `existing: true` but /infra/tier-1s/gone does not exist"]
    assert [p.source for p in exc.value.problems] == [src(3), src(20)]


def test_tier0_reference_to_a_live_path_that_does_not_exist() -> None:
    t1 = Tier1("apps", tier0_path="/infra/tier-0s/nope", source=src(4))
    with pytest.raises(PlanError) as exc:
        plan(config(tier1s=(t1,)), live(tier0()))
    assert errors(exc) == ["Tier-1 'apps': tier0 /infra/tier-0s/nope does not exist"]
    ok = plan(config(tier1s=(Tier1("apps", tier0_path=T0, source=src(4)),)), live(tier0()))
    assert ok.actions[0].after is not None and ok.actions[0].after["tier0_path"] == T0


@pytest.mark.parametrize("live_fields,fails", [
    ({}, True),                                              # ha_mode absent = ACTIVE_ACTIVE
    ({"ha_mode": "ACTIVE_ACTIVE"}, True),
    ({"ha_mode": "ACTIVE_STANDBY"}, False),
    ({"ha_mode": "ACTIVE_ACTIVE", "stateful_services": {"enabled": True}}, False),
])
def test_stateful_nat_on_a_live_active_active_tier0(live_fields: dict, fails: bool) -> None:
    snat = NatRule("s", "SNAT", "30.0.0.0/24", translated_network="10.0.0.1", source=src(11))
    refl = NatRule("r", "REFLEXIVE", "30.0.0.5", translated_network="10.0.0.2", source=src(14))
    t0_live = obj(T0, "Tier0", **live_fields)
    cfg = config(tier0s=(Tier0("vcf-t0", existing=True, nat_rules=(snat, refl),
                               source=src(3)),))
    if not fails:
        assert len(plan(cfg, live(t0_live)).actions) == 2
        return
    with pytest.raises(PlanError) as exc:
        plan(cfg, live(t0_live))
    (p,) = exc.value.problems
    assert p.source == src(11) and "ACTIVE_ACTIVE" in p.message and "REFLEXIVE" in p.message


def test_nat_on_tier1_without_edge_cluster() -> None:
    rule = NatRule("s", "SNAT", "10.0.0.0/24", translated_network="1.2.3.4", source=src(7))
    t1_live = obj("/infra/tier-1s/apps", "Tier1", tags=owned())
    cfg = config(tier1s=(Tier1("apps", nat_rules=(rule,), source=src(2)),))
    with pytest.raises(PlanError) as exc:
        plan(cfg, live(t1_live))
    (p,) = exc.value.problems
    assert p.source == src(7) and "no edge cluster" in p.message
    # live locale-services with an edge cluster, or `edge_cluster` in the config, satisfy it
    ls = obj("/infra/tier-1s/apps/locale-services/default", "LocaleServices",
             edge_cluster_path="/infra/sites/default/enforcement-points/default/edge-clusters/e",
             tags=owned())
    assert by_address(plan(cfg, live(t1_live, ls)))["tier1s.apps"].action == NOOP
    cfg2 = config(tier1s=(Tier1("apps", nat_rules=(rule,), edge_cluster="/infra/e",
                                source=src(2)),))
    acts = by_address(plan(cfg2, live(t1_live)))
    assert acts["tier1s.apps.locale_services.default"].after["edge_cluster_path"] == "/infra/e"  # type: ignore[index]
    # the NAT rule waits for the service router (locale-services with the edge cluster)
    assert acts["tier1s.apps.nat_rules.s"].depends_on == ("tier1s.apps.locale_services.default",)


def test_every_problem_is_reported_at_once() -> None:
    snat = NatRule("s", "SNAT", "30.0.0.0/24", translated_network="10.0.0.1", source=src(11))
    cfg = config(tier0s=(t0_with(ROUTE, nat_rules=(snat,)),),
                 tier1s=(Tier1("gone", existing=True, source=src(20)),))
    with pytest.raises(PlanError) as exc:
        plan(cfg, live(tier0(), route_live()))
    assert len(exc.value.problems) == 3


def test_delete_that_nsx_would_refuse_is_a_plan_error() -> None:
    t1 = "/infra/tier-1s/apps"
    zone = "/infra/dns-forwarder-zones/corp"
    state = live(obj(t1, "Tier1", tags=owned()),
                 obj(f"{t1}/static-routes/colleague", "StaticRoutes", tags=[],
                     network="1.0.0.0/8", next_hops=[{"ip_address": "1.1.1.1"}]),
                 obj(zone, "PolicyDnsForwarderZone", tags=owned(), upstream_servers=["1.1.1.1"]),
                 obj("/infra/tier-1s/other/dns-forwarder", "PolicyDnsForwarder", tags=[],
                     listener_ip="10.0.0.53", default_forwarder_zone_path=zone))
    with pytest.raises(PlanError) as exc:
        plan(config(), state)
    msgs = errors(exc)
    assert len(msgs) == 2
    assert msgs[0].startswith("dns_zones.corp: cannot delete /infra/dns-forwarder-zones/corp")
    assert "/infra/tier-1s/other/dns-forwarder" in msgs[0]
    assert msgs[1].startswith("tier1s.apps: cannot delete /infra/tier-1s/apps")
    assert f"{t1}/static-routes/colleague" in msgs[1]
