"""Pure unit tests of the client's mapping logic (no server needed): error bodies, URLs,
realization aggregation, Retry-After parsing, auth selection."""

from __future__ import annotations

import httpx
import pytest

from nsxplan.client import aggregate_realization, consolidated_realization, policy_url
from nsxplan.client.apierror import api_error_info
from nsxplan.client.auth import BasicAuth, CertAuth, SessionAuth, make_auth, session_cookie
from nsxplan.client.ratelimit import RetryPolicy, parse_retry_after
from nsxplan.errors import UsageError


def test_policy_url_prefixes_only_infra() -> None:
    assert policy_url("/infra/tier-0s/t0") == "/policy/api/v1/infra/tier-0s/t0"
    assert policy_url("/infra") == "/policy/api/v1/infra"
    assert policy_url("/api/v1/node/version") == "/api/v1/node/version"
    assert policy_url("/policy/api/v1/infra/segments") == "/policy/api/v1/infra/segments"
    assert policy_url("/infrastructure") == "/infrastructure"


def test_error_code_int_and_string_both_become_strings() -> None:
    r1 = httpx.Response(400, json={"error_code": 500030, "error_message": "has children",
                                   "module_name": "Policy",
                                   "related_errors": [{"error_code": 1, "error_message": "x"}]})
    info = api_error_info(r1, "DELETE", "/infra/tier-0s/t0")
    assert (info.error_code, info.message, info.module_name) == ("500030", "has children",
                                                                 "Policy")
    assert info.related == ["1: x"]
    r2 = httpx.Response(429, json={"error_code": "102", "error_message": "rate"})
    assert api_error_info(r2, "GET", "/infra").error_code == "102"


def test_non_json_error_body_keeps_first_line() -> None:
    r = httpx.Response(502, text="<html>Bad Gateway</html>\nmore")
    info = api_error_info(r, "GET", "/infra")
    assert info.error_code is None
    assert info.message == "<html>Bad Gateway</html>"
    empty = api_error_info(httpx.Response(503), "GET", "/infra")
    assert empty.message == "Service Unavailable"


@pytest.mark.parametrize("entities,expected", [
    ([], ("UNKNOWN", None)),
    ([{"state": "REALIZED"}, {"state": "REALIZED"}], ("REALIZED", None)),
    ([{"state": "REALIZED"}, {"state": "UNREALIZED"}], ("UNREALIZED", None)),
    ([{"state": "REALIZED"}, {"state": "ERROR", "runtime_error": "boom",
                              "alarms": [{"message": "edge down"}, {"message": "boom"}]}],
     ("ERROR", "boom; edge down")),
    ([{"state": "ERROR"}], ("ERROR", "realization failed")),
])
def test_realization_aggregation(entities: list[dict], expected: tuple) -> None:
    assert aggregate_realization(entities) == expected


EP = "/infra/sites/default/enforcement-points/default"


@pytest.mark.parametrize("status,expected", [
    ({"intent_path": "/x", "consolidated_status": {"consolidated_status": "SUCCESS"}},
     ("REALIZED", None)),
    ({"intent_path": "/x", "consolidated_status": {"consolidated_status": "IN_PROGRESS"},
      "publish_status": "REALIZED"}, ("UNREALIZED", None)),
    ({"intent_path": "/x", "consolidated_status": {"consolidated_status": "UNINITIALIZED"},
      "publish_status": "UNAVAILABLE"}, ("UNAVAILABLE", None)),
    ({"intent_path": "/x"}, ("UNKNOWN", None)),
    # 3.2/4.1 items, then a 4.2 item with resource_type: the alarm text either way
    ({"intent_path": "/x", "consolidated_status": {"consolidated_status": "ERROR"},
      "consolidated_status_per_enforcement_point": [
          {"enforcement_point_path": EP, "alarm": {"message": "edge down"}},
          {"resource_type": "ConsolidatedStatusPerEnforcementPoint",
           "alarm": {"error_details": {"error_message": "no route"}}}]},
     ("ERROR", "edge down; no route")),
    ({"intent_path": "/x", "consolidated_status": {"consolidated_status": "ERROR"}},
     ("ERROR", None)),
])
def test_consolidated_status_mapping(status: dict, expected: tuple) -> None:
    assert consolidated_realization(status) == expected


def test_retry_after_parsing_and_jitter_bounds() -> None:
    assert parse_retry_after("1") == 1.0
    assert parse_retry_after(" 2.5 ") == 2.5
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") is None
    assert parse_retry_after(None) is None
    policy = RetryPolicy(base=0.5, cap=4.0)
    for n in range(8):
        assert 0 <= policy.delay(n, None) <= min(4.0, 0.5 * 2 ** n)
    assert 3.0 <= policy.delay(0, 3.0) <= 3.5


def test_auth_selection_and_no_secret_in_repr() -> None:
    assert isinstance(make_auth("basic", "admin", "s3cret"), BasicAuth)
    session = make_auth("session", "admin", "s3cret")
    assert isinstance(session, SessionAuth)
    assert "s3cret" not in repr(session) and "s3cret" not in repr(make_auth("basic", "a", "s3cret"))
    assert isinstance(make_auth("basic", None, None, has_cert=True), CertAuth)
    with pytest.raises(UsageError, match="no password"):
        make_auth("basic", "admin", None)
    with pytest.raises(UsageError, match="unknown auth"):
        make_auth("kerberos", "admin", "x")


def test_session_cookie_parsed_from_secure_set_cookie() -> None:
    r = httpx.Response(200, headers=[("set-cookie", "other=1; Path=/"),
                                     ("set-cookie", "JSESSIONID=ABC123; Path=/; Secure; HttpOnly")])
    assert session_cookie(r) == "ABC123"
    assert session_cookie(httpx.Response(200)) is None


def test_token_bucket_spaces_requests_beyond_the_burst() -> None:
    from nsxplan.client.ratelimit import TokenBucket

    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = TokenBucket(5.0, burst=5, clock=lambda: now[0], sleep=sleep)
    waits = [bucket.acquire() for _ in range(15)]
    assert waits[:5] == [0.0] * 5                        # the burst passes at once
    assert all(w > 0 for w in waits[5:])
    assert now[0] == pytest.approx(2.0)                  # 10 more tokens at 5/s
    assert TokenBucket(None).acquire() == 0.0            # disabled


def test_client_defaults_stay_below_nsx_limits() -> None:
    from nsxplan.client import NsxClient
    from nsxplan.client.ratelimit import DEFAULT_IN_FLIGHT, DEFAULT_RATE

    assert DEFAULT_RATE < 100 and DEFAULT_IN_FLIGHT < 40
    client = NsxClient(httpx.Client(transport=httpx.MockTransport(
        lambda r: httpx.Response(200, json={}))))
    try:
        assert client._bucket.rate == DEFAULT_RATE
        assert client.retry.max_attempts == 6 and client.retry.max_total_wait == 30.0
    finally:
        client.close()
