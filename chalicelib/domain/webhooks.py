"""Outgoing webhooks: an integration (an ERP, a CRM) follows the desk without polling.

An operator subscribes a URL to some of the desk's events. Each event of a ticket that a subscription
picked becomes one signed delivery in the outbox, written in the ticket's own transaction and retried
with backoff like every other message. The signature is HMAC-SHA256 over ``<timestamp>.<body>`` keyed
by the subscription's signing secret, which lives in the secret store under ``SECRET_PREFIX``: the
table names the secret, never holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from chalicelib.domain.escalation import StepKind
from chalicelib.domain.events import Classified, Dispatched, Escalated, Submitted, SurveyAnswered
from chalicelib.domain.notification import MessageChannel, OutboxMessage
from chalicelib.domain.ticket import Action, Ticket, TicketEvent

# The only secrets a subscription may name (and the only webhook secrets the functions may read).
SECRET_PREFIX = "service-desk/webhook/"
# Shorter signing keys are guessable; a receiver should be given at least this much randomness.
MIN_SECRET_LENGTH = 32
# Each ticket write carries a delivery per active subscription in its own transaction (at most 100
# items, some taken by the write itself): more subscriptions would make ordinary writes fail.
MOST_SUBSCRIPTIONS = 20
SIGNATURE_HEADER = "X-ServiceDesk-Signature"
EVENT_HEADER = "X-ServiceDesk-Event"
DELIVERY_HEADER = "X-ServiceDesk-Delivery"
# A receiver should refuse a signature older than this: a captured delivery cannot be replayed later.
SIGNATURE_TOLERANCE_SECONDS = 300


class WebhookEvent(StrEnum):
    TICKET_OPENED = "ticket.opened"
    TICKET_CLASSIFIED = "ticket.classified"
    TICKET_DISPATCHED = "ticket.dispatched"
    TICKET_CLOSED = "ticket.closed"
    TICKET_CANCELLED = "ticket.cancelled"
    DEADLINE_BREACHED = "deadline.breached"
    SURVEY_ANSWERED = "survey.answered"


_BY_ACTION = {
    Action.SUBMIT: WebhookEvent.TICKET_OPENED,
    Action.CLASSIFY: WebhookEvent.TICKET_CLASSIFIED,
    Action.DISPATCH: WebhookEvent.TICKET_DISPATCHED,
    Action.APPROVE: WebhookEvent.TICKET_CLOSED,
    Action.CANCEL: WebhookEvent.TICKET_CANCELLED,
    Action.ANSWER_SURVEY: WebhookEvent.SURVEY_ANSWERED,
}
_BREACHES = frozenset({StepKind.BREACH.value, StepKind.LATEST_BREACH.value})


def webhook_event(event: TicketEvent) -> WebhookEvent | None:
    """What an integration hears of this timeline event, if anything. A breach is the ladder's step for
    a missed deadline (a warning, a prompt or a notice is not one)."""
    if event.action == Action.ESCALATE:
        step = event.payload
        return WebhookEvent.DEADLINE_BREACHED if isinstance(step, Escalated) and step.kind in _BREACHES else None
    return _BY_ACTION.get(event.action)


def _receiver_url(url: str) -> str:
    parts = urlsplit(url)
    # Plain HTTP only to this machine (a local receiver in tests): deliveries cross the internet.
    local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    if (
        not (parts.scheme == "https" or local)
        or not parts.hostname
        or parts.username
        or parts.password
        or (not local and _internal_address(parts.hostname))
    ):
        # Credentials in the URL would be stored in the table and shown in lists: they belong in the secret.
        raise PydanticCustomError("webhook_url", "a public https:// URL without a user name or password")
    return url


def _internal_address(host: str) -> bool:
    """An address written as such that is not on the internet (the sender also checks what a name
    resolves to, when it posts: this only answers the plain mistakes at once)."""
    try:
        return not ipaddress.ip_address(host).is_global
    except ValueError:
        return host == "localhost" or host.endswith(".localhost")


def _secret_name(name: str) -> str:
    if not name.startswith(SECRET_PREFIX) or not re.fullmatch(r"[A-Za-z0-9/_+=.@-]+", name):
        raise PydanticCustomError("webhook_secret_name", "a secret named {prefix}<name>", {"prefix": SECRET_PREFIX})
    return name


class SubscriptionRequest(BaseModel):
    """What an operator registers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=80, examples=["ERP"])
    url: Annotated[
        str, Field(max_length=500, examples=["https://erp.example.com/hooks/desk"]), AfterValidator(_receiver_url)
    ]
    events: frozenset[WebhookEvent] = Field(min_length=1)
    secret_name: Annotated[str, Field(max_length=200, examples=[f"{SECRET_PREFIX}erp"]), AfterValidator(_secret_name)]


class Subscription(SubscriptionRequest):
    id: str
    created_at: datetime
    created_by: str
    active: bool = True

    def hears(self, event: WebhookEvent) -> bool:
        return self.active and event in self.events

    def shown(self) -> Subscription:
        """As pages and lists show it: its address with the query's values masked (``shown_url``)."""
        return self.model_copy(update={"url": shown_url(self.url)})


