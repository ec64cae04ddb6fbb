"""Outbox messages are retried with backoff and give up after a limit, never silently."""

from datetime import UTC, datetime, timedelta

from chalicelib.domain.notification import (
    DeliveryState,
    MessageChannel,
    OutboxMessage,
    mark_failed_attempt,
    mark_sent,
)

T0 = datetime(2026, 11, 27, 2, 30, tzinfo=UTC)


def message():
    return OutboxMessage(
        id="m1", ticket_number="SD-2026-000001", purpose="test", channel=MessageChannel.SMS,
        recipient="+8613800138000", text="hi", created_at=T0, next_attempt_at=T0,
    )


def test_retries_back_off_one_two_four_minutes():
    m = message()
    waits = []
    for _ in range(3):
        m = mark_failed_attempt(m, T0, "throttled", max_attempts=10)
        waits.append(m.next_attempt_at - T0)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert m.state == DeliveryState.PENDING


def test_backoff_never_waits_more_than_an_hour():
    m = message().model_copy(update={"attempts": 20})
    assert mark_failed_attempt(m, T0, "x", max_attempts=99).next_attempt_at - T0 == timedelta(hours=1)


def test_a_message_fails_for_good_after_the_last_attempt_and_keeps_the_reason():
    m = message().model_copy(update={"attempts": 2})
    failed = mark_failed_attempt(m, T0, "SES down", max_attempts=3)
    assert failed.state == DeliveryState.FAILED
    assert failed.last_error == "SES down"


def test_a_permanent_error_is_not_retried():
    assert mark_failed_attempt(message(), T0, "bad number", max_attempts=9, permanent=True).state == DeliveryState.FAILED


def test_a_sent_message_keeps_the_provider_id():
    sent = mark_sent(message(), T0, "provider-1")
    assert (sent.state, sent.provider_id, sent.sent_at, sent.attempts) == (DeliveryState.SENT, "provider-1", T0, 1)
