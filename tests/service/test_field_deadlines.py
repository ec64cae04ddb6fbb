"""Missed field steps reach people through the ladder, like the response deadlines: none stays silent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.closure import ArrivalReport
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Priority
from tests.fakes import fake_world, valid_report
from tests.service.test_field_work import WANG, WORK, dispatched, landed

SUPERVISOR = ("supervisor@service-desk.local", "+8613900000001")
CHIEF = ("chief.engineer@service-desk.local", "+8613900000002")
PDF = b"%PDF-1.7\n" + b"0" * 200


def world_at(hour_in_beijing: int):
    world = fake_world()
    world.clock.at = datetime(2026, 11, 25, hour_in_beijing - 8, 0, tzinfo=UTC)  # a Wednesday
    return world


def run_for(world, hours: float, step=timedelta(minutes=10)) -> list[tuple[str, str, str]]:
    """Sweeps and deliveries every 10 minutes; what reached people, as (minute, step key, recipient)."""
    world.notifier.sent.clear()
    start, seen = world.clock.now(), []
    while world.clock.now() - start < timedelta(hours=hours):
        world.clock.advance(step)
        world.services.sla.sweep()
        world.services.notifications.deliver_due()
    for message in world.notifier.sent:
        if message.purpose.startswith("escalation:"):
            seen.append((message.purpose.split(":", 1)[1], message.channel, message.recipient))
    return seen


def to_whom(seen, fragment: str) -> list[tuple[str, str]]:
    return sorted((channel.value, recipient) for key, channel, recipient in seen if fragment in key)


def test_a_missed_arrival_report_tells_the_supervisor_once_then_the_chief_engineer_an_hour_later():
    world = world_at(9)
    number = dispatched(world, priority=Priority.URGENT)
    world.clock.at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
    world.services.field_work.check_in(number, WANG)
    seen = run_for(world, 1)  # to 11:00: due, nothing reported
    assert to_whom(seen, "breach:arrival_reported") == [("email", SUPERVISOR[0]), ("sms", SUPERVISOR[1])]
    assert to_whom(run_for(world, 0.5), "breach:arrival_reported") == [], "once per level"
    later = run_for(world, 0.5)
    assert to_whom(later, "breach:arrival_reported") == [("email", CHIEF[0]), ("sms", CHIEF[1])]


def test_a_missed_daily_progress_report_is_delivered_not_only_recorded():
    world = world_at(9)
    number = dispatched(world, priority=Priority.URGENT)
    world.clock.at = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)
    world.services.field_work.check_in(number, WANG)
    world.services.field_work.report_arrival(number, WANG, ArrivalReport(situation="柜体烧蚀", lodging="如家"))
    seen = run_for(world, 24)  # Thursday 10:00: a day without a report
    assert to_whom(seen, "breach:progress_reported") == [("email", SUPERVISOR[0]), ("sms", SUPERVISOR[1])]
    escalated = [e for e in world.tickets.events(number)
                 if e.action == Action.ESCALATE and e.payload.milestone == "progress_reported"]
    assert {e.payload.kind for e in escalated} == {"warning", "breach"}


def test_an_acceptance_form_not_filed_in_five_working_days_escalates():
    world = world_at(9)
    number = dispatched(world, priority=Priority.URGENT)
    world.services.field_work.check_in(number, WANG)
    world.services.field_work.report_arrival(number, WANG, ArrivalReport(situation="x", lodging="y"))
    world.services.field_work.resolve(number, WANG)
    world.services.field_work.report_progress(number, WANG, "修好了", [])
    seen = run_for(world, 24 * 8, step=timedelta(minutes=30))
    level_1 = [(c.value, to) for key, c, to in seen if "breach:acceptance_filed" in key and key.endswith(":L1")]
    assert sorted(level_1) == [("email", SUPERVISOR[0]), ("sms", SUPERVISOR[1])]


def test_a_refusal_to_sign_tells_the_supervisor_at_once():
    world = world_at(9)
    number = dispatched(world, priority=Priority.URGENT)
    world.services.field_work.check_in(number, WANG)
    world.services.field_work.report_arrival(number, WANG, ArrivalReport(situation="x", lodging="y"))
    world.notifier.sent.clear()
    world.services.field_work.refuse_signature(number, WANG, "客户认为未修好")
    told = [(m.purpose.split(":", 1)[1], m.channel, m.recipient) for m in world.notifier.sent]
    assert to_whom(told, "prompt:refusal_settled") == [("email", SUPERVISOR[0]), ("sms", SUPERVISOR[1])]
    assert to_whom(run_for(world, 0.5), "prompt:refusal_settled") == [], "once"


def test_a_refusal_settled_by_a_signed_form_stops_the_ladder():
    world = world_at(9)
    number = dispatched(world, priority=Priority.URGENT)
    world.services.field_work.check_in(number, WANG)
    world.services.field_work.report_arrival(number, WANG, ArrivalReport(situation="x", lodging="y"))
    world.services.field_work.refuse_signature(number, WANG, "客户认为未修好")
    run_for(world, 1)
    form = landed(world, f"forms/{number}/" + "b" * 32 + "/form.pdf", PDF)
    world.services.field_work.file_uploaded_form(number, WANG, WORK, form)
    assert to_whom(run_for(world, 24 * 3, step=timedelta(hours=1)), "refusal_settled") == []


def premium_repair_started(world) -> str:
    """A premium job whose repair has just begun: its loaner is owed 8 h from now unless it is fixed."""
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    world.services.desk.record_contact(number, actor=SystemActor("sup"))
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT, plan="premium")
    world.services.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    world.services.field_work.check_in(number, WANG)
    world.services.field_work.start_repair(number, WANG)
    return number


def test_a_loaner_eight_hours_into_its_48_prompts_the_supervisor():
    world = world_at(9)
    premium_repair_started(world)
    early = run_for(world, 7.5)
    assert to_whom(early, "loaner_provided") == []
    seen = run_for(world, 0.5)
    assert to_whom(seen, "prompt:loaner_provided") == [("email", SUPERVISOR[0]), ("sms", SUPERVISOR[1])]
    messages = [m for m in world.notifier.sent if "prompt:loaner_provided" in m.purpose]
    assert all("【售后服务】" in m.text for m in messages if m.channel == MessageChannel.SMS)
