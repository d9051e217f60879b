"""Target composition: `--manager` string -> a Connection holding an NsxClient.

`https://nsx.example.com`, `http://127.0.0.1:PORT` (a `nsxplan sim serve`), `sim` (the embedded
simulator with its demo state) and `sim:FILE` (a saved simulator state) all produce the same
NsxClient; only the httpx transport differs.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import ssl
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

import httpx

from nsxplan.client import NsxClient
from nsxplan.client.auth import make_auth
from nsxplan.client.ratelimit import DEFAULT_IN_FLIGHT, DEFAULT_RATE, RetryPolicy
from nsxplan.client.recording import HttpRecorder
from nsxplan.errors import UsageError
from nsxplan.redact import manager_label

log = logging.getLogger("nsxplan.client")

DEFAULT_TIMEOUT = 60.0
SIM_BASE_URL = "http://nsx-sim.invalid"


@dataclass
class Connection:
    client: NsxClient
    label: str
    sim: Any = None                    # the in-process Simulator for sim targets, else None
    state_file: Path | None = None     # sim:FILE: where persist() writes
    lock: StateLock | None = None      # sim:FILE: held from load to close
    recorder: HttpRecorder | None = None   # --record-http: the cassette, written on close
    _closed: bool = field(default=False, repr=False)

    def persist(self) -> None:
        """sim:FILE writes the simulator state back (atomically); no-op for anything else."""
        if self.sim is not None and self.state_file is not None:
            try:
                self.state_file.parent.mkdir(parents=True, exist_ok=True)
                self.sim.save(self.state_file)
            except OSError as exc:
                raise _state_write_error(self.state_file, exc) from None

    def check_persistable(self) -> None:
        """sim:FILE: fail before any change if the state file's directory cannot take it.

        Probes with a temporary file next to it, as the atomic save does (os.access would say
        yes to root on a read-only mount)."""
        if self.sim is None or self.state_file is None:
            return
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.state_file.parent, prefix=".nsxplan-probe-"):
                pass
        except OSError as exc:
            raise _state_write_error(self.state_file, exc) from None

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            try:
                self.client.close()
            finally:
                if self.lock is not None:
                    self.lock.release()
                if self.recorder is not None:
                    self.recorder.save()     # after the logout, which it records too

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _state_write_error(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"cannot write simulator state {path}: {exc.strerror or exc}",
                      hint="use sim:FILE with FILE in a writable directory")


def connect(manager: str, *, base_dir: Path | None = None, username: str | None = None,
            password: str | None = None, client_cert: str | None = None,
            client_key: str | None = None, ca_bundle: str | None = None, insecure: bool = False,
            auth: str = "basic", rate_limit: float | None = DEFAULT_RATE,
            max_in_flight: int = DEFAULT_IN_FLIGHT, timeout: float = DEFAULT_TIMEOUT,
            retry: RetryPolicy | None = None, realization_delay: float = 0.0,
            record_http: Path | str | None = None) -> Connection:
    """`record_http`: write every exchange to that file as a scrubbed vcrpy cassette."""
    manager = (manager or "").strip()
    if not manager:
        raise UsageError("no NSX manager given",
                         hint="pass --manager https://nsx.example.com (or NSX_MANAGER), or sim")
    recorder = (HttpRecorder(record_http, secrets=[password], username=username)
                if record_http else None)
    if manager == "sim" or manager.startswith("sim:"):
        conn = _connect_sim(manager, base_dir, rate_limit=rate_limit,
                            max_in_flight=max_in_flight, retry=retry,
                            realization_delay=realization_delay)
    else:
        conn = _connect_url(manager, username=username, password=password,
                            client_cert=client_cert, client_key=client_key,
                            ca_bundle=ca_bundle, insecure=insecure, auth=auth,
                            rate_limit=rate_limit, max_in_flight=max_in_flight,
                            timeout=timeout, retry=retry)
    if recorder is not None:
        recorder.attach(conn.client.http)
        conn.recorder = recorder
    return conn


class _SimTransport(httpx.WSGITransport):
    """A simulator bug must surface as an NSX-style 500, not a traceback from deep in httpx.
    httpx's own transport errors (the drop_connection fault) still propagate."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except httpx.TransportError:
            raise
        except Exception as exc:  # noqa: BLE001 - converted into an API error on purpose
            log.debug("simulator raised %s", type(exc).__name__, exc_info=True)
            return httpx.Response(500, json={
                "httpStatus": "INTERNAL_SERVER_ERROR", "error_code": 99,
                "module_name": "nsxplan-sim",
                "error_message": f"simulator internal error: {type(exc).__name__}: {exc}"})


