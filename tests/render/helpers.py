"""Hand-built plans for renderer tests (no planner involved: these tests must not depend on it)."""

from __future__ import annotations

from nsxplan.errors import Source
from nsxplan.plan.model import Action, Check, FieldDiff, Plan, Unmanaged

OWNER_TAG = {"scope": "nsxplan/owner", "tag": "tanzu-egress"}
T0 = "/infra/tier-0s/vcf-t0"
NAT = f"{T0}/nat/USER/nat-rules"


def sample_plan() -> Plan:
    """Every action kind, an adoption, unmanaged NCP objects and checks of every status."""
    actions = (
        Action(
            address="tier0s.vcf-t0", kind="Tier0", path=T0, action="update",
            before={"display_name": "vcf-t0", "ha_mode": "ACTIVE_STANDBY",
                    "tags": [{"scope": "ncp/cluster", "tag": "wcp"}]},
            after={"display_name": "vcf-t0", "ha_mode": "ACTIVE_STANDBY",
                   "tags": [{"scope": "ncp/cluster", "tag": "wcp"}, OWNER_TAG]},
            diff=(FieldDiff("tags", [{"scope": "ncp/cluster", "tag": "wcp"}],
                            [{"scope": "ncp/cluster", "tag": "wcp"}, OWNER_TAG]),),
            revision=7, source=Source("desired.yaml", 3, 5), reason="adopt: add the owner tag",
            adopt=True,
        ),
        Action(
            address="tier0s.vcf-t0.locale_services.default", kind="LocaleServices",
            path=f"{T0}/locale-services/default", action="no-op",
            before={"edge_cluster_path": "/infra/sites/default/enforcement-points/default/"
                                         "edge-clusters/ec1"},
            after={"edge_cluster_path": "/infra/sites/default/enforcement-points/default/"
                                        "edge-clusters/ec1"},
            revision=2, source=Source("desired.yaml", 4, 5), depends_on=("tier0s.vcf-t0",),
        ),
        Action(
            address="tier0s.vcf-t0.nat_rules.supervisor-egress", kind="PolicyNatRule",
            path=f"{NAT}/supervisor-egress", action="create",
            after={"action": "SNAT", "source_network": "10.244.0.0/20",
                   "translated_network": "192.168.50.10", "sequence_number": 100,
                   "enabled": True, "resource_type": "PolicyNatRule", "id": "supervisor-egress",
                   "tags": [OWNER_TAG]},
            source=Source("desired.yaml", 12, 7), depends_on=("tier0s.vcf-t0",),
            reason="in config, not on NSX",
        ),
        Action(
            address="tier0s.vcf-t0.nat_rules.dmz-dnat", kind="PolicyNatRule",
            path=f"{NAT}/dmz-dnat", action="replace",
            before={"action": "SNAT", "translated_network": "192.168.50.11",
                    "tags": [OWNER_TAG]},
            after={"action": "DNAT", "destination_network": "192.168.50.11",
                   "translated_network": "10.1.1.5", "tags": [OWNER_TAG]},
            diff=(FieldDiff("action", "SNAT", "DNAT"),
                  FieldDiff("destination_network", None, "192.168.50.11"),
                  FieldDiff("translated_network", "192.168.50.11", "10.1.1.5")),
            revision=3, source=Source("desired.yaml", 20, 7), depends_on=("tier0s.vcf-t0",),
            reason="action changes SNAT → DNAT: NSX keeps stale fields on PATCH, so replace",
        ),
        Action(
            address="tier0s.vcf-t0.static_routes.default", kind="StaticRoutes",
            path=f"{T0}/static-routes/default", action="update",
            before={"network": "0.0.0.0/0",
                    "next_hops": [{"ip_address": "10.0.0.1", "admin_distance": 1}],
                    "tags": [OWNER_TAG]},
            after={"network": "0.0.0.0/0",
                   "next_hops": [{"ip_address": "10.0.0.254", "admin_distance": 1}],
                   "tags": [OWNER_TAG]},
            diff=(FieldDiff("next_hops[0].ip_address", "10.0.0.1", "10.0.0.254"),),
            revision=5, source=Source("desired.yaml", 8, 7), depends_on=("tier0s.vcf-t0",),
        ),
        Action(
            address="tier1s.tkg-t1.dns_forwarder", kind="PolicyDnsForwarder",
            path="/infra/tier-1s/tkg-t1/dns-forwarder", action="delete",
            before={"listener_ip": "100.100.1.1",
                    "default_forwarder_zone_path": "/infra/dns-forwarder-zones/corp",
                    "tags": [OWNER_TAG]},
            revision=4, depends_on=(), reason="owned by tanzu-egress, not in config",
        ),
        Action(
            address="dns_zones.corp", kind="PolicyDnsForwarderZone",
            path="/infra/dns-forwarder-zones/corp", action="delete",
            before={"upstream_servers": ["10.27.51.10"], "tags": [OWNER_TAG]},
            revision=1, depends_on=("tier1s.tkg-t1.dns_forwarder",),
            reason="owned by tanzu-egress, not in config",
        ),
    )
    return Plan(
        target="https://nsx.lab.example:443",
        owner="tanzu-egress",
        config_digest="sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        created_at="2026-11-21T19:00:00Z",
        nsxplan_version="0.1.0",
        actions=actions,
        unmanaged=(
            Unmanaged(path=f"{NAT}/ncp-snat-1a2b", kind="PolicyNatRule",
                      reason="created by NCP (principal identity), protected",
                      created_by="wcp-cluster-user-domain-c8-1234"),
            Unmanaged(path=f"{T0}/static-routes/manual", kind="StaticRoutes",
                      reason="no nsxplan/owner tag", created_by="admin"),
        ),
        checks=(
            Check(id="dns.return-route", status="ok", subject="DNS server 10.27.51.10",
                  message="reachable through static route 0.0.0.0/0"),
            Check(id="egress.tier0-nat", status="warn", subject="Tier-0 vcf-t0",
                  message="SNAT on the Tier-0 hides pod IPs from the upstream firewall",
                  remediation="allow 192.168.50.10 on the upstream firewall",
                  source=Source("desired.yaml", 12, 7)),
            Check(id="dns.upstream", status="fail", subject="DNS server 10.99.0.53",
                  message="no route from the Tier-1 to 10.99.0.53 | unreachable `here`",
                  remediation="add a static route for 10.99.0.0/16 on vcf-t0:\n"
                              "  - {id: dns-99, network: 10.99.0.0/16}"),
        ),
        config_files=("desired.yaml",),
        meta={"nsx_version": "4.1.2"},
    )


def empty_plan() -> Plan:
    """Nothing to do: every action a no-op."""
    full = sample_plan()
    noops = tuple(a for a in full.actions if a.action == "no-op")
    return Plan(target="sim", owner="tanzu-egress", config_digest=full.config_digest,
                created_at=full.created_at, nsxplan_version="0.1.0", actions=noops,
                config_files=("desired.yaml",))
