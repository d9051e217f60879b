"""The socket server: a WSGI gateway with keep-alive, threads, TLS and a clean stop."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import threading
from typing import Any

import httpx
import pytest

from nsxplan.sim.faults import DropConnection
from nsxplan.sim.server import _url_host, serve_in_thread, start_server, write_self_signed


def echo_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    payload = json.dumps({
        "method": environ["REQUEST_METHOD"], "path": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"], "body": body.decode(),
        "content_type": environ.get("CONTENT_TYPE"), "cookie": environ.get("HTTP_COOKIE"),
        "x_test": environ.get("HTTP_X_TEST"), "scheme": environ["wsgi.url_scheme"],
        "remote": environ["REMOTE_ADDR"],
    }).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [payload]


def test_serves_on_a_free_loopback_port_and_passes_the_request_through() -> None:
    with serve_in_thread(echo_app) as server:
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0 and server.ca_file is None
        r = httpx.patch(server.url + "/policy/api/v1/infra/tier-1s/a%20b?x=1&y=2",
                        json={"k": 1}, headers={"X-Test": "yes", "Cookie": "a=1"})
        assert r.status_code == 200
        assert r.headers["content-length"] == str(len(r.content))
        seen = r.json()
        assert seen == {"method": "PATCH", "path": "/policy/api/v1/infra/tier-1s/a b",
                        "query": "x=1&y=2", "body": '{"k":1}',
                        "content_type": "application/json", "cookie": "a=1", "x_test": "yes",
                        "scheme": "http", "remote": "127.0.0.1"}


def test_keep_alive_reuses_one_connection_and_reads_chunked_bodies() -> None:
    with serve_in_thread(echo_app) as server:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
        try:
            conn.request("GET", "/one")
            first = conn.getresponse()
            assert json.loads(first.read())["path"] == "/one"
            sock = conn.sock
            conn.request("PUT", "/two", body=iter([b"ab", b"cd"]),
                         headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
            second = conn.getresponse()
            assert json.loads(second.read())["body"] == "abcd"
            assert conn.sock is sock  # same socket: HTTP/1.1 keep-alive
            conn.request("HEAD", "/three")
            head = conn.getresponse()
            assert head.status == 200 and head.read() == b""
        finally:
            conn.close()


def test_requests_are_served_concurrently() -> None:
    barrier = threading.Barrier(2, timeout=5)

    def meeting_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        barrier.wait()  # only returns when two requests are inside the app at once
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"met"]

    results: list[int] = []
    with serve_in_thread(meeting_app) as server:
        threads = [threading.Thread(target=lambda: results.append(
            httpx.get(server.url, timeout=10).status_code)) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == [200, 200]


def test_app_bug_becomes_a_500_api_error_and_drop_closes_without_a_response(
        capfd: pytest.CaptureFixture[str]) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/drop":
            raise DropConnection("injected")
        raise RuntimeError("boom")

    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        r = client.get("/bug")
        assert r.status_code == 500
        assert r.json()["httpStatus"] == "INTERNAL_SERVER_ERROR"
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/drop")
    assert "boom" in capfd.readouterr().err  # a real bug is reported, not swallowed


def test_quiet_by_default(capfd: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(echo_app) as server:
        assert httpx.get(server.url + "/quiet").status_code == 200
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_stop_closes_idle_keep_alive_connections_and_the_listener() -> None:
    server = start_server(echo_app)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/")
    conn.getresponse().read()
    server.stop()
    server.stop()  # idempotent
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        conn.request("GET", "/again")
        conn.getresponse()
    conn.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=2)


def test_tls_with_a_self_signed_certificate_in_a_temporary_ca_file() -> None:
    with serve_in_thread(echo_app, tls=True) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_file is not None
        ctx = ssl.create_default_context(cafile=server.ca_file)
        ctx.verify_flags |= ssl.VERIFY_X509_STRICT  # Python >= 3.13's default
        for host in ("127.0.0.1", "localhost"):
            r = httpx.get(f"https://{host}:{server.port}/tls", verify=ctx)
            assert r.json()["scheme"] == "https"
        with pytest.raises(httpx.ConnectError):
            httpx.get(server.url)  # not in the system trust store
        # A client that fails the handshake does not hurt the server.
        assert httpx.get(server.url, verify=ctx).status_code == 200
        ca_file = server.ca_file
    assert not os.path.exists(ca_file)  # the temporary directory is removed on stop


def test_tls_with_given_cert_and_key(tmp_path: Any) -> None:
    cert, key = write_self_signed(str(tmp_path))
    assert oct(os.stat(key).st_mode & 0o777) == "0o600"
    with serve_in_thread(echo_app, cert=cert, key=key) as server:
        assert server.ca_file == cert and server.url.startswith("https://")
        r = httpx.get(server.url, verify=ssl.create_default_context(cafile=cert))
        assert r.status_code == 200
    assert os.path.exists(cert)  # the caller's files are left alone
    with pytest.raises(ValueError, match="cert and key"):
        start_server(echo_app, cert=cert)


def test_cert_dir_keeps_the_generated_files(tmp_path: Any) -> None:
    with serve_in_thread(echo_app, tls=True, cert_dir=str(tmp_path / "tls")) as server:
        assert server.ca_file == str(tmp_path / "tls" / "cert.pem")
    assert (tmp_path / "tls" / "cert.pem").exists()


def test_port_in_use_raises_oserror() -> None:
    with serve_in_thread(echo_app) as server, pytest.raises(OSError):
        start_server(echo_app, port=server.port)


def test_verbose_logs_each_request(capfd: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(echo_app, verbose=True) as server:
        assert httpx.get(server.url + "/logged").status_code == 200
    assert '"GET /logged HTTP/1.1" 200' in capfd.readouterr().err


def test_urls_for_wildcard_and_ipv6_hosts() -> None:
    # Tests bind to 127.0.0.1 only; the URL mapping is checked without binding elsewhere.
    assert _url_host("0.0.0.0") == "127.0.0.1" and _url_host("::") == "[::1]"
    assert _url_host("::1") == "[::1]" and _url_host("localhost") == "localhost"
