"""Injected failures and NSX's request limits, as WSGI middlewares around the simulator.

- `FaultInjector`: rules from a faults file (YAML list) answering chosen requests with an ApiError,
  dropping the connection, delaying them, or letting them through but realizing to ERROR.
- `RateLimit`: NSX's `client_api_rate_limit` (token bucket per client) -> 429, error_code "102"
  as a STRING (as NSX sends it, which broke typed decoders), `Retry-After: 1` unless disabled.
- `ConcurrencyLimit`: in-flight requests per client -> 503 (reference §11: the simulator picks 503).
- `Latency`: a fixed processing time per request.

Counters and random streams are guarded by locks: the socket server runs one thread per
connection.

Faults file (YAML list, evaluated in order; JSON works too):

    - match: {method: PATCH, path: "/policy/api/v1/infra/tier-1s/*/dns-forwarder"}
      respond: {status: 500, error_code: 99, message: "injected"}  # NSX ApiError body
      times: 1          # act at most N times (omit = always)
      after: 2          # let the first N matching requests through
    - match: {path: "*/static-routes/*"}
      realization: ERROR   # the write is accepted; the object realizes to ERROR
    - rate: 0.05           # this fraction of matching requests (no match = all), seeded
      seed: 7
      respond: {status: 503, headers: {Retry-After: "2"}}
    - match: {method: GET}
      drop_connection: true   # no response at all (see DropConnection)
    - match: {path: "/api/v1/node/version"}
      delay_ms: 1500          # slow answer, then the request continues
    - match: {method: PATCH, path: "*/static-routes/*"}
      lose_response: drop     # the write is COMMITTED, then the connection drops unanswered
      times: 1
    - match: {method: DELETE}
      lose_response: timeout  # committed, then no answer for hang_ms, then the socket closes
      hang_ms: 2000           # (in-process: raised as a read timeout after the hang)
    - match: {method: PUT}
      lose_response: 502      # committed, then a proxy's 502 (or 504, 503) instead of NSX's answer

`match.path` is a shell-style glob (fnmatch, case-sensitive) on the URL path without the query;
`match.method` is case-insensitive. `respond` keys: status (required), error_code (int or string,
kept as given), message, module_name (default "Policy"), headers, body (replaces the ApiError
body: a string is sent as text/plain, anything else as JSON). Rule keys: match, respond,
drop_connection, lose_response (drop, timeout or a 5xx status) with hang_ms, realization (ERROR,
UNREALIZED, UNAVAILABLE, REALIZED), delay_ms, times, after, rate, seed. Unknown keys are errors, so
a typo never silently disables a fault.

`lose_response` is what a load balancer reset or a client timeout does to a real manager: NSX
processes the request (a write lands, its `_revision` moves) but the client never learns it.
`drop_connection`, by contrast, drops the request before the simulator sees it.
"""

from __future__ import annotations

import fnmatch
import json
import os
import random
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

import httpx

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
POLICY_PREFIX = "/policy/api/v1"


class DropConnection(httpx.RemoteProtocolError):
    """Raised by the fault middleware to drop the connection without any response.

    Over the socket server the handler closes the socket without writing a byte. In-process
    (httpx.WSGITransport re-raises app exceptions) the client sees it directly, and because it
    subclasses httpx.RemoteProtocolError, code that handles `httpx.TransportError` treats it
    exactly like a real dropped connection.
    """


class ResponseTimeout(httpx.ReadTimeout):
    """Raised by `lose_response: timeout` after the request was processed and `hang_ms` passed.

    Over the socket server the handler closes the socket without a byte (the client's own read
    timeout fires first when it is shorter than hang_ms); in-process the client sees a read
    timeout, as it would from a manager that never answered."""


