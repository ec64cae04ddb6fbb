"""What a person records on the phone and a subscriber finishes: a follow-up raised on an after-care call
and a complaint taken on the phone. Each is published as a job in the person's own write; delivering it
twice changes nothing more, and a delivery that fails is retried until it has done its part."""

from datetime import timedelta

import pytest

from chalicelib.domain.aftercare import CallbackInput
from chalicelib.domain.complaints import StepNotAllowed
from chalicelib.domain.events import Notified
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.published import ComplaintTakenByPhone, FollowUpRequested, event_of
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Kind
from chalicelib.services.aftercare import UnknownCallback
from tests.fakes import fake_world, valid_report
from tests.service.test_aftercare import closed_job
from tests.service.test_complaints import DETAILS

RAISED = CallbackInput(reached=True, satisfied=False, problem="follow_up", notes="又跳闸了")


@pytest.fixture
def world():
    return fake_world()


def due_call(world):
    """An after-care call due today, for a repaired job; returns (task, the repaired job's number)."""
    number = closed_job(world)
    world.services.aftercare.job_closed(number)
    world.clock.advance(timedelta(days=6))
    [task] = world.services.aftercare.due_callbacks()
    return task, number


def jobs(world, kind):
    return [m for m in world.tickets.messages.values() if m.channel == MessageChannel.JOB and m.purpose == kind]


def follow_ups_of(world, origin):
    """The numbers of the tickets opened for what was raised on the call about ``origin``."""
    return [t.number for t in world.tickets.tickets.values() if t.description.startswith(f"[{origin}]")]


def failing_once(monkeypatch, target, name):
    real, calls = getattr(target, name), []

    def once(*args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            raise RuntimeError("ProvisionedThroughputExceededException")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, once)
    return calls


# -- a follow-up raised on an after-care call ------------------------------------------------------


def test_the_desk_reads_out_the_follow_ups_number_and_its_ticket_is_open_when_the_page_answers(world):
    task, number = due_call(world)
    result = world.services.aftercare.record_callback(task.id, RAISED, actor=SystemActor("desk"))
    assert result.follow_up is not None and not result.follow_up_pending
    [job] = jobs(world, "follow_up_requested")
    # Filed under the job it was raised about: the follow-up's own ticket is what it opens.
    assert job.state == DeliveryState.SENT and job.ticket_number == number
    assert event_of(job).number == result.follow_up
    assert follow_ups_of(world, number) == [result.follow_up]


def test_a_follow_up_delivered_twice_opens_one_ticket(world):
    task, number = due_call(world)
    result = world.services.aftercare.record_callback(task.id, RAISED, actor=SystemActor("desk"))
    [job] = jobs(world, "follow_up_requested")
    requested = event_of(job)
    assert isinstance(requested, FollowUpRequested)

    world.services.bus.publish(requested)  # delivered again (a retry after a lost answer)
    world.services.bus.publish(requested)

    assert follow_ups_of(world, number) == [result.follow_up]
    [opened] = [e for e in world.tickets.events(result.follow_up) if e.action == Action.SUBMIT]
    assert opened.actor == "desk"
    desk_emails = [m for m in world.notifier.sent if m.purpose == "desk_new_ticket" and m.ticket_number == result.follow_up
                   and m.channel == MessageChannel.EMAIL]
    assert len(desk_emails) == 1, "the desk hears of the new ticket once"


def test_a_follow_up_that_cannot_be_opened_yet_is_kept_and_opened_by_the_delivery_job(world, monkeypatch):
    task, number = due_call(world)
    tries = failing_once(monkeypatch, world.tickets, "create")

    result = world.services.aftercare.record_callback(task.id, RAISED, actor=SystemActor("desk"))  # the desk sees no error

    assert result.follow_up_pending and world.tickets.get(result.follow_up) is None
    assert world.services.aftercare.due_callbacks() == [], "the call is recorded"
    [record] = world.aftercare_store.records
    assert record.follow_up == result.follow_up
    [job] = jobs(world, "follow_up_requested")
    assert job.state == DeliveryState.PENDING and "ProvisionedThroughputExceededException" in job.last_error

    world.clock.advance(timedelta(minutes=1))
    world.services.notifications.deliver_due()

    assert len(tries) == 2
    follow_up = world.tickets.get(result.follow_up)
    # Staff read on the repaired job's timeline that a job of it is retried; its customer does not.
    [retried] = [e for e in world.tickets.events(number)
                 if isinstance(e.payload, Notified) and e.payload.outcome == "retry"]
    assert retried.payload.message_id == job.id and not retried.public
    assert follow_up.kind == Kind.FAULT and follow_ups_of(world, number) == [result.follow_up]
    assert jobs(world, "follow_up_requested")[0].state == DeliveryState.SENT


