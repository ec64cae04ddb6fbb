"""A visit on a public holiday, at the weekend or outside working hours is reported to the supervisor,
who approves or declines it (000 §4.4.3): recorded on the ticket and on its timeline."""

from datetime import UTC, date, datetime

import pytest

from chalicelib.domain.calendars import holiday_book, use_holiday_book
from chalicelib.domain.holidays import Holiday, HolidayBook, YearSchedule
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.overtime import AlreadyDecided, NotOvertime, OvertimeReason, OvertimeState
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.reports import ReportBuilder, ReportMonth
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Priority
from chalicelib.i18n.events import describe
from chalicelib.services.field_work import NotYourJob
from tests.fakes import fake_world, valid_report

WANG = StaffUser(username="tech-wang", roles=frozenset({StaffRole.TECHNICIAN}))
LI = StaffUser(username="tech-li", roles=frozenset({StaffRole.TECHNICIAN}))
SATURDAY_0900, SATURDAY_1500 = datetime(2026, 11, 28, 1, tzinfo=UTC), datetime(2026, 11, 28, 7, tzinfo=UTC)
MONDAY_1800, MONDAY_2100 = datetime(2026, 11, 30, 10, tzinfo=UTC), datetime(2026, 11, 30, 13, tzinfo=UTC)
MONDAY_1000, MONDAY_1200 = datetime(2026, 11, 30, 2, tzinfo=UTC), datetime(2026, 11, 30, 4, tzinfo=UTC)


def dispatched_job(world):
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    world.services.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    return number


def test_a_weekend_visit_is_asked_for_then_approved_and_the_timeline_says_both():
    world = fake_world()
    number = dispatched_job(world)
    field_work = world.services.field_work

    field_work.request_overtime(number, WANG, starts_at=SATURDAY_0900, ends_at=SATURDAY_1500, note="客户周末停产检修")
    [told] = [m for m in world.notifier.sent if m.purpose == "overtime_request"]
    assert told.recipient == "supervisor@service-desk.local" and number in told.subject and "节假日" in told.text
    [visit] = field_work.overtime_requests()[0][1:]
    assert (visit.id, visit.reasons, visit.state, visit.hours) == ("O1", (OvertimeReason.HOLIDAY,),
                                                                   OvertimeState.REQUESTED, 6.0)

    field_work.decide_overtime(number, "O1", actor=SystemActor("supervisor"), approve=True)
    [visit] = world.tickets.get(number).overtime
    assert (visit.state, visit.decided_by) == (OvertimeState.APPROVED, "supervisor")
    assert field_work.overtime_requests() == []
    lines = [describe("en", e, timezone="Asia/Shanghai").text for e in world.tickets.events(number)
             if e.action in (Action.REQUEST_OVERTIME, Action.DECIDE_OVERTIME)]
    assert lines == [
        "Visit outside working time asked for: O1: 2026-11-28 09:00 to 2026-11-28 15:00 (6.0 h); holiday; "
        "note: 客户周末停产检修",
        "Visit outside working time decided: O1: 2026-11-28 09:00 to 2026-11-28 15:00 (6.0 h); approved",
    ]


def test_a_fresh_function_classifies_a_visit_by_the_holidays_operators_stored():
    world = fake_world()
    number = dispatched_job(world)
    built_in = holiday_book()
    world.services.config.put_calendar(YearSchedule(
        year=2026, official=True, source="a day off the operators added",
        holidays=(Holiday(date=date(2026, 11, 30), name="厂庆"),),
    ))
    use_holiday_book(HolidayBook())  # another function: nothing read yet but the built-in days
    try:
        world.services.field_work.request_overtime(number, WANG, starts_at=MONDAY_1000, ends_at=MONDAY_1200)
    finally:
        use_holiday_book(built_in)
    [visit] = world.tickets.get(number).overtime
    assert visit.reasons == (OvertimeReason.HOLIDAY,)


def test_an_evening_visit_is_overtime_and_one_within_working_hours_needs_no_approval():
    world = fake_world()
    number = dispatched_job(world)
    field_work = world.services.field_work
    field_work.request_overtime(number, WANG, starts_at=MONDAY_1800, ends_at=MONDAY_2100)
    assert world.tickets.get(number).overtime[0].reasons == (OvertimeReason.OFF_HOURS,)
    with pytest.raises(NotOvertime):
        field_work.request_overtime(number, WANG, starts_at=MONDAY_1000, ends_at=MONDAY_1200)


def test_only_the_jobs_technician_asks_and_a_visit_is_decided_once():
    world = fake_world()
    number = dispatched_job(world)
    field_work = world.services.field_work
    with pytest.raises(NotYourJob):
        field_work.request_overtime(number, LI, starts_at=SATURDAY_0900, ends_at=SATURDAY_1500)
    field_work.request_overtime(number, WANG, starts_at=SATURDAY_0900, ends_at=SATURDAY_1500)
    field_work.decide_overtime(number, "O1", actor=SystemActor("supervisor"), approve=False, note="改到周一")
    with pytest.raises(AlreadyDecided):
        field_work.decide_overtime(number, "O1", actor=SystemActor("supervisor"), approve=True)
    assert world.tickets.get(number).overtime[0].state == OvertimeState.DECLINED


def test_the_monthly_report_counts_the_approved_visits_and_their_hours():
    world = fake_world()
    number = dispatched_job(world)
    field_work = world.services.field_work
    field_work.request_overtime(number, WANG, starts_at=SATURDAY_0900, ends_at=SATURDAY_1500)
    field_work.decide_overtime(number, "O1", actor=SystemActor("supervisor"), approve=True)
    field_work.request_overtime(number, WANG, starts_at=MONDAY_1800, ends_at=MONDAY_2100)  # not decided yet

    builder = ReportBuilder(ReportMonth.parse("2026-11"), world.clock.now(), timezone="Asia/Shanghai")
    row = builder.add(world.tickets.get(number), world.tickets.events(number), None)
    report = builder.finish()

    assert (row.overtime_visits, row.overtime_hours) == (1, 6.0)
    assert (report.overtime_visits, report.overtime_hours) == (1, 6.0)
