"""Outbox messages are claimed for one attempt at a time, retried with backoff and given up on after a
limit, never silently."""

from datetime import UTC, datetime, timedelta

from chalicelib.domain.notification import (
    LEASE,
    DeliveryState,
    MessageChannel,
    OutboxMessage,
    claim,
    is_due,
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
        m = mark_failed_attempt(claim(m, T0), T0, "throttled", max_attempts=10)
        waits.append(m.next_attempt_at - T0)
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert m.state == DeliveryState.PENDING


def test_backoff_never_waits_more_than_an_hour():
    m = claim(message().model_copy(update={"attempts": 20}), T0)
    assert mark_failed_attempt(m, T0, "x", max_attempts=99).next_attempt_at - T0 == timedelta(hours=1)


def test_a_message_fails_for_good_after_the_last_attempt_and_keeps_the_reason():
    m = claim(message().model_copy(update={"attempts": 2}), T0)
    failed = mark_failed_attempt(m, T0, "SES down", max_attempts=3)
    assert failed.state == DeliveryState.FAILED
    assert failed.last_error == "SES down"


def test_a_permanent_error_is_not_retried():
    assert mark_failed_attempt(claim(message(), T0), T0, "bad number", max_attempts=9, permanent=True).state == DeliveryState.FAILED


def test_a_sent_message_keeps_the_provider_id():
    sent = mark_sent(claim(message(), T0), T0, "provider-1")
    assert (sent.state, sent.provider_id, sent.sent_at, sent.attempts) == (DeliveryState.SENT, "provider-1", T0, 1)


def test_a_claimed_attempt_is_counted_and_leased_to_its_sender():
    claimed = claim(message(), T0)
    assert (claimed.state, claimed.attempts, claimed.lease_until) == (DeliveryState.SENDING, 1, T0 + LEASE)
    assert not is_due(claimed, T0 + LEASE - timedelta(seconds=1)), "its sender may still be at it"
    assert is_due(claimed, T0 + LEASE), "its sender died: due again"


def test_an_outcome_ends_the_lease():
    claimed = claim(message(), T0)
    assert mark_sent(claimed, T0, "p").lease_until is None
    retry = mark_failed_attempt(claimed, T0, "throttled", max_attempts=3)
    assert (retry.state, retry.lease_until, is_due(retry, T0 + timedelta(minutes=1))) == (
        DeliveryState.PENDING, None, True)
