"""Outgoing webhooks: subscriptions, the deliveries the ticket's events cause, and sending them.

The desk's use cases do not call the webhooks: ``PublishingTickets`` stands in front of the ticket
repository and, for the events each write stores, adds the deliveries the subscriptions ask for to that
same transaction. The outbox then sends them like any message (claimed, retried with backoff, failures
on the ticket's timeline); ``WebhookSender`` signs each POST and writes the subscription's delivery log.
"""

from __future__ import annotations

import secrets as token_source
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from chalicelib.domain.limits import Limit
from chalicelib.domain.notification import OutboxMessage
from chalicelib.domain.permissions import Actor, Work, check_work, name_of
from chalicelib.domain.short_links import ShortLink
from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.domain.webhooks import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    MIN_SECRET_LENGTH,
    MOST_SUBSCRIPTIONS,
    SIGNATURE_HEADER,
    AttemptOutcome,
    DeliveryAttempt,
    Subscription,
    SubscriptionRequest,
    deliveries,
    delivery_of,
    signature,
)
from chalicelib.services.ports import Clock, DeliveryError, TicketRepository

logger = Logger(child=True)

# Answers that say this request will never be taken (a timeout or throttling is worth another try).
_RETRYABLE_4XX = frozenset({408, 425, 429})


class WebhookStore(Protocol):
    def put(self, subscription: Subscription) -> None: ...

    def get(self, subscription_id: str) -> Subscription | None: ...

    def subscriptions(self) -> list[Subscription]:
        """Every subscription, oldest first (one small partition)."""

    def delete(self, subscription_id: str) -> bool:
        """False if there was none."""

    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        """Append to the subscription's delivery log (kept for a few weeks)."""

    def attempts(self, subscription_id: str, limit: int) -> list[DeliveryAttempt]:
        """The log, newest first."""


@dataclass(frozen=True)
class PostAnswer:
    status_code: int


