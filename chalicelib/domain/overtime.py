"""Overtime and holiday visits (加班服务, 000 §4.4.3): a technician's visit on a public holiday, at the
weekend or outside working hours is reported to the supervisor, who approves or declines it.

The technician asks for a visit (when it starts and ends); the reasons are worked out from the working
calendar, so a visit within working hours needs no approval and is refused as a request. The supervisor
then decides once: ``REQUESTED`` → ``APPROVED`` or ``DECLINED``. Approved visits are counted in the
monthly report.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.calendars import BusinessHours

LONGEST_VISIT = timedelta(days=3)


class OvertimeError(ValueError):
    code = "overtime"


class NotOvertime(OvertimeError):
    """The visit lies within working hours: nobody needs to approve it."""

    code = "overtime_not_needed"


class BadVisit(OvertimeError):
    code = "overtime_bad_visit"


class AlreadyDecided(OvertimeError):
    code = "overtime_decided"


class UnknownVisit(OvertimeError):
    code = "overtime_unknown"


class OvertimeReason(StrEnum):
    HOLIDAY = "holiday"  # a public holiday or a weekend: no working day at all
    OFF_HOURS = "off_hours"  # a working day, but before opening or after closing


class OvertimeState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"


class OvertimeVisit(BaseModel):
    """One visit outside working time, as the technician asked for it and as the supervisor decided."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # "O1", "O2", ... per ticket
    technician: str
    starts_at: datetime
    ends_at: datetime
    reasons: tuple[OvertimeReason, ...]
    note: str = Field(default="", max_length=500)
    state: OvertimeState = OvertimeState.REQUESTED
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    decision_note: str = Field(default="", max_length=500)

    @property
    def hours(self) -> float:
        return round((self.ends_at - self.starts_at).total_seconds() / 3600, 1)


def reasons_for(starts_at: datetime, ends_at: datetime, calendar: BusinessHours) -> tuple[OvertimeReason, ...]:
    """Why a visit from ``starts_at`` to ``ends_at`` needs approval: any of its days not a working day
    (holiday), any of its time on a working day outside opening hours (off hours); empty when none."""
    zone = calendar.zone
    found: set[OvertimeReason] = set()
    day = starts_at.astimezone(zone).date()
    while day <= ends_at.astimezone(zone).date():
        start_of_day = datetime.combine(day, datetime.min.time(), zone)
        span_start = max(starts_at, start_of_day)
        span_end = min(ends_at, start_of_day + timedelta(days=1))
        if span_end > span_start:
            worked = calendar.between(span_start, span_end)
            if not calendar.is_working_date(day):
                found.add(OvertimeReason.HOLIDAY)
            elif worked < span_end - span_start:
                found.add(OvertimeReason.OFF_HOURS)
        day += timedelta(days=1)
    return tuple(reason for reason in OvertimeReason if reason in found)


def request(
    visits: tuple[OvertimeVisit, ...], *, technician: str, starts_at: datetime, ends_at: datetime, note: str,
    calendar: BusinessHours, now: datetime,
) -> OvertimeVisit:
    if ends_at <= starts_at or ends_at - starts_at > LONGEST_VISIT:
        raise BadVisit(f"a visit ends after it starts, within {LONGEST_VISIT.days} days")
    reasons = reasons_for(starts_at, ends_at, calendar)
    if not reasons:
        raise NotOvertime("the visit lies within working hours")
    return OvertimeVisit(id=f"O{len(visits) + 1}", technician=technician, starts_at=starts_at, ends_at=ends_at,
                         reasons=reasons, note=note, requested_at=now)


def decide(
    visits: tuple[OvertimeVisit, ...], visit_id: str, *, approve: bool, actor: str, note: str, now: datetime
) -> tuple[OvertimeVisit, ...]:
    """The visits with ``visit_id`` decided; a visit is decided once."""
    visit = next((v for v in visits if v.id == visit_id), None)
    if visit is None:
        raise UnknownVisit(visit_id)
    if visit.state != OvertimeState.REQUESTED:
        raise AlreadyDecided(f"{visit_id} is already {visit.state.value}")
    decided = visit.model_copy(update={
        "state": OvertimeState.APPROVED if approve else OvertimeState.DECLINED,
        "decided_by": actor, "decided_at": now, "decision_note": note,
    })
    return tuple(decided if v.id == visit_id else v for v in visits)
