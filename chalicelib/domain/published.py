"""What one part of the desk tells the others once its change is committed (domain events).

The part that changes something publishes one of these instead of calling the services that react to it;
``chalicelib/services/subscribers.py`` says who reacts to which. An event that must survive a crash right
after the change is written as a *job* in the change's own transaction (the outbox's ``JOB`` kind,
``job_item``) and published when the job is delivered, again after a failure, so its subscribers must be
idempotent. Others are published in the process once the write is done.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from chalicelib.domain.archive import InstalledProduct
from chalicelib.domain.complaints import ComplaintDetails
from chalicelib.domain.intake import ServiceRequestInput
from chalicelib.domain.notification import MessageChannel, OutboxMessage

# Who a job is "sent" to: the app itself (the field a message keeps for its addressee).
JOB_RECIPIENT = "app"


class _OfATicket(BaseModel):
    """An event about ticket ``number`` (its job is filed under it)."""

    model_config = ConfigDict(frozen=True)

    number: str

    @property
    def subject(self) -> str:
        return self.number


class AfterCareDue(_OfATicket):
    """A job was approved and gets after-care (not a complaint): its callback and its survey are due."""

    kind: Literal["after_care"] = "after_care"


class ProductSaved(BaseModel):
    """A product was created or changed in the archive (its delivery date may call for a callback)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["product_saved"] = "product_saved"
    product: InstalledProduct

    @property
    def subject(self) -> str:
        return f"PRODUCT-{self.product.serial_number}"


class FollowUpRequested(_OfATicket):
    """On an after-care call the customer raised a new fault or a complaint: ticket ``number`` (handed out
    when the call was recorded, and written on its record) is to be opened for ``request``. ``about``: the
    ticket (or ``PRODUCT-`` serial) the call was about; the job is filed there, since its own ticket is not
    open until it succeeds, and a failure to open it shows on that timeline."""

    kind: Literal["follow_up_requested"] = "follow_up_requested"
    about: str
    request: ServiceRequestInput
    language: str
    actor: str

    @property
    def subject(self) -> str:
        return self.about


class ComplaintTakenByPhone(_OfATicket):
    """The desk took a complaint on the phone: ticket ``number`` is open, and ``details`` are its record
    (written with the ticket, so what the desk typed is kept even if recording it fails at first)."""

    kind: Literal["complaint_taken_by_phone"] = "complaint_taken_by_phone"
    details: ComplaintDetails
    actor: str


Published = Annotated[
    AfterCareDue | ProductSaved | FollowUpRequested | ComplaintTakenByPhone, Field(discriminator="kind")
]
_PUBLISHED: TypeAdapter[Published] = TypeAdapter(Published)

# Events that travel as jobs (written in their change's transaction).
Job = AfterCareDue | FollowUpRequested | ComplaintTakenByPhone


def job_item(event: Job, *, at: datetime, message_id: str) -> OutboxMessage:
    """The event as a job: written in the change's transaction, due at once, retried like a message."""
    return OutboxMessage(
        id=message_id,
        ticket_number=event.subject,
        purpose=event.kind,
        channel=MessageChannel.JOB,
        recipient=JOB_RECIPIENT,
        text=event.model_dump_json(),
        created_at=at,
        next_attempt_at=at,
    )


def event_of(item: OutboxMessage) -> Published:
    """The event a job carries. Items written before jobs had their own kind (channel ``after_care``,
    text in English) carry only their ticket's number: they are the after-care of that ticket."""
    if item.channel == MessageChannel.AFTER_CARE:
        return AfterCareDue(number=item.ticket_number)
    return _PUBLISHED.validate_json(item.text)
