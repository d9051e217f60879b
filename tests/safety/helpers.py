"""Helpers for the safety attacks: crafted simulator states (the demo state plus hostile objects),
credential fixtures and detectors, and driving the real CLI against crafted `sim:FILE` states,
saved-plan tampering included.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from nsxplan.sim import Simulator, demo_state
from tests.scenarios.conftest import USER, Result, nsxplan, write_config

T0 = "/infra/tier-0s/vcf-t0"
NCP_T1 = "/infra/tier-1s/domain-c8"
PI = "wcp-cluster-user-domain-c8-4f2b9c1e-7a3d-4e8f-b6a1-2d9e5c7f0a13"
NCP_TAGS = [{"scope": "ncp/cluster", "tag": "domain-c8"}, {"scope": "ncp/version", "tag": "1.2"}]


def owner_tags(owner: str) -> list[dict[str, str]]:
    return [{"scope": "nsxplan/owner", "tag": owner}]


def route(rid: str, network: str = "192.168.77.0/24", **extra: Any) -> dict[str, Any]:
    """A ChildStaticRoutes wrapper for a Tier-0 (or Tier-1) children list."""
    body = {"resource_type": "StaticRoutes", "id": rid, "display_name": rid,
            "network": network, "next_hops": [{"ip_address": "10.27.51.1"}],
            "_create_user": "admin", **extra}
    return {"resource_type": "ChildStaticRoutes", "StaticRoutes": body}


def gateway(state: dict[str, Any], resource_type: str, gw_id: str) -> dict[str, Any]:
    for wrapper in state["children"]:
        inner = wrapper.get(resource_type)
        if isinstance(inner, dict) and inner.get("id") == gw_id:
            return inner
    raise KeyError(gw_id)


def with_routes(*routes: dict[str, Any], on: tuple[str, str] = ("Tier0", "vcf-t0"),
                state: dict[str, Any] | None = None) -> dict[str, Any]:
    state = state if state is not None else demo_state()
    gateway(state, *on).setdefault("children", []).extend(routes)
    return state


def write_state(path: Path, state: dict[str, Any]) -> Path:
    path.write_text(json.dumps(state))
    return path


# Shell, URL and format metacharacters: quoting, URL-building and %-formatting bugs all show.
NASTY = "p@ss:w/rd?#&;$(id)`x`'\"%s %(x)s\\ é"
SESSION_COOKIE = re.compile(r"JSESSIONID=(?!REDACTED)[^;\s\"']+")
XSRF = re.compile(r"(?i)x-xsrf-token[\"']?\s*[:=]\s*[\"']?(?!REDACTED)[A-Za-z0-9_\-]{6,}")


def secrets_in(text: str, password: str) -> list[str]:
    found = []
    basic = base64.b64encode(f"{USER}:{password}".encode()).decode()
    for name, needle in (("password", password), ("password (form-encoded)", quote_plus(password)),
                         ("password (url-encoded)", quote(password, safe="")),
                         ("basic token", basic), ("basic token (unpadded)", basic.rstrip("="))):
        if needle in text:
            found.append(name)
    if SESSION_COOKIE.search(text):
        found.append("session cookie")
    if XSRF.search(text):
        found.append("xsrf token")
    return found


OWNER = "safety"
CONFIG = f"""\
version: 1
owner: {OWNER}
tier0s:
  - id: vcf-t0
    existing: true
    static_routes:
      - id: mine
        network: 192.0.2.0/24
        next_hops: [{{ip: 10.27.51.1}}]
