"""The names people know staff by (王工), for pages: tickets store logins, pages show names.

Read from the staff directory for all staff at once and kept for a few minutes, so a page with a long
timeline costs at most one read. A login without a name, or a directory that cannot be read, shows as
the login: a page never fails for want of a name.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from aws_lambda_powertools import Logger

from chalicelib.services.ports import StaffDirectory

logger = Logger(child=True)
NAMES_SECONDS = 300.0  # a name an admin just set shows within minutes


class StaffNames:
    def __init__(self, directory: StaffDirectory, *, keep_seconds: float = NAMES_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic):
        self._directory = directory
        self._keep_seconds = keep_seconds
        self._monotonic = monotonic
        self._names: dict[str, str] = {}
        self._read_at: float | None = None

    def _current(self) -> dict[str, str]:
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= self._keep_seconds:
            # Set first: a directory that fails is asked again after the interval, not on every line.
            self._read_at = now
            try:
                self._names = self._directory.display_names()
            except Exception:
                logger.exception("could not read staff names; showing logins")
        return self._names

    def name(self, login: str) -> str:
        """The person's name, or ``login`` when none is known."""
        return self._current().get(login) or login
