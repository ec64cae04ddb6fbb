"""The DynamoDB repository keeps the same contract as the in-memory one the service tests use."""

from datetime import timedelta

import pytest

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data
from chalicelib.adapters.dynamodb_tickets import DynamoOutbox, DynamoTickets
from chalicelib.adapters.memory import FixedClock, MemoryOutbox, MemoryTickets
from chalicelib.domain.notification import LEASE, DeliveryState, MessageChannel, OutboxMessage, claim, mark_sent
from chalicelib.domain.ticket import Action, Channel, Kind, Product, Reporter, open_ticket
from chalicelib.services.ports import StaleTicket

NOW = FixedClock().now()


@pytest.fixture(params=["memory", "dynamodb"])
def repo(request):
    if request.param == "memory":  # no moto for the in-memory one
        tickets = MemoryTickets()
        return tickets, MemoryOutbox(tickets)
    request.getfixturevalue("aws")
    tickets = DynamoTickets("service-desk")
    return tickets, DynamoOutbox(tickets)


def a_ticket(number="SD-2026-000001"):
    return open_ticket(
        number=number,
        reporter=Reporter(customer_name="ACME", phone="+8613800138000", province="CN-JS", address="x"),
        product=Product(model="M1"),
        description="d",
        kind=Kind.FAULT,
        channel=Channel.WEB,
        at=NOW,
        actor="customer",
    )


def a_message(message_id="m1"):
    return OutboxMessage(
        id=message_id, ticket_number="SD-2026-000001", purpose="t", channel=MessageChannel.SMS,
        recipient="+8613800138000", text="x", created_at=NOW, next_attempt_at=NOW,
    )


def test_counter_hands_out_consecutive_numbers_per_year(repo):
    tickets, _ = repo
    assert [tickets.next_number(2026) for _ in range(3)] == [1, 2, 3]
    assert tickets.next_number(2027) == 1


def test_a_created_ticket_is_found_by_number_and_by_tracking_token(repo):
    tickets, _ = repo
    ticket, event = a_ticket()
    tickets.create(ticket, event, "token-1", [a_message()])
    assert tickets.get(ticket.number) == ticket
    assert tickets.number_for_tracking_token("token-1") == ticket.number
    assert tickets.number_for_tracking_token("token-2") is None
    assert tickets.events(ticket.number) == [event]


def test_a_number_cannot_be_created_twice(repo):
    tickets, _ = repo
    ticket, event = a_ticket()
    tickets.create(ticket, event, "token-1", [])
    with pytest.raises(StaleTicket):
        tickets.create(ticket, event, "token-2", [])
    assert tickets.number_for_tracking_token("token-2") is None, "the failed create left nothing behind"


def test_a_concurrent_change_is_refused_rather_than_overwritten(repo):
    tickets, _ = repo
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [])
    first, e1 = ticket.apply(Action.CLASSIFY, actor="a", at=NOW, summary="")
    second, e2 = ticket.apply(Action.CANCEL, actor="b", at=NOW, summary="")
    tickets.save(first, [e1])
    with pytest.raises(StaleTicket):
        tickets.save(second, [e2])
    assert tickets.get(ticket.number).status == first.status


def test_due_messages_leave_the_index_once_sent(repo):
    tickets, outbox = repo
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [a_message("m1"), a_message("m2")])
    assert {m.id for m in outbox.due(NOW)} == {"m1", "m2"}
    assert outbox.due(NOW - timedelta(seconds=1)) == []
    claimed = claim(a_message("m1"), NOW)
    assert outbox.claim(a_message("m1"), claimed, NOW)
    assert outbox.finish(mark_sent(claimed, NOW, "p1"))
    assert [m.id for m in outbox.due(NOW)] == ["m2"]


def test_one_sender_claims_an_attempt_and_another_finds_it_taken(repo):
    tickets, outbox = repo
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [a_message()])
    [seen] = outbox.due(NOW)
    assert outbox.claim(seen, claim(seen, NOW), NOW)
    assert not outbox.claim(seen, claim(seen, NOW), NOW), "the overlapping run must not send it too"
    assert outbox.due(NOW + LEASE - timedelta(seconds=1)) == [], "claimed: not due while its lease lasts"


def test_a_claim_whose_lease_ran_out_is_taken_over_once_and_its_late_outcome_refused(repo):
    tickets, outbox = repo
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [a_message()])
    first = claim(a_message(), NOW)
    assert outbox.claim(a_message(), first, NOW)
    later = NOW + LEASE
    [stalled] = outbox.due(later)
    assert (stalled.state, stalled.attempts) == (DeliveryState.SENDING, 1)
    second = claim(stalled, later)
    assert outbox.claim(stalled, second, later)
    assert not outbox.claim(stalled, claim(stalled, later), later), "taken over once"
    assert not outbox.finish(mark_sent(first, later, "p1")), "the first sender's late answer: no longer its claim"
    assert outbox.finish(mark_sent(second, later, "p2"))
    assert outbox.due(later + LEASE) == []


def test_ticket_items_carry_the_index_keys_for_later_queries(aws):
    tickets = DynamoTickets("service-desk")
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [])
    ddb = client("dynamodb")
    for index, pk_attr, value in [
        (keys.GSI_STATUS, "status_pk", "STATUS#new"),
        (keys.GSI_MONTH, "month_pk", "MONTH#2026-11"),
        (keys.GSI_CUSTOMER, "customer_pk", "CUSTOMER#+8613800138000"),
    ]:
        found = ddb.query(
            TableName="service-desk", IndexName=index, KeyConditionExpression=f"{pk_attr} = :v",
            ExpressionAttributeValues={":v": {"S": value}},
        )["Items"]
        assert [i["pk"]["S"] for i in found] == ["TICKET#SD-2026-000001"], index


def test_sent_messages_are_stored_with_their_state(aws):
    tickets = DynamoTickets("service-desk")
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [a_message()])
    outbox = DynamoOutbox(tickets)
    claimed = claim(a_message(), NOW)
    outbox.claim(a_message(), claimed, NOW)
    outbox.finish(mark_sent(claimed, NOW, "p1"))
    item = client("dynamodb").get_item(
        TableName="service-desk", Key={"pk": {"S": "TICKET#SD-2026-000001"}, "sk": {"S": "OUTBOX#m1"}}
    )["Item"]
    assert "due_pk" not in item
    assert (item["state"]["S"], item["attempts"]["N"]) == (DeliveryState.SENT.value, "1")
    assert item_data(item)["provider_id"] == "p1"


def test_a_message_stored_before_claims_existed_is_claimed_once(aws):
    tickets = DynamoTickets("service-desk")
    ticket, event = a_ticket()
    tickets.create(ticket, event, "t", [a_message()])
    key = {"pk": {"S": "TICKET#SD-2026-000001"}, "sk": {"S": "OUTBOX#m1"}}
    client("dynamodb").update_item(TableName="service-desk", Key=key, UpdateExpression="REMOVE #s, attempts",
                                   ExpressionAttributeNames={"#s": "state"})
    outbox = DynamoOutbox(tickets)
    [seen] = outbox.due(NOW)
    assert outbox.claim(seen, claim(seen, NOW), NOW)
    assert not outbox.claim(seen, claim(seen, NOW), NOW)
