"""Messages to customers and staff, kept in an outbox until a provider has taken them.

A message is written in the same transaction as the change that causes it, so a crash between the
two cannot lose it; delivery is then tried at once and retried with exponential backoff.
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
    # Not a message to anyone: "after-care is due for this ticket", written in the approval's own
    # transaction and delivered by running the after-care (``AftercareService.job_closed``), so a crash
    # or a provider hiccup after the approval delays the survey and the callback instead of losing them.
    AFTER_CARE = "after_care"


# Channels that carry work for the app itself, never text for a person: no page lists them as sent mail.
INTERNAL_CHANNELS = frozenset({MessageChannel.AFTER_CARE})


class DeliveryState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


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
    provider_id: str | None = None
    last_error: str | None = None
    body_key: str | None = None  # STORED_EMAIL only: where the whole MIME message is stored


def mark_sent(message: OutboxMessage, at: datetime, provider_id: str) -> OutboxMessage:
    return message.model_copy(
        update={
            "state": DeliveryState.SENT,
            "attempts": message.attempts + 1,
            "sent_at": at,
            "provider_id": provider_id,
            "last_error": None,
        }
    )


def mark_failed_attempt(
    message: OutboxMessage, at: datetime, error: str, *, max_attempts: int, permanent: bool = False
) -> OutboxMessage:
    """Back off 1, 2, 4 … minutes (at most an hour); give up after ``max_attempts`` or a permanent error."""
    attempts = message.attempts + 1
    if permanent or attempts >= max_attempts:
        return message.model_copy(
            update={"state": DeliveryState.FAILED, "attempts": attempts, "last_error": error}
        )
    wait = min(FIRST_RETRY * (2 ** (attempts - 1)), LONGEST_WAIT)
    return message.model_copy(update={"attempts": attempts, "next_attempt_at": at + wait, "last_error": error})