class FaultsError(ValueError):
    """A faults file or rule list is invalid. `str()` is one line; `hint` says how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint or "a rule is match/respond/times/after/rate/seed/realization/..."


def api_error(start_response: Callable[..., Any], status: int, message: str, *,
              error_code: int | str | None = None, module_name: str = "common-services",
              headers: Iterable[tuple[str, str]] = ()) -> list[bytes]:
    """Answer with an NSX-style ApiError body."""
    try:
        phrase = HTTPStatus(status).phrase
        status_name = HTTPStatus(status).name
    except ValueError:
        phrase, status_name = "Error", str(status)
    body: dict[str, Any] = {"httpStatus": status_name}
    if error_code is not None:
        body["error_code"] = error_code
    body.update(module_name=module_name, error_message=message, related_errors=[])
    payload = json.dumps(body).encode()
    start_response(f"{status} {phrase}", [("Content-Type", "application/json"),
                                          ("Content-Length", str(len(payload))), *headers])
    return [payload]


# ---------------------------------------------------------------------------------------------
# faults file

_RULE_KEYS = {"match", "respond", "times", "after", "rate", "seed", "realization",
              "drop_connection", "delay_ms", "lose_response", "hang_ms"}
_LOSE = ("drop", "timeout")
_MATCH_KEYS = {"method", "path"}
_RESPOND_KEYS = {"status", "error_code", "message", "headers", "module_name", "body"}
_WRITES = ("PATCH", "PUT", "POST")
_REALIZATION_STATES = {"ERROR", "UNREALIZED", "UNAVAILABLE", "REALIZED"}


def load_faults(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read and validate a faults file (YAML list of rules; JSON is YAML too)."""
    import yaml  # only the faults file needs YAML; the simulator core does not

    name = os.fspath(path)
    try:
        with open(name, encoding="utf-8") as f:
            data = yaml.safe_load(f)
    except OSError as exc:
        raise FaultsError(f"{name}: cannot read faults file: {exc.strerror or exc}",
                          "check the --faults path") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise FaultsError(f"{where}: {problem}", "the faults file must be a YAML list") from None
    return validate_faults(data, source=name)


