"""Calendars: which hours count. Dates are 2026, checked against chinese_calendar's published data:
Spring Festival Feb 15–23 with make-up Saturdays Feb 14 and Feb 28; Mid-autumn Sep 25–27; National Day
Oct 1–7 with make-up days Sunday Sep 20 and Saturday Oct 10."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from chalicelib.domain.calendars import (
    ALWAYS_OPEN,
    CHINA_BUSINESS_HOURS,
    AlwaysOpen,
    BusinessHours,
    Calendar,
    add_working_time,
    working_time_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BUSINESS = CHINA_BUSINESS_HOURS  # 08:30–17:30 Asia/Shanghai, China's holidays


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as the UTC instant the clock works with."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def test_a_24_7_calendar_counts_every_hour_including_nights_and_holidays():
    start = local(2026, 10, 1, 23, 0)  # National Day, at night
    assert add_working_time(ALWAYS_OPEN, start, timedelta(hours=12)) == local(2026, 10, 2, 11, 0)
    assert working_time_between(ALWAYS_OPEN, start, local(2026, 10, 2, 11, 0)) == timedelta(hours=12)


def test_business_hours_carry_the_rest_of_the_day_to_the_next_morning():
    monday_4pm = local(2026, 3, 9, 16, 0)
    assert add_working_time(BUSINESS, monday_4pm, timedelta(hours=3)) == local(2026, 3, 10, 10, 0)


def test_a_request_at_night_starts_counting_when_the_office_opens():
    tuesday_10pm = local(2026, 3, 10, 22, 0)
    assert add_working_time(BUSINESS, tuesday_10pm, timedelta(hours=1)) == local(2026, 3, 11, 9, 30)


def test_business_hours_skip_the_weekend():
    friday_5pm = local(2026, 3, 13, 17, 0)
    assert add_working_time(BUSINESS, friday_5pm, timedelta(hours=1)) == local(2026, 3, 16, 9, 0)


def test_a_deadline_that_ends_at_closing_time_is_due_at_closing_time_not_next_morning():
    monday_open = local(2026, 3, 9, 8, 30)
    assert add_working_time(BUSINESS, monday_open, timedelta(hours=9)) == local(2026, 3, 9, 17, 30)


def test_golden_week_is_skipped_by_business_hours():
    eve_of_national_day = local(2026, 9, 30, 17, 0)
    assert add_working_time(BUSINESS, eve_of_national_day, timedelta(hours=1)) == local(2026, 10, 8, 9, 0)


def test_the_make_up_saturday_after_national_day_is_a_working_day():
    friday_after_golden_week = local(2026, 10, 9, 17, 0)
    assert add_working_time(BUSINESS, friday_after_golden_week, timedelta(hours=1)) == local(2026, 10, 10, 9, 0)


def test_the_make_up_sunday_before_national_day_is_a_working_day():
    saturday = local(2026, 9, 19, 12, 0)
    assert add_working_time(BUSINESS, saturday, timedelta(hours=1)) == local(2026, 9, 20, 9, 30)


def test_mid_autumn_friday_is_a_holiday():
    thursday_5pm = local(2026, 9, 24, 17, 0)
    assert add_working_time(BUSINESS, thursday_5pm, timedelta(hours=1)) == local(2026, 9, 28, 9, 0)


def test_spring_festival_starts_after_a_make_up_saturday_and_ends_on_tuesday_the_24th():
    friday_before = local(2026, 2, 13, 17, 0)
    assert add_working_time(BUSINESS, friday_before, timedelta(hours=1)) == local(2026, 2, 14, 9, 0)
    make_up_saturday_close = local(2026, 2, 14, 17, 0)
    assert add_working_time(BUSINESS, make_up_saturday_close, timedelta(hours=1)) == local(2026, 2, 24, 9, 0)


def test_working_time_between_counts_only_office_hours_on_working_days():
    friday_4pm, monday_10am = local(2026, 3, 13, 16, 0), local(2026, 3, 16, 10, 0)
    assert working_time_between(BUSINESS, friday_4pm, monday_10am) == timedelta(hours=3)
    golden_week = (local(2026, 10, 1, 0, 0), local(2026, 10, 8, 0, 0))
    assert working_time_between(BUSINESS, *golden_week) == timedelta(0)


def test_working_time_between_is_zero_when_end_is_not_after_start():
    moment = local(2026, 3, 9, 10, 0)
    assert working_time_between(BUSINESS, moment, moment - timedelta(hours=1)) == timedelta(0)


def test_years_without_holiday_data_fall_back_to_monday_to_friday():
    national_day_2031 = local(2031, 10, 1, 9, 0)  # a Wednesday; the library has no 2031 data yet
    assert add_working_time(BUSINESS, national_day_2031, timedelta(hours=1)) == local(2031, 10, 1, 10, 0)
    assert add_working_time(BUSINESS, local(2031, 10, 3, 17, 0), timedelta(hours=1)) == local(2031, 10, 6, 9, 0)


def test_holidays_none_means_plain_monday_to_friday():
    weekdays_only = BusinessHours(holidays="none")
    assert add_working_time(weekdays_only, local(2026, 10, 1, 9, 0), timedelta(hours=1)) == local(2026, 10, 1, 10, 0)


def test_the_time_zone_and_hours_are_configurable():
    berlin = BusinessHours(timezone="Europe/Berlin", opens=time(9), closes=time(17), holidays="none")
    start = datetime(2026, 3, 9, 16, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    due = add_working_time(berlin, start, timedelta(hours=2))
    assert due == datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    assert due.tzinfo == UTC
    assert berlin.working_day == timedelta(hours=8)


def test_calendars_refuse_naive_datetimes():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_working_time(BUSINESS, datetime(2026, 3, 9, 10, 0), timedelta(hours=1))


def test_calendars_load_from_plan_data_by_kind():
    adapter: TypeAdapter[AlwaysOpen | BusinessHours] = TypeAdapter(Calendar)
    assert adapter.validate_python({"kind": "24/7"}) == ALWAYS_OPEN
    loaded = adapter.validate_python({"kind": "business_hours", "opens": "09:00", "closes": "18:00"})
    assert loaded == BusinessHours(opens=time(9), closes=time(18))
    assert adapter.validate_json(adapter.dump_json(loaded)) == loaded


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "business_hours", "opens": "18:00", "closes": "09:00"},
        {"kind": "business_hours", "timezone": "Mars/Olympus"},
        {"kind": "office"},
    ],
)
def test_invalid_calendars_are_rejected(data):
    with pytest.raises(ValidationError):
        TypeAdapter(Calendar).validate_python(data)


def test_a_year_of_business_hours_is_computed_in_day_steps_not_minutes():
    start = local(2026, 1, 5, 8, 30)
    due = add_working_time(BUSINESS, start, timedelta(hours=9 * 240))
    assert working_time_between(BUSINESS, start, due) == timedelta(hours=9 * 240)
    assert due.year == 2026 and due.month == 12


# ---- properties --------------------------------------------------------------------------------------

instants = st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2027, 2, 1), timezones=st.just(UTC))
durations = st.integers(min_value=0, max_value=400 * 3600).map(lambda seconds: timedelta(seconds=seconds))
calendars = st.sampled_from([BUSINESS, ALWAYS_OPEN, BusinessHours(timezone="Europe/Berlin", holidays="none")])
fast = settings(max_examples=60, deadline=None)


@fast
@given(calendar=calendars, start=instants, first=durations, second=durations)
def test_adding_more_working_time_never_gives_an_earlier_deadline(calendar, start, first, second):
    shorter, longer = sorted((first, second))
    assert add_working_time(calendar, start, shorter) <= add_working_time(calendar, start, longer)


@fast
@given(calendar=calendars, first=instants, second=instants, duration=durations)
def test_a_later_start_never_gives_an_earlier_deadline(calendar, first, second, duration):
    earlier, later = sorted((first, second))
    assert add_working_time(calendar, earlier, duration) <= add_working_time(calendar, later, duration)


@fast
@given(calendar=calendars, start=instants, duration=durations)
def test_the_working_time_until_a_deadline_is_the_duration_that_set_it(calendar, start, duration):
    assert working_time_between(calendar, start, add_working_time(calendar, start, duration)) == duration
