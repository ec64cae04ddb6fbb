"""The invariant checker finds every open ticket the sweep would escalate late or never."""

from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.ticket import Priority
from ops.check_invariants import due_index_violations
from tests.fakes import FakeWorld, fake_world, valid_report


def critical_ticket(world: FakeWorld) -> str:
    number = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
    world.services.desk.classify(number, actor=SystemActor("supervisor"), priority=Priority.CRITICAL)
    return number


def violations(world: FakeWorld) -> list[str]:
    return [str(v) for v in due_index_violations(world.tickets, world.services.sla, world.clock.now())]


def test_tickets_written_by_the_services_keep_the_promise():
    world = fake_world()
    critical_ticket(world)
    world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    for _ in range(6):
        world.clock.advance(timedelta(minutes=50))
        world.services.sla.sweep()
        assert violations(world) == []


def test_an_open_ticket_missing_from_the_due_index_is_reported_with_the_step_it_owes():
    world = fake_world()
    number = critical_ticket(world)
    del world.tickets.wake[number]
    assert violations(world) == [
        f"{number}: owes warn:contacted@20261127T033000Z at 2026-11-27T03:15:00Z but is not in the due index"
    ]


def test_a_wake_time_after_the_step_owed_is_reported():
    world = fake_world()
    number = critical_ticket(world)
    world.tickets.wake[number] += timedelta(hours=1)
    assert violations(world) == [
        f"{number}: owes warn:contacted@20261127T033000Z at 2026-11-27T03:15:00Z but wakes only at 2026-11-27T04:15:00Z"
    ]


def test_a_closed_ticket_owes_nothing():
    world = fake_world()
    number = critical_ticket(world)
    world.services.desk.cancel(number, actor=SystemActor("supervisor"), reason="duplicate")
    world.tickets.wake.pop(number, None)
    assert violations(world) == []
