"""Which failing checks this plan is responsible for, and which ones a waiver silences.

A plan is judged twice: on the state after the plan (what the checks always did) and on the
live state alone, before it (the baseline). Each check of the first run is then classified:

- `new`: it fails after the plan and did not before (or was less severe): the plan causes it;
- `left`: it failed before and still fails, but the plan touches it (the finding changed, or
  the plan changes an object the check looked at): the plan leaves it failing;
- `already`: it failed before exactly the same way and the plan does not touch it: printed as
  "already failing", and it does not block (NCP handing out an egress address overnight must
  not block an unrelated route);
- `fixed`: it failed before and passes after.

A check that failed before and is absent after (the plan removed what it judged) is kept as
`fixed`, so that `drift`, which judges live state, still sees the live failure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Final

from nsxplan.config.model import Waiver
from nsxplan.plan.model import NOOP, UPDATE, Action, Baseline, Check

NEW: Final = "new"
LEFT: Final = "left"
ALREADY: Final = "already"
FIXED: Final = "fixed"

_RANK = {"ok": 0, "warn": 1, "fail": 2}


def judge(after: Sequence[Check], before: Sequence[Check],
          changed_paths: Collection[str]) -> tuple[Check, ...]:
    """`after` annotated with `was` (status before the plan) and `baseline`."""
    earlier = dict(zip(_keys(before), before, strict=True))
    out: list[Check] = []
    seen: set[tuple[str, str, int]] = set()
    for key, c in zip(_keys(after), after, strict=True):
        seen.add(key)
        b = earlier.get(key)
        was = b.status if b is not None else None
        out.append(dataclasses.replace(c, was=was, baseline=_classify(c, b, changed_paths)))
    for key, b in zip(_keys(before), before, strict=True):
        if key in seen or b.status == "ok":
            continue
        out.append(dataclasses.replace(
            b, status="ok", was=b.status, baseline=FIXED, remediation=None,
            # the fix was for NSX as it is now: this plan already resolves it, and showing it
            # would suggest rules beside (or conflicting with) the ones the plan adds
            message=f"resolved by this plan (on NSX now: {b.message})"))
    return tuple(out)


def restored_by_apply(live: Sequence[Check], after: Sequence[Check]) -> tuple[Check, ...]:
    """`drift` judges NSX as it is now; a live failure that the configuration already fixes (a
    REFLEXIVE rule disabled in the UI) gets as its fix `nsxplan apply`, not the generic
    remediation, which would have the operator add a second rule beside the disabled one."""
    passing = {key for key, c in zip(_keys(after), after, strict=True) if c.status == "ok"}
    return tuple(
        dataclasses.replace(c, remediation=(
            "the configuration already fixes this: `nsxplan apply` restores what drifted"))
        if c.status != "ok" and key in passing else c
        for key, c in zip(_keys(live), live, strict=True))


def _keys(checks: Sequence[Check]) -> list[tuple[str, str, int]]:
    """(id, subject, n): one DNS server has one check per client range under one subject, so
    the n-th of them before is compared with the n-th after (checks come in a fixed order)."""
    count: dict[tuple[str, str], int] = {}
    out = []
    for c in checks:
        n = count.get((c.id, c.subject), 0)
        count[(c.id, c.subject)] = n + 1
        out.append((c.id, c.subject, n))
    return out


def _classify(c: Check, b: Check | None, changed: Collection[str]) -> Baseline | None:
    if c.status == "ok":
        return FIXED if b is not None and b.status != "ok" else None
    if b is None or _RANK.get(b.status, 0) < _RANK.get(c.status, 0):
        return NEW
    if b.message == c.message and not touches(c, changed):
        return ALREADY
    return LEFT


def changed_paths(actions: Iterable[Action]) -> list[str]:
    """Paths whose NSX behaviour the plan changes: a tags-only update (adopting, recording)
    changes no route or translation, so it touches no check."""
    return [a.path for a in actions if a.action != NOOP and (
        a.action != UPDATE or any(d.field != "tags" for d in a.diff))]


def touches(check: Check, changed: Collection[str]) -> bool:
    """Does the plan change an object the check looked at (a path or a path prefix)?"""
    return any(p == q or p.startswith(q.rstrip("/") + "/")
               for p in changed for q in check.paths)


def apply_waivers(checks: Iterable[Check], waivers: Sequence[Waiver]) -> tuple[Check, ...]:
    """Mark the one check each waiver names (check id and subject, exactly)."""
    by_key = {(w.check, w.subject): w for w in waivers}
    out = []
    for c in checks:
        w = by_key.get((c.id, c.subject))
        if w is not None and (c.status != "ok" or c.was not in (None, "ok")):
            c = dataclasses.replace(c, waiver=f"{w.reason} (until {w.expires.isoformat()})")
        out.append(c)
    return tuple(out)


UNUSED_ID = "waiver.unused"


def unused_waivers(checks: Iterable[Check], waivers: Sequence[Waiver]) -> list[Check]:
    """A warning per waiver that accepts nothing: the failure is gone (remove the waiver before
    its date makes the configuration invalid) or its check id or subject is misspelt."""
    used = {(c.id, c.subject) for c in checks if c.waiver}
    return [Check(id=UNUSED_ID, status="warn", subject=f"waiver for {w.check} on {w.subject}",
                  message="accepts no failing check: the failure is gone, or the check id or "
                          "subject "
                          "does not match one printed by plan exactly",
                  remediation="remove the waiver, or copy the id and subject from the plan",
                  source=w.source)
            for w in waivers if (w.check, w.subject) not in used]


def expired(waivers: Iterable[Waiver], today: date) -> list[Waiver]:
    return [w for w in waivers if w.expires < today]