def validate_faults(data: Any, source: str = "faults") -> list[dict[str, Any]]:
    """Check a list of fault rules; return normalized copies (method upper-cased)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise FaultsError(f"{source}: expected a list of fault rules, got {type(data).__name__}",
                          "start each rule with '- ' (a YAML list item)")
    return [_validate_rule(rule, f"{source}: rule {i}") for i, rule in enumerate(data, 1)]


def _check_keys(where: str, obj: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise FaultsError(f"{where}: expected a mapping, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise FaultsError(f"{where}: unknown key '{unknown[0]}'",
                          "allowed keys: " + ", ".join(sorted(allowed)))
    return obj


def _int(where: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise FaultsError(f"{where}: expected an integer {bound}, got {value!r}")
    return value


def _validate_rule(raw: Any, where: str) -> dict[str, Any]:
    rule: dict[str, Any] = dict(_check_keys(where, raw, _RULE_KEYS))
    match = dict(_check_keys(f"{where}: match", rule.get("match", {}), _MATCH_KEYS))
    for key in ("method", "path"):
        if key in match and not isinstance(match[key], str):
            raise FaultsError(f"{where}: match.{key} must be a string, got {match[key]!r}")
    if "method" in match:
        match["method"] = match["method"].upper()
    rule["match"] = match
    actions = [k for k in ("respond", "drop_connection", "realization", "delay_ms",
                           "lose_response") if k in rule]
    if not actions:
        raise FaultsError(f"{where}: says what to match but not what to do",
                          "add respond:, drop_connection: true, lose_response: drop, "
                          "realization: ERROR or delay_ms:")
    if len([a for a in actions if a != "delay_ms"]) > 1:
        raise FaultsError(f"{where}: choose one of respond / drop_connection / lose_response / "
                          "realization")
    lose = rule.get("lose_response")
    if "lose_response" in rule and lose not in _LOSE and not (
            isinstance(lose, int) and not isinstance(lose, bool) and 500 <= lose <= 599):
        raise FaultsError(f"{where}: lose_response must be drop, timeout or a 5xx status, got "
                          f"{lose!r}")
    if "hang_ms" in rule:
        hang = rule["hang_ms"]
        if "lose_response" not in rule:
            raise FaultsError(f"{where}: hang_ms goes with lose_response")
        if isinstance(hang, bool) or not isinstance(hang, (int, float)) or hang < 0:
            raise FaultsError(f"{where}: hang_ms must be a number >= 0, got {hang!r}")
    if "respond" in rule:
        respond = dict(_check_keys(f"{where}: respond", rule["respond"], _RESPOND_KEYS))
        respond["status"] = _int(f"{where}: respond.status", respond.get("status"), 100, 599)
        code = respond.get("error_code")
        if code is not None and (isinstance(code, bool) or not isinstance(code, (int, str))):
            raise FaultsError(f"{where}: respond.error_code must be a number or a string")
        headers = respond.get("headers", {})
        if not isinstance(headers, dict) or not all(
                isinstance(k, str) and isinstance(v, (str, int)) for k, v in headers.items()):
            raise FaultsError(f"{where}: respond.headers must map names to strings")
        respond["headers"] = {k: str(v) for k, v in headers.items()}
        rule["respond"] = respond
    if "drop_connection" in rule and rule["drop_connection"] is not True:
        raise FaultsError(f"{where}: drop_connection must be true (or be left out)")
    if "realization" in rule:
        state = rule["realization"]
        if state not in _REALIZATION_STATES:
            raise FaultsError(f"{where}: realization must be one of "
                              f"{', '.join(sorted(_REALIZATION_STATES))}, got {state!r}")
    if "delay_ms" in rule:
        delay = rule["delay_ms"]
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or delay < 0:
            raise FaultsError(f"{where}: delay_ms must be a number >= 0, got {delay!r}")
    for key in ("times", "after"):
        if key in rule:
            rule[key] = _int(f"{where}: {key}", rule[key], 0)
    if "rate" in rule:
        rate = rule["rate"]
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise FaultsError(f"{where}: rate must be a fraction between 0 and 1, got {rate!r}")
    if "seed" in rule:
        rule["seed"] = _int(f"{where}: seed", rule["seed"], 0)
    return rule


class _Rule:
    def __init__(self, spec: dict[str, Any], default_seed: int | None) -> None:
        self.spec = spec
        self.method: str | None = spec["match"].get("method")
        self.realization = "realization" in spec
        self.path: str | None = spec["match"].get("path")
        self.times: int | None = spec.get("times")
        self.after: int = spec.get("after", 0)
        self.rate: float | None = spec.get("rate")
        seed = spec.get("seed", default_seed)
        self.random = random.Random(seed)
        self.matched = 0
        self.fired = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.method is None and self.realization and method not in _WRITES:
            return False  # reads do not realize anything, so they do not use up `times`
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def unrestricted(self) -> bool:
        return self.times is None and not self.after and self.rate is None and (
            self.method is None)

    def intent_matches(self, intent_path: str) -> bool:
        if self.path is None:
            return True
        return any(fnmatch.fnmatchcase(p, self.path)
                   for p in (intent_path, POLICY_PREFIX + intent_path))

    def fire(self) -> bool:
        """Count one matching request; True when the rule acts on it. Caller holds the lock."""
        self.matched += 1
        if self.matched <= self.after:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        if self.rate is not None and self.random.random() >= self.rate:
            return False
        self.fired += 1
        return True


class FaultInjector:
    """WSGI middleware applying fault rules in file order.

    Every rule whose match fits counts the request (for `after`/`times`/`rate`); the first rule
    that fires with `respond` or `drop_connection` answers and later rules do not see the request.
    `delay_ms` and `realization` rules act and let the request continue.

    `realization: ERROR` marks the intent path of a matching write (PATCH/PUT/POST unless the rule
    names a method) so the simulator realizes it to that state (`sim.add_realization_rule`). A rule
    with only a path glob (no method, times, after or rate) also applies to objects written
    through the Hierarchical API, whose URL is /infra.
    """

    def __init__(self, app: WSGIApp, rules: list[dict[str, Any]], *, sim: Any = None,
                 seed: int | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.rules = [_Rule(spec, seed) for spec in validate_faults(rules)]
        self._lock = threading.Lock()
        self._sleep = sleep
        self._marked: dict[str, str] = {}
        by_state: dict[str, list[_Rule]] = {}
        for rule in self.rules:
            if "realization" in rule.spec:
                by_state.setdefault(rule.spec["realization"], []).append(rule)
        if by_state and sim is None:
            raise FaultsError("realization faults need the simulator",
                              "pass sim= to FaultInjector (build_wsgi does)")
        for state, state_rules in by_state.items():
            sim.add_realization_rule(self._predicate(state, state_rules), state=state,
                                     message="injected realization fault")

    def _predicate(self, state: str, rules: list[_Rule]) -> Callable[[str], bool]:
        static = [r for r in rules if r.unrestricted()]

        def predicate(intent_path: str) -> bool:
            with self._lock:
                if self._marked.get(intent_path) == state:
                    return True
            return any(r.intent_matches(intent_path) for r in static)

        return predicate

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO", "")
        delay = 0.0
        action: dict[str, Any] | None = None
        with self._lock:
            for rule in self.rules:
                if not rule.matches(method, path) or not rule.fire():
                    continue
                delay += rule.spec.get("delay_ms", 0) / 1000.0
                if "realization" in rule.spec:
                    if path.startswith(POLICY_PREFIX + "/"):
                        self._marked[path[len(POLICY_PREFIX):]] = rule.spec["realization"]
                elif ("respond" in rule.spec or "drop_connection" in rule.spec
                      or "lose_response" in rule.spec):
                    action = rule.spec
                    break
        if delay:
            self._sleep(delay)
        if action is None:
            return self.app(environ, start_response)
        if "lose_response" in action:
            return self._lose_response(environ, action, method, path, start_response)
        if action.get("drop_connection"):
            raise DropConnection(f"injected fault: connection dropped on {method} {path}",
                                 request=_request_of(environ))
        return _fault_response(start_response, action["respond"])


    def _lose_response(self, environ: dict[str, Any], action: dict[str, Any], method: str,
                       path: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Process the request for real, throw the answer away, then fail the connection."""
        result = self.app(environ, lambda *_a, **_k: (lambda _data: None))
        try:
            b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        hang = float(action.get("hang_ms", 0)) / 1000.0
        if hang:
            self._sleep(hang)
        what = f"injected fault: {method} {path} processed, response lost"
        if isinstance(action["lose_response"], int):
            # A proxy in front of the manager answering for it (502/504) after it committed.
            return _fault_response(start_response, {"status": action["lose_response"],
                                                    "message": what, "headers": {}})
        if action["lose_response"] == "timeout":
            raise ResponseTimeout(what + " (timeout)", request=_request_of(environ))
        raise DropConnection(what, request=_request_of(environ))


