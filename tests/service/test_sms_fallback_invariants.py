"""Passing a technician's refused SMS on, under concurrency: hypothesis dispatches jobs, refuses SMS for
now or for good, and interleaves delivery runs (two may hold the same message; a sender may die holding
one until its lease runs out), then checks after every step:

- no message goes out twice, the supervisors' messages included;
- an SMS to a technician given up on has been passed on exactly once (one message per supervisor with
  an email), and nothing is passed on for an SMS not given up on;
- its timeline says it failed once, naming who was told instead.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.domain.events import Notified
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.domain.permissions import SystemActor
from chalicelib.domain.sms_budget import FALLBACK_PURPOSE, falls_back
from chalicelib.domain.ticket import Priority
from tests.fakes import fake_world, valid_report
from tests.service.delivery_runs import PAUSES, dies_holding, next_message, run_starts

TEAMS = (("tech-li",), ("tech-wang",), ("tech-li", "tech-wang"))
SUPERVISORS_WITH_EMAIL = 1  # the demo roster's 张主管


class PassedOnOnce(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = fake_world()
        self.numbers: list[str] = []
        self.runs: list[list[OutboxMessage]] = []
        notifications = self.world.services.notifications
        self.deliver = notifications.deliver
        # A change's own delivery of what it wrote waits for its turn, like a slow request.
        notifications.deliver = lambda messages: self.runs.append(list(messages)) or []  # type: ignore[method-assign]

    @initialize(tickets=st.integers(1, 3))
    def customers_report_faults(self, tickets: int) -> None:
        for _ in range(tickets):
            request = ServiceRequestInput.model_validate(valid_report())
            number = self.world.services.intake.submit(request, language="zh-CN").number
            self.world.services.desk.classify(number, actor=SystemActor("sup"), priority=Priority.URGENT)
            self.numbers.append(number)

    @rule(pick=st.integers(0, 2), team=st.sampled_from(TEAMS))
    def the_supervisor_dispatches(self, pick: int, team: tuple[str, ...]) -> None:
        self.world.services.queue.dispatch(self.numbers[pick % len(self.numbers)], actor=SystemActor("sup"), technicians=team)

    @rule(pause=PAUSES)
    def a_delivery_run_starts(self, pause: timedelta) -> None:
        run_starts(self.world, self.runs, pause)

    @precondition(lambda self: any(self.runs))
    @rule(which=st.integers(0, 2), outcome=st.sampled_from(["answers", "refused for now", "refused for good", "dies"]))
    def a_delivery_run_sends_its_next_message(self, which: int, outcome: str) -> None:
        message = next_message(self.runs, which)
        if outcome == "dies":
            dies_holding(self.world, message)
            return
        self.world.notifier.failures = 0 if outcome == "answers" else 1
        self.world.notifier.permanent = outcome == "refused for good"
        self.deliver([message])

    @invariant()
    def no_message_is_sent_twice(self) -> None:
        sent = Counter((m.id, m.recipient, m.text) for m in self.world.notifier.sent)
        assert [key for key, times in sent.items() if times > 1] == []

    @invariant()
    def an_sms_given_up_on_is_passed_on_once_and_no_other(self) -> None:
        messages = self.world.tickets.messages
        for message in list(messages.values()):
            if message.channel != MessageChannel.SMS or not falls_back(message.purpose):
                continue
            instead = [
                m
                for m in messages.values()
                if m.purpose == FALLBACK_PURPOSE and m.id.startswith(f"{message.id}.instead.")
            ]
            expected = SUPERVISORS_WITH_EMAIL if message.state == DeliveryState.FAILED else 0
            assert len(instead) == expected, (message.state, instead)

    @invariant()
    def the_timeline_says_once_who_was_told_instead(self) -> None:
        for number in self.numbers:
            failed = Counter(
                (e.payload.message_id, e.payload.told_instead)
                for e in self.world.tickets.events(number)
                if isinstance(e.payload, Notified) and e.payload.outcome == "failed"
            )
            assert [key for key, times in failed.items() if times > 1] == []
            for (message_id, told), _ in failed.items():
                message = self.world.tickets.messages[str(message_id)]
                passed = message.channel == MessageChannel.SMS and falls_back(message.purpose)
                assert told == (("张主管",) if passed else ())


PassedOnOnce.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestPassedOnOnce = PassedOnOnce.TestCase