def shown_url(url: str) -> str:
    """A receiver's address as listed back: a query string often carries the receiver's token, so each
    value is masked; the stored subscription keeps them, and the sender posts to the whole address."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    names = (pair.partition("=") for pair in parts.query.split("&"))
    return urlunsplit(parts._replace(query="&".join(f"{name}=***" if sep else name for name, sep, _ in names)))


class TicketSummary(BaseModel):
    """What a delivery says about the ticket: enough to find it again by number, nothing personal (the
    receiver asks the staff API for more, with credentials that may see it)."""

    number: str
    status: str
    kind: str
    priority: str | None
    plan: str
    province: str
    assignees: list[str]
    updated_at: datetime


class Delivery(BaseModel):
    """The JSON body a receiver gets."""

    id: str = Field(description="Unique per event and subscription; a retry repeats it (deduplicate on it)")
    event: WebhookEvent
    occurred_at: datetime
    ticket: TicketSummary
    detail: dict[str, object] = Field(default_factory=dict, description="The event's own fields")


def _detail(event: TicketEvent) -> dict[str, object]:
    # Other moves than these: the ticket's fields they changed (its new status, priority, plan), as the
    # ticket has them. What staff typed (a cancel's reason, a note) may name the customer or quote a phone
    # number: like the customer's own words it stays on the ticket, for callers the staff API lets read it.
    fields: dict[str, object] = {"status": event.status.value} if event.status else {}
    match event.payload:
        case Escalated() as step:
            return step.model_dump(mode="json", include={"milestone", "level", "role", "late_by_seconds", "rule"})
        case SurveyAnswered(survey=answer):  # the scores; the customer's own words stay on the ticket
            return answer.model_dump(include={"overall", "timeliness", "attitude", "quality"})
        case Submitted() as submitted:
            fields |= submitted.model_dump(mode="json", exclude={"action"}, exclude_none=True)
        case Classified(after=after):
            fields |= after.model_dump(mode="json")
        case Dispatched(assignees=assignees):
            fields["assignees"] = list(assignees)
    return {k: v for k, v in fields.items() if _plain(v)}


def _plain(value: object) -> bool:
    """A value an integration can read as is; nested records stay on the ticket (the staff API has them)."""
    if isinstance(value, list | tuple):
        return all(_plain(v) and not isinstance(v, list | tuple) for v in value)
    return value is None or isinstance(value, str | int | float | bool | datetime | date)


def deliveries(
    ticket: Ticket, events: Sequence[TicketEvent], subscriptions: Iterable[Subscription], now: datetime
) -> list[OutboxMessage]:
    """The outbox messages that tell each subscription of the events it picked, to be written with them."""
    subscriptions = list(subscriptions)
    messages: list[OutboxMessage] = []
    for index, event in enumerate(events):
        kind = webhook_event(event)
        if kind is None:
            continue
        summary = TicketSummary(
            number=ticket.number,
            status=ticket.status.value,
            kind=ticket.kind.value,
            priority=ticket.priority.value if ticket.priority else None,
            plan=ticket.plan,
            province=ticket.reporter.province,
            assignees=list(ticket.assignees),
            updated_at=ticket.updated_at,
        )
        for subscription in subscriptions:
            if not subscription.hears(kind):
                continue
            # The same event written twice (a retried transaction) yields the same id: receivers dedupe.
            delivery_id = _delivery_id(ticket.number, event, index, subscription.id)
            body = Delivery(id=delivery_id, event=kind, occurred_at=event.at, ticket=summary, detail=_detail(event))
            messages.append(
                OutboxMessage(
                    id=f"wh-{delivery_id}",
                    ticket_number=ticket.number,
                    purpose=f"webhook {kind.value}",
                    channel=MessageChannel.WEBHOOK,
                    recipient=subscription.id,
                    subject=kind.value,
                    text=body.model_dump_json(),
                    created_at=now,
                    next_attempt_at=now,
                )
            )
    return messages


def _delivery_id(number: str, event: TicketEvent, index: int, subscription_id: str) -> str:
    seed = f"{number}|{event.at.isoformat()}|{event.action.value}|{index}|{subscription_id}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32]


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header's value: ``t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(
    secret: str, header: str, body: bytes, now: int, tolerance: int = SIGNATURE_TOLERANCE_SECONDS
) -> bool:
    """What a receiver checks: our signature over exactly these bytes, made recently."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs(now - timestamp) > tolerance:
        return False
    # As bytes: compare_digest refuses str with letters beyond ASCII, and a header may carry any.
    expected = signature(secret, timestamp, body).encode()
    return hmac.compare_digest(expected, f"t={timestamp},v1={parts.get('v1', '')}".encode())


def delivery_of(message: OutboxMessage) -> Delivery:
    return Delivery.model_validate(json.loads(message.text))


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    WILL_RETRY = "will_retry"
    FAILED = "failed"  # for good: the receiver refused it, or the subscription or its secret is gone


class DeliveryAttempt(BaseModel):
    """One line of a subscription's delivery log."""

    model_config = ConfigDict(frozen=True)

    subscription_id: str
    delivery_id: str
    event: WebhookEvent
    ticket_number: str
    at: datetime
    attempt: int
    outcome: AttemptOutcome
    status_code: int | None = None
    error: str | None = None
