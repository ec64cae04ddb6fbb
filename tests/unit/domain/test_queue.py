"""The queue's at-a-glance rules: one word for how late a ticket is, and what a filter keeps."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from chalicelib.domain.plans import Milestone
from chalicelib.domain.queue import QueueFilter, SlaState, next_deadline, sla_state
from chalicelib.domain.sla import Deadline, DeadlineState, Schedule
from chalicelib.domain.ticket import Priority, Status

NOW = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def deadline(state, *, due_in=60, warn_in=45, milestone=Milestone.CONTACTED):
    return Deadline(milestone=milestone, state=state,
                    due_at=NOW + timedelta(minutes=due_in), warn_at=NOW + timedelta(minutes=warn_in))


def schedule(*deadlines):
    return Schedule(plan="standard", priority=None, in_province=True, computed_at=NOW, deadlines=deadlines)


@pytest.mark.parametrize("deadlines, expected", [
    ((), SlaState.NO_DEADLINE),
    ((deadline(DeadlineState.MET), deadline(DeadlineState.NOT_STARTED)), SlaState.NO_DEADLINE),
    ((deadline(DeadlineState.PENDING),), SlaState.ON_TIME),
    ((deadline(DeadlineState.PENDING, due_in=10, warn_in=-5),), SlaState.AT_RISK),
    ((deadline(DeadlineState.PAUSED, warn_in=-5),), SlaState.PAUSED),
    ((deadline(DeadlineState.PENDING, warn_in=-5), deadline(DeadlineState.MISSED, due_in=-1)), SlaState.BREACHED),
])
def test_the_worst_owed_deadline_decides_the_state(deadlines, expected):
    assert sla_state(schedule(*deadlines), NOW) == expected


def test_the_next_deadline_is_the_earliest_still_owed():
    missed = deadline(DeadlineState.MISSED, due_in=-30, milestone=Milestone.DISPATCHED)
    met = deadline(DeadlineState.MET, due_in=-60)
    assert next_deadline(schedule(deadline(DeadlineState.PENDING), missed, met)) == missed
    assert next_deadline(schedule(met)) is None


def test_a_filter_reads_open_statuses_only():
    assert QueueFilter().statuses() == sorted(s for s in Status if s not in (Status.CLOSED, Status.CANCELLED))
    assert QueueFilter(status=Status.CLOSED).statuses() == []
    assert QueueFilter.model_validate({"status": "", "priority": "", "province": " "}) == QueueFilter()
    assert QueueFilter.model_validate({"priority": "none"}).unclassified
    assert QueueFilter.model_validate({"priority": "B"}).priority == Priority.URGENT
    with pytest.raises(ValidationError):
        QueueFilter.model_validate({"status": "bogus"})