"""
NO_CHECKS = ("--fail-on-checks", "never")
OPEN_NCP_T1 = "/infra/tier-1s/ncp-open"
_INVENTED = frozenset({"children", "unique_id", "realization_id", "_create_time",
                       "_last_modified_time"})


def hostile_state() -> dict[str, Any]:
    """The demo state plus: an admin route (unowned), a route of another nsxplan owner, a
    system-owned route, and an NCP Tier-1 that reads NOT_PROTECTED (NSX reports protection
    relative to the caller) but is created by NCP's principal identity and tagged ncp/cluster,
    with untagged child routes (NCP does not stamp every child)."""
    state = with_routes(
        route("admin-route"),
        route("other-owned", "192.168.79.0/24", tags=owner_tags("someone-else")),
        route("sys-route", "192.168.80.0/24", _system_owned=True),
        state=demo_state())
    state["children"].append({"resource_type": "ChildTier1", "Tier1": {
        "resource_type": "Tier1", "id": "ncp-open", "_create_user": PI,
        "_protection": "NOT_PROTECTED", "tags": NCP_TAGS, "tier0_path": T0,
        "children": [route("ncp-route", "192.168.81.0/24", _create_user=PI),
                     route("ncp-route-2", "192.168.84.0/24", _create_user=PI)]}})
    return state


class Lab:
    """One crafted state file and configuration directory; every command runs the real CLI."""

    def __init__(self, tmp: Path, state: dict[str, Any] | None = None,
                 config: str = CONFIG) -> None:
        self.dir = write_config(tmp / "cfg", config)
        self.state = write_state(tmp / "state.json", state or hostile_state())
        self.manager = f"sim:{self.state}"

    def run(self, *args: str | Path) -> Result:
        return nsxplan(*args, "--manager", self.manager)

    def objects(self) -> dict[str, Any]:
        """Every object in the state by path, revisions included; only what the simulator
        invents on each load (ids, timestamps of objects a hand-written state lacks) left out."""
        out: dict[str, Any] = {}

        def walk(children: list[dict[str, Any]], parent: str) -> None:
            for wrapper in children:
                inner = next((v for v in wrapper.values() if isinstance(v, dict)), None)
                if inner is None:
                    continue
                key = str(inner.get("path") or f"{parent}/{inner.get('id')}")
                out[key] = {k: v for k, v in inner.items() if k not in _INVENTED}
                walk(inner.get("children") or [], key)

        walk(Simulator.from_file(self.state).snapshot().get("children") or [], "")
        return out

    def saved_plan(self, tmp: Path, *extra: str) -> tuple[Path, dict[str, Any]]:
        out = tmp / "plan.json"
        res = self.run("plan", self.dir, "--out", out, *NO_CHECKS, *extra)
        assert res.code == 0, res.out + res.err
        return out, json.loads(out.read_text())

    def tampered_apply(self, tmp: Path, *actions: dict[str, Any],
                       keep_original: bool = True) -> tuple[Result, dict[str, Any]]:
        """Plan, add `actions` to the saved plan by hand, apply it; (result, state before)."""
        path, doc = self.saved_plan(tmp)
        doc["changes"] = [*(doc["changes"] if keep_original else []), *actions]
        path.write_text(json.dumps(doc))
        before = self.objects()
        return self.run("apply", path, "--auto-approve", *NO_CHECKS), before


def action(op: str, path: str, *, after: dict[str, Any] | None = None,
           before: dict[str, Any] | None = None, adopt: bool = False,
           kind: str = "StaticRoutes") -> dict[str, Any]:
    """A hand-written plan action, as someone editing a saved plan would write it."""
    rid = path.rsplit("/", 1)[-1]
    if op in ("create", "update", "replace") and after is None:
        after = {"resource_type": kind, "id": rid, "network": "198.51.100.0/24",
                 "next_hops": [{"ip_address": "10.27.51.1"}], "tags": owner_tags(OWNER)}
    if op in ("update", "delete", "replace") and before is None:
        before = {"resource_type": kind, "id": rid}
    return {"address": f"hand.{rid}", "kind": kind, "path": path, "action": op,
            "before": before, "after": after, "diff": [], "revision": None, "depends_on": [],
            "source": None, "reason": "edited by hand", "adopt": adopt}
