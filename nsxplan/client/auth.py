"""NSX authentication flows: HTTP basic, session (JSESSIONID + X-XSRF-TOKEN), client certificate.

An auth object only produces the headers for the next request and knows how to log in again;
the client owns the HTTP exchange (so login requests are rate-limited, counted and retried like
any other). Credentials live only in these objects; their reprs never show them.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING

from nsxplan.client.apierror import raise_for_status
from nsxplan.errors import UsageError

if TYPE_CHECKING:
    import httpx

SESSION_CREATE = "/api/session/create"
SESSION_DESTROY = "/api/session/destroy"

# (method, path, form data) -> response; supplied by the client, bypasses auth.
RawSend = Callable[[str, str, "dict[str, str] | None"], "httpx.Response"]


class Auth:
    """No authentication (client certificates are handled by TLS, below HTTP)."""

    name = "none"

    def headers(self, send: RawSend) -> tuple[dict[str, str], int]:
        """Headers for the next request and the session generation they belong to."""
        return {}, 0

    def relogin(self, send: RawSend, generation: int) -> bool:
        """Called after a 401/403; True if a fresh login happened and the request may be
        retried. `generation` is what headers() returned for the failed request."""
        return False

    def logout(self, send: RawSend) -> None:
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"


class CertAuth(Auth):
    """Principal identity by TLS client certificate: the httpx.Client carries cert=(cert, key)."""

    name = "cert"


class BasicAuth(Auth):
    name = "basic"

    def __init__(self, username: str, password: str):
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._header = {"Authorization": f"Basic {token}"}

    def headers(self, send: RawSend) -> tuple[dict[str, str], int]:
        return dict(self._header), 0


class SessionAuth(Auth):
    """`POST /api/session/create` once, then cookie + XSRF token on every request.

    Sessions expire (idle timeout) and are per manager node behind a VIP, so a 401/403 triggers
    one re-login. Parallel workers that all see the same expiry must not each log in: the
    generation counter lets only the first one do it, the others just retry with the new session.
    """

    name = "session"

    def __init__(self, username: str, password: str):
        self._form = {"j_username": username, "j_password": password}
        self._lock = threading.Lock()
        self._cookie: str | None = None
        self._xsrf: str | None = None
        self._generation = 0

    def headers(self, send: RawSend) -> tuple[dict[str, str], int]:
        with self._lock:
            if self._cookie is None:
                self._login(send)
            headers = {"Cookie": f"JSESSIONID={self._cookie}"}
            if self._xsrf:
                headers["X-XSRF-TOKEN"] = self._xsrf
            return headers, self._generation

    def relogin(self, send: RawSend, generation: int) -> bool:
        with self._lock:
            if generation != self._generation:
                return True          # someone else already logged in again since that request
            self._login(send)
            return True

    def _login(self, send: RawSend) -> None:
        self._cookie = self._xsrf = None
        response = send("POST", SESSION_CREATE, self._form)
        raise_for_status(response, "POST", SESSION_CREATE)
        cookie = session_cookie(response)
        if cookie is None:
            raise UsageError("NSX session login returned no JSESSIONID cookie",
                             hint="this manager may not support session auth; use --auth basic")
        self._cookie = cookie
        self._xsrf = response.headers.get("x-xsrf-token")
        self._generation += 1

    def logout(self, send: RawSend) -> None:
        with self._lock:
            if self._cookie is None:
                return
            try:
                send("POST", SESSION_DESTROY, None)
            finally:
                self._cookie = self._xsrf = None


def session_cookie(response: httpx.Response) -> str | None:
    """JSESSIONID from Set-Cookie. Parsed by hand because the cookie is `Secure` and a cookie
    jar would refuse to send it back over the plain-http loopback simulator."""
    for raw in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        try:
            jar.load(raw)
        except CookieError:
            continue
        if "JSESSIONID" in jar:
            return jar["JSESSIONID"].value
    return None


def make_auth(kind: str, username: str | None, password: str | None,
              has_cert: bool = False) -> Auth:
    """The auth flow for `--auth KIND`; a client certificate without credentials means cert."""
    kind = (kind or "basic").lower()
    kind = {"certificate": "cert", "client_cert": "cert"}.get(kind, kind)
    if kind not in ("basic", "session", "cert", "none"):
        raise UsageError(f"unknown auth method {kind!r}", hint="use basic, session or certificate")
    if kind == "cert" or (has_cert and not username):
        if not has_cert:
            raise UsageError("--auth cert needs a client certificate and key",
                             hint="set NSX_CLIENT_CERT and NSX_CLIENT_KEY")
        return CertAuth()
    if kind == "none" or username is None:
        return Auth()
    if password is None:
        raise UsageError(f"no password for NSX user {username!r}", hint="set NSX_PASSWORD")
    return SessionAuth(username, password) if kind == "session" else BasicAuth(username, password)