def test_two_people_recording_the_same_call_open_one_follow_up(world, monkeypatch):
    task, number = due_call(world)
    aftercare = world.services.aftercare
    first = aftercare.record_callback(task.id, RAISED, actor=SystemActor("desk"))
    # The second person read the task as open before the first saved: only the store's write decides.
    monkeypatch.setattr(world.aftercare_store, "callback", lambda task_id: task)
    with pytest.raises(UnknownCallback):
        aftercare.record_callback(task.id, RAISED, actor=SystemActor("desk-2"))
    assert follow_ups_of(world, number) == [first.follow_up]
    assert len(jobs(world, "follow_up_requested")) == 1
    # The number the second person was handed went back: the next ticket takes it.
    after = world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN")
    assert int(after.number.rsplit("-", 1)[1]) == int(first.follow_up.rsplit("-", 1)[1]) + 1


# -- a complaint taken on the phone -------------------------------------------------------------------


DESK = SystemActor("desk")


def phone_complaint(world, actor=DESK):
    request = ServiceRequestInput.model_validate(valid_report(description="批次不良", channel="phone"))
    return world.services.complaints.open(request, DETAILS, actor=actor, language="zh-CN")


def test_a_phone_complaint_is_open_with_its_record_when_the_desk_commits_a_reply_time(world):
    number = phone_complaint(world)
    assert world.tickets.get(number).complaint.details == DETAILS
    [job] = jobs(world, "complaint_taken_by_phone")
    assert job.ticket_number == number and job.state == DeliveryState.SENT
    world.services.complaints.commit_reply(number, world.clock.now() + timedelta(days=2), actor=SystemActor("desk"))


def test_a_phone_complaint_delivered_again_keeps_one_record_and_what_the_desk_changed_since(world):
    number = phone_complaint(world)
    changed = DETAILS.model_copy(update={"defective_quantity": 9})
    world.services.complaints.record(number, changed, actor=SystemActor("desk"))
    [job] = jobs(world, "complaint_taken_by_phone")
    taken = event_of(job)
    assert isinstance(taken, ComplaintTakenByPhone)

    world.services.bus.publish(taken)

    assert world.tickets.get(number).complaint.details == changed
    recorded = [e for e in world.tickets.events(number) if e.action == Action.RECORD_COMPLAINT]
    assert len(recorded) == 2, "the first record and the desk's change; the repeat recorded nothing"


def test_a_phone_complaint_whose_record_fails_keeps_its_ticket_and_is_recorded_by_the_retry(world, monkeypatch):
    tries = failing_once(monkeypatch, world.services.complaints, "record_taken")

    number = phone_complaint(world)  # the desk has the number and the page

    assert world.tickets.get(number).complaint is None
    [job] = jobs(world, "complaint_taken_by_phone")
    assert job.state == DeliveryState.PENDING and job.attempts == 1

    world.clock.advance(timedelta(minutes=1))
    world.services.notifications.deliver_due()

    assert len(tries) == 2 and world.tickets.get(number).complaint.details == DETAILS
    assert [e.actor for e in world.tickets.events(number) if e.action == Action.RECORD_COMPLAINT] == ["desk"]


def test_a_complaint_from_someone_who_may_not_record_one_opens_no_ticket(world):
    viewer = StaffUser(username="tech-li", roles=frozenset({StaffRole.TECHNICIAN}))
    with pytest.raises(StepNotAllowed):
        phone_complaint(world, actor=viewer)
    assert world.tickets.tickets == {}