def _request_of(environ: dict[str, Any]) -> httpx.Request:
    # httpx errors expose `.request`; give the in-process caller one that names the request.
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST") or environ.get("SERVER_NAME", "nsx")
    query = environ.get("QUERY_STRING")
    url = f"{scheme}://{host}{environ.get('PATH_INFO', '')}" + (f"?{query}" if query else "")
    return httpx.Request(environ.get("REQUEST_METHOD", "GET"), url)


def _fault_response(start_response: Callable[..., Any], respond: dict[str, Any]
                    ) -> list[bytes]:
    status = respond["status"]
    headers = list(respond.get("headers", {}).items())
    if "body" in respond:
        body = respond["body"]
        if isinstance(body, str):
            payload, ctype = body.encode(), "text/plain"
        else:
            payload, ctype = json.dumps(body).encode(), "application/json"
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        start_response(f"{status} {phrase}", [("Content-Type", ctype),
                                              ("Content-Length", str(len(payload))), *headers])
        return [payload]
    return api_error(start_response, status, respond.get("message", "injected fault"),
                     error_code=respond.get("error_code"),
                     module_name=respond.get("module_name", "Policy"), headers=headers)


# ---------------------------------------------------------------------------------------------
# limits


def client_of(environ: dict[str, Any]) -> str:
    """NSX limits per client: the authenticated user, or the source IP when there is none."""
    return environ.get("nsxsim.user") or environ.get("REMOTE_ADDR") or "unknown"


def _rate_text(rate: float) -> str:
    return str(int(rate)) if float(rate).is_integer() else str(rate)


class RateLimit:
    """Token bucket per client: `rate` requests per second, bursts up to max(rate, 1)."""

    def __init__(self, app: WSGIApp, rate: float, *, retry_after: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate limit must be > 0 requests per second")
        self.app = app
        self.rate = rate
        self.capacity = max(rate, 1.0)
        self.retry_after = retry_after
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def _take(self, client: str) -> bool:
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._buckets[client] = (tokens - 1.0 if ok else tokens, now)
            return ok

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        client = client_of(environ)
        if self._take(client):
            return self.app(environ, start_response)
        headers = [("Retry-After", "1")] if self.retry_after else []
        return api_error(start_response, 429,
                         f"Client '{client}' exceeded request rate of "
                         f"{_rate_text(self.rate)} per second",
                         error_code="102", headers=headers)


class ConcurrencyLimit:
    """At most `limit` requests in flight per client; more get 503 at once (no queueing)."""

    def __init__(self, app: WSGIApp, limit: int, *, retry_after: bool = True) -> None:
        if limit < 1:
            raise ValueError("concurrency limit must be >= 1")
        self.app = app
        self.limit = limit
        self.retry_after = retry_after
        self._inflight: dict[str, int] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        client = client_of(environ)
        with self._lock:
            busy = self._inflight.get(client, 0)
            if busy < self.limit:
                self._inflight[client] = busy + 1
        if busy >= self.limit:
            headers = [("Retry-After", "1")] if self.retry_after else []
            return api_error(start_response, 503,
                             f"Client '{client}' exceeded concurrent request limit of "
                             f"{self.limit}", error_code="102", headers=headers)
        try:
            # Buffer the body so the slot is held until the response is complete.
            return [b"".join(self.app(environ, start_response))]
        finally:
            with self._lock:
                self._inflight[client] -= 1


class Latency:
    """Sleep `ms` before each request, like a manager's processing time."""

    def __init__(self, app: WSGIApp, ms: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.app = app
        self.seconds = ms / 1000.0
        self._sleep = sleep

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        self._sleep(self.seconds)
        return self.app(environ, start_response)
