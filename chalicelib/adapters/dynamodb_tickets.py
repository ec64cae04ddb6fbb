"""Tickets, their timelines, tracking links and the notification outbox in the single DynamoDB table.

Stored items are not the domain models: each item carries its index keys next to the model's JSON
(``data``), so the domain can change shape without a table migration and the keys stay in ``keys``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.domain.notification import DeliveryState, OutboxMessage
from chalicelib.domain.ticket import Ticket, TicketEvent
from chalicelib.services.ports import StaleTicket

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_attr(value: Any) -> dict[str, Any]:
    # DynamoDB has no floats: numbers travel as Decimal.
    return _serializer.serialize(json.loads(json.dumps(value), parse_float=Decimal))


def _item(**attrs: Any) -> dict[str, Any]:
    return {k: _to_attr(v) for k, v in attrs.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _data(item: dict[str, Any]) -> Any:
    return _plain(_deserializer.deserialize(item["data"]))


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
            Key=_item(pk=keys.counter_pk(year), sk="COUNTER"),
            UpdateExpression="ADD #seq :one",
            ExpressionAttributeNames={"#seq": "seq"},
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["seq"]["N"])

    def create(
        self, ticket: Ticket, event: TicketEvent, tracking_token: str, outbox: Sequence[OutboxMessage]
    ) -> None:
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._ticket_item(ticket),
                    # A number is handed out once; if it is somehow taken, fail rather than overwrite.
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {"Put": {"TableName": self._table, "Item": self._event_item(ticket.number, event, ticket.version)}},
            {
                "Put": {
                    "TableName": self._table,
                    "Item": _item(
                        pk=keys.tracking_pk(tracking_token), sk=keys.TRACK_SK, entity="tracking",
                        ticket_number=ticket.number,
                    ),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *({"Put": {"TableName": self._table, "Item": self._outbox_item(m)}} for m in outbox),
        ]
        self._transact(items, ticket.number)

    def save(self, ticket: Ticket, events: Sequence[TicketEvent]) -> None:
        """Write a changed ticket if nobody else changed it since ``ticket.version - 1``."""
        items = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": self._ticket_item(ticket),
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
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                raise StaleTicket(number) from error
            raise

    def get(self, number: str) -> Ticket | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=_item(pk=keys.ticket_pk(number), sk=keys.TICKET_SK), ConsistentRead=True
        )
        item = response.get("Item")
        return Ticket.model_validate(_data(item)) if item else None

    def number_for_tracking_token(self, token: str) -> str | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=_item(pk=keys.tracking_pk(token), sk=keys.TRACK_SK)
        )
        item = response.get("Item")
        return item["ticket_number"]["S"] if item else None

    def events(self, number: str) -> list[TicketEvent]:
        paginator = self._ddb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=_item(**{":pk": keys.ticket_pk(number), ":prefix": keys.EVENT_PREFIX}),
            ConsistentRead=True,
        )
        return [TicketEvent.model_validate(_data(item)) for page in pages for item in page["Items"]]

    # -- outbox --------------------------------------------------------------------------------

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        found: list[OutboxMessage] = []
        for partition in keys.due_partitions(keys.OUTBOX_DUE, self._due_shards):
            response = self._ddb.query(
                TableName=self._table,
                IndexName=keys.GSI_DUE,
                KeyConditionExpression="due_pk = :pk AND due_at <= :now",
                ExpressionAttributeValues=_item(**{":pk": partition, ":now": keys.iso(now)}),
                Limit=limit,
            )
            found.extend(OutboxMessage.model_validate(_data(i)) for i in response["Items"])
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

    def _ticket_item(self, ticket: Ticket) -> dict[str, Any]:
        created = keys.iso(ticket.created_at)
        return _item(
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
            data=ticket.model_dump(mode="json"),
        )

    def _event_item(self, number: str, event: TicketEvent, version: int, suffix: object = None) -> dict[str, Any]:
        unique = f"{version:08d}" + (f"#{suffix}" if suffix is not None else "")
        return _item(
            pk=keys.ticket_pk(number),
            sk=keys.event_sk(event.at, unique),
            entity="event",
            data=event.model_dump(mode="json"),
        )

    def _outbox_item(self, message: OutboxMessage) -> dict[str, Any]:
        pending = message.state == DeliveryState.PENDING
        return _item(
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
