"""Which visits need the supervisor's approval (000 §4.4.3): the working calendar says, not the technician."""

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib.domain.calendars import CHINA_BUSINESS_HOURS
from chalicelib.domain.overtime import OvertimeReason, reasons_for

BEIJING = ZoneInfo("Asia/Shanghai")
HOLIDAY, OFF_HOURS = OvertimeReason.HOLIDAY, OvertimeReason.OFF_HOURS


def reasons(start: str, end: str) -> tuple[OvertimeReason, ...]:
    return reasons_for(datetime.fromisoformat(start).replace(tzinfo=BEIJING),
                       datetime.fromisoformat(end).replace(tzinfo=BEIJING), CHINA_BUSINESS_HOURS)


def test_national_day_is_a_holiday_visit():
    assert reasons("2026-10-01T10:00", "2026-10-01T12:00") == (HOLIDAY,)


def test_an_evening_on_a_working_day_is_off_hours_and_an_afternoon_needs_nothing():
    assert reasons("2026-11-30T17:00", "2026-11-30T19:00") == (OFF_HOURS,)
    assert reasons("2026-11-30T13:00", "2026-11-30T16:00") == ()


def test_a_visit_from_friday_afternoon_into_saturday_is_both():
    assert reasons("2026-11-27T16:00", "2026-11-28T10:00") == (HOLIDAY, OFF_HOURS)
