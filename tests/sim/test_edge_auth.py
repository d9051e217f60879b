"""Auth middleware over a real socket: basic, session (cookie + XSRF), expiry, no-auth mode."""

from __future__ import annotations

import json
from typing import Any

import httpx

from nsxplan.sim.compose import build_wsgi
from nsxplan.sim.server import serve_in_thread

URL = "/policy/api/v1/infra/tier-0s"


def whoami(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({"user": environ.get("nsxsim.user")}).encode()]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def login(client: httpx.Client, user: str = "admin", password: str = "s3cret!") -> httpx.Response:
    return client.post("/api/session/create",
                       data={"j_username": user, "j_password": password})


def session_headers(response: httpx.Response) -> dict[str, str]:
    cookie = response.headers["set-cookie"].split(";", 1)[0]
    return {"Cookie": cookie, "X-XSRF-TOKEN": response.headers["x-xsrf-token"]}


def assert_api_error(r: httpx.Response, status: int) -> dict[str, Any]:
    assert r.status_code == status
    body: dict[str, Any] = r.json()
    assert set(body) >= {"httpStatus", "error_code", "module_name", "error_message",
                         "related_errors"}
    return body


def test_basic_auth_good_bad_and_missing() -> None:
    app = build_wsgi(whoami, username="admin", password="s3cret!")
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get(URL, auth=("admin", "s3cret!")).json() == {"user": "admin"}
        body = assert_api_error(client.get(URL, auth=("admin", "wrong")), 401)
        assert body["httpStatus"] == "UNAUTHORIZED"
        assert "s3cret" not in json.dumps(body) and "wrong" not in json.dumps(body)
        assert_api_error(client.get(URL), 401)
        assert_api_error(client.get(URL, headers={"Authorization": "Basic !!!"}), 401)


def test_session_create_cookie_token_and_destroy() -> None:
    app = build_wsgi(whoami, username="admin", password="s3cret!")
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        r = login(client)
        assert r.status_code == 200
        cookie = r.headers["set-cookie"]
        assert cookie.startswith("JSESSIONID=")
        assert cookie.split(";", 1)[1].strip() == "Path=/; Secure; HttpOnly; SameSite=Lax"
        headers = session_headers(r)
        client.cookies.clear()
        assert client.get(URL, headers=headers).json() == {"user": "admin"}
        # The token is required on EVERY request, not only on writes.
        no_token = {"Cookie": headers["Cookie"]}
        assert assert_api_error(client.get(URL, headers=no_token), 403)["httpStatus"] == \
            "FORBIDDEN"
        assert_api_error(client.get(URL, headers={**headers, "X-XSRF-TOKEN": "nope"}), 403)
        assert client.patch(URL + "/t0", json={}, headers=headers).status_code == 200
        assert client.post("/api/session/destroy", headers=headers).status_code == 200
        assert_api_error(client.get(URL, headers=headers), 401)


def test_session_create_with_bad_credentials_is_401() -> None:
    app = build_wsgi(whoami, username="admin", password="s3cret!")
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        r = login(client, password="wrong")
        assert_api_error(r, 401)
        assert "set-cookie" not in r.headers
        assert_api_error(login(client, user="root"), 401)


def test_sessions_expire_after_the_idle_timeout_and_relogin_works() -> None:
    clock = FakeClock()
    app = build_wsgi(whoami, username="admin", password="s3cret!", session_timeout=5,
                     clock=clock)
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        headers = session_headers(login(client))
        clock.now += 4
        assert client.get(URL, headers=headers).status_code == 200
        clock.now += 4  # 8 s after login but only 4 s idle: still alive
        assert client.get(URL, headers=headers).status_code == 200
        clock.now += 5.5
        body = assert_api_error(client.get(URL, headers=headers), 401)
        assert "log in again" in body["error_message"]
        fresh = session_headers(login(client))
        assert client.get(URL, headers=fresh).json() == {"user": "admin"}


def test_without_credentials_everything_is_admin_and_session_flow_still_answers() -> None:
    with serve_in_thread(build_wsgi(whoami)) as server, \
            httpx.Client(base_url=server.url) as client:
        assert client.get(URL).json() == {"user": "admin"}
        assert client.get(URL, auth=("anyone", "anything")).json() == {"user": "admin"}
        r = login(client, "ops", "x")
        assert r.status_code == 200 and "x-xsrf-token" in r.headers
        assert client.get(URL, headers={"Cookie": "JSESSIONID=garbage"}).status_code == 200


def test_the_authenticated_user_reaches_the_core() -> None:
    app = build_wsgi(whoami, username="ops-user", password="pw")
    with serve_in_thread(app) as server, httpx.Client(base_url=server.url) as client:
        assert client.get(URL, auth=("ops-user", "pw")).json() == {"user": "ops-user"}
        headers = session_headers(login(client, "ops-user", "pw"))
        assert client.get(URL, headers=headers).json() == {"user": "ops-user"}
