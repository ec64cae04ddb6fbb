"""A notification given up on is parked in the dead-letter queue operators are alarmed on."""

import json
from datetime import UTC, datetime

from chalicelib.adapters.aws import client
from chalicelib.adapters.memory import FixedClock, MemoryOutbox, MemoryTickets, RecordingNotifier
from chalicelib.adapters.sqs_dead_letters import SqsDeadLetters
from chalicelib.domain.notification import DeliveryState, MessageChannel, OutboxMessage
from chalicelib.services.notifications import NotificationService


def test_a_message_that_fails_for_good_lands_in_the_queue_and_stays_failed_on_its_ticket(aws):
    queue_url = client("sqs").create_queue(QueueName="notifications-dlq")["QueueUrl"]
    notifier = RecordingNotifier(failures=1, permanent=True)
    tickets = MemoryTickets()
    service = NotificationService(MemoryOutbox(tickets), notifier, FixedClock(), dead_letters=SqsDeadLetters(queue_url))
    now = datetime(2026, 11, 27, tzinfo=UTC)
    message = OutboxMessage(id="m1", ticket_number="SD-2026-000001", purpose="customer_confirmation",
                            channel=MessageChannel.SMS, recipient="+8613800138000", text="x", created_at=now,
                            next_attempt_at=now)
    tickets.messages[message.id] = message  # in the outbox, as its ticket's change wrote it
    [delivered] = service.deliver([message])
    assert delivered.state == DeliveryState.FAILED
    parked = client("sqs").receive_message(QueueUrl=queue_url)["Messages"]
    assert json.loads(parked[0]["Body"])["message"]["id"] == "m1"


def test_a_queue_that_cannot_be_reached_does_not_break_delivery(aws):
    notifier = RecordingNotifier(failures=1, permanent=True)
    tickets = MemoryTickets()
    service = NotificationService(MemoryOutbox(tickets), notifier, FixedClock(),
                                  dead_letters=SqsDeadLetters("https://sqs.us-east-1.amazonaws.com/123456789012/none"))
    now = datetime(2026, 11, 27, tzinfo=UTC)
    message = OutboxMessage(id="m2", ticket_number="SD-2026-000001", purpose="p", channel=MessageChannel.SMS,
                            recipient="+8613800138000", text="x", created_at=now, next_attempt_at=now)
    tickets.messages[message.id] = message
    assert service.deliver([message])[0].state == DeliveryState.FAILED
