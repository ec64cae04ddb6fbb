"""Delivers outbox messages: at once after the change that wrote them, and later by the sweep.

A failed send never fails the change that caused it; it stays in the outbox, is retried with
backoff, and every failure shows on the ticket's timeline for staff. Each attempt is claimed by a
conditional write before the provider is called, so the delivery right after a change, the scheduled
run and a second overlapping run never send one message twice; a duplicate needs a sender to die
between the provider's answer and the write of its outcome (then the lease runs out and it goes again). The same machinery carries
internal work that must survive a crash after the change that causes it (``INTERNAL_CHANNELS``: the
after-care of an approved job), delivered by a ``Notifier`` that does the work instead of sending.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from aws_lambda_powertools import Logger

from chalicelib.domain.events import Notified
from chalicelib.domain.notification import (
    INTERNAL_CHANNELS,
    DeliveryState,
    MessageChannel,
    OutboxMessage,
    claim,
    mark_failed_attempt,
    mark_sent,
)
from chalicelib.domain.sms_budget import SmsAudience, sms_audience
from chalicelib.domain.ticket import TicketEvent
from chalicelib.services.parallel import in_parallel
from chalicelib.services.ports import Clock, DeliveryError, Notifier, Outbox

logger = Logger(child=True)


class RoutingNotifier:
    """One ``Notifier`` per channel (SES for email, SNS for SMS and staff topics, SMTP where no SES)."""

    def __init__(self, by_channel: Mapping[MessageChannel, Notifier]):
        # Kept as given, not copied: a mapping may build each provider when its first message is sent.
        self._by_channel = by_channel

    def send(self, message: OutboxMessage) -> str:
        sender = self._by_channel.get(message.channel)
        if sender is None:
            raise DeliveryError(f"no provider configured for {message.channel.value}", permanent=True)
        return sender.send(message)


DELIVERY_LIMIT = 2000  # messages one scheduled delivery run takes at most


class DeadLetters(Protocol):
    def park(self, message: OutboxMessage) -> None: ...


class SmsCounter(Protocol):
    """Counts each SMS the provider took or refused, by whom it was for (the alarms' figures)."""

    def sent(self, audience: SmsAudience) -> None: ...

    def failed(self, audience: SmsAudience) -> None: ...


class Fallback(Protocol):
    """Who hears of a message given up on instead of its recipient (``services/sms_fallback.py``)."""

    def instead_of(self, failed: OutboxMessage, now: datetime) -> tuple[list[OutboxMessage], tuple[str, ...]]:
        """The messages to send in its place, and the names of who they reach (none: nobody)."""


class NotificationService:
    def __init__(
        self, outbox: Outbox, notifier: Notifier, clock: Clock, *, max_attempts: int = 8,
        dead_letters: DeadLetters | None = None, sms_counter: SmsCounter | None = None, workers: int = 1,
        fallback: Fallback | None = None,
    ):
        # A message given up on may be passed to someone else; theirs are written with its outcome.
        self._fallback = fallback
        # Messages a delivery run sends at once (threads): each attempt is claimed on its own.
        self._workers = workers
        self._dead_letters = dead_letters
        self._sms_counter = sms_counter
        self._outbox = outbox
        self._notifier = notifier
        self._clock = clock
        self._max_attempts = max_attempts

    def deliver(self, messages: Iterable[OutboxMessage]) -> list[OutboxMessage]:
        """Sends each message this call manages to claim; returns them as they ended (messages another
        sender holds or has sent are left out)."""
        delivered = []
        for message in messages:
            if message.state in (DeliveryState.PENDING, DeliveryState.SENDING):
                outcome = self._deliver_one(message)
                if outcome is not None:
                    delivered.append(outcome)
        return delivered

    def deliver_due(self, limit: int = DELIVERY_LIMIT) -> list[OutboxMessage]:
        """The scheduled sweep: everything whose next attempt time has come, ``workers`` at a time."""
        due = self._outbox.due(self._clock.now(), limit)
        return [outcome for outcome in in_parallel(self._deliver_one_of, due, self._workers) if outcome is not None]

    def _deliver_one_of(self, message: OutboxMessage) -> OutboxMessage | None:
        if message.state not in (DeliveryState.PENDING, DeliveryState.SENDING):
            return None
        return self._deliver_one(message)

    def _deliver_one(self, message: OutboxMessage) -> OutboxMessage | None:
        now = self._clock.now()
        claimed = claim(message, now)
        if not self._outbox.claim(message, claimed, now):
            return None
        if claimed.attempts > self._max_attempts:
            # Its senders died holding it, attempt after attempt: stop rather than try it forever.
            return self._failed(claimed, now, DeliveryError("no sender finished an attempt", permanent=True))
        try:
            provider_id = self._notifier.send(claimed)
        except DeliveryError as error:
            self._count_sms(claimed, sent=False)
            return self._failed(claimed, now, error)
        self._count_sms(claimed, sent=True)
        updated = mark_sent(claimed, now, provider_id)
        event = TicketEvent.recording(
            Notified(message_id=message.id, state=updated.state.value, provider_id=provider_id, outcome="sent",
                     channel=message.channel.value, recipient=message.recipient, purpose=message.purpose),
            at=now, actor="system", public=False,
        )
        # An internal item (after-care due) reached nobody: what it did is on the timeline already (the
        # survey's own events); only its failures are news for staff.
        self._finish(updated, None if message.channel in INTERNAL_CHANNELS else event)
        return updated

    def _count_sms(self, message: OutboxMessage, *, sent: bool) -> None:
        if self._sms_counter is None or message.channel != MessageChannel.SMS:
            return
        audience = sms_audience(message.purpose)
        try:
            (self._sms_counter.sent if sent else self._sms_counter.failed)(audience)
        except Exception:  # a figure for an alarm never decides whether a message counts as sent
            logger.exception("could not count an SMS", extra={"message_id": message.id})

    def _failed(self, claimed: OutboxMessage, now: datetime, error: DeliveryError) -> OutboxMessage:
        updated = mark_failed_attempt(
            claimed, now, str(error), max_attempts=self._max_attempts, permanent=error.permanent
        )
        logger.warning(
            "notification failed",
            extra={"message_id": claimed.id, "ticket": claimed.ticket_number, "error": str(error)},
        )
        gave_up = updated.state == DeliveryState.FAILED
        instead, told = self._instead_of(updated, now) if gave_up else ([], ())
        event = TicketEvent.recording(
            Notified(message_id=claimed.id, state=updated.state.value, attempts=updated.attempts,
                     outcome="failed" if gave_up else "retry", channel=claimed.channel.value,
                     recipient=claimed.recipient, error=str(error), told_instead=told),
            at=now, actor="system", public=False,
        )
        if self._finish(updated, event, instead) and gave_up:
            self._park(updated)
        return updated

    def _instead_of(self, failed: OutboxMessage, now: datetime) -> tuple[list[OutboxMessage], tuple[str, ...]]:
        if self._fallback is None:
            return [], ()
        try:
            return self._fallback.instead_of(failed, now)
        except Exception:  # the failure itself must still be recorded (and alarmed on)
            logger.exception("could not pass on a message given up on", extra={"message_id": failed.id})
            return [], ()

    def _finish(
        self, outcome: OutboxMessage, event: TicketEvent | None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        if self._outbox.finish(outcome, event, follow_ups):
            return True
        # Only a lease that ran out lets another sender in: this attempt outlived it.
        logger.warning("another sender took the message over", extra={"message_id": outcome.id})
        return False

    def _park(self, message: OutboxMessage) -> None:
        """Operators are alarmed by the dead-letter queue; the message also stays FAILED on its ticket."""
        if self._dead_letters is None:
            return
        try:
            self._dead_letters.park(message)
        except Exception:  # the ticket already shows the failure; parking is a second line of sight
            logger.exception("could not park an undeliverable message", extra={"message_id": message.id})

    # -- sent right after the change that wrote them -------------------------------------------------

    def claimed_now(
        self, messages: Sequence[OutboxMessage], now: datetime | None = None
    ) -> tuple[list[OutboxMessage], list[OutboxMessage]]:
        """What a change writes of ``messages``, and which it then sends itself (``deliver_claimed``): those
        due by ``now`` are written already claimed by this sender, so the change's own transaction is their
        claim; the rest are written pending, for the scheduled run."""
        now = now or self._clock.now()
        mine = [m for m in messages if m.state == DeliveryState.PENDING and m.next_attempt_at <= now]
        claimed = {m.id: claim(m, now) for m in mine}
        return [claimed.get(m.id, m) for m in messages], mine

    def deliver_claimed(self, messages: Sequence[OutboxMessage]) -> list[OutboxMessage]:
        """Sends messages a change wrote claimed (``claimed_now``'s second list), without claiming them
        again, then writes all their outcomes in one write; should another sender have taken one over
        meanwhile (its lease ran out), each outcome is written on its own instead."""
        if not messages:
            return []
        batch = _OutcomesTogether(self._outbox)
        sender = copy.copy(self)
        sender._outbox = batch
        delivered = sender.deliver(messages)
        batch.write()
        return delivered


class _OutcomesTogether:
    """An outbox for messages already claimed by the change that wrote them: their claim is that write,
    and their outcomes are kept until ``write`` stores them together."""

    def __init__(self, outbox: Outbox):
        self._outbox = outbox
        self._outcomes: list[tuple[OutboxMessage, TicketEvent | None]] = []
        self._follow_ups: dict[str, Sequence[OutboxMessage]] = {}

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        return []

    def claim(self, seen: OutboxMessage, claimed: OutboxMessage, now: datetime) -> bool:
        return True

    def finish(
        self, message: OutboxMessage, event: TicketEvent | None = None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        self._outcomes.append((message, event))
        if follow_ups:
            self._follow_ups[message.id] = follow_ups
        return True

    def finish_all(self, outcomes: Sequence[tuple[OutboxMessage, TicketEvent | None]]) -> bool:
        self._outcomes.extend(outcomes)
        return True

    def write(self) -> None:
        # Outcomes that bring new messages are written one by one, each with its own.
        if self._outcomes and (self._follow_ups or not self._outbox.finish_all(self._outcomes)):
            for message, event in self._outcomes:
                self._outbox.finish(message, event, self._follow_ups.get(message.id, ()))
