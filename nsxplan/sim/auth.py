"""NSX Manager authentication as a WSGI middleware: HTTP basic and session (cookie + XSRF token).

With no credentials configured every request passes as user "admin" (session create still
answers, so clients can exercise their login flow). With credentials:

- `Authorization: Basic ...` on any request; wrong credentials -> 401.
- `POST /api/session/create` (form body j_username / j_password) -> 200 with
  `Set-Cookie: JSESSIONID=...; Path=/; Secure; HttpOnly; SameSite=Lax` and `X-XSRF-TOKEN`;
  wrong credentials -> 401.
- Requests carrying the JSESSIONID cookie must send the session's `X-XSRF-TOKEN` on EVERY
  request: missing or wrong token -> 403.
- An unknown, destroyed or expired session -> 401 (chosen over 403 so that a client can tell
  "log in again" from "you sent no/wrong XSRF token"; NSX clients re-login on either).
  Sessions expire after `session_timeout` seconds without a request (NSX's default is 1800 s).
- `POST /api/session/destroy` ends the session.
- No credentials at all -> 401.
- `GET /api/v1/reverse-proxy/node/health` needs no credentials (load balancers probe it bare).
- Principal identities: when the TLS layer verified a client certificate (``--client-ca``), the
  server puts its subject CN in `environ["SSL_CLIENT_S_DN_CN"]`; the request then runs as the
  principal identity that CN maps to (``principal_identities``, default: the CN itself), whatever
  else it carries, and what it creates is PROTECTED (`environ["nsxsim.protection"]`), as NSX
  does for NCP's ``wcp-cluster-user-...`` identity. With a mapping, an unmapped CN -> 403.

The authenticated user goes to `environ["nsxsim.user"]` for the core (`_create_user`, ...) and for
per-client rate limiting. Credentials are never logged or echoed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from nsxplan.sim.faults import WSGIApp, api_error

DEFAULT_USER = "admin"
SESSION_TIMEOUT = 1800.0
CREATE_PATH = "/api/session/create"
HEALTH_PATH = "/api/v1/reverse-proxy/node/health"
CLIENT_CN = "SSL_CLIENT_S_DN_CN"
DESTROY_PATH = "/api/session/destroy"
_BAD_CREDENTIALS = ("The username/password combination is incorrect or the account specified "
                    "has been locked.")


@dataclass
class _Session:
    user: str
    xsrf: str
    last_used: float


class AuthMiddleware:
    def __init__(self, app: WSGIApp, username: str | None = None, password: str | None = None,
                 *, session_timeout: float = SESSION_TIMEOUT,
                 clock: Callable[[], float] = time.monotonic,
                 principal_identities: Mapping[str, str] | None = None) -> None:
        if (username is None) != (password is None):
            raise ValueError("username and password go together: give both or neither")
        self.app = app
        self.username = username
        self.password = password
        self.session_timeout = session_timeout
        self.clock = clock
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()
        self.principal_identities = dict(principal_identities or {})

    @property
    def enforced(self) -> bool:
        return self.username is not None

    def _check(self, user: str, password: str) -> bool:
        if not self.enforced:
            return True
        assert self.username is not None and self.password is not None
        # Constant-time comparison: a simulator, but no reason to teach timing leaks.
        return hmac.compare_digest(user.encode(), self.username.encode()) & hmac.compare_digest(
            password.encode(), self.password.encode())

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if method == "POST" and path == CREATE_PATH:
            return self._create(environ, start_response)
        if method == "POST" and path == DESTROY_PATH:
            return self._destroy(environ, start_response)
        if method == "GET" and path.rstrip("/") == HEALTH_PATH:
            environ["nsxsim.user"] = DEFAULT_USER
            return self.app(environ, start_response)
        outcome = self._principal(environ) or self._authenticate(environ)
        if isinstance(outcome, tuple):
            status, message = outcome
            return api_error(start_response, status, message, error_code=403 if status == 401
                             else 98, module_name="common-services")
        environ["nsxsim.user"] = outcome
        return self.app(environ, start_response)

    def _principal(self, environ: dict[str, Any]) -> str | tuple[int, str] | None:
        """The principal identity of a verified client certificate, or None without one."""
        cn = str(environ.get(CLIENT_CN) or "")
        if not cn:
            return None
        if self.principal_identities and cn not in self.principal_identities:
            return 403, (f"The client certificate CN={cn} is not registered to a principal "
                         "identity.")
        environ["nsxsim.protection"] = "PROTECTED"
        return self.principal_identities.get(cn, cn)

    def _authenticate(self, environ: dict[str, Any]) -> str | tuple[int, str]:
        """The user name, or (status, message) to refuse with."""
        header = environ.get("HTTP_AUTHORIZATION", "")
        if header[:6].lower() == "basic ":
            try:
                user, _, password = base64.b64decode(header[6:].strip(), validate=True
                                                     ).decode("utf-8").partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return 401, _BAD_CREDENTIALS
            if not self._check(user, password):
                return 401, _BAD_CREDENTIALS
            return user if self.enforced else DEFAULT_USER
        session_id = _cookie(environ, "JSESSIONID")
        if session_id is not None and self.enforced:
            now = self.clock()
            with self._lock:
                session = self._sessions.get(session_id)
                if session is not None and now - session.last_used > self.session_timeout:
                    del self._sessions[session_id]
                    session = None
                if session is None:
                    return 401, "The session has expired or is invalid. Please log in again."
                token = environ.get("HTTP_X_XSRF_TOKEN", "")
                if not hmac.compare_digest(token.encode(), session.xsrf.encode()):
                    return 403, "Bad XSRF token: send the X-XSRF-TOKEN header from session/create."
                session.last_used = now
                return session.user
        if not self.enforced:
            return DEFAULT_USER
        return 401, _BAD_CREDENTIALS

    def _create(self, environ: dict[str, Any], start_response: Callable[..., Any]
                ) -> Iterable[bytes]:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        form = urllib.parse.parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
        user = form.get("j_username", [""])[0]
        password = form.get("j_password", [""])[0]
        if not self._check(user, password) or (self.enforced and not user):
            return api_error(start_response, 401, _BAD_CREDENTIALS, error_code=403)
        session_id = secrets.token_hex(16)
        xsrf = secrets.token_urlsafe(24)
        with self._lock:
            self._expire_idle()
            self._sessions[session_id] = _Session(user or DEFAULT_USER, xsrf, self.clock())
        start_response("200 OK", [
            ("Content-Type", "application/json"),
            ("Content-Length", "0"),
            ("Set-Cookie", f"JSESSIONID={session_id}; Path=/; Secure; HttpOnly; SameSite=Lax"),
            ("X-XSRF-TOKEN", xsrf),
        ])
        return [b""]

    def _destroy(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        session_id = _cookie(environ, "JSESSIONID")
        with self._lock:
            if session_id is not None:
                self._sessions.pop(session_id, None)
        start_response("200 OK", [
            ("Content-Type", "application/json"),
            ("Content-Length", "0"),
            ("Set-Cookie", "JSESSIONID=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"),
        ])
        return [b""]

    def _expire_idle(self) -> None:
        # Called with the lock held, on login: keeps the table from growing without bound.
        now = self.clock()
        for sid in [s for s, v in self._sessions.items()
                    if now - v.last_used > self.session_timeout]:
            del self._sessions[sid]


def _cookie(environ: dict[str, Any], name: str) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None and morsel.value else None
