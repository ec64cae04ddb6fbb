"""The app's sense of now. On AWS: the system clock. In local mode a test (or a person trying the
escalation ladder) can move it forward by writing ``{"offset_seconds": N}`` to ``CLOCK_FILE``; the app,
its scheduled jobs and the local scheduler all read the same file, so they agree on the time."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep_until(self, moment: datetime) -> None:
        _sleep_until(self, moment)


class OffsetClock:
    def __init__(self, path: str):
        self._path = Path(path)

    def offset(self) -> timedelta:
        try:
            return timedelta(seconds=float(json.loads(self._path.read_text())["offset_seconds"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset()

    def sleep_until(self, moment: datetime) -> None:
        _sleep_until(self, moment)

    def set_offset(self, offset: timedelta) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))
        tmp.replace(self._path)


def _sleep_until(clock: SystemClock | OffsetClock, moment: datetime) -> None:
    # In short naps, reading the clock again after each: the local clock may be moved meanwhile.
    while (left := (moment - clock.now()).total_seconds()) > 0:
        time.sleep(min(left, 1.0))
