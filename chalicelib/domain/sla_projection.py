"""A ticket's SLA at a glance, stored with the ticket (``Ticket.sla``) so lists never read timelines.

Only the standard library and pydantic: the ticket model holds it, and the queue's rules
(``domain/queue.py``) compute it from a schedule.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class SlaState(StrEnum):
    """One word per ticket for the queue: is any promise broken or about to be?"""

    BREACHED = "breached"  # a deadline was missed and is still owed
    AT_RISK = "at_risk"  # a deadline is past its warning point (e.g. 75% of its target used)
    PAUSED = "paused"  # waiting on the customer: the clock is stopped
    ON_TIME = "on_time"  # deadlines are running, none near
    NO_DEADLINE = "no_deadline"  # nothing owed right now (e.g. a general job with no agreed date yet)


class SlaProjection(BaseModel):
    """A ticket's schedule at a glance, kept on the ticket's item: written with every event that changes
    the schedule (and by the sweep), so the queue and search read it instead of each timeline.

    The timeline stays the source of truth; this is its fold at ``as_of``. Between writes only time
    moves, and time alone only turns a running deadline at risk (its warning) and then breached (its
    due moment): ``state_at`` applies both, so the projection answers for any later moment. A paused
    deadline is not "next": its due moment moves with the clock until the pause ends."""

    model_config = ConfigDict(frozen=True)

    as_of: datetime
    owed: bool = False  # some deadline is running, paused or missed
    paused: bool = False
    missed: bool = False
    next_milestone: str | None = None  # the running or missed deadline due first
    next_due_at: datetime | None = None
    breaches_at: datetime | None = None  # the first running deadline's due moment: breached after it
    warns_at: datetime | None = None  # the first warning of a running deadline: at risk from then
    worst_breach: str | None = None  # the missed deadline that is most overdue
    worst_breach_due_at: datetime | None = None
    escalation_level: int = 0  # the highest ladder level a breach of this ticket reached

    def state_at(self, now: datetime) -> SlaState:
        if self.missed or (self.breaches_at is not None and now > self.breaches_at):
            return SlaState.BREACHED
        if self.paused:
            return SlaState.PAUSED
        if self.warns_at is not None and self.warns_at <= now:
            return SlaState.AT_RISK
        return SlaState.ON_TIME if self.owed else SlaState.NO_DEADLINE

    def worst_breach_at(self, now: datetime) -> tuple[str, datetime] | None:
        """The most overdue missed deadline at ``now``: one missed by ``as_of`` is due earlier than any
        still running then, so the first running deadline counts only when nothing was missed before."""
        if self.worst_breach is not None and self.worst_breach_due_at is not None:
            return self.worst_breach, self.worst_breach_due_at
        if self.next_milestone is not None and self.next_due_at is not None and now > self.next_due_at:
            return self.next_milestone, self.next_due_at
        return None
