"""Working days are data operators keep current: a year without an official schedule is never assumed
silently. 2027's official schedule is not in the library; the statutory days of 2027 ship as a
provisional draft (New Year's Day Friday 1 January; Spring Festival 5–8 February)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from chalicelib.domain.calendars import CHINA_BUSINESS_HOURS, BusinessHours, add_working_time, use_holiday_book
from chalicelib.domain.holidays import (
    Holiday,
    HolidayBasis,
    HolidayBook,
    YearSchedule,
    provisional_schedules,
    years_to_cover,
)
from chalicelib.domain.plans import Milestone
from chalicelib.domain.sla import ReasonCode
from chalicelib.domain.ticket import Priority
from tests.unit.domain.test_sla import clock, deadline

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def official_2027(**changes: object) -> YearSchedule:
    """A stand-in for the State Council's notice: New Year 1–3 January, a make-up Saturday 9 January."""
    fields: dict[str, object] = {
        "year": 2027,
        "official": True,
        "source": "国务院办公厅关于2027年部分节假日安排的通知",
        "holidays": [Holiday(date=date(2027, 1, d), name="元旦") for d in (1, 2, 3)],
        "working_days": [date(2027, 1, 9)],
        **changes,
    }
    return YearSchedule.model_validate(fields)


def test_new_years_day_2027_is_not_a_working_day_even_before_the_notice_is_entered():
    new_years_eve_5pm = local(2026, 12, 31, 17, 0)
    # Half an hour left on Thursday; Friday 1 January is a holiday, then the weekend.
    assert add_working_time(CHINA_BUSINESS_HOURS, new_years_eve_5pm, timedelta(hours=1)) == local(2027, 1, 4, 9, 0)


def test_spring_festival_2027_is_skipped_by_business_hours():
    thursday_5pm = local(2027, 2, 4, 17, 0)
    # Friday 5 February (除夕) to Monday 8 February (初三) are statutory days off; 初一 and 初二 fall on the
    # weekend, so the law gives Tuesday 9 and Wednesday 10 in lieu.
    assert add_working_time(CHINA_BUSINESS_HOURS, thursday_5pm, timedelta(hours=1)) == local(2027, 2, 11, 9, 0)


@pytest.mark.parametrize(("statutory_weekend", "in_lieu"), [
    ((date(2027, 2, 6), date(2027, 2, 7)), (date(2027, 2, 9), date(2027, 2, 10))),  # 春节 初一、初二
    ((date(2027, 5, 1), date(2027, 5, 2)), (date(2027, 5, 3), date(2027, 5, 4))),  # 劳动节
    ((date(2027, 10, 2), date(2027, 10, 3)), (date(2027, 10, 4), date(2027, 10, 5))),  # 国庆节
])
def test_statutory_days_on_a_weekend_are_given_back_on_the_working_days_after(statutory_weekend, in_lieu):
    book = HolidayBook()
    assert all(day.weekday() >= 5 for day in statutory_weekend)
    assert not any(book.is_working_date(day) for day in in_lieu)
    assert book.is_working_date(in_lieu[-1] + timedelta(days=1))


def test_a_contact_deadline_across_new_year_says_which_assumption_it_used():
    created = local(2026, 12, 31, 16, 45)
    contact = deadline(clock(now=created, created=created, priority=Priority.GENERAL), Milestone.CONTACTED)
    assert contact.due_at == local(2027, 1, 4, 8, 45)
    assumed = [r for r in contact.reasons if r.code == ReasonCode.HOLIDAYS_ASSUMED]
    assert [r.values for r in assumed] == [{"year": 2027, "basis": "provisional"}]


def test_once_the_official_schedule_is_stored_the_deadline_follows_it_and_assumes_nothing():
    use_holiday_book(HolidayBook([official_2027()]))
    created = local(2026, 12, 31, 16, 45)
    contact = deadline(clock(now=created, created=created, priority=Priority.GENERAL), Milestone.CONTACTED)
    assert contact.due_at == local(2027, 1, 4, 8, 45)
    assert ReasonCode.HOLIDAYS_ASSUMED not in [r.code for r in contact.reasons]


