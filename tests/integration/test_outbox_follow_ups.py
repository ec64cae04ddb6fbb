"""A message given up on may cause others (a technician's refused SMS passed on to his supervisors): they
are written with its outcome, by the sender that holds its claim, once; in memory and on DynamoDB."""

from chalicelib.domain.notification import (
    LEASE,
    DeliveryState,
    MessageChannel,
    OutboxMessage,
    claim,
    mark_failed_attempt,
)
from tests.integration.test_dynamodb_tickets import NOW, a_message, a_ticket, repo  # noqa: F401 - the fixture


def instead_of(failed: OutboxMessage, to: str = "supervisor@example.com") -> OutboxMessage:
    return OutboxMessage(
        id=f"{failed.id}.instead.0",
        ticket_number=failed.ticket_number,
        purpose="sms_fallback",
        channel=MessageChannel.EMAIL,
        recipient=to,
        text="passed on",
        created_at=NOW,
        next_attempt_at=NOW,
    )


def claimed_message(store):
    """A ticket's one message, claimed by a sender now."""
    tickets, outbox = store
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [a_message()])
    claimed = claim(a_message(), NOW)
    assert outbox.claim(a_message(), claimed, NOW)
    return outbox, claimed


def test_the_messages_an_outcome_causes_are_written_with_it_once(repo):  # noqa: F811
    outbox, claimed = claimed_message(repo)
    given_up = mark_failed_attempt(claimed, NOW, "refused", max_attempts=3, permanent=True)

    assert outbox.finish(given_up, None, [instead_of(given_up)])
    assert not outbox.finish(given_up, None, [instead_of(given_up)]), "written once"

    [due] = outbox.due(NOW)
    assert (due.id, due.state, due.recipient) == ("m1.instead.0", DeliveryState.PENDING, "supervisor@example.com")


def test_a_sender_whose_claim_was_taken_over_writes_neither_outcome_nor_what_it_causes(repo):  # noqa: F811
    outbox, first = claimed_message(repo)
    [stalled] = outbox.due(NOW + LEASE)
    assert outbox.claim(stalled, claim(stalled, NOW + LEASE), NOW + LEASE)

    late = mark_failed_attempt(first, NOW + LEASE, "refused", max_attempts=3, permanent=True)
    assert not outbox.finish(late, None, [instead_of(late)])
    assert [m.id for m in outbox.due(NOW + 2 * LEASE)] == ["m1"], "only the message itself, its lease out again"
