"""The escalation sweep end to end over fakes: no promised deadline slips silently."""

from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Priority
from tests.fakes import fake_world, valid_report


def critical_ticket(world):
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    world.notifier.sent.clear()
    return receipt.number


def escalations(world):
    return sorted(
        (m.purpose.split(":", 1)[1], m.recipient)
        for m in world.notifier.sent
        if m.purpose.startswith("escalation:") and m.channel == MessageChannel.EMAIL
    )


def test_critical_ticket_tells_chief_engineer_and_general_manager_at_once():
    world = fake_world()
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    assert escalations(world) == [
        ("notice:escalation_notice:chief_engineer", "chief.engineer@service-desk.local"),
        ("notice:escalation_notice:general_manager", "gm@service-desk.local"),
    ]
    world.notifier.sent.clear()
    world.services.sla.sweep()
    assert escalations(world) == [], "told once, not again by the sweep"


def test_an_untouched_critical_ticket_climbs_the_whole_ladder_on_time():
    world = fake_world()
    number = critical_ticket(world)
    world.services.sla.sweep()
    seen = []
    for minutes in range(0, 5 * 60, 10):
        world.notifier.sent.clear()
        world.services.sla.sweep()
        seen += [(minutes, key.split(":")[0], key.rsplit(":", 1)[-1], to) for key, to in escalations(world)
                 if "dispatched" in key]
        world.clock.advance(timedelta(minutes=10))
    assert seen == [
        # The supervisor owns the dispatch: he is warned, and its breach starts one level above him.
        (90, "warn", "dispatched@20261127T043000Z", "supervisor@service-desk.local"),
        (120, "breach", "L2", "chief.engineer@service-desk.local"),
        (180, "breach", "L3", "gm@service-desk.local"),
    ]
    timeline = [e.payload for e in world.tickets.events(number) if e.action == Action.ESCALATE]
    assert any((s.kind, s.milestone, s.late_by_seconds, s.level, s.role) == ("breach", "dispatched", 3600, 3,
                                                                             "general_manager") for s in timeline)


def test_the_chinese_escalation_messages_say_how_late_in_chinese():
    world = fake_world()
    critical_ticket(world)
    world.clock.advance(timedelta(hours=3))
    world.services.sla.sweep()
    level_2 = [m for m in world.notifier.sent if m.purpose.endswith("dispatched@20261127T043000Z:L3")]
    assert {m.channel for m in level_2} == {MessageChannel.EMAIL, MessageChannel.SMS}
    # The email says how late; the SMS, kept to one message, leaves that to the page its link opens.
    assert all("已超时 1 小时" in m.text for m in level_2 if m.channel == MessageChannel.EMAIL)
    assert all(" h" not in m.text for m in level_2)


def test_a_ticket_dispatched_in_time_does_not_escalate():
    world = fake_world()
    number = critical_ticket(world)
    world.services.sla.sweep()
    world.clock.advance(timedelta(hours=1))
    world.services.desk.dispatch(number, actor=SystemActor("supervisor"), technicians=("tech-1",))
    world.notifier.sent.clear()
    for _ in range(30):
        world.clock.advance(timedelta(minutes=10))
        world.services.sla.sweep()
    assert [k for k, _ in escalations(world) if "dispatched" in k] == []


def test_a_second_sweep_at_the_same_moment_sends_nothing_more():
    world = fake_world()
    critical_ticket(world)
    world.clock.advance(timedelta(hours=2))
    first = world.services.sla.sweep()
    count = len(world.notifier.sent)
    second = world.services.sla.sweep()
    assert first.steps_taken > 0 and second.steps_taken == 0
    assert len(world.notifier.sent) == count


def test_acknowledging_from_the_link_stops_the_climb_and_names_who_took_it():
    world = fake_world()
    number = critical_ticket(world)
    world.clock.advance(timedelta(hours=2))
    world.services.sla.sweep()
    breach_mail = next(m for m in world.notifier.sent if "breach:dispatched" in m.purpose)
    token = breach_mail.text.split("/escalations/")[1].split()[0]
    ticket, recorded = world.services.sla.acknowledge(token)
    assert recorded
    assert world.services.sla.acknowledge(token)[1] is False, "a second click records nothing"
    world.notifier.sent.clear()
    world.clock.advance(timedelta(hours=3))
    world.services.sla.sweep()
    assert [k for k, _ in escalations(world) if "breach:dispatched" in k] == []
    ack = [e for e in world.tickets.events(number) if e.action == Action.ACKNOWLEDGE]
    assert ack and ack[0].actor == "李总工"


def test_a_warning_at_night_on_a_24_7_job_goes_to_the_supervisor_on_call_at_once():
    from datetime import UTC, datetime

    world = fake_world()
    world.clock.at = datetime(2026, 11, 27, 13, 0, tzinfo=UTC)  # 21:00 Friday in Beijing
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.desk.classify(receipt.number, actor=SystemActor("s"), priority=Priority.URGENT)
    world.notifier.sent.clear()
    world.clock.advance(timedelta(hours=5))  # dispatch (6 h) warned at 4.5 h: 01:30 Saturday
    world.services.sla.sweep()
    warned = [m.recipient for m in world.notifier.sent if m.purpose.startswith("escalation:warn:dispatched")]
    assert sorted(warned) == ["+8613900000011", "duty.supervisor@service-desk.local"]


def test_the_sweep_reads_only_due_tickets():
    world = fake_world()
    for _ in range(20):
        world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.clock.advance(timedelta(minutes=1))
    world.services.sla.sweep()
    assert world.tickets.reads == 0, "nothing is due a minute after creation"
