"""Parts requisition (售后服务处理单): the parts a job needs, from request to arrival on site.

A supervisor or the technician on the job raises it (part number, name, quantity); the chief engineer
or the supervisor reviews it technically (approve / reject with a reason); the lead time is fed back;
the parts are shipped (carrier, tracking number, date) and received. The steps are a transition table
(``PARTS_MOVES``); an illegal step raises ``IllegalPartsMove``. Each step is an event on the ticket.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.lifecycle import Lifecycle

MAX_ITEMS = 20


class PartsError(Exception):
    code = "parts"


class UnknownRequisition(PartsError):
    code = "requisition_unknown"


class IllegalPartsMove(PartsError):
    code = "parts_move"

    def __init__(self, state: PartsState | None, move: PartsMove):
        super().__init__(f"cannot {move.value} a requisition that is {state.value if state else 'missing'}")
        self.state = state
        self.move = move


class PartsState(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"  # technically reviewed and agreed
    REJECTED = "rejected"
    SCHEDULED = "scheduled"  # lead time fed back
    SHIPPED = "shipped"
    RECEIVED = "received"


class PartsMove(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    LEAD_TIME = "lead_time"
    SHIP = "ship"
    RECEIVE = "receive"


# The requisition's life: (state before, move, state after); a step not listed is illegal.
PARTS_MOVES: Lifecycle[PartsState, PartsMove] = Lifecycle(
    [
        (PartsState.REQUESTED, PartsMove.APPROVE, PartsState.APPROVED),
        (PartsState.REQUESTED, PartsMove.REJECT, PartsState.REJECTED),
        (PartsState.APPROVED, PartsMove.LEAD_TIME, PartsState.SCHEDULED),
        (PartsState.SCHEDULED, PartsMove.LEAD_TIME, PartsState.SCHEDULED),  # a revised date
        (PartsState.APPROVED, PartsMove.SHIP, PartsState.SHIPPED),  # in stock: shipped at once
        (PartsState.SCHEDULED, PartsMove.SHIP, PartsState.SHIPPED),
        (PartsState.SHIPPED, PartsMove.RECEIVE, PartsState.RECEIVED),
    ],
    refuse=IllegalPartsMove,
)
CLOSED_STATES = frozenset({PartsState.REJECTED, PartsState.RECEIVED})


class PartLine(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    part_number: str = Field(min_length=1, max_length=60)
    name: str = Field(min_length=1, max_length=120)
    quantity: int = Field(gt=0, le=10000)

    @field_validator("part_number", "name")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip()


class Shipment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    carrier: str = Field(min_length=1, max_length=60)
    tracking_number: str = Field(min_length=1, max_length=60)
    shipped_on: date


class Requisition(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str  # "R1", "R2", ... per ticket
    state: PartsState = PartsState.REQUESTED
    items: tuple[PartLine, ...]
    note: str = ""
    requested_by: str
    requested_at: datetime
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    review_note: str = ""
    expected_on: date | None = None  # lead time fed back: when the parts will be ready to ship
    shipment: Shipment | None = None
    received_on: date | None = None
    received_by: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state not in CLOSED_STATES


def _move(requisition: Requisition, move: PartsMove, **changes: object) -> Requisition:
    state = PARTS_MOVES.next(requisition.state, move)
    return requisition.model_copy(update={"state": state, **changes})


def raise_requisition(
    existing: tuple[Requisition, ...], items: list[PartLine], *, note: str, actor: str, at: datetime
) -> Requisition:
    if not items or len(items) > MAX_ITEMS:
        raise PartsError(f"a requisition lists 1 to {MAX_ITEMS} parts")
    return Requisition(id=f"R{len(existing) + 1}", items=tuple(items), note=note.strip()[:500], requested_by=actor,
                       requested_at=at)


def review(requisition: Requisition, *, approve: bool, note: str, actor: str, at: datetime) -> Requisition:
    return _move(requisition, PartsMove.APPROVE if approve else PartsMove.REJECT, reviewed_by=actor,
                 reviewed_at=at, review_note=note.strip()[:500])


def feed_back_lead_time(requisition: Requisition, *, expected_on: date) -> Requisition:
    return _move(requisition, PartsMove.LEAD_TIME, expected_on=expected_on)


def ship(requisition: Requisition, shipment: Shipment) -> Requisition:
    return _move(requisition, PartsMove.SHIP, shipment=shipment)


def receive(requisition: Requisition, *, on: date, actor: str) -> Requisition:
    if requisition.shipment is not None and on < requisition.shipment.shipped_on:
        raise PartsError("received before it was shipped")
    return _move(requisition, PartsMove.RECEIVE, received_on=on, received_by=actor)


def find(requisitions: tuple[Requisition, ...], requisition_id: str) -> Requisition:
    for requisition in requisitions:
        if requisition.id == requisition_id:
            return requisition
    raise UnknownRequisition(requisition_id)


def replace(requisitions: tuple[Requisition, ...], changed: Requisition) -> tuple[Requisition, ...]:
    return tuple(changed if r.id == changed.id else r for r in requisitions)
