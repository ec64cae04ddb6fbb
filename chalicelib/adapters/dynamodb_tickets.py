"""Tickets, their timelines, tracking links and the notification outbox in the single DynamoDB table.

Stored items are not the domain models: each item carries its index keys next to the model's JSON
(``data``), so the domain can change shape without a table migration and the keys stay in ``keys``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.adapters.dynamodb_limits import answers_of, limit_use
from chalicelib.adapters.dynamodb_search import TERM_FIELDS, term_changes, term_puts
from chalicelib.adapters.dynamodb_short_links import short_link_item
from chalicelib.domain.decisions import DECISION_FIELDS, awaits_supervisor
from chalicelib.domain.limits import Limit
from chalicelib.domain.notification import DeliveryState, OutboxMessage, wake_at
from chalicelib.domain.paid_work import has_balance_due, open_requisitions
from chalicelib.domain.queue import QueueFilter
from chalicelib.domain.short_links import ShortLink
from chalicelib.domain.ticket import Kind, Status, Ticket, TicketEvent
from chalicelib.services.ports import OverLimit, ReportBuild, StaleTicket

# Ticket fields whose change may put a paid job on, or take it off, the list of unpaid balances.
RECEIVABLE_FIELDS = frozenset({"billing", "quote", "account"})
# Ticket fields whose change may take a complaint off the list of open ones.
COMPLAINT_FIELDS = frozenset({"kind", "status"})
# ... and a job off the list of open parts requisitions.
REQUISITION_FIELDS = frozenset({"requisitions", "status"})


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

    def give_back_number(self, year: int, number: int) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(pk=keys.counter_pk(year), sk="COUNTER"),
                UpdateExpression="SET #seq = :before",
                ConditionExpression="#seq = :number",
                ExpressionAttributeNames={"#seq": "seq"},
                ExpressionAttributeValues=to_item(**{":before": number - 1, ":number": number}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def create(
        self,
        ticket: Ticket,
        event: TicketEvent,
        tracking_token: str,
        outbox: Sequence[OutboxMessage],
        next_wake: datetime | None = None,
        *,
        short_links: Sequence[ShortLink] = (),
        uses: Sequence[tuple[Limit, str]] = (),
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
            *({"Put": {"TableName": self._table, "Item": self._assignment_item(ticket, u)}} for u in ticket.assignees),
            *term_puts(self._table, ticket),
            *self._list_entries(ticket, [event]),
            *({"Put": {"TableName": self._table, "Item": short_link_item(link),
                       "ConditionExpression": "attribute_not_exists(pk)"}} for link in short_links),
        ]
        # Last, so the cancellation's reasons for them are the last ones.
        items += [{"Update": limit_use(self._table, limit, subject, ticket.created_at)} for limit, subject in uses]
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            answers = answers_of(uses, error.response.get("CancellationReasons") or [], ticket.created_at)
            if not all(answer.allowed for answer in answers):
                raise OverLimit(answers) from error
            raise StaleTicket(ticket.number) from error

    def save(
        self, ticket: Ticket, events: Sequence[TicketEvent], next_wake: datetime | None = None,
        outbox: Sequence[OutboxMessage] = (),
    ) -> None:
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
        if any("assignees" in e.changed for e in events):
            items += self._assignment_changes(ticket)
        items += [{"Put": {"TableName": self._table, "Item": self._outbox_item(m)}} for m in outbox]
        items += self._list_entries(ticket, events)
        if any(TERM_FIELDS.intersection(e.changed) for e in events):
            items += term_changes(self._table, ticket)
        self._transact(items, ticket.number)

    def _list_entries(self, ticket: Ticket, events: Sequence[TicketEvent]) -> list[dict[str, Any]]:
        """The ticket's entries on the short lists (unpaid balances, open complaints): each a copy of the
        ticket, put by every save while it belongs there, so a list is one Query; deleted when a change
        may have taken it off."""
        changed = {name for e in events for name in e.changed}
        entries = []
        for pk, sk, belongs, fields in (
            (keys.RECEIVABLE_PK, keys.receivable_sk(ticket.number), has_balance_due(ticket), RECEIVABLE_FIELDS),
            (keys.COMPLAINTS_OPEN_PK, keys.complaint_entry_sk(ticket.created_at, ticket.number),
             ticket.kind == Kind.COMPLAINT and ticket.is_open, COMPLAINT_FIELDS),
            (keys.REQUISITIONS_OPEN_PK, keys.complaint_entry_sk(ticket.created_at, ticket.number),
             ticket.is_open and bool(open_requisitions(ticket)), REQUISITION_FIELDS),
            (keys.DECISIONS_OPEN_PK, keys.complaint_entry_sk(ticket.created_at, ticket.number),
             awaits_supervisor(ticket), DECISION_FIELDS),
        ):
            key = to_item(pk=pk, sk=sk)
            if belongs:
                item = to_item(entity="list_entry", ticket_number=ticket.number, data=ticket.model_dump(mode="json"))
                entries.append({"Put": {"TableName": self._table, "Item": {**key, **item}}})
            elif fields & changed:
                entries.append({"Delete": {"TableName": self._table, "Key": key}})
        return entries

    def file_glance(self, ticket: Ticket) -> bool:
        """The backfill (``ops.reindex``) for a ticket stored before it carried its schedule at a glance:
        ``ticket.sla`` and its place in the queue and the short lists, unless the ticket changed since it
        was read (False then: its next save writes them anyway)."""
        sets: dict[str, object] = {"#data.sla": ticket.sla.model_dump(mode="json") if ticket.sla else None}
        if ticket.is_open:
            sets |= {"queue_pk": keys.QUEUE_PK, "queue_sk": _queue_position(ticket)}
        placeholders = {name: f":v{i}" for i, name in enumerate(sets)}
        update = {
            "TableName": self._table,
            "Key": to_item(pk=keys.ticket_pk(ticket.number), sk=keys.TICKET_SK),
            "UpdateExpression": "SET " + ", ".join(f"{name} = {placeholders[name]}" for name in sets),
            "ConditionExpression": "#v = :version",
            "ExpressionAttributeNames": {"#v": "version", "#data": "data"},
            "ExpressionAttributeValues": to_item(
                **{":version": ticket.version, **{placeholders[name]: value for name, value in sets.items()}}
            ),
        }
        return self._try_transact([{"Update": update}, *self._list_entries(ticket, [])])

    def add_tracking_link(self, number: str, token: str) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item=to_item(pk=keys.tracking_pk(token), sk=keys.TRACK_SK, entity="tracking", ticket_number=number),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def receivable_tickets(self) -> list[Ticket]:
        return [ticket for ticket in self._list(keys.RECEIVABLE_PK) if has_balance_due(ticket)]

    def open_complaints(self) -> list[Ticket]:
        return [ticket for ticket in self._list(keys.COMPLAINTS_OPEN_PK) if ticket.is_open]

    def waiting_for_parts(self) -> list[Ticket]:
        return [ticket for ticket in self._list(keys.REQUISITIONS_OPEN_PK) if ticket.is_open]

    def awaiting_supervisor(self) -> list[Ticket]:
        return [ticket for ticket in self._list(keys.DECISIONS_OPEN_PK) if awaits_supervisor(ticket)]

    def _list(self, pk: str) -> list[Ticket]:
        """A short list's tickets from their copies; an entry written before it carried one is read from
        its ticket (``ops.reindex`` rewrites them)."""
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues=to_item(**{":pk": pk}),
        )
        found = []
        for item in (item for page in pages for item in page["Items"]):
            ticket = Ticket.model_validate(item_data(item)) if "data" in item else self.get(item["ticket_number"]["S"])
            if ticket is not None:
                found.append(ticket)
        return found

    def _assignment_changes(self, ticket: Ticket) -> list[dict[str, Any]]:
        """Assignment items in step with ``ticket.assignees``: one per technician (the ``by_assignee``
        index lists a technician's jobs), deleted for technicians taken off. Written in the ticket's
        own transaction, so they change exactly when the ticket does."""
        response = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(**{":pk": keys.ticket_pk(ticket.number), ":prefix": keys.ASSIGN_PREFIX}),
            ProjectionExpression="sk",
            ConsistentRead=True,
        )
        stored = {item["sk"]["S"].removeprefix(keys.ASSIGN_PREFIX) for item in response["Items"]}
        changes: list[dict[str, Any]] = [
            {"Put": {"TableName": self._table, "Item": self._assignment_item(ticket, username)}}
            for username in ticket.assignees
            if username not in stored
        ]
        changes += [
            {"Delete": {"TableName": self._table,
                        "Key": to_item(pk=keys.ticket_pk(ticket.number), sk=keys.assignment_sk(username))}}
            for username in sorted(stored - set(ticket.assignees))
        ]
        return changes

    def open_tickets(self, statuses: Iterable[Status]) -> list[Ticket]:
        found: list[Ticket] = []
        for status in statuses:
            pages = self._ddb.get_paginator("query").paginate(
                TableName=self._table,
                IndexName=keys.GSI_STATUS,
                KeyConditionExpression="status_pk = :pk",
                ExpressionAttributeValues=to_item(**{":pk": keys.status_pk(Status(status).value)}),
            )
            found.extend(Ticket.model_validate(item_data(item)) for page in pages for item in page["Items"])
        return sorted(found, key=lambda ticket: (ticket.created_at, ticket.number))

    def queue_page(self, filters: QueueFilter, after: str | None, size: int) -> tuple[list[Ticket], str | None]:
        """One Query on the ``queue`` index per ``QUEUE_READS`` at most; a filter is a FilterExpression on
        the same Query (DynamoDB reads ``Limit`` items, then filters), so a rare filter may end a page
        short of ``size`` with a position to go on from."""
        query: dict[str, Any] = {
            "TableName": self._table, "IndexName": keys.GSI_QUEUE, "KeyConditionExpression": "queue_pk = :queue",
            "ExpressionAttributeValues": to_item(**{":queue": keys.QUEUE_PK}),
        }
        condition = _queue_filter(filters)
        if condition is not None:
            expression, names, values = condition
            query["FilterExpression"] = expression
            query["ExpressionAttributeNames"] = names
            query["ExpressionAttributeValues"].update(to_item(**values))
        start: dict[str, Any] | None = _queue_key(after) if after else None
        found: list[Ticket] = []
        for _ in range(QUEUE_READS):
            # Unfiltered, a page is one read of ``size``; filtered, each read looks further ahead.
            limit = size - len(found) if condition is None else QUEUE_FILTERED_READ
            response = self._ddb.query(**query, Limit=limit, **({"ExclusiveStartKey": start} if start else {}))
            items = response["Items"]
            for index, item in enumerate(items):
                found.append(Ticket.model_validate(item_data(item)))
                if len(found) == size:
                    more = index < len(items) - 1 or "LastEvaluatedKey" in response
                    return found, item["queue_sk"]["S"] if more else None
            start = response.get("LastEvaluatedKey")
            if start is None:
                return found, None
        return found, str(start["queue_sk"]["S"]) if start else None

    def tickets_for_technician(self, username: str) -> list[Ticket]:
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            IndexName=keys.GSI_ASSIGNEE,
            KeyConditionExpression="assignee_pk = :pk",
            ExpressionAttributeValues=to_item(**{":pk": keys.assignee_pk(username)}),
            ProjectionExpression="ticket_number",
        )
        numbers = [item["ticket_number"]["S"] for page in pages for item in page["Items"]]
        # The index is eventually consistent: read each ticket itself and keep only current assignments.
        tickets = [ticket for number in numbers if (ticket := self.get(number)) and username in ticket.assignees]
        return sorted(tickets, key=lambda ticket: (ticket.created_at, ticket.number))

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

    def history(self, number: str) -> tuple[list[TicketEvent], frozenset[str], frozenset[str]]:
        """The timeline and the ladder's records in one Query: their sort keys are neighbours
        (``EVENT#…`` < ``LADDER#…``), and nothing else of the ticket sorts between them."""
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
            ExpressionAttributeValues=to_item(**{":pk": keys.ticket_pk(number), ":first": keys.EVENT_PREFIX,
                                                 ":last": keys.LADDER_PREFIX + "\uffff"}),
            ConsistentRead=True,
        )
        events: list[TicketEvent] = []
        taken: set[str] = set()
        acknowledged: set[str] = set()
        for item in (item for page in pages for item in page["Items"]):
            sk = item["sk"]["S"]
            if sk.startswith(keys.EVENT_PREFIX):
                events.append(TicketEvent.model_validate(item_data(item)))
            elif sk.startswith(keys.LADDER_PREFIX):
                kind, _, key = sk.removeprefix(keys.LADDER_PREFIX).partition("#")
                (taken if kind == "STEP" else acknowledged).add(key)
        return events, frozenset(taken), frozenset(acknowledged)

    def events(self, number: str) -> list[TicketEvent]:
        paginator = self._ddb.get_paginator("query")
        pages = paginator.paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(**{":pk": keys.ticket_pk(number), ":prefix": keys.EVENT_PREFIX}),
            ConsistentRead=True,
        )
        return [TicketEvent.model_validate(item_data(item)) for page in pages for item in page["Items"]]

    # -- the monthly report ----------------------------------------------------------

    def tickets_created_between(self, start: datetime, end: datetime) -> Iterator[Ticket]:
        """Tickets created in [start, end), oldest first, from the ``by_month`` index (never a Scan),
        page by page so a month of 100,000 tickets is never held at once."""
        low, high = keys.month_sk_range(start, end)
        for partition in keys.month_partitions(start, end):
            pages = self._ddb.get_paginator("query").paginate(
                TableName=self._table,
                IndexName=keys.GSI_MONTH,
                KeyConditionExpression="month_pk = :pk AND month_sk BETWEEN :low AND :high",
                ExpressionAttributeValues=to_item(**{":pk": partition, ":low": low, ":high": high}),
            )
            for page in pages:
                for item in page["Items"]:
                    yield Ticket.model_validate(item_data(item))

    def report_claimed(self, month: str) -> bool:
        response = self._ddb.get_item(
            TableName=self._table, Key=to_item(pk=keys.report_pk(month), sk=keys.REPORT_RUN_SK), ConsistentRead=True
        )
        return "Item" in response

    def claim_report(self, month: str, at: datetime, outbox: Sequence[OutboxMessage]) -> bool:
        """Record that ``month``'s report went out, with its messages, at once; False (nothing
        written) if it was already claimed, so a re-run or a second scheduler never emails twice."""
        items: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": to_item(pk=keys.report_pk(month), sk=keys.REPORT_RUN_SK, entity="report_run",
                                    claimed_at=keys.iso(at), messages=len(outbox)),
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            *({"Put": {"TableName": self._table, "Item": self._outbox_item(m)}} for m in outbox),
        ]
        return self._try_transact(items)

    # -- building a report in parts -------------------------------------------------------------

    def start_report_build(self, build: ReportBuild) -> None:
        data = build.model_dump(mode="json", exclude={"done", "assembled_at"})
        self._ddb.put_item(
            TableName=self._table,
            Item=to_item(pk=keys.report_pk(build.month), sk=keys.report_build_sk(build.started_at, build.build_id),
                         entity="report_build", data=data),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def report_build(self, month: str, started_at: datetime, build_id: str) -> ReportBuild | None:
        response = self._ddb.get_item(
            TableName=self._table, ConsistentRead=True,
            Key=to_item(pk=keys.report_pk(month), sk=keys.report_build_sk(started_at, build_id)),
        )
        return _report_build(response["Item"]) if "Item" in response else None

    def latest_report_build(self, month: str) -> ReportBuild | None:
        response = self._ddb.query(
            TableName=self._table, ConsistentRead=True, ScanIndexForward=False, Limit=1,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item(**{":pk": keys.report_pk(month), ":prefix": keys.REPORT_BUILD_PREFIX}),
        )
        items = response.get("Items", [])
        return _report_build(items[0]) if items else None

    def finish_report_part(self, month: str, started_at: datetime, build_id: str, index: int) -> ReportBuild | None:
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key=to_item(pk=keys.report_pk(month), sk=keys.report_build_sk(started_at, build_id)),
                UpdateExpression="ADD done :part",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":part": {"NS": [str(index)]}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return None
            raise
        return _report_build(response["Attributes"])

    def finish_report_build(self, month: str, started_at: datetime, build_id: str, at: datetime) -> None:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key=to_item(pk=keys.report_pk(month), sk=keys.report_build_sk(started_at, build_id)),
                UpdateExpression="SET assembled_at = :at",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(assembled_at)",
                ExpressionAttributeValues=to_item(**{":at": keys.iso(at)}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

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
        sets: dict[str, object] = {}
        if next_wake is not None:
            sets |= {"due_pk": keys.due_pk(keys.TICKET_DUE, ticket.number, self._due_shards),
                     "due_at": keys.iso(next_wake)}
        if ticket.sla is not None:
            # The schedule at a glance moves with the sweep's steps (and the queue position with it).
            sets["#data.sla"] = ticket.sla.model_dump(mode="json")
            if ticket.is_open:
                sets["queue_sk"] = _queue_position(ticket)
        placeholders = {name: f":v{i}" for i, name in enumerate(sets)}
        expression = "SET " + ", ".join(f"{name} = {placeholders[name]}" for name in sets) if sets else ""
        if next_wake is None:
            expression += " REMOVE due_pk, due_at"
        update["UpdateExpression"] = expression.strip()
        if ticket.sla is not None:
            update["ExpressionAttributeNames"]["#data"] = "data"
        update["ExpressionAttributeValues"] = to_item(
            **{":version": ticket.version, **{placeholders[name]: value for name, value in sets.items()}}
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
        """Pending messages whose time has come and claims whose lease ran out: a claimed item's
        ``due_at`` is its lease's end, so one index query finds both."""
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
        found.sort(key=lambda m: wake_at(m) or now)
        return found[:limit]

    def claim_message(self, seen: OutboxMessage, claimed: OutboxMessage, now: datetime) -> bool:
        # Free: at the attempt the claimer saw, and pending or claimed with its lease run out. Items
        # written before claims existed have no top-level state; they are free while in the due index.
        condition = (
            "(attribute_not_exists(#state) AND attribute_exists(due_pk)) OR (#attempts = :seen AND "
            "(#state = :pending OR (#state = :sending AND due_at <= :now)))"
        )
        values = {":seen": seen.attempts, ":pending": DeliveryState.PENDING.value,
                  ":sending": DeliveryState.SENDING.value, ":now": keys.iso(now)}
        return self._try_transact([self._outbox_put(claimed, condition, values)])

    def finish_message(
        self, message: OutboxMessage, event: TicketEvent | None = None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        # The messages an outcome causes are written with it, once: only the claim's holder writes it.
        new = [
            {"Put": {"TableName": self._table, "Item": self._outbox_item(m),
                     "ConditionExpression": "attribute_not_exists(pk)"}}
            for m in follow_ups
        ]
        return self._try_transact(self._outcome_items(message, event) + new)

    def finish_messages(self, outcomes: Sequence[tuple[OutboxMessage, TicketEvent | None]]) -> bool:
        """Several attempts' outcomes in one transaction (up to its 100 items), all or none."""
        items = [item for message, event in outcomes for item in self._outcome_items(message, event)]
        return len(items) <= TRANSACTION_ITEMS and self._try_transact(items)

    def _outcome_items(self, message: OutboxMessage, event: TicketEvent | None) -> list[dict[str, Any]]:
        # Still this sender's claim: nobody took it over after its lease ran out.
        condition = "#state = :sending AND #attempts = :attempt"
        values = {":sending": DeliveryState.SENDING.value, ":attempt": message.attempts}
        items = [self._outbox_put(message, condition, values)]
        if event is not None:
            # The attempt number keeps each attempt's event apart from the last one's.
            suffix = f"{message.id}#{message.attempts}"
            items.append(
                {"Put": {"TableName": self._table, "Item": self._event_item(message.ticket_number, event, 0, suffix)}}
            )
        return items

    def _outbox_put(self, message: OutboxMessage, condition: str, values: dict[str, object]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self._table,
                "Item": self._outbox_item(message),
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#state": "state", "#attempts": "attempts"},
                "ExpressionAttributeValues": to_item(**values),
            }
        }

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
            # The archive's customer when intake linked one (their history), else the reporter's phone.
            customer_pk=keys.customer_pk(ticket.customer_id or ticket.reporter.phone),
            customer_sk=f"{created}#{ticket.number}",
            month_pk=keys.month_pk(ticket.created_at),
            month_sk=f"{created}#{ticket.number}",
            # Open tickets only (sparse): the supervisor's queue, in the order of their next deadline.
            queue_pk=keys.QUEUE_PK if ticket.is_open else None,
            queue_sk=_queue_position(ticket) if ticket.is_open else None,
            due_pk=keys.due_pk(keys.TICKET_DUE, ticket.number, self._due_shards) if next_wake else None,
            due_at=keys.iso(next_wake) if next_wake else None,
            data=ticket.model_dump(mode="json"),
        )

    def _assignment_item(self, ticket: Ticket, username: str) -> dict[str, Any]:
        return to_item(
            pk=keys.ticket_pk(ticket.number),
            sk=keys.assignment_sk(username),
            entity="assignment",
            ticket_number=ticket.number,
            assignee_pk=keys.assignee_pk(username),
            assignee_sk=keys.assignee_sk(ticket.created_at, ticket.number),
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
        wake = wake_at(message)
        return to_item(
            pk=keys.ticket_pk(message.ticket_number),
            sk=keys.outbox_sk(message.id),
            entity="outbox",
            due_pk=keys.due_pk(keys.OUTBOX_DUE, message.id, self._due_shards) if wake else None,
            due_at=keys.iso(wake) if wake else None,
            # Top level, for the conditions that claim an attempt and record its outcome.
            state=message.state.value,
            attempts=message.attempts,
            data=message.model_dump(mode="json"),
        )


class DynamoOutbox:
    """The ``Outbox`` port over the same table (``save`` means something else on tickets)."""

    def __init__(self, tickets: DynamoTickets):
        self._tickets = tickets

    def due(self, now: datetime, limit: int = 100) -> list[OutboxMessage]:
        return self._tickets.due(now, limit)

    def claim(self, seen: OutboxMessage, claimed: OutboxMessage, now: datetime) -> bool:
        return self._tickets.claim_message(seen, claimed, now)

    def finish(
        self, message: OutboxMessage, event: TicketEvent | None = None, follow_ups: Sequence[OutboxMessage] = ()
    ) -> bool:
        return self._tickets.finish_message(message, event, follow_ups)

    def finish_all(self, outcomes: Sequence[tuple[OutboxMessage, TicketEvent | None]]) -> bool:
        return self._tickets.finish_messages(outcomes)


TRANSACTION_ITEMS = 100  # DynamoDB's most in one TransactWriteItems
QUEUE_READS = 5  # index reads a queue page may take at most
QUEUE_FILTERED_READ = 200  # items one filtered read looks at (each read returns up to 1 MB anyway)


def _queue_position(ticket: Ticket) -> str:
    return keys.queue_sk(ticket.sla.next_due_at if ticket.sla else None, ticket.created_at, ticket.number)


def _queue_key(position: str) -> dict[str, Any]:
    """The index key a queue page goes on from (its table keys follow from the number at its end)."""
    return to_item(queue_pk=keys.QUEUE_PK, queue_sk=position, pk=keys.ticket_pk(keys.number_in_queue_sk(position)),
                   sk=keys.TICKET_SK)


def _queue_filter(filters: QueueFilter) -> tuple[str, dict[str, str], dict[str, object]] | None:
    """The filter's conditions on the stored ticket (its ``data``), or None when it keeps every ticket."""
    parts: list[str] = []
    names: dict[str, str] = {}
    values: dict[str, object] = {}
    if filters.status is not None:
        parts.append("status_pk = :status")
        values[":status"] = keys.status_pk(filters.status.value)
    if filters.unclassified:
        names |= {"#data": "data", "#priority": "priority"}
        parts.append("(attribute_not_exists(#data.#priority) OR attribute_type(#data.#priority, :null))")
        values[":null"] = "NULL"
    elif filters.priority is not None:
        names |= {"#data": "data", "#priority": "priority"}
        parts.append("#data.#priority = :priority")
        values[":priority"] = filters.priority.value
    if filters.province is not None:
        names |= {"#data": "data", "#reporter": "reporter", "#province": "province"}
        parts.append("#data.#reporter.#province = :province")
        values[":province"] = filters.province
    if filters.technician is not None:
        names |= {"#data": "data", "#assignees": "assignees"}
        parts.append("contains(#data.#assignees, :technician)")
        values[":technician"] = filters.technician
    return (" AND ".join(parts), names, values) if parts else None


def _report_build(item: dict[str, Any]) -> ReportBuild:
    done = frozenset(int(n) for n in item.get("done", {}).get("NS", []))
    assembled = item.get("assembled_at", {}).get("S")
    return ReportBuild.model_validate({**item_data(item), "done": done, "assembled_at": assembled})
