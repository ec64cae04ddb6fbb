"""Delivers outbox messages: at once after the change that wrote them, and later by the sweep.

A failed send never fails the change that caused it; it stays in the outbox, is retried with
backoff, and every failure shows on the ticket's timeline for staff. The same machinery carries
internal work that must survive a crash after the change that causes it (``INTERNAL_CHANNELS``: the
after-care of an approved job), delivered by a ``Notifier`` that does the work instead of sending.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from aws_lambda_powertools import Logger

from chalicelib.domain.notification import (
    INTERNAL_CHANNELS,
    DeliveryState,
    MessageChannel,
    OutboxMessage,
    mark_failed_attempt,
    mark_sent,
)
from chalicelib.domain.ticket import Action, TicketEvent
from chalicelib.services.ports import Clock, DeliveryError, Notifier, Outbox

logger = Logger(child=True)


class RoutingNotifier:
    """One ``Notifier`` per channel (SES for email, SNS for SMS and staff topics, SMTP where no SES)."""

    def __init__(self, by_channel: Mapping[MessageChannel, Notifier]):
        self._by_channel = dict(by_channel)

    def send(self, message: OutboxMessage) -> str:
        sender = self._by_channel.get(message.channel)
        if sender is None:
            raise DeliveryError(f"no provider configured for {message.channel.value}", permanent=True)
        return sender.send(message)


class DeadLetters(Protocol):
    def park(self, message: OutboxMessage) -> None: ...


class NotificationService:
    def __init__(
        self, outbox: Outbox, notifier: Notifier, clock: Clock, *, max_attempts: int = 8,
        dead_letters: DeadLetters | None = None,
    ):
        self._dead_letters = dead_letters
        self._outbox = outbox
        self._notifier = notifier
        self._clock = clock
        self._max_attempts = max_attempts

    def deliver(self, messages: Iterable[OutboxMessage]) -> list[OutboxMessage]:
        return [self._deliver_one(m) for m in messages if m.state == DeliveryState.PENDING]

    def deliver_due(self, limit: int = 100) -> list[OutboxMessage]:
        """The scheduled sweep: everything whose next attempt time has come."""
        return self.deliver(self._outbox.due(self._clock.now(), limit))

    def _deliver_one(self, message: OutboxMessage) -> OutboxMessage:
        now = self._clock.now()
        try:
            provider_id = self._notifier.send(message)
        except DeliveryError as error:
            updated = mark_failed_attempt(
                message, now, str(error), max_attempts=self._max_attempts, permanent=error.permanent
            )
            logger.warning(
                "notification failed",
                extra={"message_id": message.id, "ticket": message.ticket_number, "error": str(error)},
            )
            gave_up = updated.state == DeliveryState.FAILED
            event = TicketEvent(
                at=now,
                actor="system",
                action=Action.NOTIFY,
                summary=(
                    f"{message.channel.value} to {message.recipient} failed"
                    f"{' for good' if gave_up else ', will retry'}: {error}"
                ),
                after={"message_id": message.id, "state": updated.state.value, "attempts": updated.attempts},
                public=False,
            )
            self._outbox.save(updated, event)
            if gave_up:
                self._park(updated)
            return updated
        updated = mark_sent(message, now, provider_id)
        event = TicketEvent(
            at=now,
            actor="system",
            action=Action.NOTIFY,
            summary=f"{message.channel.value} sent to {message.recipient} ({message.purpose})",
            after={"message_id": message.id, "state": updated.state.value},
            public=False,
        )
        # An internal item (after-care due) reached nobody: what it did is on the timeline already (the
        # survey's own events); only its failures are news for staff.
        self._outbox.save(updated, None if message.channel in INTERNAL_CHANNELS else event)
        return updated

    def _park(self, message: OutboxMessage) -> None:
        """Operators are alarmed by the dead-letter queue; the message also stays FAILED on its ticket."""
        if self._dead_letters is None:
            return
        try:
            self._dead_letters.park(message)
        except Exception:  # the ticket already shows the failure; parking is a second line of sight
            logger.exception("could not park an undeliverable message", extra={"message_id": message.id})