class WebhookPoster(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostAnswer:
        """One HTTP POST; ``DeliveryError`` when nothing came back (refused, timed out)."""


class UnusableSecret(ValueError):
    """The subscription's signing secret is missing, unreadable or too short."""


class UnknownSubscription(LookupError):
    pass


class TooManySubscriptions(ValueError):
    """As many subscriptions are active as every ticket write can carry deliveries for."""


class WebhookService:
    """What an administrator does with subscriptions, and their delivery logs."""

    def __init__(
        self, store: WebhookStore, read_secret: Callable[[str], str], clock: Clock,
        changed: Callable[[], None] = lambda: None,
    ):
        self._store = store
        self._read_secret = read_secret
        self._clock = clock
        # This function's own ticket writes hear of a change at once, not when their cache runs out.
        self._changed = changed

    def register(self, request: SubscriptionRequest, *, actor: Actor) -> Subscription:
        """Refuses (``UnusableSecret``) a secret the sender could not sign with, so a wrong setup is
        found now, not at the first delivery. ``actor``: an administrator, or the operator's command line
        (a ``SystemActor``)."""
        check_work(actor, Work.MANAGE_WEBHOOKS)
        check_secret(self._read_secret, request.secret_name)
        if len([s for s in self._store.subscriptions() if s.active]) >= MOST_SUBSCRIPTIONS:
            raise TooManySubscriptions()
        subscription = Subscription(
            **request.model_dump(), id=f"wh_{token_source.token_hex(8)}", created_at=self._clock.now(),
            created_by=name_of(actor),
        )
        self._store.put(subscription)
        self._changed()
        logger.info("webhook subscribed", extra={"subscription": subscription.id, "actor": name_of(actor)})
        return subscription

    def subscriptions(self) -> list[Subscription]:
        return self._store.subscriptions()

    def get(self, subscription_id: str) -> Subscription:
        found = self._store.get(subscription_id)
        if found is None:
            raise UnknownSubscription(subscription_id)
        return found

    def remove(self, subscription_id: str, *, actor: Actor) -> None:
        check_work(actor, Work.MANAGE_WEBHOOKS)
        if not self._store.delete(subscription_id):
            raise UnknownSubscription(subscription_id)
        self._changed()
        logger.info("webhook removed", extra={"subscription": subscription_id, "actor": name_of(actor)})

    def log(self, subscription_id: str, limit: int = 50) -> list[DeliveryAttempt]:
        self.get(subscription_id)
        return self._store.attempts(subscription_id, limit)


def check_secret(read_secret: Callable[[str], str], name: str) -> str:
    try:
        value = read_secret(name)
    except Exception as error:  # not found, or not ours to read: both mean this setup cannot sign
        raise UnusableSecret(f"the secret {name} cannot be read") from error
    if len(value.strip()) < MIN_SECRET_LENGTH:
        raise UnusableSecret(f"the secret {name} is shorter than {MIN_SECRET_LENGTH} characters")
    return value.strip()


class SubscriptionCache:
    """The subscriptions, read at most once in ``seconds`` per function (every ticket write consults them)."""

    def __init__(
        self,
        store: WebhookStore,
        *,
        seconds: float,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._store = store
        self._seconds = seconds
        self._monotonic = monotonic
        self._read_at: float | None = None
        self._subscriptions: list[Subscription] = []

    def current(self) -> list[Subscription]:
        """A failed read keeps the list read before (a ticket's write must not fail for it); only a
        function that never read them has nothing to fall back on, and its write fails to be retried."""
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= self._seconds:
            try:
                self._subscriptions = [s for s in self._store.subscriptions() if s.active]
            except Exception:
                if self._read_at is None:
                    raise
                logger.exception("could not read the webhook subscriptions; using those read before")
                return self._subscriptions
            self._read_at = now
        return self._subscriptions

    def clear(self) -> None:
        """Read them again at the next write (keeping these, should that read fail)."""
        if self._read_at is not None:
            self._read_at = float("-inf")


class PublishingTickets:
    """The ticket repository, with each write's webhook deliveries written in its transaction.

    Everything else is the wrapped repository's own (reads, the outbox's writes, the sweep's index)."""

    def __init__(self, tickets: TicketRepository, subscriptions: Callable[[], list[Subscription]]):
        self._tickets = tickets
        self._subscriptions = subscriptions

    @property
    def inner(self) -> TicketRepository:
        return self._tickets

    def _deliveries(self, ticket: Ticket, events: Sequence[TicketEvent], now: datetime) -> list[OutboxMessage]:
        subscriptions = self._subscriptions()
        return deliveries(ticket, events, subscriptions, now) if subscriptions else []

    def create(
        self,
        ticket: Ticket,
        event: TicketEvent,
        tracking_token: str,
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None = None,
        *,
        short_links: Sequence[ShortLink] = (),
        uses: Sequence[tuple[Limit, str]] = (),
    ) -> None:
        extra = self._deliveries(ticket, [event], event.at)
        self._tickets.create(ticket, event, tracking_token, [*outbox, *extra], next_wake, short_links=short_links,
                             uses=uses)

    def save(
        self,
        ticket: Ticket,
        events: Sequence[TicketEvent],
        next_wake: datetime | None = None,
        outbox: Sequence[OutboxMessage] = (),
    ) -> None:
        extra = self._deliveries(ticket, events, ticket.updated_at)
        self._tickets.save(ticket, events, next_wake, [*outbox, *extra])

    def record_escalation(
        self,
        ticket: Ticket,
        step_keys: Sequence[str],
        events: Sequence[TicketEvent],
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None,
    ) -> bool:
        extra = self._deliveries(ticket, events, events[0].at if events else ticket.updated_at)
        return self._tickets.record_escalation(ticket, step_keys, events, [*outbox, *extra], next_wake)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tickets, name)


class WebhookSender:
    """``Notifier`` for ``MessageChannel.WEBHOOK``: signs the delivery with its subscription's secret and
    POSTs it. A 2xx answer delivers it; a 3xx or a 4xx other than a timeout or throttling fails it for
    good (the receiver refuses it); anything else is tried again with the outbox's backoff."""

    def __init__(
        self,
        store: WebhookStore,
        read_secret: Callable[[str], str],
        poster: WebhookPoster,
        clock: Clock,
        *,
        max_attempts: int,
        now: Callable[[], float] = time.time,
    ):
        self._store = store
        self._read_secret = read_secret
        self._poster = poster
        self._clock = clock
        self._max_attempts = max_attempts
        self._now = now

    def send(self, message: OutboxMessage) -> str:
        delivery = delivery_of(message)
        subscription = self._store.get(message.recipient)
        if subscription is None or not subscription.active:
            raise DeliveryError(f"webhook {message.recipient} was removed", permanent=True)
        status: int | None = None
        try:
            try:
                secret = check_secret(self._read_secret, subscription.secret_name)
            except UnusableSecret as error:
                raise DeliveryError(str(error), permanent=True) from error
            body = message.text.encode("utf-8")
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                SIGNATURE_HEADER: signature(secret, int(self._now()), body),
                EVENT_HEADER: delivery.event.value,
                DELIVERY_HEADER: delivery.id,
            }
            status = self._poster.post(subscription.url, body, headers).status_code
            if not 200 <= status < 300:
                # A redirect is refused too: a signed delivery goes to the registered URL only.
                permanent = 300 <= status < 500 and status not in _RETRYABLE_4XX
                raise DeliveryError(f"webhook answered HTTP {status}", permanent=permanent)
        except DeliveryError as error:
            gives_up = error.permanent or message.attempts >= self._max_attempts
            self._log(
                message,
                delivery.event,
                AttemptOutcome.FAILED if gives_up else AttemptOutcome.WILL_RETRY,
                status,
                str(error),
            )
            raise
        self._log(message, delivery.event, AttemptOutcome.DELIVERED, status, None)
        return f"{subscription.id}:{delivery.id}:{message.attempts}"

    def _log(
        self, message: OutboxMessage, event: Any, outcome: AttemptOutcome, status: int | None, error: str | None
    ) -> None:
        attempt = DeliveryAttempt(
            subscription_id=message.recipient,
            delivery_id=delivery_of(message).id,
            event=event,
            ticket_number=message.ticket_number,
            at=self._clock.now(),
            attempt=message.attempts,
            outcome=outcome,
            status_code=status,
            error=error,
        )
        try:
            self._store.record_attempt(attempt)
        except Exception:  # the outbox and the ticket's timeline still say how it went
            logger.exception("could not log a webhook attempt", extra={"message_id": message.id})