def _connect_sim(manager: str, base_dir: Path | None, *, rate_limit: float | None,
                 max_in_flight: int, retry: RetryPolicy | None,
                 realization_delay: float) -> Connection:
    from nsxplan.sim import Simulator, demo_state

    state_file: Path | None = None
    if manager == "sim":
        sim = Simulator(demo_state(), realization_delay=realization_delay)
        label = "sim"
    else:
        name = manager[len("sim:"):]
        if not name:
            raise UsageError("`sim:` needs a state file", hint="use sim:lab.json, or plain sim")
        state_file = Path(name).expanduser()
        if not state_file.is_absolute() and base_dir is not None:
            state_file = Path(base_dir) / state_file
        # Absolute, so the label written into saved plans and journals reconnects from anywhere.
        state_file = state_file.resolve()
        lock = StateLock.acquire(state_file)
        if state_file.exists():
            try:
                sim = Simulator.from_file(state_file, realization_delay=realization_delay)
            except (OSError, ValueError) as exc:
                if lock is not None:
                    lock.release()
                raise UsageError(f"cannot load simulator state {state_file}: {exc}",
                                 hint="the file must be a snapshot written by nsxplan "
                                      "(`nsxplan export` or a previous sim run)") from None
            label = f"sim:{state_file}"
        else:
            log.info("%s does not exist yet: starting from the built-in demo state", state_file)
            sim = Simulator(demo_state(), realization_delay=realization_delay)
            label = f"sim:{state_file}"
    http = httpx.Client(transport=_SimTransport(app=sim), base_url=SIM_BASE_URL)
    # In-process requests cost microseconds; throttling them would only slow tests and demos.
    client = NsxClient(http, rate_limit=None, max_in_flight=max_in_flight, retry=retry,
                       label=label)
    return Connection(client=client, label=label, sim=sim, state_file=state_file,
                      lock=lock if state_file is not None else None)


