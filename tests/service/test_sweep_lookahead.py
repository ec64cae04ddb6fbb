"""A sweep also takes what falls due before the next one starts, each ticket at its own moment: sweeps
start a minute apart, and a deadline just after a start would otherwise wait that minute."""

from __future__ import annotations

from datetime import datetime, timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from tests.fakes import FakeWorld, fake_world, valid_report

MINUTE = timedelta(minutes=1)


def reported(world: FakeWorld) -> str:
    return world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number


def next_step_in(seconds: int, lookahead: timedelta = MINUTE) -> tuple[FakeWorld, str, datetime]:
    """A reported ticket, the clock ``seconds`` before its next step falls due (that moment)."""
    world = fake_world(lookahead=lookahead)
    number = reported(world)
    moment = world.tickets.wake[number]
    world.clock.at = moment - timedelta(seconds=seconds)
    return world, number, moment


def escalations(world: FakeWorld, number: str) -> list:
    return [
        m for m in world.tickets.messages.values() if m.ticket_number == number and m.purpose.startswith("escalation:")
    ]


def test_a_step_falling_due_after_the_sweep_starts_is_taken_by_that_sweep_at_its_moment():
    world, number, moment = next_step_in(30)

    report = world.services.sla.sweep()

    assert (report.looked_ahead, report.steps_taken) == (1, 1)
    told = escalations(world, number)
    assert told and {m.created_at for m in told} == {moment}
    assert world.clock.now() == moment  # the sweep waited for it, not a minute more


def test_the_next_sweep_tells_nobody_again():
    world, number, _ = next_step_in(59)
    world.services.sla.sweep()
    told = len(escalations(world, number))

    world.clock.advance(timedelta(seconds=1))
    world.services.sla.sweep()

    assert len(escalations(world, number)) == told


def test_a_step_met_while_the_sweep_waits_for_it_is_not_taken():
    world, number, moment = next_step_in(30)
    sweep = world.services.sla.begin_sweep()
    assert [n for n, _ in sweep.coming] == [number] and sweep.due == []

    world.services.desk.record_contact(number, actor=SystemActor("sup"))  # the desk calls the customer meanwhile
    taken = world.services.sla.sweep_coming(sweep, number, moment)

    assert taken == [] and escalations(world, number) == []


def test_without_a_look_ahead_a_sweep_takes_only_what_is_due():
    world, _, _ = next_step_in(1, lookahead=timedelta(0))

    report = world.services.sla.sweep()

    assert (report.tickets_read, report.looked_ahead) == (0, 0)
