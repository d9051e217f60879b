"""NSX ApiError bodies and the error codes the simulator uses.

Codes marked "NSX" come from the reference (§9); the others are made up where the sources are
silent (reference §11) and are stable so tests and clients can match them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

INVALID_REQUEST = 255  # made up: schema/field violations (enums, ranges, formats, required)
PATH_INVALID = 500012  # NSX: "The path=[...] is invalid" (bad reference; also missing parent)
DELETE_BLOCKED = 500030  # NSX: has children / referenced
NOT_FOUND = 500090  # NSX-style "The requested object : ... could not be found"
ALREADY_EXISTS = 500127  # NSX (SAP mock)
NAT_ACTIVE_ACTIVE = 500163  # made up: SNAT/DNAT on an ACTIVE_ACTIVE Tier-0
BAD_HIERARCHY = 500165  # NSX: "Invalid Dto type hierarchy"
SYSTEM_MANAGED = 500170  # made up: clients may not create/delete NAT sections
PROTECTED = 500171  # made up: write to an object protected by a principal identity
SYSTEM_OWNED = 500174  # made up: write to a `_system_owned` object
STALE_REVISION = 604  # made up (reference §11): stale _revision -> 412
METHOD_NOT_ALLOWED = 500172  # made up
TOO_MANY_INTENTS = 500173  # made up: H-API call with more than 5000 intents
INTERNAL_ERROR = 99  # made up: an unexpected simulator failure (HTTP 500)


class ApiError(Exception):
    """An error the simulator answers with an NSX ApiError body."""

    def __init__(self, status: int, error_code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "httpStatus": HTTPStatus(self.status).name,
            "error_code": self.error_code,
            "module_name": "Policy",
            "error_message": self.message,
            "related_errors": [],
        }


def bad_request(message: str, code: int = INVALID_REQUEST) -> ApiError:
    return ApiError(400, code, message)


def not_found(path: str) -> ApiError:
    return ApiError(
        404,
        NOT_FOUND,
        f"The requested object : {path} could not be found. Object identifiers are case sensitive.",
    )


def invalid_path(path: str, why: str = "") -> ApiError:
    return bad_request(f"The path=[{path}] is invalid{': ' + why if why else ''}.", PATH_INVALID)


def delete_blocked(path: str, by: str) -> ApiError:
    return bad_request(
        f"The object path=[{path}] cannot be deleted as either it has children or it is being "
        f"referenced by other objects path=[{by}]",
        DELETE_BLOCKED,
    )
