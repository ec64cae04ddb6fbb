"""The ticket aggregate: what a service request is, and the only moves its lifecycle allows.

The lifecycle is one transition table (``TRANSITIONS``). ``Ticket.apply`` is the single way to change a
ticket: it checks the move, bumps ``version`` (the optimistic-lock counter the repository conditions its
writes on) and returns the events that become the audit trail and the customer's timeline.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    FAULT = "fault"
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    COMPLAINT = "complaint"
    CONSULTATION = "consultation"


class Priority(StrEnum):
    """000 §4.3.2: A critical (特急), B urgent (紧急), C general (一般)."""

    CRITICAL = "A"
    URGENT = "B"
    GENERAL = "C"


class Channel(StrEnum):
    WEB = "web"
    PHONE = "phone"
    FAX = "fax"
    EMAIL = "email"
    VISIT = "visit"


class Status(StrEnum):
    NEW = "new"
    TRIAGED = "triaged"
    DISPATCHED = "dispatched"
    ON_SITE = "on_site"
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    AWAITING_APPROVAL = "awaiting_approval"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class Action(StrEnum):
    SUBMIT = "submit"
    CLASSIFY = "classify"
    RECORD_CONTACT = "record_contact"
    DISPATCH = "dispatch"
    CHECK_IN = "check_in"
    REPORT_PROGRESS = "report_progress"
    PAUSE = "pause"
    RESUME = "resume"
    UPLOAD_ACCEPTANCE = "upload_acceptance"
    REFUSE_SIGNATURE = "refuse_signature"
    APPROVE = "approve"
    REJECT_CLOSURE = "reject_closure"
    CANCEL = "cancel"
    NOTIFY = "notify"
    ESCALATE = "escalate"
    ACKNOWLEDGE = "acknowledge"


OPEN_STATUSES = frozenset(s for s in Status if s not in (Status.CLOSED, Status.CANCELLED))

# (status before, action) -> status after. A move that is not here is illegal.
# Actions allowed in every open status without changing it (notes, notifications) are listed below.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.NEW, Action.CLASSIFY): Status.TRIAGED,
    (Status.TRIAGED, Action.CLASSIFY): Status.TRIAGED,
    (Status.TRIAGED, Action.DISPATCH): Status.DISPATCHED,
    (Status.DISPATCHED, Action.DISPATCH): Status.DISPATCHED,
    (Status.DISPATCHED, Action.CHECK_IN): Status.ON_SITE,
    (Status.ON_SITE, Action.REPORT_PROGRESS): Status.ON_SITE,
    (Status.ON_SITE, Action.UPLOAD_ACCEPTANCE): Status.AWAITING_APPROVAL,
    (Status.ON_SITE, Action.REFUSE_SIGNATURE): Status.ON_SITE,
    (Status.AWAITING_APPROVAL, Action.APPROVE): Status.CLOSED,
    (Status.AWAITING_APPROVAL, Action.REJECT_CLOSURE): Status.ON_SITE,
}
STATUS_PRESERVING_ACTIONS = frozenset({Action.RECORD_CONTACT, Action.NOTIFY, Action.ESCALATE, Action.ACKNOWLEDGE})
PAUSABLE = frozenset({Status.NEW, Status.TRIAGED, Status.DISPATCHED, Status.ON_SITE})


class IllegalTransition(Exception):
    """A move the lifecycle does not allow, e.g. approving a ticket nobody has worked on."""

    def __init__(self, status: Status, action: Action):
        super().__init__(f"cannot {action.value} a ticket that is {status.value}")
        self.status = status
        self.action = action


class Reporter(BaseModel):
    """Who reported the fault and where the product stands (000 §4.1.2)."""

    model_config = ConfigDict(frozen=True)

    customer_name: str
    contact_person: str | None = None
    phone: str
    phone_is_mobile: bool = False
    email: str | None = None
    province: str
    city: str | None = None
    address: str


class Product(BaseModel):
    model_config = ConfigDict(frozen=True)

    model: str
    serial_number: str | None = None
    order_number: str | None = None
    project_name: str | None = None


class TicketEvent(BaseModel):
    """One line of the audit trail: when, who, what, and the fields before and after."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    actor: str
    action: Action
    summary: str
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    public: bool = True


class Ticket(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: str
    version: int = 1
    status: Status = Status.NEW
    paused_from: Status | None = None
    kind: Kind = Kind.FAULT
    priority: Priority | None = None
    plan: str = "standard"
    in_province: bool = True
    agreed_date: datetime | None = None
    channel: Channel = Channel.WEB
    reporter: Reporter
    product: Product
    description: str
    suspected_cause: str | None = None
    preferred_time: str | None = None
    photo_keys: tuple[str, ...] = ()
    language: str = "zh-CN"
    created_at: datetime
    updated_at: datetime
    assignees: tuple[str, ...] = ()

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def apply(
        self, action: Action, *, actor: str, at: datetime, summary: str, changes: dict[str, Any] | None = None
    ) -> tuple[Ticket, TicketEvent]:
        """Move the ticket by ``action``; return the new ticket and the event that records the move."""
        changes = dict(changes or {})
        new_status = self._next_status(action)
        if new_status != self.status:
            changes["status"] = new_status
        if action == Action.PAUSE:
            changes["paused_from"] = self.status
        elif action == Action.RESUME:
            changes["paused_from"] = None
        before = {k: _plain(getattr(self, k)) for k in changes}
        updated = self.model_copy(update={**changes, "version": self.version + 1, "updated_at": at})
        after = {k: _plain(getattr(updated, k)) for k in changes}
        event = TicketEvent(at=at, actor=actor, action=action, summary=summary, before=before, after=after)
        return updated, event

    def _next_status(self, action: Action) -> Status:
        if action in STATUS_PRESERVING_ACTIONS and self.is_open:
            return self.status
        if action == Action.CANCEL and self.is_open:
            return Status.CANCELLED
        if action == Action.PAUSE and self.status in PAUSABLE:
            return Status.WAITING_ON_CUSTOMER
        if action == Action.RESUME and self.status == Status.WAITING_ON_CUSTOMER and self.paused_from:
            return self.paused_from
        try:
            return TRANSITIONS[(self.status, action)]
        except KeyError:
            raise IllegalTransition(self.status, action) from None


def open_ticket(
    *,
    number: str,
    reporter: Reporter,
    product: Product,
    description: str,
    kind: Kind,
    channel: Channel,
    at: datetime,
    actor: str,
    suspected_cause: str | None = None,
    preferred_time: str | None = None,
    photo_keys: tuple[str, ...] = (),
    language: str = "zh-CN",
    plan: str = "standard",
    in_province: bool = True,
) -> tuple[Ticket, TicketEvent]:
    """A new ticket and its first event: the request as it came in."""
    ticket = Ticket(
        number=number,
        plan=plan,
        in_province=in_province,
        kind=kind,
        channel=channel,
        reporter=reporter,
        product=product,
        description=description,
        suspected_cause=suspected_cause,
        preferred_time=preferred_time,
        photo_keys=photo_keys,
        language=language,
        created_at=at,
        updated_at=at,
    )
    event = TicketEvent(
        at=at,
        actor=actor,
        action=Action.SUBMIT,
        summary=f"request received via {channel.value}",
        after={
            "status": Status.NEW.value,
            "kind": kind.value,
            "channel": channel.value,
            "plan": plan,
            "in_province": in_province,
        },
    )
    return ticket, event


def format_ticket_number(year: int, sequence: int) -> str:
    """Readable, sortable and never reused: ``SD-2026-000123`` (the counter is per year)."""
    return f"SD-{year}-{sequence:06d}"


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
