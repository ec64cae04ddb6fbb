"""Every message's page can be taken, not only a breach's: a warning, a prompt or a leader's notice."""

from __future__ import annotations

from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Action, Priority
from tests.fakes import fake_world, valid_report
from tests.service.test_field_deadlines import premium_repair_started, world_at
from tests.service.test_sla import critical_ticket


def token_of(message) -> str:
    return message.text.split("/escalations/")[1].split()[0]


def test_the_supervisor_taking_his_own_warning_stops_no_climb_above_him():
    world = fake_world()
    number = critical_ticket(world)
    world.clock.advance(timedelta(minutes=90))  # dispatch (2 h) warned at 1.5 h
    world.services.sla.sweep()
    warning = next(m for m in world.notifier.sent if m.purpose.startswith("escalation:warn:dispatched"))
    ticket, recorded = world.services.sla.acknowledge(token_of(warning))
    assert recorded and world.services.sla.acknowledge(token_of(warning))[1] is False
    world.notifier.sent.clear()
    for _ in range(24):
        world.clock.advance(timedelta(minutes=10))
        world.services.sla.sweep()
    climbed = {m.purpose.rsplit(":", 1)[-1] for m in world.notifier.sent if "breach:dispatched" in m.purpose}
    assert climbed == {"L2", "L3"}, "only someone above the owner taking the breach stops its climb"
    taken = [e for e in world.tickets.events(number) if e.action == Action.ACKNOWLEDGE]
    assert len(taken) == 1 and taken[0].actor == "张主管" and taken[0].payload.kind == "warning"


def test_a_leaders_notice_can_be_taken_and_is_on_the_timeline():
    world = fake_world()
    receipt = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    world.services.desk.classify(receipt.number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    notice = next(m for m in world.notifier.sent if m.purpose == "escalation:notice:escalation_notice:chief_engineer")
    claims = world.services.sla.open_link(token_of(notice))[0]
    assert claims["breach"] and claims["kind"] == "notice", "the page offers a take button"
    _, recorded = world.services.sla.acknowledge(token_of(notice))
    assert recorded
    taken = [e for e in world.tickets.events(receipt.number) if e.action == Action.ACKNOWLEDGE]
    assert taken[0].actor == "李总工" and taken[0].payload.kind == "notice"


def test_a_prompt_can_be_taken():
    world = world_at(9)
    premium_repair_started(world)
    world.clock.advance(timedelta(hours=8))
    world.services.sla.sweep()
    prompt = next(m for m in world.notifier.sent if m.purpose.startswith("escalation:prompt:loaner_provided"))
    assert world.services.sla.acknowledge(token_of(prompt))[1]


def test_a_staff_move_between_opening_the_link_and_taking_it_does_not_lose_the_take():
    world = fake_world()
    number = critical_ticket(world)
    world.clock.advance(timedelta(minutes=90))
    world.services.sla.sweep()
    warning = next(m for m in world.notifier.sent if m.purpose.startswith("escalation:warn:dispatched"))
    look_at_the_ladder = type(world.tickets).escalation_state

    def the_supervisor_reclassifies_first(looked_up):
        del world.tickets.escalation_state
        world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
        return look_at_the_ladder(world.tickets, looked_up)

    world.tickets.escalation_state = the_supervisor_reclassifies_first
    _, recorded = world.services.sla.acknowledge(token_of(warning))
    assert recorded, "the move made the first write fail; the take was written on the ticket as it is now"
    assert world.services.sla.taken_by(world.services.sla.open_link(token_of(warning))[0])
    assert [e.actor for e in world.tickets.events(number) if e.action == Action.ACKNOWLEDGE] == ["张主管"]
