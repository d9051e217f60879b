"""`--record-http FILE`: every HTTP exchange of one command, as a vcrpy cassette, scrubbed.

For support: a user attaches the file to a report, a maintainer replays it (`nsxplan sim replay
FILE`, or vcrpy in a test) and sees exactly what NSX answered. The format is vcrpy's (version 1:
`interactions` of `request` {method, uri, body, headers} and `response` {status {code, message},
headers, body {string}}), written here with PyYAML so vcrpy stays a test dependency only.

Nothing secret may reach the file: credential headers (Authorization, Cookie, Set-Cookie,
X-XSRF-TOKEN) are dropped, bodies lose the login form's password and every password or secret
field (BGP neighbor secrets), and the whole text then goes through `scrub_all` with the secrets
this process was given (the password from NSX_PASSWORD or the prompt, its Basic token). The file
is written 0600, atomically, when the connection closes (also after a failure).
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
import yaml

from nsxplan.durable import write_atomic
from nsxplan.errors import UsageError
from nsxplan.redact import SENSITIVE_HEADERS, scrub_all, scrub_body, scrub_text

CASSETTE_VERSION = 1
# Content is stored decoded, so the encoding headers would lie on replay.
_DROPPED = SENSITIVE_HEADERS | {"content-encoding", "transfer-encoding"}


class HttpRecorder:
    """Collects exchanges from an httpx.Client's response hook; `save()` writes the cassette."""

    def __init__(self, path: Path | str, *, secrets: Iterable[str | None] = (),
                 username: str | None = None):
        self.path = Path(path)
        self._secrets = [s for s in secrets if s]
        for password in list(self._secrets):       # the Basic token a password becomes
            if username:
                self._secrets.append(base64.b64encode(
                    f"{username}:{password}".encode()).decode("ascii"))
        self._interactions: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._check_writable()

    def _check_writable(self) -> None:
        """Refused before NSX is contacted, not after the work is done."""
        parent = self.path.parent if str(self.path.parent) else Path(".")
        if not parent.is_dir():
            raise UsageError(f"--record-http {self.path}: directory {parent} does not exist",
                             hint="create it, or record to a file in an existing directory")

    def attach(self, http: httpx.Client) -> None:
        http.event_hooks["response"].append(self._on_response)

    @property
    def count(self) -> int:
        return len(self._interactions)

    def _on_response(self, response: httpx.Response) -> None:
        response.read()       # the body is cached: the caller still reads it as usual
        interaction = {"request": _request(response.request),
                       "response": _response(response)}
        with self._lock:
            self._interactions.append(interaction)

    def text(self) -> str:
        with self._lock:
            data = {"interactions": list(self._interactions), "version": CASSETTE_VERSION}
        dumped = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
        # Last line of defence: known secret values and header values anywhere in the text.
        return scrub_all(scrub_text(dumped, self._secrets))

    def save(self) -> None:
        write_atomic(self.path, self.text(), mode=0o600)


def _headers(headers: httpx.Headers) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for name, value in headers.multi_items():
        if name.lower() not in _DROPPED:
            out.setdefault(name.lower(), []).append(value)
    return out


def _text(content: bytes) -> str:
    scrubbed = scrub_body(content.decode("utf-8", "replace"))
    return str(scrubbed or "")


def _request(request: httpx.Request) -> dict[str, Any]:
    return {"body": _text(request.content) if request.content else None,
            "headers": _headers(request.headers), "method": request.method,
            "uri": str(request.url)}


def _response(response: httpx.Response) -> dict[str, Any]:
    headers = _headers(response.headers)
    body = _text(response.content)
    if "content-length" in headers:
        headers["content-length"] = [str(len(body.encode()))]
    return {"body": {"string": body}, "headers": headers,
            "status": {"code": response.status_code, "message": response.reason_phrase}}
