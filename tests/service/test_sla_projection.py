"""The schedule at a glance kept on each ticket (``Ticket.sla``) is the fold of its timeline: hypothesis
moves tickets (the supervisor's and the technician's moves, pauses, cancellations, a breach taken from
its link), runs the sweep and the clock, and after every step the projection stored with each ticket says
what deriving the schedule from the whole timeline says, at that moment.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.queue import QueueFilter, escalation_level, next_running_deadline, sla_state
from chalicelib.domain.sla import DeadlineState
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import IllegalTransition, Priority
from chalicelib.services.field_work import NotYourJob
from tests.fakes import fake_world, valid_report

WANG = StaffUser(username="tech-wang", roles=frozenset({StaffRole.TECHNICIAN}))
PAUSES = (timedelta(0), timedelta(minutes=10), timedelta(minutes=50), timedelta(hours=2), timedelta(hours=20))
MOVES = ("contact", "classify", "dispatch", "check_in", "pause", "resume", "cancel")


class ProjectionIsTheFold(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = fake_world()
        self.numbers: list[str] = []

    @initialize(tickets=st.integers(1, 3))
    def customers_report_faults(self, tickets: int) -> None:
        for _ in range(tickets):
            self.a_customer_reports()

    @rule()
    def a_customer_reports(self) -> None:
        request = ServiceRequestInput.model_validate(valid_report())
        self.numbers.append(self.world.services.intake.submit(request, language="zh-CN").number)

    @rule(pause=st.sampled_from(PAUSES), pick=st.integers(0, 9), move=st.sampled_from(MOVES),
          priority=st.sampled_from(Priority))
    def someone_moves_a_ticket(self, pause: timedelta, pick: int, move: str, priority: Priority) -> None:
        self.world.clock.advance(pause)
        number = self.numbers[pick % len(self.numbers)]
        desk, field = self.world.services.desk, self.world.services.field_work
        act = {
            "contact": lambda: desk.record_contact(number, actor=SystemActor("sup")),
            "classify": lambda: desk.classify(number, actor=SystemActor("sup"), priority=priority),
            "dispatch": lambda: desk.dispatch(number, actor=SystemActor("sup"), technicians=("tech-wang",)),
            "check_in": lambda: field.check_in(number, WANG),
            "pause": lambda: desk.pause(number, actor=SystemActor("sup"), reason="waiting for the customer"),
            "resume": lambda: desk.resume(number, actor=SystemActor("sup")),
            "cancel": lambda: desk.cancel(number, actor=SystemActor("sup"), reason="duplicate"),
        }[move]
        with contextlib.suppress(IllegalTransition, NotYourJob):  # a move its state does not allow: nothing
            act()

    @rule(pause=st.sampled_from(PAUSES))
    def the_sweep_runs(self, pause: timedelta) -> None:
        self.world.clock.advance(pause)
        self.world.services.sla.sweep()

    @rule(pause=st.sampled_from(PAUSES))
    def only_time_passes(self, pause: timedelta) -> None:
        self.world.clock.advance(pause)

    @invariant()
    def each_tickets_projection_says_what_its_timeline_says(self) -> None:
        tickets, sla, now = self.world.tickets, self.world.services.sla, self.world.clock.now()
        for number in self.numbers:
            ticket = tickets.get(number)
            assert ticket is not None and ticket.sla is not None, f"{number} has no projection"
            schedule = sla.schedule(ticket, tickets.events(number), now)
            upcoming = next_running_deadline(schedule)
            missed = sorted((d.due_at, d.milestone.value) for d in schedule.deadlines
                            if d.state == DeadlineState.MISSED and d.due_at is not None)
            assert ticket.sla.state_at(now) == sla_state(schedule, now), number
            assert (ticket.sla.next_milestone, ticket.sla.next_due_at) == (
                (upcoming.milestone.value, upcoming.due_at) if upcoming else (None, None)
            ), number
            assert ticket.sla.worst_breach_at(now) == ((missed[0][1], missed[0][0]) if missed else None), number
            assert ticket.sla.escalation_level == escalation_level(tickets.escalation_state(number)[0]), number

    @invariant()
    def the_queue_lists_every_open_ticket_once(self) -> None:
        rows = self.world.services.queue.queue(QueueFilter(), size=100).rows
        open_numbers = {n for n in self.numbers if self.world.tickets.get(n).is_open}
        assert sorted(r.ticket.number for r in rows) == sorted(open_numbers)


ProjectionIsTheFold.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestProjectionIsTheFold = ProjectionIsTheFold.TestCase
