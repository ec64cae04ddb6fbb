"""Staff search: the DynamoDB search index (moto) keeps the same contract as the in-memory one. A query
reads one term's entries newest first and pages through a signed cursor."""

from datetime import timedelta

import pytest

from chalicelib.adapters.dynamodb_search import DynamoTicketSearch
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory import FixedClock, MemoryTickets
from chalicelib.adapters.memory_search import MemoryTicketSearch
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.domain.search import SearchQuery
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.domain.ticket import Action, Channel, Kind, Priority, Product, Reporter, Status, open_ticket
from chalicelib.services.search import BadCursor, SearchService
from tests.integration.test_queue_repository import move

# Someone in the office, who finds every ticket.
OFFICE = StaffUser(username="desk", roles=frozenset({StaffRole.DESK}))

NOW = FixedClock().now()


@pytest.fixture(params=["memory", "dynamodb"])
def stores(request):
    if request.param == "memory":  # no moto for the in-memory one
        tickets = MemoryTickets()
        return tickets, MemoryTicketSearch(tickets)
    request.getfixturevalue("aws")
    return DynamoTickets("service-desk"), DynamoTicketSearch("service-desk")


@pytest.fixture
def service(stores):
    tickets, search = stores
    return SearchService(search, tickets, None, JwtLinkSigner("cursor-secret-for-the-search-tests-0123456789"), FixedClock())  # type: ignore[arg-type]


def store(tickets, n, *, minutes=0, name="上海浦东机械有限公司", phone="+8613800138000", province="CN-SH",
          address="浦东新区张江路100号", serial=None):
    ticket, event = open_ticket(
        number=f"SD-2026-{n:06d}",
        reporter=Reporter(customer_name=name, contact_person="王建国", phone=phone, province=province,
                          city="上海市", address=address),
        product=Product(model="M1", serial_number=serial),
        description="d", kind=Kind.FAULT, channel=Channel.WEB, at=NOW + timedelta(minutes=minutes), actor="customer",
    )
    tickets.create(ticket, event, f"token-{n}", [])
    return ticket


def numbers(page):
    return [row.ticket.number for row in page.rows]


def test_a_phone_typed_any_way_finds_the_reporters_tickets_newest_first(stores, service):
    tickets, _ = stores
    store(tickets, 1)
    store(tickets, 2, minutes=5)
    store(tickets, 3, phone="+8613900139000")
    for typed in ("138 0013 8000", "+86 138-0013-8000", "１３８００１３８０００"):
        assert numbers(service.search(SearchQuery(q=typed), reader=OFFICE)) == ["SD-2026-000002", "SD-2026-000001"]


def test_number_serial_and_fragments_of_name_contact_or_address(stores, service):
    tickets, _ = stores
    store(tickets, 1, serial="sn 2026-0042")
    store(tickets, 2, minutes=1, name="苏州精密仪器厂", address="工业园区星湖街328号", province="CN-JS")
    assert numbers(service.search(SearchQuery(q="sd-2026-000002"), reader=OFFICE)) == ["SD-2026-000002"]
    assert numbers(service.search(SearchQuery(q="SN2026-0042"), reader=OFFICE)) == ["SD-2026-000001"]
    assert numbers(service.search(SearchQuery(q="精密"), reader=OFFICE)) == ["SD-2026-000002"]
    assert numbers(service.search(SearchQuery(q="张江路"), reader=OFFICE)) == ["SD-2026-000001"]
    assert numbers(service.search(SearchQuery(q="建国"), reader=OFFICE)) == ["SD-2026-000002", "SD-2026-000001"]
    assert numbers(service.search(SearchQuery(q="星湖街 328"), reader=OFFICE)) == ["SD-2026-000002"]
    # Every bigram is there, but not as one run: no match.
    assert numbers(service.search(SearchQuery(q="浦东仪器"), reader=OFFICE)) == []


def test_filters_follow_the_ticket_as_it_changes(stores, service):
    tickets, _ = stores
    first = store(tickets, 1)
    second = store(tickets, 2, minutes=1, province="CN-JS")
    first = move(tickets, first, Action.CLASSIFY, priority=Priority.CRITICAL)
    first = move(tickets, first, Action.DISPATCH, assignees=("wang",))
    move(tickets, second, Action.CANCEL)

    assert numbers(service.search(SearchQuery(priority="A"), reader=OFFICE)) == ["SD-2026-000001"]
    assert numbers(service.search(SearchQuery(assignee="wang"), reader=OFFICE)) == ["SD-2026-000001"]
    assert numbers(service.search(SearchQuery(status="cancelled"), reader=OFFICE)) == ["SD-2026-000002"]
    assert numbers(service.search(SearchQuery(province="CN-JS"), reader=OFFICE)) == ["SD-2026-000002"]
    assert numbers(service.search(SearchQuery(q="浦东", status="dispatched", assignee="wang"), reader=OFFICE)) == ["SD-2026-000001"]

    move(tickets, first, Action.DISPATCH, assignees=("li",))
    assert numbers(service.search(SearchQuery(assignee="wang"), reader=OFFICE)) == []
    assert numbers(service.search(SearchQuery(status=Status.NEW), reader=OFFICE)) == []


def test_a_technician_finds_only_the_jobs_dispatched_to_him_whatever_he_asks(stores, service):
    tickets, _ = stores
    for n, technician in ((1, "wang"), (2, "li")):
        ticket = move(tickets, store(tickets, n, minutes=n), Action.CLASSIFY, priority=Priority.URGENT)
        move(tickets, ticket, Action.DISPATCH, assignees=(technician,))
    wang = StaffUser(username="wang", roles=frozenset({StaffRole.TECHNICIAN}))

    assert numbers(service.search(SearchQuery(q="浦东"), reader=wang)) == ["SD-2026-000001"]
    assert numbers(service.search(SearchQuery(assignee="li"), reader=wang)) == ["SD-2026-000001"]
    assert numbers(service.search(SearchQuery(q="浦东"), reader=OFFICE)) == ["SD-2026-000002", "SD-2026-000001"]


def test_results_page_through_with_a_cursor_bound_to_its_query(stores, service):
    tickets, _ = stores
    for n in range(1, 8):
        store(tickets, n, minutes=n)
    first = service.search(SearchQuery(q="浦东"), limit=3, reader=OFFICE)
    second = service.search(SearchQuery(q="浦东"), cursor=first.cursor, limit=3, reader=OFFICE)
    third = service.search(SearchQuery(q="浦东"), cursor=second.cursor, limit=3, reader=OFFICE)
    assert numbers(first) + numbers(second) + numbers(third) == [f"SD-2026-{n:06d}" for n in range(7, 0, -1)]
    assert third.cursor is None

    with pytest.raises(BadCursor):
        service.search(SearchQuery(q="张江"), cursor=first.cursor, reader=OFFICE)
    with pytest.raises(BadCursor):
        service.search(SearchQuery(q="浦东"), cursor=first.cursor[:-2] + "xx", reader=OFFICE)


def test_nothing_asked_reads_nothing(stores, service):
    tickets, _ = stores
    store(tickets, 1)
    page = service.search(SearchQuery(), reader=OFFICE)
    assert (page.rows, page.cursor, page.searched) == ([], None, False)
