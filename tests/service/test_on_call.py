"""Out of hours, a 24/7 job's deadline reaches someone: the level's on-call holder at once, or the level's
own holders at once when nobody is on call. Only a deadline counted on business hours waits for the
morning, and the timeline says who heard and whose message waits."""

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.escalation import Person, Roster
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.plans import Role
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Priority
from chalicelib.i18n.events import describe
from ops.config import DEMO_ROSTER
from tests.fakes import UnreadableDirectory, fake_world, valid_report

SUNDAY_0100 = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # 01:00 on Sunday 29 November in Beijing
FRIDAY_1640 = datetime(2026, 11, 27, 8, 40, tzinfo=UTC)  # 16:40 on Friday in Beijing
# The demo roster: who holds each level in working hours, and who is on call out of hours.
CHIEF_ENGINEER, DUTY_ENGINEER = "+8613900000002", "+8613900000012"  # 李总工, 钱值班总工
SUPERVISOR, DUTY_SUPERVISOR = "+8613900000001", "+8613900000011"  # 张主管, 赵值班
WANG = StaffUser(username="tech-wang", roles=frozenset({StaffRole.TECHNICIAN}))


def reported(world, at, **classification):
    world.clock.at = at
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    if classification:
        world.services.desk.classify(receipt.number, actor=SystemActor("sup"), **classification)
    world.notifier.sent.clear()
    return receipt.number


def sms_about(world, prefix):
    return sorted(m.recipient for m in world.notifier.sent if m.purpose.startswith(prefix) and m.channel == "sms")


def timeline(world, number):
    return [describe("en", e, timezone="Asia/Shanghai").text for e in world.tickets.events(number)
            if e.action == Action.ESCALATE]


@pytest.mark.parametrize("priority", list(Priority))
def test_a_contact_missed_at_two_on_a_sunday_morning_reaches_the_chief_engineer_on_call_at_once(priority):
    world = fake_world()
    reported(world, SUNDAY_0100, priority=priority, plan="premium")  # 24/7, contact within 1 h
    world.clock.at = SUNDAY_0100 + timedelta(hours=1, minutes=1)
    world.services.sla.sweep()
    told = sms_about(world, "escalation:breach:contacted")
    # The supervisor owns the contact: its breach goes one level up, to whoever holds that level tonight.
    assert DUTY_ENGINEER in told
    # A critical job's ladder reaches its holders at any hour as well; any other job's does not wake them.
    assert (CHIEF_ENGINEER in told) == (priority == Priority.CRITICAL)


def test_an_urgent_standard_job_reported_at_night_is_answered_by_whoever_is_on_call():
    world = fake_world()
    number = reported(world, SUNDAY_0100, priority=Priority.URGENT)
    world.clock.at = SUNDAY_0100 + timedelta(hours=1, minutes=1)
    world.services.sla.sweep()
    assert sms_about(world, "escalation:breach:contacted") == [DUTY_ENGINEER]
    assert any("told 钱值班总工, on call" in line for line in timeline(world, number))


def checked_in_at_one_on_sunday(world):
    """An urgent job whose technician (tech-wang) checked in at 01:00: his arrival report is due at 02:00."""
    number = reported(world, SUNDAY_0100 - timedelta(hours=3), priority=Priority.URGENT)
    world.services.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    world.clock.at = SUNDAY_0100
    world.services.field_work.check_in(number, WANG)
    world.notifier.sent.clear()
    return number


def test_a_technicians_missed_arrival_report_at_night_warns_him_then_reaches_the_supervisor_on_call():
    world = fake_world()
    number = checked_in_at_one_on_sunday(world)
    world.clock.at = SUNDAY_0100 + timedelta(minutes=46)
    world.services.sla.sweep()
    warned = [m.recipient for m in world.notifier.sent if m.purpose.startswith("escalation:warn:arrival_reported")]
    assert sorted(warned) == ["+8613900000002", "wang@desk.example.com"], "the technician owns it: he is warned"
    [mail] = [m for m in world.notifier.sent if m.recipient == "wang@desk.example.com" and "escalation:" in m.purpose]
    assert mail.subject.startswith("【您负责的时限即将超时】")
    world.clock.at = SUNDAY_0100 + timedelta(hours=1, minutes=1)
    world.services.sla.sweep()
    assert sms_about(world, "escalation:breach:arrival_reported") == [DUTY_SUPERVISOR]
    assert any("warned the technician who owns it" in line for line in timeline(world, number))


def test_when_the_technicians_contact_cannot_be_read_his_warning_goes_to_the_supervisor_instead():
    world = fake_world()
    checked_in_at_one_on_sunday(world)
    world.services.sla._staff = UnreadableDirectory()
    world.clock.at = SUNDAY_0100 + timedelta(minutes=46)

    world.services.sla.sweep()

    warned = [m.recipient for m in world.notifier.sent if m.purpose.startswith("escalation:warn:arrival_reported")]
    assert warned and "wang@desk.example.com" not in warned, "the step is taken, by whom the roster can name"


def test_with_nobody_on_call_the_level_itself_is_told_at_once():
    world = fake_world()
    world.services.config.put_roster(DEMO_ROSTER.model_copy(update={"on_call": {}}))
    reported(world, SUNDAY_0100, priority=Priority.URGENT)
    world.clock.at = SUNDAY_0100 + timedelta(hours=1, minutes=1)
    world.services.sla.sweep()
    assert sms_about(world, "escalation:breach:contacted") == [CHIEF_ENGINEER]


def test_a_regional_on_call_holder_answers_for_tickets_from_that_region():
    world = fake_world()
    duty_js = Person(name="孙值班", phone="+8613900000021")
    world.services.config.put_roster(Roster(scope="region:CN-JS", levels={}, on_call={Role.CHIEF_ENGINEER: (duty_js,)}))
    reported(world, SUNDAY_0100, priority=Priority.URGENT)  # the report comes from Jiangsu
    world.clock.at = SUNDAY_0100 + timedelta(hours=1, minutes=1)
    world.services.sla.sweep()
    assert sms_about(world, "escalation:breach:contacted") == ["+8613900000021"]


def test_a_business_hours_warning_the_sweep_reaches_after_closing_waits_for_monday_and_says_so():
    world = fake_world()
    # General job on business hours: contact within 1 working hour, warned at 17:25, due Monday 08:40.
    number = reported(world, FRIDAY_1640, priority=Priority.GENERAL)
    world.clock.at = FRIDAY_1640 + timedelta(hours=1)  # 17:40: the sweep reaches it after closing
    world.services.sla.sweep()
    warnings = [m for m in world.tickets.messages.values() if m.purpose.startswith("escalation:warn:contacted")]
    monday_0830 = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)
    assert warnings and all(m.next_attempt_at == monday_0830 for m in warnings)
    assert not [m for m in world.notifier.sent if m.purpose.startswith("escalation:warn")]
    assert any("held until 2026-11-30 08:30 for 张主管" in line for line in timeline(world, number))
