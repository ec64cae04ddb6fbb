"""How often an anonymous caller may do something: a number of uses per subject (a phone number, an IP
address) in fixed windows of time.

Windows are aligned to the epoch (clock hours, UTC days), so every process agrees on the window of a
moment without asking anyone, and a counter's key names its window: a counter that outlives its window
is never read again, whenever storage gets round to deleting it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    scope: str  # what is counted, e.g. "intake_phone"; part of the counter's key
    most: int  # uses allowed in one window
    per: timedelta  # the window's length


@dataclass(frozen=True)
class Allowance:
    allowed: bool
    window_ends: datetime  # a refused caller may try again from then on

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window ends (at least 1), for a ``Retry-After`` header."""
        return max(1, math.ceil((self.window_ends - now).total_seconds()))


def window(now: datetime, per: timedelta) -> tuple[datetime, datetime]:
    """The window holding ``now``: [start, end)."""
    length = int(per.total_seconds())
    start = _EPOCH + timedelta(seconds=int((now - _EPOCH).total_seconds()) // length * length)
    return start, start + per