def test_a_make_up_saturday_of_the_official_schedule_is_a_working_day():
    use_holiday_book(HolidayBook([official_2027()]))
    friday_5pm = local(2027, 1, 8, 17, 0)
    assert add_working_time(CHINA_BUSINESS_HOURS, friday_5pm, timedelta(hours=1)) == local(2027, 1, 9, 9, 0)


def test_each_year_says_what_its_working_days_rest_on():
    book = HolidayBook()
    assert book.basis(2026) == HolidayBasis.OFFICIAL  # the library has the 2026 notice
    assert book.basis(2027) == HolidayBasis.PROVISIONAL  # statutory days only
    assert book.basis(2031) == HolidayBasis.WEEKDAYS  # nothing at all
    assert book.gaps([2026, 2027, 2031]) == {2027: HolidayBasis.PROVISIONAL, 2031: HolidayBasis.WEEKDAYS}
    assert HolidayBook([official_2027()]).basis(2027) == HolidayBasis.OFFICIAL
    assert HolidayBook([official_2027(official=False)]).basis(2027) == HolidayBasis.PROVISIONAL


def test_a_stored_schedule_overrides_the_library():
    moved = YearSchedule(
        year=2026, official=True, source="a corrected notice",
        holidays=(Holiday(date=date(2026, 3, 10), name="test"),),
    )
    book = HolidayBook([moved])
    assert not book.is_working_date(date(2026, 3, 10))
    assert book.is_working_date(date(2026, 10, 2))  # only what the stored schedule lists is off


def test_a_province_adds_its_own_days_off_to_the_national_schedule():
    guangdong = YearSchedule(
        region="CN-GD", year=2027, official=True, source="provincial notice",
        holidays=(Holiday(date=date(2027, 3, 10), name="local festival"),),
    )
    use_holiday_book(HolidayBook([official_2027(), guangdong]))
    in_guangdong = BusinessHours(holidays="CN-GD")
    wednesday_5pm = local(2027, 3, 9, 17, 0)
    assert add_working_time(in_guangdong, wednesday_5pm, timedelta(hours=1)) == local(2027, 3, 11, 9, 0)
    assert add_working_time(CHINA_BUSINESS_HOURS, wednesday_5pm, timedelta(hours=1)) == local(2027, 3, 10, 9, 0)
    assert not in_guangdong.is_working_date(date(2027, 1, 1))  # the national days still apply


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"working_days": [date(2027, 1, 8)]}, "must fall on a weekend"),  # a Friday
        ({"working_days": [date(2026, 12, 26)]}, "outside 2027"),
        ({"holidays": [Holiday(date=date(2027, 1, 1), name="元旦")] * 2}, "listed twice"),
        ({"working_days": [date(2027, 1, 2)]}, "both a holiday and a working day"),
        ({"holidays": []}, "lists its holidays"),
    ],
)
def test_a_schedule_with_a_mistake_is_refused_with_the_reason(changes, complaint):
    with pytest.raises(ValidationError, match=complaint):
        official_2027(**changes)


def test_the_years_that_must_be_covered_include_next_year_from_november():
    assert years_to_cover(date(2027, 10, 31)) == (2027,)
    assert years_to_cover(date(2026, 11, 1)) == (2026, 2027)


def test_the_shipped_drafts_are_provisional_statutory_days_and_days_in_lieu():
    drafts = {s.year: s for s in provisional_schedules()}
    assert not drafts[2027].official
    # 全国年节及纪念日放假办法 (2024): 13 statutory days off a year; six of 2027's fall on a weekend.
    in_lieu = [h for h in drafts[2027].holidays if "补假" in h.name]
    assert len(drafts[2027].holidays) - len(in_lieu) == 13
    assert len(in_lieu) == 6 and all(h.date.weekday() < 5 for h in in_lieu)
    assert drafts[2027].working_days == ()
