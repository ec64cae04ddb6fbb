"""Staff search over the single table: one entry per search term under each ticket's pk, in the sparse
``search`` index (``keys.search_pk``), kept in step by the ticket's own transactions.

``DynamoTickets`` writes the entries with ``term_puts`` / ``term_changes``; ``DynamoTicketSearch`` reads
a term's entries newest first, then the tickets themselves (an index entry may lag a change).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.domain.search import search_terms
from chalicelib.domain.ticket import Ticket

# Ticket fields whose change may change the terms it is filed under.
TERM_FIELDS = frozenset({"status", "priority", "assignees", "reporter", "product", "archived_serial"})
_BATCH_GET = 100  # BatchGetItem's limit


def term_item(table: str, ticket: Ticket, term: str) -> dict[str, Any]:
    return {"Put": {"TableName": table, "Item": to_item(
        pk=keys.ticket_pk(ticket.number), sk=keys.search_entry_sk(term), entity="search",
        search_pk=keys.search_pk(term), search_sk=keys.search_sk(ticket.created_at, ticket.number),
    )}}


def term_puts(table: str, ticket: Ticket) -> list[dict[str, Any]]:
    """A new ticket's entries, for its creating transaction."""
    return [term_item(table, ticket, term) for term in sorted(search_terms(ticket))]


def stored_terms(table: str, number: str) -> set[str]:
    response = client("dynamodb").query(
        TableName=table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues=to_item(**{":pk": keys.ticket_pk(number), ":prefix": keys.SEARCH_PREFIX}),
        ProjectionExpression="sk",
        ConsistentRead=True,
    )
    return {item["sk"]["S"].removeprefix(keys.SEARCH_PREFIX) for item in response["Items"]}


def term_changes(table: str, ticket: Ticket) -> list[dict[str, Any]]:
    """Puts and deletes that bring the stored entries to the ticket's current terms."""
    stored, wanted = stored_terms(table, ticket.number), search_terms(ticket)
    changes = [term_item(table, ticket, term) for term in sorted(wanted - stored)]
    changes += [
        {"Delete": {"TableName": table, "Key": to_item(pk=keys.ticket_pk(ticket.number), sk=keys.search_entry_sk(t))}}
        for t in sorted(stored - wanted)
    ]
    return changes


class DynamoTicketSearch:
    """Implements ``TicketSearch``."""

    def __init__(self, table_name: str):
        self._table = table_name

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    def tickets_with_term(
        self, term: str, limit: int, before: tuple[datetime, str] | None = None
    ) -> list[Ticket]:
        query: dict[str, Any] = {
            "TableName": self._table, "IndexName": keys.GSI_SEARCH, "ScanIndexForward": False, "Limit": limit,
            "KeyConditionExpression": "search_pk = :pk",
            "ExpressionAttributeValues": to_item(**{":pk": keys.search_pk(term)}),
            "ProjectionExpression": "pk",
        }
        if before is not None:
            created, number = before
            query["ExclusiveStartKey"] = to_item(
                search_pk=keys.search_pk(term), search_sk=keys.search_sk(created, number),
                pk=keys.ticket_pk(number), sk=keys.search_entry_sk(term),
            )
        numbers = [item["pk"]["S"].removeprefix("TICKET#") for item in self._ddb.query(**query)["Items"]]
        found = self._tickets(numbers)
        return [found[n] for n in numbers if n in found]

    def _tickets(self, numbers: list[str]) -> dict[str, Ticket]:
        found: dict[str, Ticket] = {}
        for start in range(0, len(numbers), _BATCH_GET):
            wanted = [to_item(pk=keys.ticket_pk(n), sk=keys.TICKET_SK) for n in numbers[start : start + _BATCH_GET]]
            pending: dict[str, Any] = {self._table: {"Keys": wanted, "ConsistentRead": True}}
            while pending:
                response = self._ddb.batch_get_item(RequestItems=pending)
                for item in response["Responses"].get(self._table, []):
                    ticket = Ticket.model_validate(item_data(item))
                    found[ticket.number] = ticket
                pending = response.get("UnprocessedKeys") or {}
        return found

    def reindex(self, ticket: Ticket) -> int:
        """Brings one ticket's entries to its current terms (the backfill); returns the items written.
        Not conditioned on the ticket's version: a save racing it writes the same terms itself."""
        changes = term_changes(self._table, ticket)
        for start in range(0, len(changes), 100):
            self._ddb.transact_write_items(TransactItems=changes[start : start + 100])
        return len(changes)
