"""Serve a WSGI app (the simulator stack) over a real socket, optionally with TLS.

Why not `wsgiref.simple_server`: it speaks HTTP/1.0 and closes every connection, while NSX clients
(and httpx's pool) rely on HTTP/1.1 keep-alive; it also logs every request to stderr. This is a
small WSGI gateway on `http.server.ThreadingHTTPServer`: one thread per connection, so requests
overlap (latency is per request, not serialized), and a clean `stop()` that also closes idle
keep-alive connections so no handler thread outlives the server.

Injected connection drops: when the app raises `DropConnection` or `ResponseTimeout` (see
faults.py) the handler closes the socket without writing a byte, which clients see as "server
disconnected without a response" (or as their own read timeout, if it fires first).
"""

from __future__ import annotations

import datetime
import io
import ipaddress
import os
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import traceback
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from nsxplan.sim.faults import DropConnection, ResponseTimeout

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# Idle keep-alive connections are closed after this long, like a manager's reverse proxy would.
KEEPALIVE_TIMEOUT = 120.0
HANDSHAKE_TIMEOUT = 10.0
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def write_self_signed(directory: str, extra_host: str | None = None) -> tuple[str, str]:
    """Write cert.pem/key.pem for a self-signed server certificate; return their paths.

    SAN 127.0.0.1 and localhost (plus `extra_host`). The certificate is its own CA
    (basicConstraints CA, keyCertSign) so clients can use cert.pem directly as a CA bundle, with
    key identifiers so OpenSSL's strict verification mode (Python >= 3.13 default) accepts it.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    sans: list[x509.GeneralName] = [x509.DNSName("localhost"),
                                    x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    if extra_host and extra_host not in ("localhost", "127.0.0.1", "", "0.0.0.0", "::"):
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(extra_host)))
        except ValueError:
            sans.append(x509.DNSName(extra_host))
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nsxplan NSX simulator")])
    now = datetime.datetime.now(datetime.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                     content_commitment=False, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path = os.path.join(directory, "cert.pem")
    key_path = os.path.join(directory, "key.pem")
    with open(cert_path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "NSXSim"
    sys_version = ""
    timeout = KEEPALIVE_TIMEOUT
    # Buffered writes: status line, headers and body leave in one segment (flushed per
    # response); with two small writes the second can wait for the client's delayed ACK.
    # TCP_NODELAY for the same reason when a large body spans several writes.
    wbufsize = 64 * 1024
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        if self.server.verbose:
            super().log_message(format, *args)

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers: ignored
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _environ(self, body: bytes) -> dict[str, Any]:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.server.tls else "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            # Decoded like httpx.WSGITransport does (UTF-8), so the app sees the same PATH_INFO
            # in-process and over the socket.
            "PATH_INFO": urllib.parse.unquote(path),
            "QUERY_STRING": query,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "CONTENT_LENGTH": str(len(body)) if body else "",
        }
        cn = _client_cn(self.connection)
        if cn is not None:
            # Only a certificate the TLS layer verified against --client-ca gets here; the
            # auth layer maps its CN to a principal identity (mod_ssl's variable name).
            environ["SSL_CLIENT_S_DN_CN"] = cn
        for name, value in self.headers.items():
            key = name.upper().replace("-", "_")
            if key == "CONTENT_LENGTH" or key == "TRANSFER_ENCODING":
                continue
            if key != "CONTENT_TYPE":
                key = "HTTP_" + key
            sep = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = environ[key] + sep + value if key in environ else value
        return environ

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.send_error(HTTPStatus.BAD_REQUEST, "malformed request body")
            return
        environ = self._environ(body)
        captured: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None
                           ) -> Callable[[bytes], None]:
            captured["status"] = status
            captured["headers"] = headers
            return lambda _data: None

        try:
            result = self.server.app(environ, start_response)
            try:
                payload = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except (DropConnection, ResponseTimeout):
            self.close_connection = True
            return
        except Exception:  # an app bug must not kill the connection thread silently
            traceback.print_exc(file=sys.stderr)
            captured = {"status": "500 Internal Server Error",
                        "headers": [("Content-Type", "application/json")]}
            payload = (b'{"httpStatus": "INTERNAL_SERVER_ERROR", "error_code": 99, '
                       b'"module_name": "nsxsim", "error_message": "internal simulator error", '
                       b'"related_errors": []}')
        self._respond(captured["status"], captured["headers"], payload)

    def _respond(self, status: str, headers: list[tuple[str, str]], payload: bytes) -> None:
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason or None)
        names = set()
        for name, value in headers:
            lname = name.lower()
            if lname in ("connection", "transfer-encoding", "content-length"):
                continue
            names.add(lname)
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.server.stopping.is_set():
            self.close_connection = True
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        self.wfile.flush()


for _m in _METHODS:
    setattr(_Handler, "do_" + _m, _Handler._handle)


def _client_cn(conn: Any) -> str | None:
    """The subject CN of the peer's verified certificate, or None (no TLS, no certificate)."""
    if not isinstance(conn, ssl.SSLSocket):
        return None
    try:
        cert = conn.getpeercert()
    except (ValueError, OSError):
        return None
    subject: Any = (cert or {}).get("subject", ())
    for rdn in subject:
        for key, value in rdn:
            if key == "commonName":
                return str(value)
    return None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], app: WSGIApp, *, verbose: bool,
                 ipv6: bool) -> None:
        self.address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
        self.app = app
        self.verbose = verbose
        self.tls = False
        self.stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake happens here, in the connection's thread, so one slow or broken
        # client cannot stall accept() for everybody.
        if isinstance(request, ssl.SSLSocket):
            try:
                request.settimeout(HANDSHAKE_TIMEOUT)
                request.do_handshake()
            except (OSError, ssl.SSLError):
                return
        with self._conns_lock:
            self._conns.add(request)
        try:
            super().finish_request(request, client_address)
        finally:
            with self._conns_lock:
                self._conns.discard(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients resetting connections is normal for a test server: say nothing unless asked.
        if self.verbose:
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class RunningServer:
    """A server listening in a background thread. `url` has no trailing slash."""

    def __init__(self, server: _Server, thread: threading.Thread, url: str,
                 ca_file: str | None, tmpdir: str | None) -> None:
        self._server = server
        self._thread = thread
        self.url = url
        self.ca_file = ca_file
        self.host: str = str(server.server_address[0])
        self.port: int = int(server.server_address[1])
        self._tmpdir = tmpdir
        self._stopped = False

    def stop(self) -> None:
        """Stop accepting, close open connections, wait for the serving thread. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        self._server.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _url_host(host: str) -> str:
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def start_server(app: WSGIApp, *, host: str = "127.0.0.1", port: int = 0, tls: bool = False,
                 cert: str | None = None, key: str | None = None, cert_dir: str | None = None,
                 verbose: bool = False, client_ca: str | None = None) -> RunningServer:
    """Listen on host:port (0 = a free port) and serve `app` from a thread; return once listening.

    TLS: with `cert`/`key` (both or neither) that pair is served and `ca_file` is `cert`;
    otherwise `tls=True` makes a self-signed certificate for 127.0.0.1/localhost (and `host`)
    in `cert_dir` (default: a temporary directory removed by stop()) and `ca_file` points to it,
    for clients to pass as their CA bundle. Raises OSError when the address cannot be bound,
    ValueError for inconsistent TLS arguments, ssl.SSLError for an unusable cert/key pair.

    `client_ca` (PEM bundle; implies TLS): client certificates are requested (optional, as NSX
    does: password users connect without one) and verified against it; a verified certificate's
    CN reaches the app as `environ["SSL_CLIENT_S_DN_CN"]`.
    """
    if (cert is None) != (key is None):
        raise ValueError("cert and key go together: give both or neither")
    tls = tls or cert is not None or client_ca is not None
    tmpdir = None
    ca_file = None
    ctx = None
    if tls:
        if cert is None or key is None:
            if cert_dir is None:
                tmpdir = cert_dir = tempfile.mkdtemp(prefix="nsxsim-tls-")
            os.makedirs(cert_dir, exist_ok=True)
            cert, key = write_self_signed(cert_dir, extra_host=host)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        try:
            ctx.load_cert_chain(cert, key)
            if client_ca is not None:
                ctx.verify_mode = ssl.CERT_OPTIONAL
                ctx.load_verify_locations(cafile=client_ca)
        except Exception:
            if tmpdir:
                shutil.rmtree(tmpdir, ignore_errors=True)
            raise
        ca_file = cert
    try:
        server = _Server((host, port), app, verbose=verbose, ipv6=":" in host)
    except Exception:
        if tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)
        raise
    if ctx is not None:
        server.socket = ctx.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)
        server.tls = True
    scheme = "https" if tls else "http"
    url = f"{scheme}://{_url_host(host)}:{server.server_address[1]}"
    # A short poll interval keeps stop() fast: tests start and stop many servers.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              name=f"nsxsim-{server.server_address[1]}", daemon=True)
    thread.start()
    return RunningServer(server, thread, url, ca_file, tmpdir)


@contextmanager
def serve_in_thread(app: WSGIApp, **kw: Any) -> Iterator[RunningServer]:
    """For tests: start a server, yield it, always stop it."""
    running = start_server(app, **kw)
    try:
        yield running
    finally:
        running.stop()
