"""Helpers for the simulator tests.

Start the NSX simulator on a real socket (127.0.0.1, free port) from a test:

    from tests.sim.helpers import sim_server, client_for

    with sim_server("demo", username="admin", password="pw") as (sim, server):
        with client_for(server, auth=("admin", "pw")) as nsx:
            nsx.get("/policy/api/v1/infra/tier-0s")

`state`: None (empty infra), "demo" (the built-in demo state), a snapshot dict, or a path to a
snapshot JSON file. Extra keywords go to `nsxplan.sim.compose.build_wsgi` (auth, limits, latency,
faults, ...). The server is always stopped when the block exits.

And a throwaway CA with client certificates for principal-identity tests (cryptography, EC keys).
"""

from __future__ import annotations

import datetime
import os
import queue
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from nsxplan.sim.server import RunningServer, serve_in_thread


def make_simulator(state: Any = None, **sim_kw: Any) -> Any:
    """A Simulator from None / "demo" / dict / path (imported lazily: the core is separate)."""
    from nsxplan.sim import Simulator, demo_state

    if isinstance(state, str) and state == "demo":
        return Simulator(demo_state(), **sim_kw)
    if isinstance(state, (str, os.PathLike)):
        return Simulator.from_file(state, **sim_kw)
    return Simulator(state, **sim_kw)


@contextmanager
def sim_server(state: Any = None, *, sim: Any = None, tls: bool = False,
               realization_delay: float = 0.0, version: str | None = None,
               clock: Callable[[], float] | None = None,
               **build_wsgi_kw: Any) -> Iterator[tuple[Any, RunningServer]]:
    """Yield (simulator, running server); pass `sim=` to serve an existing Simulator.

    `clock` (a fake one, in tests) drives both the simulator's realization and the edge's rate
    limiter and session expiry."""
    from nsxplan.sim.compose import build_wsgi

    if sim is None:
        sim_kw: dict[str, Any] = {"realization_delay": realization_delay}
        if version is not None:
            sim_kw["version"] = version
        if clock is not None:
            sim_kw["clock"] = clock
        sim = make_simulator(state, **sim_kw)
    if clock is not None:
        build_wsgi_kw.setdefault("clock", clock)
    app = build_wsgi(sim, **build_wsgi_kw)
    with serve_in_thread(app, tls=tls) as server:
        yield sim, server


def client_for(server: RunningServer, **kw: Any) -> httpx.Client:
    """An httpx.Client on the server's URL, trusting its certificate when it serves TLS."""
    if server.ca_file and "verify" not in kw:
        # httpx 0.28 deprecates verify=<path>; an SSLContext is the supported form.
        kw["verify"] = ssl.create_default_context(cafile=server.ca_file)
    kw.setdefault("timeout", 10.0)
    return httpx.Client(base_url=server.url, **kw)


class OutputLines:
    """A child process's stdout lines, read by a thread so that waiting for one can time out."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(proc,), daemon=True).start()

    def _pump(self, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            self._queue.put(line.rstrip("\n"))

    def next(self, timeout: float = 30) -> str:
        """The next line; raises queue.Empty after `timeout` seconds."""
        return self._queue.get(timeout=timeout)


@contextmanager
def sim_process(*args: str, command: list[str] | None = None,
                env: dict[str, str] | None = None
                ) -> Iterator[tuple[subprocess.Popen[str], OutputLines]]:
    """Run `nsxplan sim serve --port 0 ARGS...` as a child process (killed on exit).

    Read the URL with `lines.next()` (and with --tls the `CA bundle: PATH` line after it).
    `command` replaces the default `python -m nsxplan.sim.cli serve --port 0`.
    """
    argv = command or [sys.executable, "-m", "nsxplan.sim.cli", "serve", "--port", "0"]
    proc = subprocess.Popen([*argv, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})
    try:
        yield proc, OutputLines(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def stop_process(proc: subprocess.Popen[str], sig: int = signal.SIGTERM,
                 timeout: float = 20) -> tuple[int, str]:
    """Signal the simulator process, wait for it; return (exit code, its stderr)."""
    proc.send_signal(sig)
    code = proc.wait(timeout=timeout)
    assert proc.stderr is not None
    return code, proc.stderr.read()


@dataclass(frozen=True)
class ClientCert:
    cert: str  # PEM certificate path
    key: str  # PEM private key path


class TestCA:
    """A CA that signs client certificates; `ca_file` is what `--client-ca` takes."""

    __test__ = False  # not a pytest class

    def __init__(self, directory: Path, name: str = "nsxplan test PI CA") -> None:
        self.directory = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        self._name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.timezone.utc)
        ski = x509.SubjectKeyIdentifier.from_public_key(self._key.public_key())
        self._ski = ski
        self._cert = (
            x509.CertificateBuilder()
            .subject_name(self._name).issuer_name(self._name)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(self._key, hashes.SHA256())
        )
        self.ca_file = str(directory / "pi-ca.pem")
        Path(self.ca_file).write_bytes(self._cert.public_bytes(serialization.Encoding.PEM))

    def issue(self, cn: str) -> ClientCert:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
            .issuer_name(self._name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                self._ski), critical=False)
            .sign(self._key, hashes.SHA256())
        )
        safe = "".join(c if c.isalnum() else "-" for c in cn)
        cert_path = self.directory / f"{safe}.pem"
        key_path = self.directory / f"{safe}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return ClientCert(str(cert_path), str(key_path))
