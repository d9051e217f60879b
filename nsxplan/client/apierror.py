"""NSX's error answers -> NsxApiError: the one mapping from an HTTP response to an API error.

Its own module so that both the client and the session-auth login use it without importing each
other (the simulator mirrors the name: sim/apierror.py builds the answers this module reads).
"""

from __future__ import annotations

from typing import Any

import httpx

from nsxplan.errors import ApiErrorInfo, NsxApiError


def raise_for_status(response: httpx.Response, method: str, path: str) -> None:
    if response.is_success:
        return
    raise NsxApiError(api_error_info(response, method, path))


def api_error_info(response: httpx.Response, method: str, path: str) -> ApiErrorInfo:
    """NSX ApiError body -> ApiErrorInfo; copes with non-JSON bodies (proxies, load balancers)
    and with error_code sent as int or string."""
    body: Any = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
        return ApiErrorInfo(status=response.status_code, method=method, path=path,
                            message=text or response.reason_phrase, body=None)
    message = str(body.get("error_message") or body.get("message") or body.get("details")
                  or response.reason_phrase)
    related = []
    for rel in body.get("related_errors") or []:
        if isinstance(rel, dict):
            code = _code(rel.get("error_code"))
            text = str(rel.get("error_message") or rel.get("details") or "")
            related.append(f"{code}: {text}" if code else text)
    module = body.get("module_name")
    return ApiErrorInfo(status=response.status_code, method=method, path=path,
                        error_code=_code(body.get("error_code")), message=message,
                        module_name=str(module) if module is not None else None,
                        related=related, body=body)


def _code(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
