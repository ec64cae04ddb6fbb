"""After the job (SPEC "After closure"): the satisfaction survey, follow-up callbacks and scheduled
maintenance visits. Pure rules; ``today``/``now`` are always arguments.

Where the data lives (the monthly report reads the ticket timeline, see ``chalicelib/domain/reports.py``)
-------------------------------------------------------------------------------------------------------
* **After-care due**: the approval writes, in its own transaction, a job (the outbox's ``job`` kind,
  ``after_care_due``) carrying the published event ``AfterCareDue``; delivering it books the callback
  and sends the survey, and is retried like any message until both are done. Both steps are idempotent,
  so a retry repeats nothing.
* **Survey** (001 §3.5, 000 §4.6.1): sent when a job is approved (event ``send_survey`` recording
  ``SurveySent``); answered once from a signed link. The answer is the ticket field ``Ticket.survey``
  (``SurveyAnswer``: four scores 1..5 and a comment) and the event ``answer_survey`` (``SurveyAnswered``).
* **Callback** (003 §2, §5): event ``record_callback`` on the repaired ticket recording its ``Callback``
  (outcome ``satisfied`` | ``problem`` | ``unreachable``, whether reached and satisfied, the problem
  ``none`` | ``follow_up`` | ``complaint``, notes, the follow-up ticket and the task). Callbacks after a *delivery* have no
  ticket: they are kept only as callback records (``CALLBACKS#DONE#<yyyy-mm>``, see ``keys.py``),
  and a problem they raise opens a ticket that the report counts like any other.
* **Maintenance reminders** (003 §4.1): schedules and visits are records of their own (``keys.py``);
  a reminder is an outbox message (``purpose`` ``maintenance_reminder``).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, field_validator

from chalicelib.domain.lifecycle import Lifecycle
from chalicelib.domain.notification import OutboxMessage

# 003 §2, §5: a callback 5–7 days after delivery or after a repair.
CALLBACK_FROM_DAYS = 5
CALLBACK_BY_DAYS = 7
# 003 §4.1: the customer is reminded one week before a maintenance visit.
REMINDER_DAYS_BEFORE = 7
# Visits are written this far ahead; the daily job rolls the horizon forward.
VISIT_HORIZON_DAYS = 400
SCORES = ("overall", "timeliness", "attitude", "quality")


def _blank_to_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


Score = Annotated[int, Field(ge=1, le=5)]
OptionalText = Annotated[
    Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None, BeforeValidator(_blank_to_none)
]


# ---- the satisfaction survey ----------------------------------------------------------------------


class SurveyInput(BaseModel):
    """The customer's form: four scores (1 worst … 5 best) and an optional comment."""

    model_config = ConfigDict(extra="ignore")

    overall: Score
    timeliness: Score
    attitude: Score
    quality: Score
    comment: OptionalText = None


class SurveyAnswer(SurveyInput):
    model_config = ConfigDict(frozen=True, extra="forbid")

    answered_at: datetime


class SurveyState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"


class SurveyMove(StrEnum):
    SEND = "send"
    ANSWER = "answer"
    LAPSE = "lapse"  # its deadline passes: nobody makes this move, ``survey_state`` reads it from the clock


class SurveyClosed(Exception):
    """Sent already, answered already, or the link expired; ``state`` says which."""

    def __init__(self, state: SurveyState):
        super().__init__(state.value)
        self.state = state


class SurveyNotSent(LookupError):
    """A survey that was never sent cannot be answered (nor lapse)."""


def _refused(state: SurveyState | None, move: SurveyMove) -> Exception:
    return SurveyClosed(state) if state else SurveyNotSent(move.value)


# The survey's life: (state before, move, state after); ``None``: not sent yet. A survey is sent once and
# answered once, while its link is open.
SURVEY_MOVES: Lifecycle[SurveyState, SurveyMove] = Lifecycle(
    [
        (None, SurveyMove.SEND, SurveyState.OPEN),
        (SurveyState.OPEN, SurveyMove.ANSWER, SurveyState.ANSWERED),
        (SurveyState.OPEN, SurveyMove.LAPSE, SurveyState.EXPIRED),
    ],
    refuse=_refused,
)


