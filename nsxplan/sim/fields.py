"""Field-level checks shared by the per-kind rules: types, enums, ranges, IPs and CIDRs.

Each check raises an ApiError 400 whose message follows NSX's "Field level validation errors: {...}"
shape, naming the field and the offending value so a client can show it to a user.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from typing import Any

from nsxplan.sim.apierror import ApiError, bad_request

MISSING = object()


def field_error(message: str) -> ApiError:
    return bad_request(f"Field level validation errors: {{{message}}}")


def required(obj: dict[str, Any], name: str, what: str = "") -> Any:
    value = obj.get(name)
    if value is None or value == "" or value == []:
        raise field_error(f"required property {what or name} is missing")
    return value


def enum(obj: dict[str, Any], name: str, allowed: Iterable[str]) -> None:
    value = obj.get(name)
    if value is None:
        return
    allowed = tuple(allowed)
    if value not in allowed:
        raise field_error(f"{name} has invalid value {value!r}; allowed values are {list(allowed)}")


def boolean(obj: dict[str, Any], *names: str) -> None:
    for name in names:
        value = obj.get(name)
        if value is not None and not isinstance(value, bool):
            raise field_error(f"{name} must be a boolean, got {value!r}")


def integer(obj: dict[str, Any], name: str, lo: int | None = None, hi: int | None = None) -> None:
    value = obj.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise field_error(f"{name} must be an integer, got {value!r}")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise field_error(f"{name} value {value} is out of range [{lo}, {hi}]")


def string(obj: dict[str, Any], name: str, max_len: int | None = None) -> None:
    value = obj.get(name)
    if value is None:
        return
    if not isinstance(value, str):
        raise field_error(f"{name} must be a string, got {value!r}")
    if max_len is not None and len(value) > max_len:
        raise field_error(f"{name} is longer than {max_len} characters")


def array(
    obj: dict[str, Any], name: str, min_items: int = 0, max_items: int | None = None
) -> list[Any]:
    value = obj.get(name)
    if value is None:
        return []
    if not isinstance(value, list):
        raise field_error(f"{name} must be an array, got {value!r}")
    if len(value) < min_items:
        raise field_error(f"{name} must have at least {min_items} item(s)")
    if max_items is not None and len(value) > max_items:
        raise field_error(f"{name} must have at most {max_items} item(s), got {len(value)}")
    return value


def mapping(obj: dict[str, Any], name: str) -> dict[str, Any]:
    value = obj.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise field_error(f"{name} must be an object, got {value!r}")
    return value


def ip(value: Any, name: str, v4_only: bool = False) -> None:
    try:
        addr = ipaddress.ip_address(value) if isinstance(value, str) else None
    except ValueError:
        addr = None
    if addr is None or (v4_only and addr.version != 4):
        family = "IPv4 address" if v4_only else "IP address"
        raise field_error(f"{name} value {value!r} is not a valid {family}")


def _prefixed(value: Any, parse: Callable[[str], object]) -> bool:
    try:
        return isinstance(value, str) and "/" in value and bool(parse(value))
    except ValueError:
        return False


def cidr(value: Any, name: str) -> None:
    """A network in CIDR notation; host bits must be zero (NSX rejects 10.0.0.1/24 as a network)."""
    if not _prefixed(value, ipaddress.ip_network):
        raise field_error(f"{name} value {value!r} is not a valid network in CIDR notation")


def interface_cidr(value: Any, name: str) -> None:
    """An address with its prefix length (segment gateway_address, e.g. 10.244.0.1/28)."""
    if not _prefixed(value, ipaddress.ip_interface):
        raise field_error(f"{name} value {value!r} is not a valid address/prefix_len")


def address_count(item: str) -> int:
    """Number of addresses in one IP, CIDR or range ``a-b`` (raises ValueError when invalid)."""
    if "-" in item:
        lo_s, hi_s = item.split("-", 1)
        lo, hi = ipaddress.ip_address(lo_s.strip()), ipaddress.ip_address(hi_s.strip())
        if lo.version != hi.version or int(hi) < int(lo):
            raise ValueError(item)
        return int(hi) - int(lo) + 1
    if "/" in item:
        return ipaddress.ip_network(item.strip(), strict=False).num_addresses
    ipaddress.ip_address(item.strip())
    return 1


def address_list(value: Any, name: str, allow_list: bool = True) -> int:
    """NAT address fields: IP, CIDR or range, comma-separated when allowed; returns the size."""
    if not isinstance(value, str) or not value.strip():
        raise field_error(f"{name} value {value!r} is not a valid IP address, CIDR or range")
    items = [part for part in value.split(",")]
    if len(items) > 1 and not allow_list:
        raise field_error(f"{name} must be a single IP address, CIDR or range, got {value!r}")
    total = 0
    for item in items:
        try:
            total += address_count(item)
        except ValueError:
            raise field_error(
                f"{name} value {item.strip()!r} is not a valid IP address, CIDR or range"
            ) from None
    return total


_ASPLAIN = re.compile(r"[0-9]{1,10}")
_ASDOT = re.compile(r"([0-9]{1,5})\.([0-9]{1,5})")


def as_number(value: Any, name: str) -> None:
    """BGP AS numbers are strings in ASPLAIN ("65001") or ASDOT ("1.10") notation; "" is
    accepted (an empty local AS disables BGP, reference §4.4)."""
    ok = isinstance(value, str)
    if ok and value:
        dot = _ASDOT.fullmatch(value)
        if dot:
            high, low = int(dot[1]), int(dot[2])
            ok = high <= 65535 and low <= 65535 and (high or low) > 0
        else:
            ok = bool(_ASPLAIN.fullmatch(value)) and 1 <= int(value) <= 4294967295
    if not ok:
        raise field_error(f"{name} value {value!r} is not a valid AS number (ASPLAIN or ASDOT)")
