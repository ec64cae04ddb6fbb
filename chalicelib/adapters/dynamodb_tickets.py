"""Tickets, their timelines, tracking links and the notification outbox in the single DynamoDB table.

Stored items are not the domain models: each item carries its index keys next to the model's JSON
(``data``), so the domain can change shape without a table migration and the keys stay in ``keys``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.domain.notification import DeliveryState, OutboxMessage
from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.services.ports import StaleTicket


class DynamoTickets:
    """Implements ``TicketRepository`` and ``Outbox``."""

    def __init__(self, table_name: str, *, due_shards: int = 4):
        self._table = table_name
        self._due_shards = due_shards

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    # -- tickets -------------------------------------------------------------------------------

    def next_number(self, year: int) -> int:
        response = self._ddb.update_item(
            TableName=self._table,
            Key=to_item(pk=keys.counter_pk(year), sk="COUNTER"),
            UpdateExpression="ADD #seq :one",
            ExpressionAttributeNames={"#seq": "seq"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["seq"]["N"])

    def create(
        self,
        ticket: Ticket,
        event: TicketEvent,
        tracking_token: str,
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None = None,
    ) -> None:
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._ticket_item(ticket, next_wake),
                    # A number is handed out once; if it is somehow taken, fail rather than overwrite.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": self._event_item(ticket.number, event, ticket.version)}},
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(
                        pk=keys.tracking_pk(tracking_token), sk=keys.TRACK_SK, entity="tracking",
                        ticket_number=ticket.number,
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *({"Put": {"TableName": self._table, "Item": self._outbox_item(m)}} for m in outbox),
        ]
        self._transact(items, ticket.number)

    def save(self, ticket: Ticket, events: Sequence[TicketEvent], next_wake: datetime | None = None) -> None:
        """Write a changed ticket if nobody else changed it since ``ticket.version - 1``."""
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._ticket_item(ticket, next_wake),
                    "ConditionExpression": "#v = :expected",
                    "ExpressionAttributeNames": {"#v": "version"},
                    "ExpressionAttributeValues": {":expected": {"N": str(ticket.version - 1)}},
                }
            },
            *(
                {"Put": {"TableName": self._table, "Item": self._event_item(ticket.number, e, ticket.version, i)}}
                for i, e in enumerate(events)
            ),
        ]
        self._transact(items, ticket.number)

    def _transact(self, items: list[dict[str, Any]], number: str) -> None:
        if not self._try_transact(items):
            raise StaleTicket(number)

    def get(self, number: str) -> Ticket | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=to_item(pk=keys.ticket_pk(number), sk=keys.TICKET_SK), ConsistentRead=True
        )
        item = response.get("Item")
        return Ticket.model_validate(item_data(item)) if item else None

    def number_for_tracking_token(self, token: str) -> str | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=to_item(pk=keys.tracking_pk(token), sk=keys.TRACK_SK)
        )
        item = response.get("Item")
        return item["ticket_number"]["S"] if item else None

    def events(self, number: str) -> list[TicketEvent]:
        paginator = self._ddb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(**{":pk": keys.ticket_pk(number), ":prefix": keys.EVENT_PREFIX}),
            ConsistentRead=True,
        )
        return [TicketEvent.model_validate(item_data(item)) for page in pages for item in page["Items"]]

    # -- the SLA sweep -------------------------------------------------------------------------

    def due_tickets(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        found: list[tuple[str, datetime]] = []
        for partition in keys.due_partitions(keys.TICKET_DUE, self._due_shards):
            pages = self._ddb.get_paginator("query").paginate(
                TableName=self._table,
                IndexName=keys.GSI_DUE,
                KeyConditionExpression="due_pk = :pk AND due_at <= :now",
                ExpressionAttributeValues=to_item(**{":pk": partition, ":now": keys.iso(now)}),
                ProjectionExpression="pk, due_at",
                PaginationConfig={"MaxItems": limit},
            )
            found.extend(
                (item["pk"]["S"].removeprefix("TICKET#"), keys.parse_iso(item["due_at"]["S"]))
                for page in pages
                for item in page["Items"]
            )
        return sorted(found, key=lambda pair: pair[1])[:limit]

    def escalation_state(self, number: str) -> tuple[frozenset[str], frozenset[str]]:
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(**{":pk": keys.ticket_pk(number), ":prefix": keys.LADDER_PREFIX}),
            ProjectionExpression="sk",
            ConsistentRead=True,
        )
        taken: set[str] = set()
        acknowledged: set[str] = set()
        for page in pages:
            for item in page["Items"]:
                kind, _, key = item["sk"]["S"].removeprefix(keys.LADDER_PREFIX).partition("#")
                (taken if kind == "STEP" else acknowledged).add(key)
        return frozenset(taken), frozenset(acknowledged)

    def record_escalation(
        self,
        ticket: Ticket,
        step_keys: Sequence[str],
        events: Sequence[TicketEvent],
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None,
    ) -> bool:
        # Timeline: claim every step (fails if another sweep did) + their events + their messages +
        # the ticket's next wake-up (fails if the ticket changed since we computed it) — all or nothing.
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(pk=keys.ticket_pk(ticket.number), sk=keys.step_sk(key), entity="step"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            }
            for key in step_keys
        ]
        items += [
            {"Put": {"TableName": self._table, "Item": self._event_item(ticket.number, e, ticket.version, key)}}
            for e, key in zip(events, step_keys, strict=True)
        ]
        items += [{"Put": {"TableName": self._table, "Item": self._outbox_item(m)}} for m in outbox]
        items.append(self._wake_update(ticket, next_wake))
        return self._try_transact(items)

    def record_acknowledgement(
        self, ticket: Ticket, breach: str, event: TicketEvent, next_wake: datetime | None
    ) -> bool:
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(pk=keys.ticket_pk(ticket.number), sk=keys.acknowledgement_sk(breach), entity="ack"),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": self._event_item(ticket.number, event, ticket.version, breach)}},
            self._wake_update(ticket, next_wake),
        ]
        return self._try_transact(items)

    def set_next_wake(self, ticket: Ticket, next_wake: datetime | None) -> bool:
        return self._try_transact([self._wake_update(ticket, next_wake)])

    def _wake_update(self, ticket: Ticket, next_wake: datetime | None) -> dict[str, Any]:
        update: dict[str, Any] = {
            "TableName": self._table,
            "Key": to_item(pk=keys.ticket_pk(ticket.number), sk=keys.TICKET_SK),
            "ConditionExpression": "#v = :version",
            "ExpressionAttributeNames": {"#v": "version"},
        }
        if next_wake is None:
            update["UpdateExpression"] = "REMOVE due_pk, due_at"
            update["ExpressionAttributeValues"] = to_item(**{":version": ticket.version})
        else:
            update["UpdateExpression"] = "SET due_pk = :pk, due_at = :at"
            update["ExpressionAttributeValues"] = to_item(
                **{
                    ":version": ticket.version,
                    ":pk": keys.due_pk(keys.TICKET_DUE, ticket.number, self._due_shards),
                    ":at": keys.iso(next_wake),
                }
            )
        return {"Update": update}

    def _try_transact(self, items: list[dict[str, Any]]) -> bool:
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    # -- outbox --------------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        found: list[OutboxMessage] = []
        for partition in keys.due_partitions(keys.OUTBOX_DUE, self._due_shards):
            response = self._ddb.query(
                TableName=self._table,
                IndexName=keys.GSI_DUE,
                KeyConditionExpression="due_pk = :pk AND due_at <= :now",
                ExpressionAttributeValues=to_item(**{":pk": partition, ":now": keys.iso(now)}),
                Limit=limit,
            )
            found.extend(OutboxMessage.model_validate(item_data(i)) for i in response["Items"])
        found.sort(key=lambda m: m.next_attempt_at)
        return found[:limit]

    def save_message(self, message: OutboxMessage, event: TicketEvent | None = None) -> None:
        items: list[dict[str, Any]] = [{"Put": {"TableName": self._table, "Item": self._outbox_item(message)}}]
        if event is not None:
            items.append(
                {"Put": {"TableName": self._table, "Item": self._event_item(message.ticket_number, event, 0, message.id)}}
            )
        self._ddb.transact_write_items(TransactItems=items)

    # -- items ---------------------------------------------------------------------------------

    def _ticket_item(self, ticket: Ticket, next_wake: datetime | None) -> dict[str, Any]:
        created = keys.iso(ticket.created_at)
        return to_item(
            pk=keys.ticket_pk(ticket.number),
            sk=keys.TICKET_SK,
            entity="ticket",
            version=ticket.version,
            status_pk=keys.status_pk(ticket.status.value),
            status_sk=f"{created}#{ticket.number}",
            customer_pk=keys.customer_pk(ticket.reporter.phone),
            customer_sk=f"{created}#{ticket.number}",
            month_pk=keys.month_pk(ticket.created_at),
            month_sk=f"{created}#{ticket.number}",
            due_pk=keys.due_pk(keys.TICKET_DUE, ticket.number, self._due_shards) if next_wake else None,
            due_at=keys.iso(next_wake) if next_wake else None,
            data=ticket.model_dump(mode="json"),
        )

    def _event_item(self, number: str, event: TicketEvent, version: int, suffix: object = None) -> dict[str, Any]:
        unique = f"{version:08d}" + (f"#{suffix}" if suffix is not None else "")
        return to_item(
            pk=keys.ticket_pk(number),
            sk=keys.event_sk(event.at, unique),
            entity="event",
            data=event.model_dump(mode="json"),
        )

    def _outbox_item(self, message: OutboxMessage) -> dict[str, Any]:
        pending = message.state == DeliveryState.PENDING
        return to_item(
            pk=keys.ticket_pk(message.ticket_number),
            sk=keys.outbox_sk(message.id),
            entity="outbox",
            due_pk=keys.due_pk(keys.OUTBOX_DUE, message.id, self._due_shards) if pending else None,
            due_at=keys.iso(message.next_attempt_at) if pending else None,
            data=message.model_dump(mode="json"),
        )


class DynamoOutbox:
    """The ``Outbox`` port over the same table (``save`` means something else on tickets)."""

    def __init__(self, tickets: DynamoTickets):
        self._tickets = tickets

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        return self._tickets.due(now, limit)

    def save(self, message: OutboxMessage, event: TicketEvent | None = None) -> None:
        self._tickets.save_message(message, event)
