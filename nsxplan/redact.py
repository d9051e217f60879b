"""Credential scrubbing for logs and vcrpy cassettes.

Cassettes are attached to bug reports and committed as golden request sequences, so they must not
carry the Authorization header, the session cookie, the XSRF token, the login form's password, or
secrets inside objects (BGP neighbor passwords).
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

REDACTED = "REDACTED"
SENSITIVE_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "x-xsrf-token",
                               "proxy-authorization"})
SECRET_FORM_FIELDS = frozenset({"j_password"})
SECRET_JSON_KEYS = frozenset({"password", "j_password"})
# Any other field whose name says it holds a secret (a BGP neighbor's `password`, and whatever
# NSX names the next one: `secret`, `passphrase`, `private_key`, `shared_key`).
SECRET_KEY_NAME = re.compile(r"(?i)(password|passphrase|secret|private_key|shared_key)")


def scrub_headers(headers: Mapping[str, Any]) -> dict[str, Any]:
    """A copy with every credential-bearing header's value replaced (names kept, for logs)."""
    return {k: (REDACTED if k.lower() in SENSITIVE_HEADERS else v) for k, v in headers.items()}


def scrub_text(text: str, secrets: Iterable[str | None]) -> str:
    """Replace known secret values anywhere in a string (last line of defence for messages)."""
    # Longest first: a password inside its own Basic token must not leave half a token behind.
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


# Credential-bearing header and cookie values wherever they appear in free text (a library's
# exception message quoting a request, say).
_HEADER_VALUE = re.compile(
    r"(?i)(?P<name>authorization|proxy-authorization|x-xsrf-token|cookie|set-cookie)"
    r"(?P<sep>[\"']?\s*[:=,]\s*[\"']?)(?!REDACTED)[^\"'\r\n,}]+")
_SESSION_COOKIE = re.compile(r"(?i)(?P<name>JSESSIONID)(?P<sep>=)(?!REDACTED)[^;\s\"',}]+")


# Secrets read during this run besides NSX's credentials: BGP neighbor passwords taken from the
# variables a configuration names (nsx/passwords.py registers them as it reads them).
_READ_SECRETS: set[str] = set()


def remember_secret(value: str) -> None:
    """Have crash logs and internal-error messages scrub `value` from now on."""
    if value:
        _READ_SECRETS.add(value)


def known_secrets(env: Mapping[str, str] | None = None) -> list[str]:
    """The credentials this process was given (NSX_PASSWORD and its Basic token)."""
    env = os.environ if env is None else env
    password = env.get("NSX_PASSWORD") or ""
    if not password:
        return []
    user = env.get("NSX_USERNAME") or ""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return [password, token]


def scrub_all(text: str, env: Mapping[str, str] | None = None) -> str:
    """Last line of defence for text written where credentials must never be (crash logs,
    internal-error messages): known secret values, then header and cookie values."""
    text = scrub_text(text, [*known_secrets(env), *sorted(_READ_SECRETS)])
    text = _HEADER_VALUE.sub(lambda m: f"{m.group('name')}{m.group('sep')}{REDACTED}", text)
    return _SESSION_COOKIE.sub(lambda m: f"{m.group('name')}{m.group('sep')}{REDACTED}", text)


def scrub_body(body: bytes | str | None) -> bytes | str | None:
    """Form bodies lose j_password's value; JSON bodies lose every `password` value."""
    if not body:
        return body
    as_text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    scrubbed = _scrub_json(as_text)
    if scrubbed is None:
        scrubbed = _scrub_form(as_text)
    if scrubbed is None:
        return body
    return scrubbed.encode() if isinstance(body, bytes) else scrubbed


def _scrub_json(text: str) -> str | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return json.dumps(_scrub_value(data), sort_keys=False)


def _secret_key(key: Any) -> bool:
    return isinstance(key, str) and (key in SECRET_JSON_KEYS or bool(SECRET_KEY_NAME.search(key)))


def _scrub_value(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if _secret_key(k) and v not in (None, "")
                    and not isinstance(v, (dict, list, bool)) else
                    _scrub_value(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_value(v) for v in value]
    return value


def _scrub_form(text: str) -> str | None:
    if "=" not in text or not any(f + "=" in text for f in SECRET_FORM_FIELDS):
        return None
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, REDACTED if k in SECRET_FORM_FIELDS else v) for k, v in pairs])


def before_record_request(request: Any) -> Any:
    """vcrpy hook: drop credential headers, scrub the body. Returns the (mutated) request."""
    for name in list(request.headers):
        if name.lower() in SENSITIVE_HEADERS:
            del request.headers[name]
    request.body = scrub_body(request.body)
    return request


def before_record_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy hook: responses are dicts {status, headers: {name: [values]}, body: {string}}."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in SENSITIVE_HEADERS:
            del headers[name]
    body = response.get("body")
    if isinstance(body, dict) and body.get("string"):
        body["string"] = scrub_body(body["string"])
    return response


def vcr_config() -> dict[str, Any]:
    """Keyword arguments for vcr.VCR(...) / pytest-recording with the scrubbing hooks."""
    return {
        "before_record_request": before_record_request,
        "before_record_response": before_record_response,
        "filter_headers": sorted(SENSITIVE_HEADERS),
        "decode_compressed_response": True,
    }


# Userinfo in a URL (`https://user:pw@host`): a plan or a rendered plan must never carry it.
# Up to the LAST '@': a password may itself hold '/', '@' or a space ("admin:p/w@host").
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.\-]*://)[^\n]*@")



def scrub_target(target: str) -> str:
    """Drop credentials from a target label: `https://user:pw@host` -> `https://host`."""
    return _USERINFO.sub(lambda m: m.group("scheme"), target)


_SECRET_WORDS = ("password", "secret", "token", "authorization", "cookie", "private_key")



def redact_keys(value: Any) -> Any:
    """A journal record with the value of every secret-looking key replaced (a second line of
    defence: nsxplan bodies hold no credentials, NSX never returns secrets on GET)."""
    if isinstance(value, Mapping):
        return {k: ("<redacted>" if any(w in str(k).lower() for w in _SECRET_WORDS)
                    else redact_keys(v))
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_keys(v) for v in value]
    return value



def manager_label(manager: str) -> str:
    """scheme://host[:port] only: never userinfo, paths or queries (they may carry secrets)."""
    parts = urlsplit(manager)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid manager URL>"
    if not parts.hostname:
        return "<invalid manager URL>"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}"

