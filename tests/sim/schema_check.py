"""Validate recorded simulator responses against NSX's model (tests/nsx_schemas/*.json).

`Recorder` wraps the simulator's WSGI stack and keeps every response; `problems(exchanges)` maps
each one to the schema of its route (by NSX's URL layout, not by the simulator's code) and returns
every violation as one readable line. Nothing the simulator sends may go unclassified.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from nsxplan.sim.kinds import resolve

SCHEMAS = Path(__file__).resolve().parents[1] / "nsx_schemas"
POLICY = "/policy/api/v1"


def _registry() -> Registry:
    resources = []
    for f in sorted(SCHEMAS.glob("*.json")):
        doc = json.loads(f.read_text())
        resources.append((doc["$id"], Resource.from_contents(doc)))
    registry: Registry = Registry().with_resources(resources)
    return registry


REGISTRY = _registry()


def validator(name: str) -> Draft202012Validator:
    schema = REGISTRY.contents(name + ".json")
    return Draft202012Validator(schema, registry=REGISTRY)


@dataclass
class Exchange:
    method: str
    path: str
    query: dict[str, str]
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def __str__(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.query.items())
        return f"{self.method} {self.path}{'?' + q if q else ''} -> {self.status}"


class Recorder:
    """WSGI middleware keeping every (request, response) pair that passes through it."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterator[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = b"".join(self.app(environ, capture))
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), True).items()}
        self.exchanges.append(Exchange(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), query,
            int(seen["status"].split()[0]), {k.lower(): v for k, v in seen["headers"]},
            body))
        yield body


def _errors(name: str, instance: Any, *, partial: bool = False) -> list[str]:
    found = []
    for e in validator(name).iter_errors(instance):
        if partial and e.validator == "required":
            continue  # `included_fields` trims objects on purpose
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        message = e.message if len(e.message) < 300 else e.message[:300] + "..."
        found.append(f"{name} at {where}: {message}")
    return found


def _kind_schema(path: str) -> str | None:
    target = resolve(path.removeprefix(POLICY))
    return None if target is None else target.kind.resource_type


def check(x: Exchange) -> list[str]:
    """Violations of one response; an unclassifiable response is itself a violation."""
    path = x.path.rstrip("/")
    if x.status >= 400:
        return _errors("ApiError", x.json())
    if x.method == "POST" and path.startswith("/api/session/"):
        bad = [] if x.body == b"" else ["session: a body where NSX sends none"]
        if path.endswith("/create"):
            cookie = x.headers.get("set-cookie", "")
            if not ("JSESSIONID=" in cookie and "Secure" in cookie and "HttpOnly" in cookie):
                bad.append(f"session: Set-Cookie {cookie!r} is not a secure JSESSIONID")
            if not x.headers.get("x-xsrf-token"):
                bad.append("session: no X-XSRF-TOKEN header")
        return bad
    if x.method in ("PATCH", "DELETE") and x.status == 200:
        return [] if x.body == b"" else [f"{x.method}: NSX answers 200 with no body"]
    if path == "/api/v1/node/version":
        return _errors("NodeVersion", x.json())
    if path == "/api/v1/node":
        return _errors("NodeProperties", x.json())
    if path == "/api/v1/reverse-proxy/node/health":
        return _errors("HealthCheck", x.json())
    if "/api/v1/spec/vmware/types/" in path:
        return _errors("TypeSpec", x.json())
    if path == POLICY + "/infra":
        return _errors("Infra", x.json())
    if path == POLICY + "/infra/realized-state/realized-entities":
        return _errors("GenericPolicyRealizedResourceListResult", x.json())
    if path == POLICY + "/infra/realized-state/status":
        return _errors("ConsolidatedRealizedStatus", x.json())
    if path == POLICY + "/search/query":
        return _search_errors(x.json())
    # Tier-0 runtime views (`nsxplan verify`): lists of NSX's runtime types, not of a kind.
    if path.startswith(POLICY + "/infra/tier-0s/") and path.endswith("/bgp/neighbors/status"):
        return _errors("PolicyBgpNeighborsStatusListResult", x.json())
    if path.startswith(POLICY + "/infra/tier-0s/") and path.endswith("/routing-table"):
        return _errors("RoutingTableListResult", x.json())
    kind = _kind_schema(path)
    if kind is None:
        return [f"no NSX type known for {path}"]
    target = resolve(path.removeprefix(POLICY))
    assert target is not None
    body = x.json()
    if target.obj_id is not None:  # one object (GET, PUT)
        return _errors(kind, body)
    partial = bool(x.query.get("included_fields"))
    found = _errors("ListResult", body)
    for i, item in enumerate(body.get("results", [])):
        found += [f"results[{i}]: {e}" for e in _errors(kind, item, partial=partial)]
    return found


def _search_errors(body: Any) -> list[str]:
    """A search answer: the list shape, each object of its kind plus its `status` block."""
    found = _errors("SearchResponse", body)
    for i, item in enumerate(body.get("results", [])):
        obj = {k: v for k, v in item.items() if k != "status"}
        kind = str(obj.get("resource_type"))
        try:
            found += [f"results[{i}]: {e}" for e in _errors(kind, obj)]
        except LookupError:
            found.append(f"results[{i}]: no NSX type known for {kind}")
    return found


def _keys(body: Any) -> Iterator[str]:
    if isinstance(body, dict):
        for k, v in body.items():
            yield k
            yield from _keys(v)
    elif isinstance(body, list):
        for v in body:
            yield from _keys(v)


def secrets(x: Exchange) -> list[str]:
    """NSX never returns a BGP neighbor password (write-only, reference §4.4): not in an object,
    a list, an H-API tree or anything else."""
    if not x.body or not x.headers.get("content-type", "").startswith("application/json"):
        return []
    return ["a `password` field in a response body"] if "password" in _keys(x.json()) else []


def problems(exchanges: Iterable[Exchange]) -> list[str]:
    return [f"{x}: {p}" for x in exchanges for p in check(x) + secrets(x)]
