"""Which hours count towards a deadline: every hour (24/7), or working hours on China's working days.

A plan's calendar decides how far a "12 h" promise reaches. All datetimes in and out are timezone-aware
UTC; the calendar's zone only places the day and hour boundaries. Arithmetic walks whole days, never
minutes, so a month-long duration costs about thirty steps.

Calendars are data (a pydantic discriminated union on ``kind``) so a plan stored as JSON can name one:
``{"kind": "24/7"}`` or ``{"kind": "business_hours", "opens": "08:30", "closes": "17:30"}``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from chalicelib.domain.holidays import HolidayBasis, HolidayBook, HolidayRegion

DEFAULT_TIMEZONE = "Asia/Shanghai"
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


class AlwaysOpen(BaseModel):
    """24/7: every hour counts, nights, weekends and holidays included (002 §6.1 "incl. holidays")."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["24/7"] = "24/7"

    @property
    def working_day(self) -> timedelta:
        """How much time "one day" of a target means on this calendar."""
        return _ONE_DAY

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return _utc(start) + _non_negative(duration)

    def between(self, start: datetime, end: datetime) -> timedelta:
        return max(_utc(end) - _utc(start), _ZERO)

    def assumptions(self, start: datetime, end: datetime) -> dict[int, HolidayBasis]:
        """Every hour counts, so no holiday data is assumed."""
        return {}


class BusinessHours(BaseModel):
    """Working hours on working days, in one time zone.

    Working days follow China's official calendar as the holiday book has it (``holidays.py``: operator
    data, then ``chinese_calendar``, then the statutory days): weekends and public holidays are skipped
    and make-up working days (调休, e.g. a Saturday before National Day) count. ``holidays="CN-GD"`` adds
    a province's own days; ``holidays="none"`` means plain Monday–Friday on purpose.

    Shifts crossing midnight are not supported: ``opens`` must be before ``closes``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["business_hours"] = "business_hours"
    timezone: str = DEFAULT_TIMEZONE
    opens: time = time(8, 30)
    closes: time = time(17, 30)
    holidays: Literal["none"] | HolidayRegion = "CN"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @model_validator(mode="after")
    def _opens_before_closes(self) -> BusinessHours:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("opening hours are local times; give them without a zone")
        if self.opens >= self.closes:
            raise ValueError("opens must be before closes (overnight shifts are not supported)")
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def working_day(self) -> timedelta:
        """One working day of a target, e.g. 9 h for 08:30–17:30: "1 day" from Fri 16:00 is Mon 16:00."""
        return datetime.combine(date.min, self.closes) - datetime.combine(date.min, self.opens)

    def is_working_date(self, day: date) -> bool:
        if self.holidays == "none":
            return day.weekday() < 5
        return _book.is_working_date(day, self.holidays)

    def assumptions(self, start: datetime, end: datetime) -> dict[int, HolidayBasis]:
        """The years from ``start`` to ``end`` whose working days rest on less than an official schedule."""
        if self.holidays == "none":
            return {}
        first, last = (_utc(m).astimezone(self.zone).year for m in (start, end))
        return _book.gaps(range(min(first, last), max(first, last) + 1))

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The working hours of one local date, as UTC instants."""
        zone = self.zone
        opens = datetime.combine(day, self.opens, tzinfo=zone).astimezone(UTC)
        closes = datetime.combine(day, self.closes, tzinfo=zone).astimezone(UTC)
        return opens, closes

    def add(self, start: datetime, duration: timedelta) -> datetime:
        start = _utc(start)
        remaining = _non_negative(duration)
        if not remaining:
            return start
        day = start.astimezone(self.zone).date()
        cursor = start
        # Working dates exist in every week, so this loop ends after about duration / working_day steps.
        while True:
            if self.is_working_date(day):
                opens, closes = self.window(day)
                cursor = max(cursor, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            day += _ONE_DAY

    def between(self, start: datetime, end: datetime) -> timedelta:
        start, end = _utc(start), _utc(end)
        if end <= start:
            return _ZERO
        zone = self.zone
        day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
        total = _ZERO
        while day <= last:
            if self.is_working_date(day):
                opens, closes = self.window(day)
                low, high = max(opens, start), min(closes, end)
                if high > low:
                    total += high - low
            day += _ONE_DAY
        return total


Calendar = Annotated[AlwaysOpen | BusinessHours, Field(discriminator="kind")]
"""A calendar as plan data; ``kind`` picks 24/7 or business hours."""

ALWAYS_OPEN = AlwaysOpen()
CHINA_BUSINESS_HOURS = BusinessHours()


def add_working_time(calendar: AlwaysOpen | BusinessHours, start_utc: datetime, duration: timedelta) -> datetime:
    """The instant at which ``duration`` of working time has passed since ``start_utc``.

    A positive duration from outside working hours starts counting at the next opening; a duration that
    ends exactly at closing time ends then (not at the next morning's opening).
    """
    return calendar.add(start_utc, duration)


def working_time_between(calendar: AlwaysOpen | BusinessHours, start: datetime, end: datetime) -> timedelta:
    """Working time from ``start`` to ``end``; zero when ``end`` is not after ``start``."""
    return calendar.between(start, end)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("the SLA clock needs timezone-aware datetimes")
    return moment.astimezone(UTC)


def _non_negative(duration: timedelta) -> timedelta:
    if duration < _ZERO:
        raise ValueError("a working-time duration cannot be negative")
    return duration


# The holiday book is reference data shared by every calendar embedded in plans and rosters (stored as
# JSON, so they cannot carry it); the service layer installs the operators' schedules when it loads them.
_book = HolidayBook()


def use_holiday_book(book: HolidayBook) -> None:
    """Make ``book`` the source of working days for every business-hours calendar."""
    global _book
    _book = book


def holiday_book() -> HolidayBook:
    return _book
