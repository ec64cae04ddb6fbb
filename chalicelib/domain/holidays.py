"""Which dates are working days: holidays and make-up working days (调休) per year, as operator data.

China's State Council publishes each year's schedule in the autumn before it (国务院办公厅关于某年部分节假日
安排的通知), so no library can be trusted to be current. Operators enter a year's schedule as data
(``python -m ops.config calendars put 2027.json``); beneath it, in order:

1. a schedule an operator stored (``official=True`` once checked against the notice);
2. the ``chinese_calendar`` library, for the years it has data for;
3. a provisional schedule shipped with the code (``holiday_data/``: the statutory days of the
   全国年节及纪念日放假办法 and the days in lieu its article 6 requires for those falling on a weekend,
   without the make-up working days and bridges that only the notice fixes);
4. nothing: Monday to Friday are assumed to be working days.

Every answer says which of these it used (:class:`HolidayBasis`), so a deadline that rests on anything
but an official schedule is never computed silently: the clock names the assumption, staff pages show
a banner and an alarm fires (:func:`HolidayBook.gaps`).

A region (``"CN-GD"``) may add local holidays or working days on top of the national schedule.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Annotated, NamedTuple

import chinese_calendar
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

NATIONAL = "CN"
HolidayRegion = Annotated[str, StringConstraints(pattern=r"^CN(-[A-Z0-9]{1,3})?$")]
"""``"CN"`` for the national schedule, ``"CN-GD"`` (ISO 3166-2) for a province's additions."""


class HolidayBasis(StrEnum):
    """What a year's working days rest on, from the most to the least trustworthy."""

    OFFICIAL = "official"  # an official schedule: stored by an operator, or the library's data
    PROVISIONAL = "provisional"  # statutory days and days in lieu; make-up days and bridges unknown
    WEEKDAYS = "weekdays"  # no data at all: Monday to Friday assumed


class Holiday(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    date: date
    name: str = Field(min_length=1, max_length=40)


class YearSchedule(BaseModel):
    """One year's days off and make-up working days, for the nation or one region."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: HolidayRegion = NATIONAL
    year: int = Field(ge=2000, le=2100)
    official: bool = Field(description="checked against the published notice; false for a provisional draft")
    source: str = Field(min_length=1, max_length=300, description="the notice this schedule was taken from")
    holidays: tuple[Holiday, ...] = ()
    working_days: tuple[date, ...] = Field((), description="weekend days that are working days (调休上班)")

    @model_validator(mode="after")
    def _consistent(self) -> YearSchedule:
        days_off = [h.date for h in self.holidays]
        outside = sorted(d for d in (*days_off, *self.working_days) if d.year != self.year)
        if outside:
            raise ValueError(f"dates outside {self.year}: {', '.join(map(str, outside))}")
        repeated = sorted({d for d in days_off if days_off.count(d) > 1})
        if repeated:
            raise ValueError(f"holidays listed twice: {', '.join(map(str, repeated))}")
        both = sorted(set(days_off) & set(self.working_days))
        if both:
            raise ValueError(f"both a holiday and a working day: {', '.join(map(str, both))}")
        weekdays = sorted(d for d in self.working_days if d.weekday() < 5)
        if weekdays:
            # A make-up working day is always a Saturday or Sunday; a weekday here is a typing error.
            raise ValueError(f"make-up working days must fall on a weekend: {', '.join(map(str, weekdays))}")
        if self.region == NATIONAL and not self.holidays:
            raise ValueError("a national schedule lists its holidays")
        return self

    @property
    def key(self) -> tuple[str, int]:
        return self.region, self.year


class WorkingDay(NamedTuple):
    working: bool
    basis: HolidayBasis
    holiday: str | None = None  # the holiday's name, on a day off that is one


class HolidayBook:
    """Every known year's schedule, national and regional; answers "is this a working day?"."""

    def __init__(self, schedules: Iterable[YearSchedule] = (), *, fallback: Iterable[YearSchedule] | None = None):
        self._stored = {s.key: s for s in schedules}
        self._fallback = {s.key: s for s in (provisional_schedules() if fallback is None else fallback)}
        self._days: dict[tuple[str, date], WorkingDay] = {}

    @property
    def stored(self) -> list[YearSchedule]:
        return sorted(self._stored.values(), key=lambda s: s.key)

    def basis(self, year: int, region: str = NATIONAL) -> HolidayBasis:
        """What the national schedule of ``year`` rests on (a region's additions never lower it)."""
        stored = self._stored.get((NATIONAL, year))
        if stored is not None:
            return HolidayBasis.OFFICIAL if stored.official else HolidayBasis.PROVISIONAL
        if _library_covers(year):
            return HolidayBasis.OFFICIAL
        return HolidayBasis.PROVISIONAL if (NATIONAL, year) in self._fallback else HolidayBasis.WEEKDAYS

    def day(self, day: date, region: str = NATIONAL) -> WorkingDay:
        key = (region, day)
        known = self._days.get(key)
        if known is None:
            known = self._days[key] = self._decide(day, region)
        return known

    def is_working_date(self, day: date, region: str = NATIONAL) -> bool:
        return self.day(day, region).working

    def gaps(self, years: Iterable[int]) -> dict[int, HolidayBasis]:
        """The years among ``years`` whose schedule is not official, with what they rest on instead."""
        return {year: basis for year in sorted(set(years)) if (basis := self.basis(year)) != HolidayBasis.OFFICIAL}

    def _decide(self, day: date, region: str) -> WorkingDay:
        national = self._national(day)
        if region == NATIONAL:
            return national
        local = self._stored.get((region, day.year))
        if local is None:
            return national
        if day in local.working_days:
            return WorkingDay(True, national.basis)
        name = next((h.name for h in local.holidays if h.date == day), None)
        return WorkingDay(False, national.basis, name) if name else national

    def _national(self, day: date) -> WorkingDay:
        basis = self.basis(day.year)
        schedule = self._stored.get((NATIONAL, day.year))
        if schedule is None and basis == HolidayBasis.OFFICIAL:
            working = bool(chinese_calendar.is_workday(day))
            name = None if working else _library_holiday_name(day)
            return WorkingDay(working, basis, name)
        schedule = schedule or self._fallback.get((NATIONAL, day.year))
        if schedule is not None:
            if day in schedule.working_days:
                return WorkingDay(True, basis)
            name = next((h.name for h in schedule.holidays if h.date == day), None)
            if name:
                return WorkingDay(False, basis, name)
        return WorkingDay(day.weekday() < 5, basis)


def years_to_cover(today: date) -> tuple[int, ...]:
    """The years whose schedule must be official by ``today``: this one, and from November (the notice
    for next year is usually out by then, and deadlines of December reach into January) the next."""
    return (today.year, today.year + 1) if today.month >= 11 else (today.year,)


@cache
def provisional_schedules() -> tuple[YearSchedule, ...]:
    """The drafts (statutory days and days in lieu) shipped with the code, for years the library does not cover yet."""
    folder = resources.files("chalicelib.domain") / "holiday_data"
    return tuple(
        YearSchedule.model_validate(json.loads(entry.read_text(encoding="utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    )


@cache
def _library_covers(year: int) -> bool:
    """Whether ``chinese_calendar`` knows this year; it raises NotImplementedError otherwise."""
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


_LIBRARY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
}


def _library_holiday_name(day: date) -> str | None:
    _, holiday = chinese_calendar.get_holiday_detail(day)
    return _LIBRARY_NAMES.get(holiday, holiday) if holiday else None
