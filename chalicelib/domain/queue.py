"""The supervisor's queue as rules: how late a ticket is at a glance, which deadline comes next, and
which tickets a filter keeps. Pure functions of a ticket and its schedule; ``now`` is passed in.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from chalicelib.domain.sla import Deadline, DeadlineState, Schedule
from chalicelib.domain.sla_projection import SlaProjection, SlaState
from chalicelib.domain.ticket import OPEN_STATUSES, Priority, Status, Ticket

# Worst first: the order the queue's legend and counts use.
SEVERITY = (SlaState.BREACHED, SlaState.AT_RISK, SlaState.PAUSED, SlaState.ON_TIME, SlaState.NO_DEADLINE)
_WATCHED = frozenset({DeadlineState.PENDING, DeadlineState.MISSED, DeadlineState.PAUSED})


def sla_state(schedule: Schedule, now: datetime) -> SlaState:
    owed = [d for d in schedule.deadlines if d.state in _WATCHED]
    if any(d.state == DeadlineState.MISSED for d in owed):
        return SlaState.BREACHED
    if any(d.state == DeadlineState.PAUSED for d in owed):
        return SlaState.PAUSED
    if any(d.state == DeadlineState.PENDING and d.warn_at is not None and d.warn_at <= now for d in owed):
        return SlaState.AT_RISK
    return SlaState.ON_TIME if owed else SlaState.NO_DEADLINE


def next_deadline(schedule: Schedule) -> Deadline | None:
    """The owed deadline due first (a missed one is earlier than any pending one)."""
    owed = [d for d in schedule.deadlines if d.state in _WATCHED and d.due_at is not None]
    return min(owed, key=lambda d: d.due_at) if owed else None  # type: ignore[arg-type, return-value]


def project(schedule: Schedule | None, now: datetime, taken: frozenset[str] = frozenset()) -> SlaProjection:
    """The projection of ``schedule`` computed at ``now``; ``taken``: the ladder steps already taken.
    No schedule (its plan no longer exists): nothing owed."""
    level = escalation_level(taken)
    if schedule is None:
        return SlaProjection(as_of=now, escalation_level=level)
    owed = [d for d in schedule.deadlines if d.state in _WATCHED]
    running = [d for d in owed if d.state == DeadlineState.PENDING]
    missed = [d for d in owed if d.state == DeadlineState.MISSED and d.due_at is not None]
    upcoming = next_running_deadline(schedule)
    worst = min(missed, key=lambda d: d.due_at) if missed else None  # type: ignore[arg-type, return-value]
    return SlaProjection(
        as_of=now,
        owed=bool(owed),
        paused=any(d.state == DeadlineState.PAUSED for d in owed),
        missed=any(d.state == DeadlineState.MISSED for d in owed),
        next_milestone=upcoming.milestone.value if upcoming else None,
        next_due_at=upcoming.due_at if upcoming else None,
        breaches_at=min((d.due_at for d in running if d.due_at is not None), default=None),
        warns_at=min((d.warn_at for d in running if d.warn_at is not None), default=None),
        worst_breach=worst.milestone.value if worst else None,
        worst_breach_due_at=worst.due_at if worst else None,
        escalation_level=level,
    )


def next_running_deadline(schedule: Schedule) -> Deadline | None:
    """The running or missed deadline due first: where the ticket stands in the queue."""
    owed = [d for d in schedule.deadlines if d.state in _RUNNING and d.due_at is not None]
    return min(owed, key=lambda d: d.due_at) if owed else None  # type: ignore[arg-type, return-value]


_RUNNING = frozenset({DeadlineState.PENDING, DeadlineState.MISSED})
_BREACH_LEVEL = re.compile(r"^breach:.*:L(\d+)$")


def escalation_level(taken: frozenset[str]) -> int:
    """The highest level among the breach steps taken (their keys end in ``:L<level>``)."""
    levels = [int(match.group(1)) for key in taken if (match := _BREACH_LEVEL.match(key))]
    return max(levels, default=0)


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        return value.strip() or None
    return value


Choice = Annotated[Annotated[str, Field(max_length=64)] | None, BeforeValidator(_blank_to_none)]


class QueueFilter(BaseModel):
    """What the supervisor narrows the queue to; every field optional. ``priority="none"`` means not
    yet classified."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    status: Annotated[Status | None, BeforeValidator(_blank_to_none)] = None
    priority: Annotated[Priority | None, BeforeValidator(_blank_to_none)] = None
    unclassified: bool = False  # the priority filter's "not classified" choice
    province: Choice = None
    technician: Choice = None

    @model_validator(mode="before")
    @classmethod
    def _priority_none(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("priority") == "none":
            return {**data, "priority": None, "unclassified": True}
        return data

    def statuses(self) -> list[Status]:
        """The statuses to read: one if asked for, else every open one (closed ones never queue)."""
        if self.status is not None:
            return [self.status] if self.status in OPEN_STATUSES else []
        return sorted(OPEN_STATUSES)

    def keeps(self, ticket: Ticket) -> bool:
        if self.unclassified and ticket.priority is not None:
            return False
        if self.priority is not None and ticket.priority != self.priority:
            return False
        if self.province is not None and ticket.reporter.province != self.province:
            return False
        return self.technician is None or self.technician in ticket.assignees