def survey_state(*, answered: bool, until: datetime, now: datetime) -> SurveyState:
    """An answered survey says so even after its link expired (the customer should not think it lost)."""
    if answered:
        return SurveyState.ANSWERED
    return SurveyState.OPEN if now < until else SurveyState.EXPIRED


def after_care_due(number: str, *, at: datetime, message_id: str) -> OutboxMessage:
    """"After-care is due for ticket ``number``": written with the job's approval, delivered at once and
    then by the outbox's retries until the callback is booked and the survey sent."""
    # Imported here: published events carry archive records, and the archive reaches this module
    # through the ticket.
    from chalicelib.domain.published import AfterCareDue, job_item

    return job_item(AfterCareDue(number=number), at=at, message_id=message_id)


# ---- callbacks ------------------------------------------------------------------------------------


class CallbackReason(StrEnum):
    REPAIR = "repair"  # 5–7 days after a repair (the job's closure)
    DELIVERY = "delivery"  # 5–7 days after a product was delivered (the archive's delivery date)


class CallbackTask(BaseModel):
    """One customer to call back. ``id`` is stable, so writing a task twice keeps one task."""

    model_config = ConfigDict(frozen=True)

    reason: CallbackReason
    due_from: date
    due_by: date
    customer_name: str
    phone: str
    ticket_number: str | None = None  # repair callbacks
    serial_number: str | None = None
    model: str | None = None

    @property
    def id(self) -> str:
        ref = self.ticket_number if self.reason == CallbackReason.REPAIR else self.serial_number
        return f"{self.due_from.isoformat()}.{self.reason.value}.{ref}"

    def overdue(self, today: date) -> bool:
        return today > self.due_by


def callback_window(start: date) -> tuple[date, date]:
    """The days a callback is due: 5 to 7 days after the delivery or the repair (003 §2, §5)."""
    return start + timedelta(days=CALLBACK_FROM_DAYS), start + timedelta(days=CALLBACK_BY_DAYS)


def repair_callback(
    *, number: str, closed_on: date, customer_name: str, phone: str, serial_number: str | None, model: str
) -> CallbackTask:
    due_from, due_by = callback_window(closed_on)
    return CallbackTask(reason=CallbackReason.REPAIR, due_from=due_from, due_by=due_by, customer_name=customer_name,
                        phone=phone, ticket_number=number, serial_number=serial_number, model=model)


def delivery_callback(
    *, serial_number: str, delivered_on: date, customer_name: str, phone: str, model: str
) -> CallbackTask:
    due_from, due_by = callback_window(delivered_on)
    return CallbackTask(reason=CallbackReason.DELIVERY, due_from=due_from, due_by=due_by,
                        customer_name=customer_name, phone=phone, serial_number=serial_number, model=model)


class Problem(StrEnum):
    NONE = "none"
    FOLLOW_UP = "follow_up"  # opens a follow-up job (a fault ticket)
    COMPLAINT = "complaint"  # opens a complaint


def _yes_no(value: object) -> object:
    if value in ("yes", "true", "1", True):
        return True
    if value in ("no", "false", "0", False):
        return False
    if value in (None, ""):
        return None
    return value


class CallbackInput(BaseModel):
    """What the desk records after calling: reached or not; if reached, satisfied or not, and a problem
    the customer raised (which opens a follow-up job or a complaint)."""

    model_config = ConfigDict(extra="ignore")

    reached: Annotated[bool, BeforeValidator(_yes_no)]
    satisfied: Annotated[bool | None, BeforeValidator(_yes_no)] = None
    problem: Problem = Problem.NONE
    notes: OptionalText = None

    @field_validator("problem", mode="before")
    @classmethod
    def _default_problem(cls, value: object) -> object:
        return Problem.NONE if value in (None, "") else value

    def check(self) -> dict[str, str]:
        """Field -> error code: a reached customer says whether they are satisfied; a problem needs notes
        (they become the follow-up's description); nobody raises a problem on an unanswered phone."""
        problems: dict[str, str] = {}
        if self.reached and self.satisfied is None:
            problems["satisfied"] = "required"
        if not self.reached and self.problem != Problem.NONE:
            problems["problem"] = "unreachable_problem"
        if self.problem != Problem.NONE and not self.notes:
            problems["notes"] = "required"
        return problems

    @property
    def outcome(self) -> str:
        """The report's three outcomes (``reports.CALLBACK_OUTCOMES``)."""
        if not self.reached:
            return "unreachable"
        if self.problem != Problem.NONE or not self.satisfied:
            return "problem"
        return "satisfied"

    def record(self, *, task: str, follow_up: str | None) -> Callback:
        return Callback(outcome=self.outcome, reached=self.reached, satisfied=self.satisfied,
                        problem=self.problem.value, notes=self.notes or "", follow_up=follow_up, task=task)


