"""Loaners (备用机, 002 §6.1): a unit of equal or better spec lent while the customer's is repaired.

The premium plan owes one within 48 h once a repair has gone 8 h without a fix (the SLA milestone
``loaner_provided``); issuing a loaner is that milestone's fact, so the schedule shows it met. The
loaner's life is a transition table (``LOANER_MOVES``): issued, then returned (with its condition).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.lifecycle import Lifecycle


class LoanerError(Exception):
    code = "loaner"


class UnknownLoaner(LoanerError):
    code = "loaner_unknown"


class IllegalLoanerMove(LoanerError):
    code = "loaner_move"

    def __init__(self, state: LoanerState | None, move: LoanerMove):
        super().__init__(f"cannot {move.value} a loaner that is {state.value if state else 'missing'}")
        self.state = state
        self.move = move


class LoanerState(StrEnum):
    OUT = "out"
    RETURNED = "returned"


class LoanerMove(StrEnum):
    RETURN = "return"


# The loaner's life: (state before, move, state after); it is issued out (``issue``), then returned.
LOANER_MOVES: Lifecycle[LoanerState, LoanerMove] = Lifecycle(
    [(LoanerState.OUT, LoanerMove.RETURN, LoanerState.RETURNED)],
    refuse=IllegalLoanerMove,
)


class Condition(StrEnum):
    GOOD = "good"
    WORN = "worn"
    DAMAGED = "damaged"


class Loaner(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # "L1", "L2", ... per ticket
    state: LoanerState = LoanerState.OUT
    model: str = Field(min_length=1, max_length=80)
    serial_number: str = Field(min_length=1, max_length=80)
    issued_to: str = Field(min_length=1, max_length=80)
    issued_on: date
    issued_by: str
    recorded_at: datetime
    returned_on: date | None = None
    condition: Condition | None = None
    return_note: str = ""

    @field_validator("model", "serial_number", "issued_to")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


def issue(
    existing: tuple[Loaner, ...], *, model: str, serial_number: str, issued_to: str, issued_on: date, actor: str,
    at: datetime, today: date,
) -> Loaner:
    if issued_on > today:
        raise LoanerError("a loaner is recorded when it is handed over, not before")
    if any(loaner.state == LoanerState.OUT and loaner.serial_number == serial_number.strip() for loaner in existing):
        raise LoanerError("this unit is already out on this job")
    return Loaner(id=f"L{len(existing) + 1}", model=model, serial_number=serial_number, issued_to=issued_to,
                  issued_on=issued_on, issued_by=actor, recorded_at=at)


def give_back(loaner: Loaner, *, on: date, condition: Condition, note: str, today: date) -> Loaner:
    state = LOANER_MOVES.next(loaner.state, LoanerMove.RETURN)
    if on < loaner.issued_on or on > today:
        raise LoanerError("the return date must lie between the issue date and today")
    return loaner.model_copy(update={"state": state, "returned_on": on, "condition": condition,
                                     "return_note": note.strip()[:500]})


def find(loaners: tuple[Loaner, ...], loaner_id: str) -> Loaner:
    for loaner in loaners:
        if loaner.id == loaner_id:
            return loaner
    raise UnknownLoaner(loaner_id)


def replace(loaners: tuple[Loaner, ...], changed: Loaner) -> tuple[Loaner, ...]:
    return tuple(changed if loaner.id == changed.id else loaner for loaner in loaners)
