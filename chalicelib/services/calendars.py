"""The holiday book kept current from the schedules operators store, and where it falls short.

Every business-hours calendar reads its working days from one holiday book (``domain/holidays.py``).
This service loads the stored schedules into it, at most every few minutes per process, whenever the
plans or rosters are read (which are kept as long), so a schedule stored with ``ops.config calendars put`` reaches the sweep
and the pages without a deploy.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.domain.calendars import use_holiday_book
from chalicelib.domain.escalation import Roster
from chalicelib.domain.holidays import HolidayBasis, HolidayBook, YearSchedule, years_to_cover
from chalicelib.domain.plans import ServicePlan
from chalicelib.services.ports import ConfigStore

REFRESH_SECONDS = 300.0


class HolidayCalendars:
    def __init__(
        self, store: ConfigStore, *, timezone: str, refresh_seconds: float = REFRESH_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._zone = ZoneInfo(timezone)
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._loaded_at: float | None = None
        self._book = HolidayBook()

    def book(self) -> HolidayBook:
        """The current book, reloaded from the store when it is older than the refresh interval."""
        now = self._monotonic()
        if self._loaded_at is None or now - self._loaded_at >= self._refresh_seconds:
            self._book = HolidayBook(self._store.calendars())
            self._loaded_at = now
        use_holiday_book(self._book)
        return self._book

    @property
    def refresh_seconds(self) -> float:
        return self._refresh_seconds

    def monotonic(self) -> float:
        return self._monotonic()

    def put(self, schedule: YearSchedule) -> None:
        self._store.put_calendar(schedule)
        self._loaded_at = None

    def gaps(self, now: datetime) -> dict[int, HolidayBasis]:
        """Years that deadlines may reach soon (this year; next year from November) without an official
        schedule, with what their working days rest on instead."""
        return self.book().gaps(years_to_cover(now.astimezone(self._zone).date()))


class HolidayAwareConfig:
    """The configuration store, with the holiday book brought up to date before plans or rosters are
    used: every deadline is computed from one of them."""

    def __init__(self, store: ConfigStore, calendars: HolidayCalendars):
        self._store = store
        self.holidays = calendars
        # Plans and rosters are kept as long as the holiday book: every move and every ticket a sweep
        # takes needs them, and reading them each time cost a request each (a put here drops them).
        self._kept: dict[str, tuple[float, list[Any]]] = {}

    def plans(self) -> list[ServicePlan]:
        self.holidays.book()
        return self._kept_or_read("plans", self._store.plans)

    def rosters(self) -> list[Roster]:
        self.holidays.book()
        return self._kept_or_read("rosters", self._store.rosters)

    def _kept_or_read(self, what: str, read: Callable[[], list[Any]]) -> list[Any]:
        now = self.holidays.monotonic()
        kept = self._kept.get(what)
        if kept is None or now - kept[0] >= self.holidays.refresh_seconds:
            kept = self._kept[what] = (now, read())
        return kept[1]

    def put_plan(self, plan: ServicePlan) -> None:
        self._store.put_plan(plan)
        self._kept.pop("plans", None)

    def put_roster(self, roster: Roster) -> None:
        self._store.put_roster(roster)
        self._kept.pop("rosters", None)

    def replace_roster(self, roster: Roster) -> bool:
        # Either way the rosters kept here are no longer what is stored: an edit that lost reads again.
        self._kept.pop("rosters", None)
        return self._store.replace_roster(roster)

    def calendars(self) -> list[YearSchedule]:
        return self._store.calendars()

    def put_calendar(self, schedule: YearSchedule) -> None:
        self.holidays.put(schedule)
