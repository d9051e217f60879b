"""The NSX Policy API client: one httpx.Client, auth, throttling, retries, error mapping.

The caller (target.connect, the composition root) hands in the httpx.Client; its transport is a
socket to NSX or the in-process simulator and this class cannot tell which. Everything that goes
over the wire goes through `_request`, so counting, throttling, logging and retrying happen in
exactly one place.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from nsxplan.client.apierror import raise_for_status
from nsxplan.client.auth import Auth
from nsxplan.client.ratelimit import (
    DEFAULT_IN_FLIGHT,
    DEFAULT_RATE,
    AdaptiveRate,
    RetryPolicy,
    parse_retry_after,
)
from nsxplan.errors import NsxApiError, Problem, TransportError

log = logging.getLogger("nsxplan.client")

POLICY_PREFIX = "/policy/api/v1"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
# NSX's rate limiter answers 429 before doing anything: safe to resend whatever the method.
REFUSED_STATUSES = frozenset({429})
SEARCH_PAGE = 1000          # NSX's default page size, the largest the reference confirms
REALIZATION_STATES = ("REALIZED", "UNREALIZED", "ERROR", "UNAVAILABLE", "UNKNOWN")


class NsxClient:
    def __init__(self, http: httpx.Client, *, auth: Auth | None = None,
                 rate_limit: float | None = DEFAULT_RATE, max_in_flight: int = DEFAULT_IN_FLIGHT,
                 retry: RetryPolicy | None = None, label: str | None = None):
        self.http = http
        self.auth = auth or Auth()
        self.retry = retry or RetryPolicy()
        self.label = label or str(http.base_url)
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._bucket = AdaptiveRate(rate_limit)
        self._in_flight = threading.BoundedSemaphore(max(1, max_in_flight))
        self._version: str | None = None

    # -- public API ---------------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        return _json_body(self._checked("GET", path, params=params))

    def search(self, query: str, params: Mapping[str, Any] | None = None
               ) -> list[dict[str, Any]]:
        """Every page of a full-text search (`/search/query`): matching objects, each with a
        `status` block, its consolidated realization status (reference §7)."""
        return self.list(POLICY_PREFIX + "/search/query",
                         {"query": query, "page_size": SEARCH_PAGE, **(params or {})})

    def list(self, path: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every page of a collection, following `cursor` until NSX stops sending one."""
        query = dict(params or {})
        results: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            page = self.get(path, query)
            results.extend(page.get("results") or [])
            cursor = page.get("cursor")
            # A repeated cursor would loop forever; NSX never does that, a broken proxy might.
            if not cursor or cursor in seen:
                return results
            seen.add(cursor)
            query["cursor"] = cursor

    def patch(self, path: str, body: Mapping[str, Any],
              params: Mapping[str, Any] | None = None,
              headers: Mapping[str, str] | None = None, *, retry_unknown: bool = True) -> None:
        """`retry_unknown=False`: retry only what NSX provably did not process (429, a
        connection that never opened); apply decides the rest by re-reading (outcome.py)."""
        self._checked("PATCH", path, params=params, json_body=body, headers=headers,
                      retry_unknown=retry_unknown)

    def put(self, path: str, body: Mapping[str, Any],
            params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None, *,
            retry_unknown: bool = True) -> dict[str, Any]:
        return _json_body(self._checked("PUT", path, params=params, json_body=body,
                                        headers=headers, retry_unknown=retry_unknown))

    def post(self, path: str, body: Mapping[str, Any] | None = None,
             params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """For NSX actions (`?action=...`). POSTs are not idempotent in general, so after a
        connection error they are retried only if the request provably never left (connect
        failures); 429/503 mean NSX refused it unprocessed, so those are retried as usual."""
        return _json_body(self._checked("POST", path, params=params, json_body=body,
                                        idempotent=False))

    def delete(self, path: str, params: Mapping[str, Any] | None = None,
               headers: Mapping[str, str] | None = None, *,
               retry_unknown: bool = True) -> None:
        """404 counts as success: the object is gone, which is what the caller wanted."""
        response = self._request("DELETE", path, params=params, headers=headers,
                                 retry_unknown=retry_unknown)
        if response.status_code != 404:
            raise_for_status(response, "DELETE", path)

    def get_infra(self, types: Sequence[str], base_path: str | None = None,
                  params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One Hierarchical API GET: the Infra tree (Child* wrappers) limited to `types`."""
        query: dict[str, Any] = dict(params or {})
        if types:
            query["filter"] = "Type-" + "|".join(types)
        if base_path:
            query["base_path"] = base_path
        return self.get("/infra", query)

    def realization(self, intent_path: str) -> tuple[str, str | None]:
        """(state, NSX's error text) of one intent, from its consolidated realization status.

        The consolidated status is the one answer NSX gives for every intent, on every
        version; realized entities differ per kind and version (a gateway lists a
        RealizedLogicalRouter and router ports, a static route none of its own), so they are
        read only for the error text when the status carries none, and as the fallback for a
        manager without the status endpoint. UNKNOWN: NSX knows no such intent (404) or
        reports no state yet."""
        try:
            data = self.get("/infra/realized-state/status", {"intent_path": intent_path})
        except NsxApiError as exc:
            if exc.status == 404:
                return "UNKNOWN", None
            if exc.status != 400:
                raise
            return self._entities_realization(intent_path)
        state, message = consolidated_realization(data)
        if state == "ERROR" and message is None:
            message = self._entities_realization(intent_path)[1] or "realization failed"
        return state, message

    def _entities_realization(self, intent_path: str) -> tuple[str, str | None]:
        """The state aggregated over the intent's realized entities (whatever their types)."""
        try:
            data = self.get("/infra/realized-state/realized-entities",
                            {"intent_path": intent_path})
        except NsxApiError as exc:
            if exc.status not in (400, 404):
                raise
            return "UNKNOWN", None
        return aggregate_realization(data.get("results") or [])

    def version(self) -> str:
        if self._version is None:
            self._version = str(self.get("/api/v1/node/version").get("product_version", ""))
        return self._version

    def close(self) -> None:
        try:
            self.auth.logout(self._raw_send)
        except Exception as exc:  # logout is a courtesy; the session times out anyway
            log.debug("session logout failed: %s", type(exc).__name__)
        self.http.close()

    def __enter__(self) -> NsxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<NsxClient {self.label} auth={self.auth.name}>"

    # -- the wire -------------------------------------------------------------------------------

    def _checked(self, method: str, path: str, **kw: Any) -> httpx.Response:
        response = self._request(method, path, **kw)
        raise_for_status(response, method, path)
        return response

    def _raw_send(self, method: str, path: str, form: dict[str, str] | None) -> httpx.Response:
        """Unauthenticated exchange for the auth flows (login/logout), retried like the rest."""
        return self._request(method, path, form=form, authed=False)

    def _request(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                 json_body: Any = None, form: dict[str, str] | None = None,
                 headers: Mapping[str, str] | None = None, authed: bool = True,
                 idempotent: bool = True, retry_unknown: bool = True) -> httpx.Response:
        """Send with throttling; retry 429/502/503/504/connection errors; re-login once on
        401/403. With `retry_unknown=False` (apply's and rollback's writes) only 429 and
        connections that never opened are retried here: whether anything else landed is decided
        by re-reading the object (outcome.py), not by sending it again blindly.

        Retrying PATCH/PUT/DELETE blindly is correct here: in the NSX Policy API they are
        create-or-update / create-or-replace / delete by id, so repeating one that may already
        have been applied converges on the same state (a DELETE repeated sees 404 = success).
        """
        url = policy_url(path)
        relogged = False
        retries = 0
        waited = 0.0
        while True:
            send_headers = {"Accept": "application/json"}
            generation = 0
            if authed:
                # The generation of the very session these headers belong to (read atomically
                # with them), so a 401 re-logs in only if nobody has done so since.
                auth_headers, generation = self.auth.headers(self._raw_send)
                send_headers.update(auth_headers)
            if headers:
                send_headers.update(headers)
            try:
                response = self._send_once(method, url, path, params, json_body, form,
                                           send_headers)
            except httpx.TransportError as exc:
                if _is_tls_failure(exc) or not (
                        (idempotent and retry_unknown) or _never_sent(exc)):
                    raise _transport_error(self.label, exc) from None
                delay = self._next_delay(retries, waited, None)
                if delay is None:
                    raise _transport_error(self.label, exc) from None
                log.debug("%s %s: %s, retry in %.2fs", method, path, type(exc).__name__, delay)
            else:
                status = response.status_code
                if (status in (401, 403) and authed and not relogged
                        and self.auth.relogin(self._raw_send, generation)):
                    relogged = True
                    continue
                if status not in _retried_statuses(idempotent, retry_unknown):
                    return response
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                # NSX is throttling this client: every worker slows down, not just this one.
                self._bucket.throttled(retry_after)
                delay = self._next_delay(retries, waited, retry_after)
                if delay is None:
                    return response      # out of budget: the caller maps it to NsxApiError
                log.debug("%s %s: %s, retry in %.2fs", method, path, status, delay)
            self.retry.sleep(delay)
            waited += delay
            retries += 1

    def _next_delay(self, retries: int, waited: float, retry_after: float | None
                    ) -> float | None:
        if retries + 1 >= self.retry.max_attempts:
            return None
        delay = self.retry.delay(retries, retry_after)
        if waited + delay > self.retry.max_total_wait:
            return None
        return delay

    def _send_once(self, method: str, url: str, path: str, params: Mapping[str, Any] | None,
                   json_body: Any, form: dict[str, str] | None,
                   headers: dict[str, str]) -> httpx.Response:
        self._bucket.acquire()
        with self._in_flight:
            with self._count_lock:
                self.request_count += 1
            started = time.perf_counter()
            content = json.dumps(json_body).encode() if json_body is not None else None
            if content is not None:
                headers = {**headers, "Content-Type": "application/json"}
            try:
                response = self.http.request(method, url, params=_clean_params(params),
                                             headers=headers, content=content, data=form)
            except httpx.TransportError as exc:
                log.debug("%s %s -> %s (%.1f ms)", method, path, type(exc).__name__,
                          (time.perf_counter() - started) * 1000)
                raise
            # Method, path, status, time only: headers carry credentials and are never logged.
            log.debug("%s %s -> %s (%.1f ms)", method, path, response.status_code,
                      (time.perf_counter() - started) * 1000)
            return response


def policy_url(path: str) -> str:
    """/infra/... lives under /policy/api/v1; /api/... and /policy/... are used as is."""
    if not path.startswith("/"):
        path = "/" + path
    if path == "/infra" or path.startswith(("/infra/", "/infra?", "/global-infra", "/orgs/")):
        return POLICY_PREFIX + path
    return path


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not params:
        return None
    out: dict[str, str] = {}
    for key, value in params.items():
        if value is None:
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


def _json_body(response: httpx.Response) -> dict[str, Any]:
    raw = response.content
    _release(response)
    if not raw:
        return {}
    # Parse from the text with the bytes already dropped: `response.json()` keeps the bytes,
    # their decoded text and the growing tree alive at once, which was the peak of a whole
    # 50,000-object plan (a 40 MB answer held twice). Decoded as json.loads decodes bytes.
    try:
        text = raw.decode(json.detect_encoding(raw), "surrogatepass")
    except UnicodeDecodeError:
        return {}
    del raw
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {"results": data}


def _release(response: httpx.Response) -> None:
    """Free a decoded response now. httpx links a response and its stream both ways, a cycle
    that only the cyclic collector frees, and short commands run without it (cli._gc_policy):
    the body of a 50,000-object tree (40 MB) would otherwise stay until the process exits."""
    response.close()
    response.stream = httpx.ByteStream(b"")
    response._content = b""        # the body read: callers have taken what they need of it


def consolidated_realization(status: Mapping[str, Any]) -> tuple[str, str | None]:
    """A ConsolidatedRealizedStatus in realized-entity vocabulary, with the error text of its
    enforcement points' alarms. SUCCESS, IN_PROGRESS and ERROR map to REALIZED, UNREALIZED
    and ERROR; otherwise (UNKNOWN, UNINITIALIZED, absent) `publish_status` decides."""
    consolidated = (status.get("consolidated_status") or {}).get("consolidated_status")
    mapped = {"SUCCESS": "REALIZED", "IN_PROGRESS": "UNREALIZED", "ERROR": "ERROR"}
    state = mapped.get(str(consolidated)) or str(status.get("publish_status") or "UNKNOWN")
    if state not in REALIZATION_STATES:
        state = "UNKNOWN"
    if state != "ERROR":
        return state, None
    messages: list[str] = []
    for item in status.get("consolidated_status_per_enforcement_point") or []:
        alarm = item.get("alarm") if isinstance(item, dict) else None
        if not isinstance(alarm, dict):
            continue
        details = alarm.get("error_details")
        text = alarm.get("message") or (details.get("error_message")
                                        if isinstance(details, dict) else None)
        if text:
            messages.append(str(text))
    return state, "; ".join(dict.fromkeys(messages)) or None


def aggregate_realization(entities: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    """ERROR wins (with its messages), then UNREALIZED, UNAVAILABLE; all REALIZED is REALIZED;
    no entities at all is UNKNOWN (Terraform's marker for "nothing realized yet")."""
    if not entities:
        return "UNKNOWN", None
    states = [str(e.get("state") or "UNKNOWN") for e in entities]
    if "ERROR" in states:
        messages: list[str] = []
        for entity in entities:
            if entity.get("state") != "ERROR":
                continue
            if entity.get("runtime_error"):
                messages.append(str(entity["runtime_error"]))
            for alarm in entity.get("alarms") or []:
                if isinstance(alarm, dict):
                    alarm = alarm.get("message") or alarm.get("error_details")
                if alarm:
                    messages.append(str(alarm))
        unique = list(dict.fromkeys(messages))
        return "ERROR", "; ".join(unique) or "realization failed"
    for state in ("UNREALIZED", "UNAVAILABLE", "UNKNOWN"):
        if state in states:
            return state, None
    return ("REALIZED", None) if all(s == "REALIZED" for s in states) else ("UNKNOWN", None)


def _retried_statuses(idempotent: bool, retry_unknown: bool) -> frozenset[int]:
    if not retry_unknown:
        return REFUSED_STATUSES
    # A POST action may have run before a proxy answered 502/504; 503 is NSX's own refusal.
    return RETRY_STATUSES if idempotent else REFUSED_STATUSES | {503}


def _never_sent(exc: httpx.TransportError) -> bool:
    return isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _transport_error(label: str, exc: httpx.TransportError) -> TransportError:
    if _is_tls_failure(exc):
        hint = ("the manager's certificate is not trusted: pass --ca-bundle FILE with its CA "
                "(or --insecure for a lab)")
        what = "TLS verification failed"
    elif isinstance(exc, httpx.TimeoutException):
        hint = "NSX did not answer in time; check the manager's load and the network"
        what = "timed out"
    else:
        hint = "check --manager / NSX_MANAGER, the network, and that the manager is up"
        what = "connection failed"
    detail = str(exc) or type(exc).__name__
    return TransportError([Problem(f"cannot reach NSX at {label}: {what} ({detail})", hint=hint)])
