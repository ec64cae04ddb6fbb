"""Open tickets by status and a technician's jobs: the DynamoDB repository (index queries, never a scan)
keeps the same contract as the in-memory one."""

from datetime import timedelta

import pytest

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory import FixedClock, MemoryTickets
from chalicelib.domain.events import Classification, Classified, Dispatched
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.sla_projection import SlaProjection
from chalicelib.domain.ticket import Action, Channel, Kind, Priority, Product, Reporter, Status, open_ticket
from local.moto_speedups import faster_moto

NOW = FixedClock().now()


@pytest.fixture(params=["memory", "dynamodb"])
def tickets(request):
    if request.param == "memory":  # no moto for the in-memory one
        return MemoryTickets()
    request.getfixturevalue("aws")
    return DynamoTickets("service-desk")


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


def move(tickets, ticket, action, *, priority=None, assignees=None):
    """``priority``, ``assignees``: what a classification or a dispatch sets, recorded as its payload."""
    details = None
    if priority is not None:
        details = Classified.setting(action, Classification(priority=priority), ticket)
    if assignees is not None:
        details = Dispatched(assignees=assignees, previous=ticket.assignees)
    moved, event = ticket.apply(action, actor="sup", at=NOW, summary=action.value, details=details)
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


# -- the supervisor's queue: pages through the sparse 'queue' index -----------------------------------


def glanced(ticket, due_in_minutes):
    """The ticket as a write leaves it: with its schedule at a glance (next deadline in some minutes)."""
    due = None if due_in_minutes is None else NOW + timedelta(minutes=due_in_minutes)
    return ticket.model_copy(update={"sla": SlaProjection(as_of=NOW, owed=due is not None, next_milestone="contacted",
                                                          next_due_at=due, breaches_at=due)})


def store_glanced(tickets, number, due_in_minutes, minutes=0):
    ticket, event = open_ticket(
        number=number, reporter=Reporter(customer_name="ACME", phone="+8613800138000", province="CN-JS", address="x"),
        product=Product(model="M1"), description="d", kind=Kind.FAULT, channel=Channel.WEB,
        at=NOW + timedelta(minutes=minutes), actor="customer",
    )
    ticket = glanced(ticket, due_in_minutes)
    tickets.create(ticket, event, f"token-{number}", [])
    return ticket


def test_the_queue_pages_the_nearest_deadline_first_and_tickets_owing_nothing_last(tickets):
    store_glanced(tickets, "SD-2026-000001", None)
    store_glanced(tickets, "SD-2026-000002", 90, minutes=1)
    store_glanced(tickets, "SD-2026-000003", 30, minutes=2)
    closed = store_glanced(tickets, "SD-2026-000004", 10, minutes=3)
    move(tickets, closed, Action.CANCEL)

    first, after = tickets.queue_page(QueueFilter(), None, 2)
    rest, end = tickets.queue_page(QueueFilter(), after, 2)

    assert [t.number for t in first] == ["SD-2026-000003", "SD-2026-000002"]
    assert [t.number for t in rest] == ["SD-2026-000001"] and end is None


def test_a_queue_filter_keeps_its_tickets_across_pages(tickets):
    for n in range(1, 8):
        ticket = store_glanced(tickets, f"SD-2026-{n:06d}", n * 10)
        if n % 2:
            move(tickets, ticket, Action.CLASSIFY, priority=Priority.URGENT)
    kept: list[str] = []
    after = None
    while True:
        page, after = tickets.queue_page(QueueFilter(priority=Priority.URGENT), after, 2)
        kept += [t.number for t in page]
        if after is None:
            break
    assert kept == ["SD-2026-000001", "SD-2026-000003", "SD-2026-000005", "SD-2026-000007"]
    unclassified, _ = tickets.queue_page(QueueFilter.model_validate({"priority": "none"}), None, 10)
    assert [t.number for t in unclassified] == ["SD-2026-000002", "SD-2026-000004", "SD-2026-000006"]


def test_a_page_of_fifty_is_one_read_of_the_index_however_many_tickets_are_open(aws):
    tickets = DynamoTickets("service-desk")
    with faster_moto():  # filling only: moto copies the whole table for every transaction otherwise
        for n in range(1, 121):
            store_glanced(tickets, f"SD-2026-{n:06d}", n)
    calls: list[str] = []
    ddb = client("dynamodb")
    ddb.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name), unique_id="reads")
    try:
        first, after = tickets.queue_page(QueueFilter(), None, 50)
        second, _ = tickets.queue_page(QueueFilter(), after, 50)
        filtered, _ = tickets.queue_page(QueueFilter(province="CN-GD"), None, 50)
    finally:  # the client is kept for the next test
        ddb.meta.events.unregister("before-call.dynamodb", unique_id="reads")

    assert [t.number for t in first + second] == [f"SD-2026-{n:06d}" for n in range(1, 101)]
    assert calls[:2] == ["Query", "Query"], "one Query a page, never a read per ticket"
    assert filtered == [] and len(calls) <= 2 + 5, "a filtered page reads the index at most five times"
