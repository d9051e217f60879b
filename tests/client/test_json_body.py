"""How a response body becomes the dict callers read (parsed from text, bytes dropped first)."""

from __future__ import annotations

import json

import httpx

from nsxplan.client import _json_body


def _response(content: bytes) -> httpx.Response:
    return httpx.Response(200, content=content)


def test_object_list_empty_and_unparsable_bodies() -> None:
    assert _json_body(_response(b'{"a": [1, "\xc3\xa9"]}')) == {"a": [1, "\u00e9"]}
    assert _json_body(_response(b"[1, 2]")) == {"results": [1, 2]}
    assert _json_body(_response(b"")) == {}
    assert _json_body(_response(b"{not json")) == {}
    assert _json_body(_response(b"\xff\xfe\xfd")) == {}


def test_bodies_in_every_json_encoding_parse_like_json_loads() -> None:
    body = {"display_name": "caf\u00e9"}
    for encoding in ("utf-8", "utf-8-sig", "utf-16", "utf-32"):
        raw = json.dumps(body, ensure_ascii=False).encode(encoding)
        assert _json_body(_response(raw)) == json.loads(raw) == body


def test_the_response_keeps_no_body_after_it_is_read() -> None:
    response = _response(b'{"a": 1}')
    assert _json_body(response) == {"a": 1}
    assert response.content == b""
