"""HTTP routing of the simulator: NSX paths and methods onto the store, ApiError bodies, lists.

The WSGI entry point is ``Simulator.__call__``; ``handle`` maps one request to (status, headers,
body) and never raises: every failure becomes an NSX-style ApiError body.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol
from urllib.parse import parse_qs

from nsxplan.sim import node as manager_node
from nsxplan.sim import realization, runtime, search
from nsxplan.sim.apierror import (
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    ApiError,
    bad_request,
    not_found,
)
from nsxplan.sim.hierarchical import patch_tree, tree_text, type_predicate
from nsxplan.sim.kinds import Target, resolve
from nsxplan.sim.paging import next_cursor, page_params
from nsxplan.sim.store import Obj, Store
from nsxplan.sim.versions import NsxVersion
from nsxplan.sim.writes import Caller, RealizationRule, Transaction


class Simulator(Protocol):
    """What a request reads of the simulator (the class is ``nsxplan.sim.Simulator``, whose
    module imports this one: typing against this protocol keeps the import one-way)."""

    _store: Store
    _lock: threading.RLock
    _clock: Callable[[], float]
    _realization_rules: list[RealizationRule]
    realization_delay: float
    profile: NsxVersion
    version: str
    healthy: bool

log = logging.getLogger("nsxplan.sim")

POLICY = "/policy/api/v1"
HEALTH_PATH = "/api/v1/reverse-proxy/node/health"
SPEC_TYPES = "/api/v1/spec/vmware/types/"
SEARCH_PATH = POLICY + "/search/query"
MAX_PAGE = 1000
Response = tuple[int, list[tuple[str, str]], bytes]


def _json(status: int, body: Any) -> Response:
    data = json.dumps(body, separators=(",", ":")).encode()
    return status, [("Content-Type", "application/json")], data


def _empty(status: int = 200) -> Response:
    return status, [("Content-Type", "application/json")], b""


def error_response(err: ApiError) -> Response:
    return _json(err.status, err.body())


class Request:
    def __init__(self, environ: dict[str, Any]) -> None:
        self.environ = environ
        self.method = environ.get("REQUEST_METHOD", "GET").upper()
        self.path = environ.get("PATH_INFO", "") or "/"
        self.query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", ""), True).items()}
        self.caller = Caller(
            user=environ.get("nsxsim.user") or "admin",
            allow_overwrite=environ.get("HTTP_X_ALLOW_OVERWRITE", "").lower() == "true",
            protection=environ.get("nsxsim.protection") or "NOT_PROTECTED",
        )

    def json_body(self) -> Obj:
        try:
            length = int(self.environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = self.environ["wsgi.input"].read(length) if length > 0 else b""
        if not raw.strip():
            raise bad_request("The request body is missing: send a JSON object.")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise bad_request(f"The request body is not valid JSON: {exc}") from None
        except RecursionError:
            # Python's parser gives up on deep nesting; a manager refuses such a body as bad
            # input, not with an internal error.
            raise bad_request("The request body is nested too deeply to be a policy object.") \
                from None
        if not isinstance(body, dict):
            raise bad_request("The request body must be a JSON object.")
        return body

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.query.get(name)
        return default if value is None else value.lower() == "true"


def handle(sim: Simulator, environ: dict[str, Any]) -> Response:
    req = Request(environ)
    try:
        return _route(sim, req)
    except ApiError as err:
        return error_response(err)
    except RecursionError:
        # A body that parsed but nests deeper than any policy object (walking it recursed
        # too far): bad input, answered as NSX answers bad input.
        return error_response(bad_request("The request body is nested too deeply to be a "
                                          "policy object."))
    except Exception as exc:  # a simulator bug: answer like a manager would, keep the trace
        log.exception("simulator error on %s %s", req.method, req.path)
        return error_response(
            ApiError(500, INTERNAL_ERROR, f"Internal simulator error: {type(exc).__name__}")
        )


def _route(sim: Simulator, req: Request) -> Response:
    path = req.path.rstrip("/") or "/"
    if path == HEALTH_PATH:
        _only(req, "GET")
        return _json(*manager_node.health_body(sim.healthy))
    if path in ("/api/v1/node/version", "/api/v1/node"):
        _only(req, "GET")
        return _json(200, manager_node.version_body(sim.version))
    if path.startswith(SPEC_TYPES) or path.startswith(POLICY + "/spec/vmware/types/"):
        # Both APIs serve the type specs: policy clients (OpenStack's NsxPolicyLib) ask under
        # /policy/api/v1, manager clients under /api/v1.
        _only(req, "GET")
        spec = manager_node.TYPE_SPECS.get(path.rsplit("/", 1)[-1])
        if spec is None:
            raise not_found(req.path)
        return _json(200, spec)
    if path == SEARCH_PATH:
        return _search(sim, req)
    if not path.startswith(POLICY + "/infra"):
        raise not_found(req.path)
    rel = path[len(POLICY) :]
    if rel == "/infra":
        return _infra(sim, req)
    if rel.startswith("/infra/realized-state/"):
        return _realized(sim, req, rel.removeprefix("/infra/realized-state/"))
    if rel.endswith("/bgp/neighbors/status") or rel.endswith("/routing-table"):
        return _runtime(sim, req, rel)
    target = resolve(rel)
    if target is None:
        raise not_found(rel)
    if target.obj_id is None:
        _only(req, "GET")
        return _list(sim, req, target)
    return _object(sim, req, target)


def _only(req: Request, *methods: str) -> None:
    if req.method not in methods:
        raise ApiError(
            405, METHOD_NOT_ALLOWED, f"Method {req.method} is not supported for {req.path}."
        )


def _transaction(sim: Simulator, req: Request, check_revision: bool = True) -> Transaction:
    return Transaction(
        sim._store,
        req.caller,
        sim._clock,
        sim._realization_rules,
        check_revision=check_revision,
        delete_delay=sim.realization_delay,
        version=sim.profile,
    )


def _caller_view(req: Request) -> Callable[[Obj], Obj]:
    """``_protection`` is relative to the caller: an owner sees its own objects unprotected (§9)."""
    user = req.caller.user

    def view(obj: Obj) -> Obj:
        if obj.get("_create_user") == user and obj.get("_protection") != "NOT_PROTECTED":
            return {**obj, "_protection": "NOT_PROTECTED"}
        return obj

    return view


def _object(sim: Simulator, req: Request, target: Target) -> Response:
    path = target.path
    if req.method == "GET":
        with sim._lock:
            node = sim._store.get(path)
            if node is None:
                raise not_found(path)
            return _json(200, _caller_view(req)(node.obj))
    if req.method in ("PATCH", "PUT"):
        body = req.json_body()
        with sim._lock, _transaction(sim, req) as txn:
            stored = txn.upsert(target, body, replace=req.method == "PUT")
        return _empty() if req.method == "PATCH" else _json(200, _caller_view(req)(stored))
    if req.method == "DELETE":
        with sim._lock, _transaction(sim, req) as txn:
            txn.delete(path, cascade=False)
        return _empty()
    _only(req, "GET", "PATCH", "PUT", "DELETE")
    raise AssertionError("unreachable")


def _infra(sim: Simulator, req: Request) -> Response:
    if req.method == "GET":
        include = type_predicate(req.query.get("filter"), req.query.get("type_filter"))
        base = (req.query.get("base_path") or "/infra").rstrip("/")
        with sim._lock:
            text = tree_text(sim._store, base, include, viewer=req.caller.user)
        return 200, [("Content-Type", "application/json")], text.encode()
    if req.method in ("PATCH", "PUT"):
        # PUT /infra is treated like PATCH (documented choice: the simulator never wipes
        # objects a body leaves out).
        body = req.json_body()
        check = req.flag("enforce_revision_check")
        with sim._lock, _transaction(sim, req, check_revision=check) as txn:
            patch_tree(txn, body)
        return _empty()
    _only(req, "GET", "PATCH", "PUT")
    raise AssertionError("unreachable")


def _runtime(sim: Simulator, req: Request, rel: str) -> Response:
    """Tier-0 runtime views (sim/runtime.py), computed from the configuration under the lock."""
    _only(req, "GET")
    with sim._lock:
        if rel.endswith("/routing-table"):
            t0 = rel.removesuffix("/routing-table")
            target = resolve(t0)
            if target is None or target.kind.key != "Tier0" or t0 not in sim._store.nodes:
                raise not_found(rel)
            return _json(200, runtime.routing_table(sim._store, t0))
        ls = rel.removesuffix("/bgp/neighbors/status")
        target = resolve(ls)
        if target is None or target.kind.key != "Tier0/LocaleServices" or \
                ls not in sim._store.nodes:
            raise not_found(rel)
        return _json(200, runtime.neighbors_status(sim._store, ls))


def _realized(sim: Simulator, req: Request, what: str) -> Response:
    _only(req, "GET")
    intent = (req.query.get("intent_path") or "").rstrip("/")
    if what not in ("realized-entities", "status"):
        raise not_found(req.path)
    if not intent:
        raise bad_request("Query parameter intent_path is required.")
    with sim._lock:
        node = sim._store.get(intent)
        now = sim._clock()
        if what == "realized-entities":
            return _json(200, realization.realized_entities(node, now, sim.realization_delay))
        if node is None:
            raise not_found(intent)
        return _json(
            200, realization.consolidated_status(node, now, sim.realization_delay, sim.profile)
        )


def _search(sim: Simulator, req: Request) -> Response:
    """Full-text search (sim/search.py): matching objects in path order, each with its
    consolidated realization status, paged like a list."""
    _only(req, "GET")
    query = req.query.get("query")
    if not query:
        raise bad_request("Query parameter query is required.")
    match = search.parse(query)
    view = _caller_view(req)
    with sim._lock:
        now = sim._clock()
        nodes = sim._store.nodes
        found = [nodes[p] for p in sorted(nodes) if p != "/infra" and match(nodes[p].obj)]
        items = [{**view(n.obj), "status": realization.consolidated_status(
            n, now, sim.realization_delay, sim.profile)} for n in found]
    results, cursor = search.page(items, req.query.get("page_size"), req.query.get("cursor"),
                                  MAX_PAGE)
    body: dict[str, Any] = {"results": results, "result_count": len(items)}
    if cursor is not None:
        body["cursor"] = cursor
    return _json(200, body)


# ---- lists --------------------------------------------------------------------------------------


def _sort_key(field: str) -> Callable[[Obj], tuple[Any, ...]]:
    def key(obj: Obj) -> tuple[Any, ...]:
        value = obj.get(field)
        if value is None:
            return (1, "", "", obj.get("id", ""))
        if isinstance(value, (dict, list)):
            value = json.dumps(value, sort_keys=True)
        # Group by type so mixed-type fields never compare int with str.
        return (0, type(value).__name__, value, obj.get("id", ""))

    return key


def _list(sim: Simulator, req: Request, target: Target) -> Response:
    size, offset = page_params(req.query.get("page_size"), req.query.get("cursor"), MAX_PAGE)
    sort_by = req.query.get("sort_by") or "display_name"
    ascending = req.flag("sort_ascending", True)
    with sim._lock:
        parent = sim._store.get(target.parent_path)
        if parent is None:
            raise not_found(target.parent_path)
        nodes = sim._store.nodes
        items = [nodes[c].obj for c in parent.children if nodes[c].kind is target.kind]
        if req.flag("include_mark_for_delete_objects"):
            now = sim._clock()
            items += [
                obj
                for obj, kind, expiry in sim._store.tombstones.values()
                if kind is target.kind and obj["parent_path"] == target.parent_path and expiry > now
            ]
    items.sort(key=_sort_key(sort_by), reverse=not ascending)
    page = items[offset : offset + size]
    view = _caller_view(req)
    fields = [f for f in (req.query.get("included_fields") or "").split(",") if f]
    results = [view(obj) for obj in page]
    if fields:
        results = [{k: obj[k] for k in fields if k in obj} for obj in results]
    body: dict[str, Any] = {
        "results": results,
        "result_count": len(items),
        "sort_by": sort_by,
        "sort_ascending": ascending,
    }
    cursor = next_cursor(offset, size, len(items))
    if cursor is not None:
        body["cursor"] = cursor
    return _json(200, body)


def wsgi_response(response: Response, start_response: Callable[..., Any]) -> list[bytes]:
    status, headers, body = response
    headers = [*headers, ("Content-Length", str(len(body)))]
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [body]
