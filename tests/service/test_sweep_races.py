"""The sweep against people working at the same moment: what it decides holds for the ticket as it is
when the decision is written, not as it was when the sweep started."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Priority
from tests.fakes import FakeWorld, fake_world, valid_report

WANG = StaffUser(username="tech-wang", roles=frozenset({StaffRole.TECHNICIAN}))


def dispatched_urgent_job(world: FakeWorld) -> str:
    request = ServiceRequestInput.model_validate(valid_report())
    number = world.services.intake.submit(request, language="zh-CN").number
    world.services.desk.record_contact(number, actor=SystemActor("sup"))
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    world.services.desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",))
    return number


def sweep_with(world: FakeWorld, meanwhile: Callable[[], None]) -> None:
    """A sweep that picks its due tickets, then ``meanwhile`` happens, then it processes them."""
    pick = world.tickets.due_tickets

    def pick_then_let_others_write(now, limit):
        due = pick(now, limit)
        meanwhile()
        return due

    world.tickets.due_tickets = pick_then_let_others_write  # type: ignore[method-assign]
    try:
        world.services.sla.sweep()
    finally:
        del world.tickets.due_tickets


def breaches_escalated(world: FakeWorld, number: str, milestone: str) -> set[str]:
    taken, _ = world.tickets.escalation_state(number)
    return {key.rsplit(":", 1)[-1] for key in taken if key.startswith(f"breach:{milestone}@")}


def test_a_check_in_while_the_sweep_runs_keeps_the_later_deadlines_escalating():
    world = fake_world()
    number = dispatched_urgent_job(world)
    world.clock.advance(timedelta(hours=20))  # the on-site deadline (24 h) is not yet missed

    def technician_checks_in_five_seconds_later():
        world.clock.advance(timedelta(seconds=5))
        world.services.field_work.check_in(number, WANG)

    sweep_with(world, technician_checks_in_five_seconds_later)

    assert breaches_escalated(world, number, "on_site") == set(), "met before the sweep decided"
    assert world.tickets.wake.get(number) is not None, "the arrival report is still owed"
    world.clock.advance(timedelta(hours=1, minutes=30))
    world.services.sla.sweep()
    assert breaches_escalated(world, number, "arrival_reported") == {"L1"}


def someone_saves(world: FakeWorld, number: str) -> None:
    """Another writer's change to the ticket (here: only its version moves), keeping its wake time."""
    ticket = world.tickets.get(number)
    assert ticket is not None
    world.tickets.save(ticket.model_copy(update={"version": ticket.version + 1}), [], world.tickets.wake.get(number))


def critical_job_two_hours_undispatched(world: FakeWorld) -> str:
    request = ServiceRequestInput.model_validate(valid_report())
    number = world.services.intake.submit(request, language="zh-CN").number
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.CRITICAL)
    world.clock.advance(timedelta(hours=2))
    return number


def writes_before_the_sweeps_claim(world: FakeWorld, number: str, times: int) -> None:
    """The next ``times`` claims of the sweep each find the ticket changed since the sweep read it."""
    claim = world.tickets.record_escalation
    left = [times]

    def someone_writes_first(ticket, *args):
        if left[0] > 0:
            left[0] -= 1
            someone_saves(world, number)
        return claim(ticket, *args)

    world.tickets.record_escalation = someone_writes_first  # type: ignore[method-assign]


def test_a_write_between_the_sweeps_read_and_its_claim_makes_it_decide_again_not_drop_the_ticket():
    world = fake_world()
    number = critical_job_two_hours_undispatched(world)
    writes_before_the_sweeps_claim(world, number, times=1)
    report = world.services.sla.sweep()
    assert report.conflicts == 0
    assert f"{number} breach:dispatched@20261127T043000Z:L2" in report.steps
    assert world.tickets.wake[number] > world.clock.now()


def test_a_ticket_that_keeps_changing_under_the_sweep_stays_due_for_the_next_one():
    world = fake_world()
    number = critical_job_two_hours_undispatched(world)
    writes_before_the_sweeps_claim(world, number, times=100)
    report = world.services.sla.sweep()
    assert report.conflicts == 1 and report.steps == []
    assert world.tickets.wake[number] <= world.clock.now()
    del world.tickets.record_escalation
    assert f"{number} breach:dispatched@20261127T043000Z:L2" in world.services.sla.sweep().steps
