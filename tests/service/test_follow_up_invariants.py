"""Follow-ups raised on after-care calls and complaints taken on the phone, under concurrency: hypothesis
lets the desk record calls (two people may record the same one), take complaints and change their records,
while delivery runs interleave (a request's own delivery may wait or never come, a run may die holding a
job, the store may refuse a write once, a job may be delivered again), and checks after every step:

- every ticket was accepted by someone: no follow-up or complaint is opened twice;
- a complaint's record is written once, and what the desk changed since is never overwritten;
- nothing accepted is lost: each follow-up or complaint record is done, still on its way, or given up on
  and parked for the operators; once the runs have caught up, each is done.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.domain.aftercare import CallbackInput, CallbackTask
from chalicelib.domain.complaints import ComplaintDetails
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.published import event_of
from chalicelib.domain.ticket import Action
from chalicelib.services.aftercare import UnknownCallback
from tests.fakes import fake_world, valid_report
from tests.service.delivery_runs import PAUSES, dies_holding, next_message, run_starts
from tests.service.test_aftercare import closed_job
from tests.service.test_complaints import DETAILS

JOB_KINDS = ("follow_up_requested", "complaint_taken_by_phone")
PROBLEMS = ("follow_up", "complaint", "none")


class StoreRefusesOnce(RuntimeError):
    pass


class OpenedOnce(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = fake_world()
        self.tasks: list[CallbackTask] = []
        self.jobs_done: set[str] = set()  # tickets of the repaired jobs
        self.complaints: dict[str, ComplaintDetails] = {}  # what each complaint's record should say
        self.edits: Counter[str] = Counter()
        self.runs: list[list[OutboxMessage]] = []
        self.refusals = 0

    @initialize(calls=st.integers(1, 3))
    def repaired_jobs_have_their_calls_due(self, calls: int) -> None:
        world = self.world
        for _ in range(calls):
            number = closed_job(world)
            world.services.aftercare.job_closed(number)
            self.jobs_done.add(number)
        world.clock.advance(timedelta(days=6))
        self.tasks = world.services.aftercare.due_callbacks()
        notifications = world.services.notifications
        self.deliver = notifications.deliver
        # A request's own delivery of what it wrote waits for its turn, like a slow request (or never comes).
        notifications.deliver = lambda messages: self.runs.append(list(messages)) or []  # type: ignore[method-assign]
        create, record = world.tickets.create, world.services.complaints.record_taken

        def refusing(real):
            def call(*args, **kwargs):
                if self.refusals:
                    self.refusals -= 1
                    raise StoreRefusesOnce("ProvisionedThroughputExceededException")
                return real(*args, **kwargs)

            return call

        world.tickets.create = refusing(create)  # type: ignore[method-assign]
        world.services.complaints.record_taken = refusing(record)  # type: ignore[method-assign]

    # -- people ------------------------------------------------------------------------------------

    @rule(pick=st.integers(0, 2), problem=st.sampled_from(PROBLEMS), stale=st.booleans())
    def the_desk_records_a_call(self, pick: int, problem: str, stale: bool) -> None:
        """``stale``: the person read the task as open before someone else recorded it (two at once)."""
        task = self.tasks[pick % len(self.tasks)]
        store = self.world.aftercare_store
        data = CallbackInput(reached=True, satisfied=problem == "none", problem=problem,
                             notes=None if problem == "none" else "又跳闸了")
        read = store.callback
        if stale:
            store.callback = lambda task_id: task  # type: ignore[method-assign]
        try:
            self.world.services.aftercare.record_callback(task.id, data, actor=SystemActor("desk"))
        except UnknownCallback:
            pass
        finally:
            store.callback = read  # type: ignore[method-assign]

    @rule()
    def the_desk_takes_a_complaint_on_the_phone(self) -> None:
        request = ServiceRequestInput.model_validate(valid_report(description="批次不良", channel="phone"))
        try:
            number = self.world.services.complaints.open(request, DETAILS, actor=SystemActor("desk"), language="zh-CN")
        except StoreRefusesOnce:
            return  # nothing was accepted: the desk sees the error and takes it again
        self.complaints[number] = DETAILS

    @precondition(lambda self: self.complaints)
    @rule(pick=st.integers(0, 5), quantity=st.integers(8, 20))
    def the_desk_changes_a_complaints_record(self, pick: int, quantity: int) -> None:
        number = sorted(self.complaints)[pick % len(self.complaints)]
        changed = DETAILS.model_copy(update={"defective_quantity": quantity})
        self.world.services.complaints.record(number, changed, actor=SystemActor("desk"))
        self.complaints[number] = changed
        self.edits[number] += 1

    # -- delivery runs -----------------------------------------------------------------------------

    @rule(pause=PAUSES)
    def a_delivery_run_starts(self, pause: timedelta) -> None:
        run_starts(self.world, self.runs, pause)

    @precondition(lambda self: any(self.runs))
    @rule(which=st.integers(0, 2), outcome=st.sampled_from(["works", "store refuses once", "dies"]))
    def a_delivery_run_sends_its_next_message(self, which: int, outcome: str) -> None:
        message = next_message(self.runs, which)
        if outcome == "dies":
            dies_holding(self.world, message)
            return
        self.refusals = 1 if outcome == "store refuses once" else 0
        self.deliver([message])
        self.refusals = 0

    @precondition(lambda self: self._sent_jobs())
    @rule(pick=st.integers(0, 10))
    def a_job_is_delivered_again(self, pick: int) -> None:
        sent = self._sent_jobs()
        self.world.services.bus.publish(event_of(sent[pick % len(sent)]))

    # -- what must hold ----------------------------------------------------------------------------

    @invariant()
    def every_ticket_was_accepted_by_someone(self) -> None:
        accepted = self.jobs_done | set(self.complaints) | set(self._follow_ups())
        assert set(self.world.tickets.tickets) <= accepted
        told = Counter(m.ticket_number for m in self.world.notifier.sent
                       if m.purpose == "desk_new_ticket" and m.channel == MessageChannel.EMAIL)
        assert [number for number, times in told.items() if times > 1] == [], "the desk hears of a ticket once"

    @invariant()
    def a_complaints_record_is_written_once_and_the_desks_changes_stay(self) -> None:
        for number, expected in self.complaints.items():
            recorded = [e for e in self.world.tickets.events(number) if e.action == Action.RECORD_COMPLAINT]
            assert len(recorded) <= 1 + self.edits[number]
            complaint = self.world.tickets.get(number).complaint
            assert complaint is None or complaint.details == expected

    @invariant()
    def nothing_accepted_is_lost(self) -> None:
        for number in self._follow_ups():
            assert self.world.tickets.get(number) is not None or self._on_its_way(number, "follow_up_requested")
        for number in self.complaints:
            ticket = self.world.tickets.get(number)
            assert ticket is not None
            assert ticket.complaint is not None or self._on_its_way(number, "complaint_taken_by_phone")

    def teardown(self) -> None:
        if not hasattr(self, "deliver"):
            return
        # The runs catch up: every job still on its way is done by them.
        for _ in range(12):
            self.world.clock.advance(timedelta(hours=1))
            self.world.services.notifications.deliver_due()
        parked = {event_of(m).number for m in self.world.dead_letters.parked if m.purpose in JOB_KINDS}
        for number in self._follow_ups():
            assert self.world.tickets.get(number) is not None or number in parked
        for number in self.complaints:
            assert self.world.tickets.get(number).complaint is not None or number in parked

    # -- reading -----------------------------------------------------------------------------------

    def _follow_ups(self) -> list[str]:
        return [r.follow_up for r in self.world.aftercare_store.records if r.follow_up]

    def _jobs(self) -> list[OutboxMessage]:
        return [m for m in self.world.tickets.messages.values()
                if m.channel == MessageChannel.JOB and m.purpose in JOB_KINDS]

    def _sent_jobs(self) -> list[OutboxMessage]:
        return [m for m in self._jobs() if m.state == DeliveryState.SENT]

    def _on_its_way(self, number: str, kind: str) -> bool:
        """Its job is waiting for a run, or was given up on and parked for the operators."""
        [job] = [m for m in self._jobs() if event_of(m).number == number and m.purpose == kind]
        parked = job.id in {m.id for m in self.world.dead_letters.parked}
        return job.state in (DeliveryState.PENDING, DeliveryState.SENDING) or parked


OpenedOnce.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestOpenedOnce = OpenedOnce.TestCase
