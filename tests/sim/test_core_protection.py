"""Objects of a principal identity (NCP) resist writes unless overridden (reference §9)."""

from __future__ import annotations

import httpx
import pytest
from core_support import P, client_for, err, ok

from nsxplan.sim import Simulator, demo_state

NCP_T1 = f"{P}/infra/tier-1s/domain-c8"
NCP_RULE = f"{NCP_T1}/nat/USER/nat-rules/snat-supervisor-egress"
PI = "wcp-cluster-user-domain-c8-4f2b9c1e-7a3d-4e8f-b6a1-2d9e5c7f0a13"
OVERRIDE = {"X-Allow-Overwrite": "true"}


@pytest.mark.parametrize("method", ["PATCH", "PUT", "DELETE"])
@pytest.mark.parametrize("path", [NCP_T1, NCP_RULE, f"{P}/infra/segments/seg-domain-c8-supervisor"])
def test_require_override_rejects_writes(client: httpx.Client, method: str, path: str) -> None:
    before = client.get(path).json()
    kw = {} if method == "DELETE" else {"json": {"description": "mine now"}}
    e = err(client.request(method, path, **kw), 403)
    assert "REQUIRE_OVERRIDE" in e["error_message"] and PI in e["error_message"]
    assert client.get(path).json() == before


def test_override_header_allows_require_override(client: httpx.Client) -> None:
    ok(client.patch(NCP_RULE, json={"logging": True}, headers=OVERRIDE))
    rule = client.get(NCP_RULE).json()
    assert rule["logging"] is True and rule["_revision"] == 1
    assert rule["_protection"] == "REQUIRE_OVERRIDE" and rule["_create_user"] == PI
    assert rule["_last_modified_user"] == "admin"
    ok(client.delete(NCP_RULE, headers=OVERRIDE))
    err(client.get(NCP_RULE), 404)


def test_children_of_protected_parents_follow_the_parent(client: httpx.Client) -> None:
    new_rule = f"{NCP_T1}/nat/USER/nat-rules/mine"
    body = {"action": "NO_SNAT", "source_network": "10.0.0.0/8"}
    e = err(client.patch(new_rule, json=body), 403)
    assert "/infra/tier-1s/domain-c8" in e["error_message"]
    ok(client.patch(new_rule, json=body, headers=OVERRIDE))


def test_protected_rejects_even_with_override() -> None:
    state = demo_state()
    for wrapper in state["children"]:
        if wrapper.get("Tier1", {}).get("id") == "domain-c8":
            wrapper["Tier1"]["_protection"] = "PROTECTED"
    with client_for(Simulator(state)) as c:
        e = err(c.patch(NCP_T1, json={"description": "x"}, headers=OVERRIDE), 403)
        assert "PROTECTED" in e["error_message"]
        err(c.delete(NCP_T1, headers=OVERRIDE), 403)


def test_hierarchical_cascade_into_protected_subtree_is_refused(client: httpx.Client) -> None:
    body = {
        "resource_type": "Infra",
        "children": [
            {
                "resource_type": "ChildTier1",
                "Tier1": {"resource_type": "Tier1", "id": "domain-c8"},
                "marked_for_delete": True,
            }
        ],
    }
    err(client.patch(f"{P}/infra", json=body), 403)
    ok(client.get(NCP_T1))


def test_owner_sees_and_writes_its_objects_unprotected() -> None:
    sim = Simulator(demo_state())

    def as_ncp(environ, start_response):  # type: ignore[no-untyped-def]
        environ["nsxsim.user"] = PI
        return sim(environ, start_response)

    with httpx.Client(transport=httpx.WSGITransport(app=as_ncp), base_url="http://n") as c:
        assert c.get(NCP_T1).json()["_protection"] == "NOT_PROTECTED"
        ok(c.patch(NCP_T1, json={"description": "ncp update"}))
    with client_for(sim) as c:
        t1 = c.get(NCP_T1).json()
        assert t1["_protection"] == "REQUIRE_OVERRIDE" and t1["description"] == "ncp update"


def test_admin_objects_are_not_protected(client: httpx.Client) -> None:
    t0 = client.get(f"{P}/infra/tier-0s/vcf-t0").json()
    assert t0["_protection"] == "NOT_PROTECTED" and t0["_create_user"] == "admin"
    ok(client.patch(f"{P}/infra/tier-0s/vcf-t0", json={"description": "edited"}))