class StateLock:
    """An exclusive lock on a sim:FILE state, from load to close.

    Each command loads the whole file, works in memory and writes it back: two at once (two
    applies, or an apply and a rollback) would each write back their own copy and silently lose
    the other's changes. A separate `.NAME.lock` file is locked because the atomic save replaces
    the state file itself."""

    WAIT_SECONDS = 60.0

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, state_file: Path) -> StateLock | None:
        try:
            import fcntl
        except ImportError:  # not POSIX: no locking, as before
            return None
        if not state_file.parent.is_dir():
            # Created now, not at the first save: two commands racing on a new lab must still
            # exclude each other (each would otherwise write back its own copy).
            try:
                state_file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise UsageError(f"cannot create the directory of simulator state {state_file}: "
                                 f"{exc.strerror or exc}",
                                 hint="use sim:FILE with FILE in a writable directory") from None
        lock_path = state_file.parent / f".{state_file.name}.lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return None   # a read-only directory: nothing will be written back anyway
        deadline = time.monotonic() + cls.WAIT_SECONDS
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return cls(fd)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise UsageError(f"simulator state {state_file} is in use by another "
                                     "nsxplan command", hint="wait for it to finish and retry"
                                     ) from None
                time.sleep(0.05)   # another process holds it: no event to wait on

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)   # closing drops the flock
            self._fd = None


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _connect_url(manager: str, *, username: str | None, password: str | None,
                 client_cert: str | None, client_key: str | None, ca_bundle: str | None,
                 insecure: bool, auth: str, rate_limit: float | None, max_in_flight: int,
                 timeout: float, retry: RetryPolicy | None) -> Connection:
    if "://" not in manager:
        manager = "https://" + manager       # a bare host name means a real manager
    # Any '@' means userinfo, even where urlsplit sees none: in `https://admin:pa/ss@host` the
    # '/' ends the authority early, and the password's first half would become a "port" that
    # error messages (and crash logs) quote.
    if "@" in manager:
        raise UsageError("credentials in the manager URL are not accepted",
                         hint="use NSX_USERNAME / NSX_PASSWORD (URLs end up in logs and history)")
    parts = urlsplit(manager)
    if parts.scheme not in ("http", "https") or not parts.hostname or not _valid_port(parts):
        raise UsageError(f"cannot use manager {manager_label(manager)!r}",
                         hint="use https://HOST[:PORT], http://127.0.0.1:PORT, sim or sim:FILE")
    label = manager_label(manager)
    host = parts.hostname
    if parts.scheme == "http" and not is_loopback(host):
        if insecure:
            raise UsageError(f"--insecure refused for plain http:// to {host}",
                             hint="credentials would cross the network in clear text; "
                                  "use https:// (with --ca-bundle if the CA is private)")
        raise UsageError(f"plain http:// is only allowed to a loopback address, not {host}",
                         hint="use https://; http:// is for a local `nsxplan sim serve`")
    if parts.scheme == "https" and insecure:
        log.warning("warning: TLS verification disabled for %s (--insecure); "
                    "anyone on the path can read the credentials", label)
    if (client_cert is None) != (client_key is None) and client_key is not None:
        raise UsageError("a client key was given without a client certificate",
                         hint="set both NSX_CLIENT_CERT and NSX_CLIENT_KEY")
    for what, file in (("CA bundle", ca_bundle), ("client certificate", client_cert),
                       ("client key", client_key)):
        if file is not None and not Path(file).is_file():
            raise UsageError(f"{what} {file} does not exist", hint="check the path")
    auth_flow = make_auth(auth, username, password, has_cert=client_cert is not None)
    if auth_flow.name == "none" and parts.scheme == "https":
        raise UsageError(f"no credentials for {label}",
                         hint="set NSX_USERNAME and NSX_PASSWORD, "
                              "or NSX_CLIENT_CERT/NSX_CLIENT_KEY")
    verify = _ssl_context(ca_bundle, insecure, client_cert, client_key) \
        if parts.scheme == "https" else _no_tls()
    http = httpx.Client(
        base_url=f"{parts.scheme}://{parts.netloc}", verify=verify,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
        limits=httpx.Limits(max_connections=max_in_flight,
                            max_keepalive_connections=max_in_flight),
        follow_redirects=False)
    client = NsxClient(http, auth=auth_flow, rate_limit=rate_limit, max_in_flight=max_in_flight,
                       retry=retry, label=label)
    return Connection(client=client, label=label)


def _ssl_context(ca_bundle: str | None, insecure: bool, client_cert: str | None,
                 client_key: str | None) -> ssl.SSLContext:
    # An explicit SSLContext: httpx deprecates verify=<path> and cert=..., and this keeps
    # "verification on by default" visible in one place.
    try:
        ctx = ssl.create_default_context(cafile=ca_bundle)
        if insecure:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        if client_cert:
            ctx.load_cert_chain(client_cert, client_key)
    except (ssl.SSLError, OSError) as exc:
        raise UsageError(f"cannot load TLS material: {exc}",
                         hint="--ca-bundle and NSX_CLIENT_CERT/NSX_CLIENT_KEY must be PEM files"
                         ) from None
    return ctx


def _no_tls() -> ssl.SSLContext:
    """For plain http:// (a loopback `nsxplan sim serve`): no TLS happens, so no CA store is
    loaded (16 ms a command). Should a TLS connection ever be attempted on it (none can: the base
    URL is http and redirects are not followed), this context verifies and trusts nothing."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)     # check_hostname on, CERT_REQUIRED
    return ctx


def _valid_port(parts: SplitResult) -> bool:
    try:
        parts.port   # noqa: B018 - the property validates the port
    except ValueError:
        return False
    return True


