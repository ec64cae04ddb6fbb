"""The DynamoDB webhook store keeps the same contract as the in-memory one the service tests use; and
the deliveries a ticket's write adds are stored in that write's transaction, or not at all."""

from datetime import timedelta

import pytest

from chalicelib.adapters.dynamodb_tickets import DynamoOutbox, DynamoTickets
from chalicelib.adapters.dynamodb_webhooks import DynamoWebhooks
from chalicelib.adapters.memory import FixedClock, MemoryOutbox, MemoryTickets
from chalicelib.adapters.memory_webhooks import MemoryWebhooks
from chalicelib.domain.notification import MessageChannel
from chalicelib.domain.ticket import Action, TicketEvent
from chalicelib.domain.webhooks import AttemptOutcome, DeliveryAttempt, Subscription, WebhookEvent
from chalicelib.services.ports import StaleTicket
from chalicelib.services.webhooks import PublishingTickets
from tests.integration.test_dynamodb_tickets import a_ticket

NOW = FixedClock().now()


@pytest.fixture(params=["memory", "dynamodb"])
def store(request, aws):
    return MemoryWebhooks() if request.param == "memory" else DynamoWebhooks("service-desk")


@pytest.fixture(params=["memory", "dynamodb"])
def tickets(request, aws):
    return MemoryTickets() if request.param == "memory" else DynamoTickets("service-desk")


def a_subscription(subscription_id="wh_1", minutes=0, **overrides):
    data = dict(
        id=subscription_id,
        name="ERP",
        url="https://erp.example.com/h",
        secret_name="service-desk/webhook/erp",
        events=frozenset({WebhookEvent.TICKET_OPENED}),
        created_at=NOW + timedelta(minutes=minutes),
        created_by="admin",
    )
    data.update(overrides)
    return Subscription(**data)


def an_attempt(attempt: int, outcome=AttemptOutcome.WILL_RETRY, subscription_id="wh_1"):
    return DeliveryAttempt(
        subscription_id=subscription_id,
        delivery_id="d1",
        event=WebhookEvent.TICKET_OPENED,
        ticket_number="SD-2026-000001",
        at=NOW + timedelta(minutes=attempt),
        attempt=attempt,
        outcome=outcome,
        status_code=503 if outcome == AttemptOutcome.WILL_RETRY else 200,
    )


def test_subscriptions_are_kept_listed_oldest_first_and_removed_once(store):
    store.put(a_subscription("wh_2", minutes=5))
    store.put(a_subscription("wh_1"))
    assert [s.id for s in store.subscriptions()] == ["wh_1", "wh_2"]
    assert store.get("wh_2") == a_subscription("wh_2", minutes=5)
    assert store.delete("wh_2") is True
    assert store.delete("wh_2") is False
    assert store.get("wh_2") is None


def test_the_delivery_log_is_per_subscription_and_newest_first(store):
    for attempt in (1, 2):
        store.record_attempt(an_attempt(attempt))
    store.record_attempt(an_attempt(3, AttemptOutcome.DELIVERED))
    store.record_attempt(an_attempt(1, subscription_id="wh_other"))
    assert [(a.attempt, a.outcome) for a in store.attempts("wh_1", limit=2)] == [
        (3, AttemptOutcome.DELIVERED),
        (2, AttemptOutcome.WILL_RETRY),
    ]


def test_a_write_stores_its_deliveries_with_it_and_a_stale_write_stores_none(tickets):
    publishing = PublishingTickets(tickets, lambda: [a_subscription(events=frozenset(WebhookEvent))])
    ticket, opened = a_ticket()
    publishing.create(ticket, opened, "token-1", [])
    stale = ticket.model_copy(update={"version": ticket.version + 5})
    cancelled = TicketEvent(at=NOW, actor="sup", action=Action.CANCEL, summary="cancelled")
    with pytest.raises(StaleTicket):
        publishing.save(stale, [cancelled])

    outbox = MemoryOutbox(tickets) if isinstance(tickets, MemoryTickets) else DynamoOutbox(tickets)
    due = outbox.due(NOW + timedelta(seconds=1), 100)
    assert [(m.channel, m.subject) for m in due] == [(MessageChannel.WEBHOOK, "ticket.opened")]
