"""Write-only secrets (a BGP neighbor's password): digests that detect a change without the value.

NSX never returns a neighbor's password, so nsxplan cannot compare it with the configuration.
It keeps a salted, slow digest of what it last sent in a tag on the object instead
(docs/decisions.md, "Neighbor passwords"):

    nsxplan/password = scrypt1:<ENV_NAME>:<salt>:<digest>

The variable's name tells apply (and a saved plan) where to read the password when it sends it;
the value itself is only ever in this process's memory and in the body of the write.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from nsxplan.redact import remember_secret

PASSWORD_SCOPE = "nsxplan/password"
#: Fields NSX accepts and never returns: a read-back cannot show them.
WRITE_ONLY_FIELDS = frozenset({"password"})
SCHEME = "scrypt1"
ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,63}")
MAX_PASSWORD = 32          # NSX 3.2 documents 20, newer managers 32 (reference §4.4)
# scrypt cost: ~50 ms and 16 MiB per digest, so guessing a password from the tag costs as much.
_N, _R, _P = 2 ** 14, 8, 1


@dataclass(frozen=True)
class SecretRef:
    """A write-only field whose value comes from an environment variable."""

    field: str          # NSX field ("password")
    env: str            # environment variable name


@dataclass(frozen=True)
class Digest:
    env: str
    salt: bytes
    digest: bytes

    @property
    def tag(self) -> str:
        return f"{SCHEME}:{self.env}:{_b64(self.salt)}:{_b64(self.digest)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=16)


def make_digest(env: str, secret: str, salt: bytes | None = None) -> Digest:
    salt = os.urandom(16) if salt is None else salt
    return Digest(env, salt, _scrypt(secret, salt))


def parse(tag: str | None) -> Digest | None:
    """The digest in a tag value; None when absent or not one of ours (then: changed)."""
    if not tag:
        return None
    parts = tag.split(":")
    if len(parts) != 4 or parts[0] != SCHEME or not ENV_NAME.fullmatch(parts[1]):
        return None
    try:
        return Digest(parts[1], _unb64(parts[2]), _unb64(parts[3]))
    except (ValueError, TypeError):
        return None


def matches(digest: Digest | None, secret: str) -> bool:
    return digest is not None and hmac.compare_digest(_scrypt(secret, digest.salt),
                                                      digest.digest)


def password_tag(tags: object) -> str | None:
    """The password tag's value among an object's tags."""
    if not isinstance(tags, (list, tuple)):
        return None
    for t in tags:
        if isinstance(t, Mapping) and t.get("scope") == PASSWORD_SCOPE:
            return str(t.get("tag") or "")
    return None


def salt_for(path: str, owner: str) -> bytes:
    """The salt of a new digest: unique per neighbor and owner, and the same on every run, so
    that two plans of one configuration are identical (a random salt would differ in every plan
    and in every state applied from one). Trade-off in docs/decisions.md."""
    return hashlib.sha256(f"nsxplan/password:{owner}:{path}".encode()).digest()[:16]


def desired_tag(env: str, secret: str, live_tag: str | None, salt: bytes | None = None
                ) -> tuple[str, bool]:
    """(tag value to send, whether the secret changed). An unchanged secret keeps the live tag
    (its salt, even one written by another version) so the plan stays empty."""
    live = parse(live_tag)
    if live is not None and matches(live, secret):
        return (live_tag or "") if live.env == env else Digest(env, live.salt, live.digest).tag, \
            False
    return make_digest(env, secret, salt).tag, True


def read_secret(env: Mapping[str, str], name: str) -> str | None:
    """The value of a password variable, registered for scrubbing from crash logs."""
    value = env.get(name)
    if value:
        remember_secret(value)
    return value


def password_problem(secret: str | None) -> str | None:
    """Why an environment value cannot be a neighbor password (never quoting it)."""
    if secret is None:
        return "is not set"
    if secret == "":
        return "is empty (NSX would clear the password)"
    if len(secret) > MAX_PASSWORD:
        return f"holds {len(secret)} characters; NSX accepts at most {MAX_PASSWORD}"
    return None


def to_send(after_tags: object, before_tags: object, creating: bool,
            env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(password to put in the write, why the write must not be sent) for one step.

    The password goes out when the object is created or its digest tag changed since the
    pre-image (the plan decided the password changed); it is read from the variable named in
    the planned tag and must still match the planned digest: a saved plan applied after the
    variable changed would otherwise set a password nobody reviewed."""
    planned = parse(password_tag(after_tags))
    if planned is None:
        return None, None
    if not creating and password_tag(before_tags) == password_tag(after_tags):
        return None, None
    secret = read_secret(env, planned.env)
    why = password_problem(secret)
    if why is not None or secret is None:
        return None, f"password variable {planned.env} {why}; nothing was sent"
    if not matches(planned, secret):
        return None, (f"password variable {planned.env} no longer holds the password this plan "
                      "was made with; plan again")
    return secret, None
