"""A burst of due tickets: the sweep decides on many at once (threads) and still takes each step once."""

import dataclasses
from collections import Counter
from datetime import timedelta

from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel
from tests.fakes import fake_world, valid_report


def test_a_burst_of_due_tickets_is_escalated_in_one_sweep_each_step_once():
    world = fake_world()
    sla = world.services.sla
    sla._config = dataclasses.replace(sla._config, workers=8)  # as on AWS (SWEEP_WORKERS)
    numbers = [
        world.services.intake.submit(ServiceRequestInput.model_validate(valid_report()), language="zh-CN").number
        for _ in range(40)
    ]
    world.clock.advance(timedelta(hours=2))  # every contact deadline missed at once
    world.notifier.sent.clear()

    report = sla.sweep()
    again = sla.sweep()

    assert report.tickets_read == 40 and report.conflicts == 0 and again.steps_taken == 0
    told = Counter(m.ticket_number for m in world.notifier.sent
                   if m.purpose.startswith("escalation:breach:") and m.channel == MessageChannel.EMAIL)
    assert set(told) == set(numbers) and len(set(told.values())) == 1, "each ticket told the same steps, once"
