"""The supervisor's queue and dispatch over fakes: the most urgent promise comes first, lateness shows at a
glance, and a technician's job list follows every dispatch."""

from datetime import timedelta

import pytest

from chalicelib.domain.billing import BillingReason
from chalicelib.domain.events import PauseReason
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.queue import QueueFilter, SlaState
from chalicelib.domain.ticket import Billing, IllegalTransition, Kind, Priority, Status
from chalicelib.services.queue import UnknownTechnician
from tests.fakes import PNG, fake_world, valid_report


def submit(world, **overrides):
    request = ServiceRequestInput.model_validate(valid_report(**overrides))
    return world.services.intake.submit(request, language="zh-CN").number


def numbers(rows):
    return [row.ticket.number for row in rows]


def test_the_queue_puts_the_nearest_deadline_first():
    world = fake_world()
    general = submit(world)
    world.clock.advance(timedelta(minutes=30))
    critical = submit(world)
    desk = world.services.desk
    desk.classify(general, actor=SystemActor("sup"), priority=Priority.GENERAL)  # contact due 1 h after it came in
    desk.record_contact(critical, actor=SystemActor("sup"))
    desk.classify(critical, actor=SystemActor("sup"), priority=Priority.CRITICAL)  # dispatch due 2 h after it came in
    world.clock.advance(timedelta(minutes=1))
    later = submit(world)  # contact due in 1 h from now, i.e. after the general ticket's

    rows = world.services.queue.queue(QueueFilter()).rows

    assert numbers(rows) == [general, later, critical]
    assert [r.next_deadline.milestone.value for r in rows] == ["contacted", "contacted", "dispatched"]


def test_the_sla_state_says_on_time_then_at_risk_past_the_warning_then_breached():
    world = fake_world()
    number = submit(world)  # contact the reporter within 1 h; warned at 75 %

    def state():
        (row,) = world.services.queue.queue(QueueFilter()).rows
        assert row.ticket.number == number
        return row.state

    assert state() == SlaState.ON_TIME
    world.clock.advance(timedelta(minutes=46))
    assert state() == SlaState.AT_RISK
    world.clock.advance(timedelta(minutes=15))
    assert state() == SlaState.BREACHED


def test_a_paused_ticket_shows_as_paused():
    world = fake_world()
    number = submit(world)
    world.clock.advance(timedelta(minutes=5))
    world.services.desk.pause(number, actor=SystemActor("sup"), reason=PauseReason.CUSTOMER_UNREACHABLE)
    (row,) = world.services.queue.queue(QueueFilter()).rows
    assert row.state == SlaState.PAUSED


def test_closed_and_cancelled_tickets_leave_the_queue():
    world = fake_world()
    kept, cancelled = submit(world), submit(world)
    world.services.desk.cancel(cancelled, actor=SystemActor("sup"), reason="duplicate")
    assert numbers(world.services.queue.queue(QueueFilter()).rows) == [kept]
    assert world.services.queue.queue(QueueFilter(status=Status.CANCELLED)) .rows == []


def test_filters_by_status_priority_region_and_technician():
    world = fake_world()
    desk, queue = world.services.desk, world.services.queue
    jiangsu = submit(world)
    guangdong = submit(world, province="CN-GD")
    unclassified = submit(world, province="CN-GD")
    desk.classify(jiangsu, actor=SystemActor("sup"), priority=Priority.URGENT)
    desk.classify(guangdong, actor=SystemActor("sup"), priority=Priority.CRITICAL)
    queue.dispatch(guangdong, actor=SystemActor("sup"), technicians=["tech-wang"])

    assert numbers(queue.queue(QueueFilter(province="CN-GD")).rows) == sorted([guangdong, unclassified])
    assert numbers(queue.queue(QueueFilter(priority=Priority.URGENT)).rows) == [jiangsu]
    assert numbers(queue.queue(QueueFilter.model_validate({"priority": "none"})).rows) == [unclassified]
    assert numbers(queue.queue(QueueFilter(status=Status.DISPATCHED)).rows) == [guangdong]
    assert numbers(queue.queue(QueueFilter(technician="tech-wang")).rows) == [guangdong]
    assert queue.queue(QueueFilter(technician="tech-li")).rows == []


def test_dispatch_lists_the_job_for_each_technician_and_re_dispatch_takes_it_off_the_others():
    world = fake_world()
    number = submit(world)
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    queue, tickets = world.services.queue, world.tickets

    queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-wang", "tech-li", "tech-wang"])
    assert tickets.get(number).assignees == ("tech-wang", "tech-li")
    assert [t.number for t in tickets.tickets_for_technician("tech-li")] == [number]

    queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-wang"])
    assert [t.number for t in tickets.tickets_for_technician("tech-wang")] == [number]
    assert tickets.tickets_for_technician("tech-li") == []
    assert tickets.get(number).status == Status.DISPATCHED


def test_only_members_of_the_technician_group_can_be_dispatched():
    world = fake_world()
    number = submit(world)
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
    with pytest.raises(UnknownTechnician) as refused:
        world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-wang", "supervisor"])
    assert refused.value.names == ["supervisor"]
    with pytest.raises(UnknownTechnician):
        world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=[])
    assert world.tickets.get(number).assignees == ()


def test_a_ticket_must_be_classified_before_it_is_dispatched():
    world = fake_world()
    number = submit(world)
    with pytest.raises(IllegalTransition):
        world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-wang"])


def test_classifying_records_kind_billing_and_warranty_and_the_date_can_be_agreed_after_dispatch():
    world = fake_world()
    number = submit(world)
    desk = world.services.desk
    desk.classify(number, actor=SystemActor("sup"), kind=Kind.MAINTENANCE, priority=Priority.GENERAL, billing=Billing.PAID,
                  billing_reason=BillingReason.OUT_OF_WARRANTY, warranty=False, plan="basic", in_province=False)
    world.services.queue.dispatch(number, actor=SystemActor("sup"), technicians=["tech-li"])
    agreed = world.clock.now() + timedelta(days=3)
    ticket = desk.classify(number, actor=SystemActor("sup"), agreed_date=agreed)

    assert (ticket.kind, ticket.billing, ticket.warranty, ticket.plan, ticket.in_province) == (
        Kind.MAINTENANCE, Billing.PAID, False, "basic", False)
    assert ticket.agreed_date == agreed and ticket.status == Status.DISPATCHED
    assert ticket.billing_reason == BillingReason.OUT_OF_WARRANTY


def test_the_ticket_file_has_photos_as_short_lived_links_and_the_staff_only_timeline():
    world = fake_world()
    world.files.objects["uploads/photos/0123456789abcdef0123456789abcdef/panel.png"] = PNG
    number = submit(world, photos=["uploads/photos/0123456789abcdef0123456789abcdef/panel.png"])
    world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.CRITICAL)  # notices are staff-only

    file = world.services.queue.ticket_file(number)

    assert file.photos == [("panel.png", "memory://uploads/photos/0123456789abcdef0123456789abcdef/panel.png")]
    assert any(not event.public for event in file.timeline)
    assert file.schedule is not None and file.schedule.deadlines
