"""Lists: results, result_count, cursor paging, page_size cap, sorting, marked-for-delete."""

from __future__ import annotations

import httpx
from core_support import FakeClock, P, client_for, err, ok

from nsxplan.sim import Simulator

ZONES = f"{P}/infra/dns-forwarder-zones"


def make_zones(c: httpx.Client, n: int) -> None:
    body = {
        "resource_type": "Infra",
        "children": [
            {
                "resource_type": "ChildPolicyDnsForwarderZone",
                "PolicyDnsForwarderZone": {
                    "id": f"z{i:04d}",
                    "display_name": f"zone {n - i:04d}",
                    "upstream_servers": ["10.0.0.53"],
                },
            }
            for i in range(n)
        ],
    }
    ok(c.patch(f"{P}/infra", json=body))


def test_list_shape(client: httpx.Client) -> None:
    body = ok(client.get(f"{P}/infra/tier-1s")).json()
    assert body["result_count"] == 2 and len(body["results"]) == 2
    assert body["sort_by"] == "display_name" and body["sort_ascending"] is True
    assert "cursor" not in body
    assert [r["id"] for r in body["results"]] == ["domain-c8", "vnet-domain-c8"]
    assert all(r["resource_type"] == "Tier1" for r in body["results"])


def test_paging_with_cursor(empty_client: httpx.Client) -> None:
    make_zones(empty_client, 25)
    seen: list[str] = []
    params: dict[str, str | int] = {"page_size": 10}
    pages = 0
    while True:
        body = ok(empty_client.get(ZONES, params=params)).json()
        assert body["result_count"] == 25
        seen += [r["id"] for r in body["results"]]
        pages += 1
        if "cursor" not in body:
            break
        assert not body["cursor"].startswith("0000")
        params = {"page_size": 10, "cursor": body["cursor"]}
    assert pages == 3
    # default sort is display_name: "zone 0025" (z0000) ... "zone 0001" (z0024)
    assert seen == [f"z{i:04d}" for i in reversed(range(25))]


def test_page_size_default_and_cap(empty_client: httpx.Client) -> None:
    make_zones(empty_client, 1001)
    first = ok(empty_client.get(ZONES)).json()
    assert len(first["results"]) == 1000 and "cursor" in first
    capped = ok(empty_client.get(ZONES, params={"page_size": 5000})).json()
    assert len(capped["results"]) == 1000
    last = ok(empty_client.get(ZONES, params={"cursor": first["cursor"]})).json()
    assert len(last["results"]) == 1 and "cursor" not in last


def test_sorting(empty_client: httpx.Client) -> None:
    make_zones(empty_client, 3)
    by_id = ok(empty_client.get(ZONES, params={"sort_by": "id"})).json()
    assert [r["id"] for r in by_id["results"]] == ["z0000", "z0001", "z0002"]
    assert by_id["sort_by"] == "id"
    desc = ok(empty_client.get(ZONES, params={"sort_by": "id", "sort_ascending": "false"})).json()
    assert [r["id"] for r in desc["results"]] == ["z0002", "z0001", "z0000"]
    assert desc["sort_ascending"] is False


def test_included_fields(empty_client: httpx.Client) -> None:
    make_zones(empty_client, 2)
    body = ok(empty_client.get(ZONES, params={"included_fields": "id,path"})).json()
    assert body["results"][0].keys() == {"id", "path"}


def test_bad_paging_parameters(empty_client: httpx.Client) -> None:
    err(empty_client.get(ZONES, params={"page_size": "0"}), 400)
    err(empty_client.get(ZONES, params={"page_size": "many"}), 400)
    err(empty_client.get(ZONES, params={"cursor": "!!!"}), 400)


def test_include_mark_for_delete_objects() -> None:
    clock = FakeClock()
    sim = Simulator(realization_delay=5.0, clock=clock)
    with client_for(sim) as c:
        make_zones(c, 2)
        ok(c.delete(f"{ZONES}/z0000"))
        err(c.get(f"{ZONES}/z0000"), 404)
        assert [r["id"] for r in c.get(ZONES).json()["results"]] == ["z0001"]
        marked = c.get(ZONES, params={"include_mark_for_delete_objects": "true"}).json()
        gone = [r for r in marked["results"] if r["id"] == "z0000"]
        assert len(gone) == 1 and gone[0]["marked_for_delete"] is True
        clock.advance(5.0)
        later = c.get(ZONES, params={"include_mark_for_delete_objects": "true"}).json()
        assert [r["id"] for r in later["results"]] == ["z0001"]
