"""The search backfill files tickets stored before search existed, and changes nothing the second time."""

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_search import DynamoTicketSearch
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.adapters.memory import FixedClock
from chalicelib.adapters.signed_links import JwtLinkSigner
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.search import SearchQuery
from chalicelib.domain.staff import StaffRole, StaffUser
from chalicelib.services.search import SearchService
from ops import reindex
from tests.integration.test_ticket_search import store

# Someone in the office, who finds every ticket.
OFFICE = StaffUser(username="desk", roles=frozenset({StaffRole.DESK}))


def forget_terms(number):
    ddb = client("dynamodb")
    entries = ddb.query(TableName="service-desk", KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                        ExpressionAttributeValues={":pk": {"S": keys.ticket_pk(number)},
                                                   ":p": {"S": keys.SEARCH_PREFIX}})["Items"]
    for entry in entries:
        ddb.delete_item(TableName="service-desk", Key={"pk": entry["pk"], "sk": entry["sk"]})


def test_old_tickets_are_found_after_the_backfill(aws, capsys):
    tickets = DynamoTickets("service-desk")
    store(tickets, 1)
    forget_terms("SD-2026-000001")
    search = SearchService(DynamoTicketSearch("service-desk"), tickets, None,  # type: ignore[arg-type]
                           JwtLinkSigner("cursor-secret-for-the-search-tests-0123456789"), FixedClock())
    assert search.search(SearchQuery(q="13800138000"), reader=OFFICE).rows == []

    assert reindex.main(["--since", "2026-01"]) == 0
    assert "1 tickets read, 1 reindexed" in capsys.readouterr().out
    assert [r.ticket.number for r in search.search(SearchQuery(q="13800138000"), reader=OFFICE).rows] == ["SD-2026-000001"]

    assert reindex.main(["--since", "2026-01"]) == 0
    assert "1 tickets read, 0 reindexed" in capsys.readouterr().out


def test_a_table_kept_from_before_gains_the_search_index(aws):
    from chalicelib.adapters.provision import ensure_resources
    from chalicelib.settings import get_settings

    ddb = client("dynamodb")
    ddb.update_table(TableName="service-desk", GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": keys.GSI_SEARCH}}])
    ensure_resources(get_settings())
    indexes = ddb.describe_table(TableName="service-desk")["Table"]["GlobalSecondaryIndexes"]
    assert keys.GSI_SEARCH in {i["IndexName"] for i in indexes}


def test_a_ticket_stored_before_its_schedule_at_a_glance_joins_the_queue_after_the_backfill(aws, capsys):
    tickets = DynamoTickets("service-desk")
    store(tickets, 1)
    client("dynamodb").update_item(  # as an older version stored it: no schedule at a glance, not in the queue
        TableName="service-desk", Key={"pk": {"S": keys.ticket_pk("SD-2026-000001")}, "sk": {"S": keys.TICKET_SK}},
        UpdateExpression="REMOVE queue_pk, queue_sk")
    assert tickets.queue_page(QueueFilter(), None, 50) == ([], None)

    assert reindex.main(["--since", "2026-01"]) == 0
    assert "1 schedules at a glance written" in capsys.readouterr().out
    (ticket,), _ = tickets.queue_page(QueueFilter(), None, 50)
    assert ticket.number == "SD-2026-000001" and ticket.sla is not None and ticket.sla.next_milestone == "contacted"

    assert reindex.main(["--since", "2026-01"]) == 0
    assert "0 schedules at a glance written" in capsys.readouterr().out


def test_a_job_waiting_for_the_supervisor_before_its_short_list_joins_it_after_the_backfill(aws, capsys):
    from chalicelib.domain.closure import SignatureRefusal

    tickets = DynamoTickets("service-desk")
    store(tickets, 1)
    assert reindex.main(["--since", "2026-01"]) == 0  # its schedule at a glance, as tickets have now
    ticket = tickets.get("SD-2026-000001")
    refused = SignatureRefusal(reason="客户不在现场", at=ticket.created_at, by="tech-wang")
    tickets.save(ticket.model_copy(update={"refusal": refused, "version": ticket.version + 1}), [])
    client("dynamodb").delete_item(  # as an older version stored it: no entry on the short list
        TableName="service-desk",
        Key={"pk": {"S": keys.DECISIONS_OPEN_PK}, "sk": {"S": keys.complaint_entry_sk(ticket.created_at, ticket.number)}})
    assert tickets.awaiting_supervisor() == []

    assert reindex.main(["--since", "2026-01"]) == 0

    assert [t.number for t in tickets.awaiting_supervisor()] == ["SD-2026-000001"]
