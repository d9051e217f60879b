"""Drive the simulator with an independent NSX client: OpenStack's vmware-nsxlib NsxPolicyLib.

Over TLS with basic auth (and a principal identity by client certificate for the protection
step), it does what an OpenStack deployment does with its managers: health-checks them, reads
tag limits, creates and updates Tier-1s, locale services, route advertisement, static routes,
NAT rules, segments, an H-API transaction, waits for realization by entity type, lists, meets a
PROTECTED object, deletes. Every response is then validated against tests/nsx_schemas.

Not part of the test suite (vmware-nsxlib pulls in OpenStack's libraries). To run it:

    python3 -m venv /tmp/venv-nsxlib
    /tmp/venv-nsxlib/bin/pip install vmware-nsxlib==19.4.3 jsonschema cryptography click pyyaml httpx
    env -u REQUESTS_CA_BUNDLE -u CURL_CA_BUNDLE PYTHONPATH=.:tests/sim \
        /tmp/venv-nsxlib/bin/python tools/drive_nsxlib.py 4.2      # or 3.2, 4.1

(requests lets REQUESTS_CA_BUNDLE override a session's CA file, so unset it.) Exit 0 when every
step worked and no response broke NSX's model.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from pathlib import Path

from schema_check import Recorder, problems  # tests/sim
from helpers_pki import TestCA  # tests/sim

from nsxplan.sim import Simulator, demo_state
from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.server import start_server

from vmware_nsxlib.v3 import config, exceptions
from vmware_nsxlib.v3.policy import NsxPolicyLib
from vmware_nsxlib.v3.policy import transaction as trans

version = sys.argv[1] if len(sys.argv) > 1 else "4.2"
tmp = Path(tempfile.mkdtemp())
ca = TestCA(tmp)
ncp = ca.issue("ncp-cert")
sim = Simulator(demo_state(), nsx_version=version, realization_delay=0.3)
recorder = Recorder(build_wsgi(sim, username="admin", password="VMware1!VMware1!",
                               principal_identities={"ncp-cert": "wcp-cluster-user-x"}))
server = start_server(recorder, tls=True, client_ca=ca.ca_file)
host = server.url.removeprefix("https://")
results: list[tuple[str, str]] = []


def step(name, fn):
    try:
        out = fn()
        results.append((name, "ok"))
        return out
    except Exception as exc:  # report and go on
        results.append((name, f"FAILED {type(exc).__name__}: {exc}"))
        traceback.print_exc(limit=2)
        return None


cfg = config.NsxLibConfig(nsx_api_managers=[host], username="admin",
                          password="VMware1!VMware1!", insecure=False, ca_file=server.ca_file,
                          realization_max_attempts=20, realization_wait_sec=0.1,
                          retries=1)
lib = step("connect (health check + version)", lambda: NsxPolicyLib(cfg))
if lib is None:
    print(results)
    sys.exit(1)
step("nsx version", lambda: print("   version", lib.get_version()))
step("tag limits", lambda: print("   ", lib.get_tag_limits()))
step("tier0 get", lambda: lib.tier0.get("vcf-t0"))
step("tier0 list", lambda: lib.tier0.list())
step("tier1 create", lambda: lib.tier1.create_or_overwrite("t1-lib", tier1_id="t1-lib",
                                                           tier0="vcf-t0"))
step("tier1 update", lambda: lib.tier1.update("t1-lib", description="by nsxlib"))
step("tier1 set edge cluster", lambda: lib.tier1.set_edge_cluster_path(
    "t1-lib", "/infra/sites/default/enforcement-points/default/edge-clusters/edge-cluster-01"))
step("tier1 wait realized (RealizedLogicalRouter)",
     lambda: lib.tier1.wait_until_realized("t1-lib", entity_type="RealizedLogicalRouter",
                                           sleep=0.1, max_attempts=20))
step("tier1 realized id (RealizedLogicalRouter)", lambda: print("   ", lib.tier1.get_realized_id(
    "t1-lib", entity_type="RealizedLogicalRouter")))
step("tier1 realized entities (router + router link port)", lambda: print("   ", [
    e["entity_type"] for e in lib.policy_api.get_realized_entities("/infra/tier-1s/t1-lib")]))
step("tier1 route advertisement", lambda: lib.tier1.update_route_advertisement(
    "t1-lib", static_routes=True, nat=True))
step("tier1 static route", lambda: lib.tier1_static_route.create_or_overwrite(
    "r1", "t1-lib", static_route_id="r1", network="10.9.0.0/16", next_hop="10.1.0.1"))
step("tier1 static route get", lambda: lib.tier1_static_route.get("t1-lib", "r1"))
step("tier1 NAT SNAT", lambda: lib.tier1_nat_rule.create_or_overwrite(
    "snat", "t1-lib", nat_rule_id="snat", action="SNAT", source_network="10.1.0.0/24",
    translated_network="10.27.60.10"))
step("tier1 NAT list", lambda: lib.tier1_nat_rule.list("t1-lib"))
step("tier0 NAT REFLEXIVE", lambda: lib.tier0_nat_rule.create_or_overwrite(
    "refl", "vcf-t0", nat_rule_id="refl", action="REFLEXIVE", source_network="30.0.0.9",
    translated_network="10.27.51.190"))
step("segment on tier1", lambda: lib.segment.create_or_overwrite(
    "seg-lib", segment_id="seg-lib", tier1_id="t1-lib",
    subnets=[lib.segment.build_subnet(gateway_address="10.1.0.1/24")]))
step("segment wait realized", lambda: lib.segment.wait_until_realized(
    "seg-lib", sleep=0.1, max_attempts=20))


def hapi():
    with trans.NsxPolicyTransaction():
        lib.tier1.create_or_overwrite("t1-trans", tier1_id="t1-trans", tier0="vcf-t0")
        lib.tier1_static_route.create_or_overwrite("tr", "t1-trans", static_route_id="tr",
                                                   network="10.7.0.0/16", next_hop="10.1.0.1")


step("H-API transaction", hapi)
step("H-API result", lambda: lib.tier1_static_route.get("t1-trans", "tr"))
step("tier1 list (paged)", lambda: print("   tier1s:", len(lib.tier1.list())))


def protected():
    import httpx
    import ssl
    ctx = ssl.create_default_context(cafile=server.ca_file)
    ctx.load_cert_chain(ncp.cert, ncp.key)
    with httpx.Client(base_url=server.url + "/policy/api/v1", verify=ctx) as c:
        assert c.patch("/infra/tier-1s/ncp-t1", json={}).status_code == 200
    try:
        lib.tier1.update("ncp-t1", description="nsxlib tries")
    except exceptions.ManagerError as exc:
        print("   refused as expected:", type(exc).__name__, str(exc)[:120])
        return
    raise AssertionError("nsxlib changed a PROTECTED object")


step("protection (PI object refused)", protected)
step("delete static route", lambda: lib.tier1_static_route.delete("t1-lib", "r1"))
step("delete NAT", lambda: lib.tier1_nat_rule.delete("t1-lib", nat_rule_id="snat"))
step("delete segment", lambda: lib.segment.delete("seg-lib"))
step("delete tier1 locale service", lambda: lib.tier1.delete_locale_service("t1-lib"))
step("delete tier1", lambda: lib.tier1.delete("t1-lib"))

server.stop()
bad = problems(recorder.exchanges)
for name, outcome in results:
    print(f"{outcome[:110]:110}  {name}")
print(f"NSX {version}: {len(recorder.exchanges)} responses, {len(bad)} schema problems")
for p in bad[:20]:
    print("  ", p[:300])
sys.exit(1 if bad or any(o != "ok" for _, o in results) else 0)