class Callback(BaseModel):
    """What a callback found: kept in the month's callbacks and recorded on the repaired ticket."""

    model_config = ConfigDict(frozen=True)

    outcome: Literal["satisfied", "problem", "unreachable"]
    reached: bool | None = None
    satisfied: bool | None = None
    problem: str | None = None
    notes: str | None = None
    follow_up: str | None = None  # the ticket opened for the problem found
    task: str | None = None  # the callback task it closed


class CallbackDone(Callback):
    """One of a month's callback records: what the call found, when, and the task it closed."""

    at: datetime
    reason: CallbackReason
    ticket_number: str | None = None
    serial_number: str | None = None

    @classmethod
    def of(cls, task: CallbackTask, record: Callback, at: datetime) -> CallbackDone:
        return cls(**{**record.model_dump(), "task": task.id}, at=at, reason=task.reason,
                   ticket_number=task.ticket_number, serial_number=task.serial_number)


# ---- scheduled maintenance ------------------------------------------------------------------------


class MaintenanceSchedule(BaseModel):
    """A product's maintenance visits: every ``every_months`` months from ``start``, and/or on ``dates``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    serial_number: str
    start: date
    every_months: int | None = Field(default=None, ge=1, le=60)
    dates: tuple[date, ...] = ()
    updated_at: datetime | None = None
    updated_by: str | None = None

    @field_validator("dates")
    @classmethod
    def _sorted(cls, value: tuple[date, ...]) -> tuple[date, ...]:
        return tuple(sorted(set(value)))

    def visits(self, first: date, last: date) -> list[date]:
        """Visit days from ``first`` to ``last`` inclusive, in order."""
        found = {d for d in self.dates if first <= d <= last}
        if self.every_months:
            n = 0
            while (visit := add_months(self.start, n * self.every_months)) <= last:
                if visit >= first:
                    found.add(visit)
                n += 1
        return sorted(found)


class MaintenanceInput(BaseModel):
    """The desk's form: a start date and an interval, or a list of dates (one per line or comma)."""

    model_config = ConfigDict(extra="ignore")

    serial_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    start: Annotated[date | None, BeforeValidator(_blank_to_none)] = None
    # The bounds apply to a number, not to "none given" (a schedule of dates only).
    every_months: Annotated[Annotated[int, Field(ge=1, le=60)] | None, BeforeValidator(_blank_to_none)] = None
    dates: Annotated[tuple[date, ...], BeforeValidator(lambda v: _date_list(v))] = ()

    def check(self) -> dict[str, str]:
        if self.every_months and self.start is None:
            return {"start": "required"}
        if not self.every_months and not self.dates:
            return {"every_months": "schedule_empty"}
        return {}

    def schedule(self, serial: str, *, at: datetime, actor: str) -> MaintenanceSchedule:
        start = self.start or (self.dates[0] if self.dates else at.date())
        return MaintenanceSchedule(serial_number=serial, start=start, every_months=self.every_months,
                                   dates=self.dates, updated_at=at, updated_by=actor)


def _date_list(value: object) -> object:
    if isinstance(value, str):
        return tuple(p.strip() for p in value.replace(",", "\n").replace("，", "\n").splitlines() if p.strip())
    return value


class Visit(BaseModel):
    """One maintenance visit of one product; ``reminded_at`` once the customer was told (once only)."""

    model_config = ConfigDict(frozen=True)

    serial_number: str
    on: date
    reminded_at: datetime | None = None

    @property
    def remind_on(self) -> date:
        return self.on - timedelta(days=REMINDER_DAYS_BEFORE)


def add_months(day: date, months: int) -> date:
    """Same day of the month, or the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")
