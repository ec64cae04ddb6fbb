"""The app's sense of now. On AWS: the system clock. In local mode a test (or a person trying the
escalation ladder) can move it forward by writing ``{"offset_seconds": N}`` to ``CLOCK_FILE``; the app,
its scheduled jobs and the local scheduler all read the same file, so they agree on the time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


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

    def set_offset(self, offset: timedelta) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"offset_seconds": offset.total_seconds()}))
        tmp.replace(self._path)
