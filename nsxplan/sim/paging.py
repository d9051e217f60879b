"""NSX list paging, one reading for every list the simulator serves (plain lists, search).

`page_size` (at most the simulator's maximum, reference §11) and an opaque `cursor` that is the
next offset, base64: a client must treat it as opaque, and one that does not is refused with
NSX's 400 for a cursor it cannot read.
"""

from __future__ import annotations

import base64
import binascii

from nsxplan.sim.apierror import bad_request


def page_params(page_size: str | None, cursor: str | None, max_page: int) -> tuple[int, int]:
    """(size, offset) of the page asked for; ApiError 400 for a size or cursor it cannot use."""
    try:
        size = max_page if page_size is None else int(page_size)
    except ValueError:
        size = 0
    if size < 1:
        raise bad_request(f"page_size must be a positive integer, got {page_size!r}.")
    offset = 0
    if cursor:
        try:
            offset = int(base64.urlsafe_b64decode(cursor.encode()).decode())
        except (ValueError, binascii.Error):
            raise bad_request(f"Invalid cursor {cursor!r}.") from None
    return min(size, max_page), offset


def next_cursor(offset: int, size: int, total: int) -> str | None:
    """The cursor of the page after [offset, offset + size) of `total` items; None on the last."""
    if offset + size >= total:
        return None
    return base64.urlsafe_b64encode(str(offset + size).encode()).decode()
