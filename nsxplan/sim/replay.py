"""Replay a recorded HTTP session (`nsxplan sim replay FILE`): answer exactly what NSX answered.

FILE is a vcrpy cassette as `--record-http` writes it (any vcrpy YAML cassette of NSX requests
works). Requests are matched on method, path and query; repeated identical requests (realization
polls) get the recorded answers in order, and the last one again once they run out. The session
login is answered with a made-up cookie and XSRF token, because the recording holds none (they
were scrubbed). Anything not in the recording gets an NSX-style 404 naming the request, so a
replayed command fails loudly where it diverges from the recorded one.

Stand-alone like the rest of the simulator: the standard library, and PyYAML imported only here
(as the faults file does).
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

SESSION_CREATE = "/api/session/create"
REPLAY_COOKIE = "JSESSIONID=replayed-session; Path=/; HttpOnly"

Key = tuple[str, str, str]     # method, path, sorted query


class CassetteError(ValueError):
    """The file is not a cassette this replay understands."""


def _key(method: str, path: str, query: str) -> Key:
    return method.upper(), path, urlencode(sorted(parse_qsl(query, keep_blank_values=True)))


def load_cassette(path: str) -> list[dict[str, Any]]:
    import yaml  # only replays need YAML; the simulator core does not

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.safe_load(handle)
    except yaml.YAMLError as exc:
        raise CassetteError(f"not YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not isinstance(data.get("interactions"), list):
        raise CassetteError("no `interactions` list (a vcrpy cassette has one)")
    return [i for i in data["interactions"] if isinstance(i, dict)]


class ReplayApp:
    """A WSGI app answering from a cassette."""

    def __init__(self, interactions: Iterable[dict[str, Any]]):
        self._answers: dict[Key, deque[dict[str, Any]]] = defaultdict(deque)
        self.unmatched: list[str] = []
        for item in interactions:
            request, response = item.get("request") or {}, item.get("response") or {}
            parts = urlsplit(str(request.get("uri", "")))
            self._answers[_key(str(request.get("method", "GET")), parts.path,
                               parts.query)].append(response)

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> list[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET"))
        path = str(environ.get("PATH_INFO", ""))
        key = _key(method, path, str(environ.get("QUERY_STRING", "")))
        queue = self._answers.get(key)
        if not queue and method == "POST" and path == SESSION_CREATE:
            return _reply(start_response, 200, [("Set-Cookie", REPLAY_COOKIE),
                                                ("X-XSRF-TOKEN", "replayed-xsrf")], b"")
        if not queue:
            self.unmatched.append(f"{method} {path}")
            body = json.dumps({"httpStatus": "NOT_FOUND", "error_code": 404,
                               "module_name": "nsxplan-sim-replay",
                               "error_message": f"{method} {path} is not in the recording"})
            return _reply(start_response, 404, [("Content-Type", "application/json")],
                          body.encode())
        answer = queue.popleft() if len(queue) > 1 else queue[0]
        headers = [(name, str(value)) for name, values in (answer.get("headers") or {}).items()
                   for value in (values if isinstance(values, list) else [values])
                   if name.lower() not in ("content-length", "transfer-encoding")]
        if method == "POST" and path == SESSION_CREATE:
            headers += [("Set-Cookie", REPLAY_COOKIE), ("X-XSRF-TOKEN", "replayed-xsrf")]
        body = (answer.get("body") or {}).get("string") or ""
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        status = int((answer.get("status") or {}).get("code", 200))
        return _reply(start_response, status, headers, data)


def _reply(start_response: Callable[..., Any], status: int, headers: list[tuple[str, str]],
           body: bytes) -> list[bytes]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    start_response(f"{status} {phrase}", [*headers, ("Content-Length", str(len(body)))])
    return [body]
