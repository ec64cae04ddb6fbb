"""Messages to customers and staff, kept in an outbox until a provider has taken them.

A message is written in the same transaction as the change that causes it, so a crash between the
two cannot lose it; delivery is then tried at once and retried with exponential backoff. Each attempt is
claimed first (``claim``: SENDING, its attempt number, a lease), so two senders never both send it; a
sender that dies holding a claim makes the message due again when the lease runs out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class MessageChannel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    STAFF_TOPIC = "staff_topic"
    # A ready-made MIME email kept in the file store (``OutboxMessage.body_key``), e.g. the monthly
    # report with its charts and attachments; sent as is through SES SendRawEmail or SMTP.
    STORED_EMAIL = "stored_email"
    # Not a message to anyone: a job for the app itself, a published event (``domain/published.py``)
    # written in its change's own transaction and delivered by running the event's subscribers, so a
    # crash or a hiccup right after the change delays what follows from it instead of losing it.
    JOB = "job"
    # Jobs stored before they had their own kind: "after-care is due for this ticket".
    AFTER_CARE = "after_care"
    # A team chat's group robot (WeCom, DingTalk, Feishu); the recipient is ``TeamChat.address``.
    TEAM_CHAT = "team_chat"
    # A signed POST to an integration's URL; the recipient is the webhook subscription's id.
    WEBHOOK = "webhook"


# Channels that carry work for the app itself, never text for a person: no page lists them as sent mail.
INTERNAL_CHANNELS = frozenset({MessageChannel.JOB, MessageChannel.AFTER_CARE})


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by one sender until ``lease_until``
    SENT = "sent"
    FAILED = "failed"


FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)
# Longer than any function runs (30 s; a report part 5 min), so a sender still at work never loses its
# claim; a sender that died holds its message back this long at most.
LEASE = timedelta(minutes=10)


class OutboxMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    ticket_number: str
    purpose: str
    channel: MessageChannel
    recipient: str
    subject: str = ""
    text: str
    html: str | None = None
    state: DeliveryState = DeliveryState.PENDING
    attempts: int = 0
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None = None
    lease_until: datetime | None = None  # SENDING only: when another sender may take the message over
    provider_id: str | None = None
    last_error: str | None = None
    body_key: str | None = None  # STORED_EMAIL only: where the whole MIME message is stored


def claim(message: OutboxMessage, at: datetime, lease: timedelta = LEASE) -> OutboxMessage:
    """The next attempt, reserved for one sender until ``at + lease`` (``attempts`` counts it now, so a
    sender that dies during it has used it up)."""
    return message.model_copy(
        update={"state": DeliveryState.SENDING, "attempts": message.attempts + 1, "lease_until": at + lease}
    )


def wake_at(message: OutboxMessage) -> datetime | None:
    """When the message is due for an attempt: its next attempt time while pending, its lease's end while
    claimed (the sender may have died); never once sent or given up on."""
    if message.state == DeliveryState.PENDING:
        return message.next_attempt_at
    if message.state == DeliveryState.SENDING:
        return message.lease_until
    return None


def is_due(message: OutboxMessage, now: datetime) -> bool:
    wake = wake_at(message)
    return wake is not None and wake <= now


def mark_sent(message: OutboxMessage, at: datetime, provider_id: str) -> OutboxMessage:
    """The claimed attempt went out: the provider's id says which of its messages it was."""
    return message.model_copy(
        update={
            "state": DeliveryState.SENT,
            "sent_at": at,
            "provider_id": provider_id,
            "last_error": None,
            "lease_until": None,
        }
    )


def mark_failed_attempt(
    message: OutboxMessage, at: datetime, error: str, *, max_attempts: int, permanent: bool = False
) -> OutboxMessage:
    """The claimed attempt failed. Back off 1, 2, 4 … minutes (at most an hour); give up after
    ``max_attempts`` or a permanent error."""
    attempts = message.attempts
    if permanent or attempts >= max_attempts:
        return message.model_copy(
            update={"state": DeliveryState.FAILED, "last_error": error, "lease_until": None}
        )
    wait = min(FIRST_RETRY * (2 ** (attempts - 1)), LONGEST_WAIT)
    return message.model_copy(
        update={"state": DeliveryState.PENDING, "next_attempt_at": at + wait, "last_error": error, "lease_until": None}
    )
