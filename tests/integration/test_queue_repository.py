"""Open tickets by status and a technician's jobs: the DynamoDB repository (index queries, never a scan)
keeps the same contract as the in-memory one."""

from datetime import timedelta

import pytest

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory import FixedClock, MemoryTickets
from chalicelib.domain.ticket import Action, Channel, Kind, Product, Reporter, Status, open_ticket

NOW = FixedClock().now()


@pytest.fixture(params=["memory", "dynamodb"])
def tickets(request, aws):
    return MemoryTickets() if request.param == "memory" else DynamoTickets("service-desk")


def store(tickets, number, minutes=0):
    ticket, event = open_ticket(
        number=number,
        reporter=Reporter(customer_name="ACME", phone="+8613800138000", province="CN-JS", address="x"),
        product=Product(model="M1"),
        description="d",
        kind=Kind.FAULT,
        channel=Channel.WEB,
        at=NOW + timedelta(minutes=minutes),
        actor="customer",
    )
    tickets.create(ticket, event, f"token-{number}", [])
    return ticket


def move(tickets, ticket, action, **changes):
    moved, event = ticket.apply(action, actor="sup", at=NOW, summary=action.value, changes=changes)
    tickets.save(moved, [event])
    return moved


def test_open_tickets_are_read_per_status_oldest_first(tickets):
    second = store(tickets, "SD-2026-000002", minutes=5)
    first = store(tickets, "SD-2026-000001")
    move(tickets, second, Action.CLASSIFY)
    cancelled = store(tickets, "SD-2026-000003", minutes=10)
    move(tickets, cancelled, Action.CANCEL)

    assert [t.number for t in tickets.open_tickets([Status.NEW, Status.TRIAGED])] == [first.number, second.number]
    assert [t.number for t in tickets.open_tickets([Status.TRIAGED])] == [second.number]
    assert tickets.open_tickets([]) == []


def test_dispatch_and_re_dispatch_keep_each_technicians_job_list(tickets):
    ticket = move(tickets, store(tickets, "SD-2026-000001"), Action.CLASSIFY)
    other = move(tickets, store(tickets, "SD-2026-000002", minutes=1), Action.CLASSIFY)
    ticket = move(tickets, ticket, Action.DISPATCH, assignees=("wang", "li"))
    move(tickets, other, Action.DISPATCH, assignees=("wang",))

    assert [t.number for t in tickets.tickets_for_technician("wang")] == ["SD-2026-000001", "SD-2026-000002"]
    assert [t.number for t in tickets.tickets_for_technician("li")] == ["SD-2026-000001"]

    move(tickets, ticket, Action.DISPATCH, assignees=("li",))
    assert [t.number for t in tickets.tickets_for_technician("wang")] == ["SD-2026-000002"]
    assert [t.number for t in tickets.tickets_for_technician("li")] == ["SD-2026-000001"]
    assert tickets.tickets_for_technician("nobody") == []


def test_assignment_items_are_the_index_entries_of_a_technicians_jobs(aws):
    tickets = DynamoTickets("service-desk")
    ticket = move(tickets, store(tickets, "SD-2026-000001"), Action.CLASSIFY)
    ticket = move(tickets, ticket, Action.DISPATCH, assignees=("wang", "li"))
    move(tickets, ticket, Action.DISPATCH, assignees=("wang",))

    items = client("dynamodb").query(
        TableName="service-desk",
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": keys.ticket_pk("SD-2026-000001")},
                                   ":prefix": {"S": keys.ASSIGN_PREFIX}},
    )["Items"]
    assert [(i["sk"]["S"], i["assignee_pk"]["S"], i["assignee_sk"]["S"]) for i in items] == [
        ("ASSIGN#wang", "TECH#wang", f"{keys.iso(NOW)}#SD-2026-000001")
    ]
