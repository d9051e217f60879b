"""Credential fixtures and detectors for the safety tests."""

from __future__ import annotations

import base64
import re
from urllib.parse import quote, quote_plus

from tests.scenarios.conftest import USER

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
