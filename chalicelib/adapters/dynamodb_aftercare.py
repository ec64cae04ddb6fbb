"""Callback tasks and records, maintenance schedules and visits in the single table.

Nothing here scans: open callbacks are one partition whose items are deleted when done; visits are
partitioned by month and sorted by day, so "the next week" or "the next month" is a range Query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.adapters.dynamodb_tickets import DynamoTickets
from chalicelib.domain.aftercare import Callback, CallbackDone, CallbackTask, MaintenanceSchedule, Visit
from chalicelib.domain.notification import OutboxMessage


class DynamoAftercare:
    """Implements ``AftercareStore``. ``tickets`` writes outbox items exactly as ticket changes do."""

    def __init__(self, table_name: str, tickets: DynamoTickets):
        self._table = table_name
        self._tickets = tickets

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    # -- callbacks -------------------------------------------------------------------------------

    def add_callback(self, task: CallbackTask) -> bool:
        return self._try([
            {"Put": {"TableName": self._table,
                     "Item": to_item(pk=keys.callback_task_pk(task.id), sk="TASK", entity="callback_task"),
                     "ConditionExpression": "attribute_not_exists(pk)"}},
            {"Put": {"TableName": self._table, "Item": to_item(
                pk=keys.CALLBACKS_OPEN_PK, sk=keys.callback_sk(task.due_from.isoformat(), task.id),
                entity="callback", data=task.model_dump(mode="json"))}},
        ])

    def open_callbacks(self, due_until: date) -> list[CallbackTask]:
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk AND sk < :before",
            ExpressionAttributeValues=to_item(**{":pk": keys.CALLBACKS_OPEN_PK,
                                                 ":before": (due_until + timedelta(days=1)).isoformat()}),
        )
        return [CallbackTask.model_validate(item_data(item)) for page in pages for item in page["Items"]]

    def callback(self, task_id: str) -> CallbackTask | None:
        response = self._ddb.get_item(
            TableName=self._table, Key=self._open_key(task_id), ConsistentRead=True)
        item = response.get("Item")
        return CallbackTask.model_validate(item_data(item)) if item else None

    def close_callback(self, task: CallbackTask, record: Callback, at: datetime,
                       jobs: Sequence[OutboxMessage] = ()) -> bool:
        return self._try([
            {"Delete": {"TableName": self._table, "Key": self._open_key(task.id),
                        "ConditionExpression": "attribute_exists(pk)"}},
            {"Put": {"TableName": self._table, "Item": to_item(
                pk=keys.callback_done_pk(at), sk=keys.callback_done_sk(at, task.id), entity="callback_record",
                data={**CallbackDone.of(task, record, at).model_dump(mode="json"), "at": keys.iso(at)})}},
            *({"Put": {"TableName": self._table, "Item": self._tickets._outbox_item(m)}} for m in jobs),
        ])

    def callbacks_of_month(self, month: str) -> list[CallbackDone]:
        pages = self._ddb.get_paginator("query").paginate(
            TableName=self._table, KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item(**{":pk": f"CALLBACKS#DONE#{month}"}),
        )
        return [CallbackDone.model_validate(item_data(item)) for page in pages for item in page["Items"]]

    @staticmethod
    def _open_key(task_id: str) -> dict[str, Any]:
        # A task id starts with the day its window opens (``CallbackTask.id``).
        return to_item(pk=keys.CALLBACKS_OPEN_PK, sk=keys.callback_sk(task_id[:10], task_id))

    # -- maintenance -----------------------------------------------------------------------------

    def schedule(self, serial_number: str) -> MaintenanceSchedule | None:
        item = self._schedule_item(serial_number)
        return MaintenanceSchedule.model_validate(item_data(item)) if item else None

    def _schedule_item(self, serial_number: str) -> dict[str, Any] | None:
        response = self._ddb.get_item(TableName=self._table, ConsistentRead=True,
                                      Key=to_item(pk=keys.schedule_pk(serial_number), sk=keys.SCHEDULE_SK))
        return response.get("Item")

    def put_schedule(self, schedule: MaintenanceSchedule, visits: Sequence[date], keep_from: date) -> None:
        serial = schedule.serial_number
        old = self._written(serial)
        for day in sorted(d for d in old if d >= keep_from and d not in visits):
            try:  # a visit the customer was already reminded of stays
                self._ddb.delete_item(TableName=self._table, Key=self._visit_key(day, serial),
                                      ConditionExpression="attribute_not_exists(reminded_at)")
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        written = self._put_visits(serial, visits) | {d for d in old if d < keep_from}
        self._save_schedule(schedule, written)

    def add_visits(self, serial_number: str, visits: Sequence[date]) -> None:
        schedule = self.schedule(serial_number)
        written = self._put_visits(serial_number, visits) | self._written(serial_number)
        if schedule is not None:
            self._save_schedule(schedule, written)

    def _put_visits(self, serial: str, visits: Sequence[date]) -> set[date]:
        for day in visits:
            try:
                self._ddb.put_item(
                    TableName=self._table, ConditionExpression="attribute_not_exists(pk)",
                    Item={**self._visit_key(day, serial), **to_item(
                        entity="visit", serial_number=serial, day=day.isoformat())})
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
        return set(visits)

    def _written(self, serial: str) -> set[date]:
        item = self._schedule_item(serial)
        if not item or "visit_days" not in item:
            return set()
        return {date.fromisoformat(d["S"]) for d in item["visit_days"]["L"]}

    def _save_schedule(self, schedule: MaintenanceSchedule, written: set[date]) -> None:
        # Days written are kept on the schedule so a new schedule can remove the old one's visits
        # (visits are keyed by day, not by product); only the latest 200 are kept.
        recent = sorted(d.isoformat() for d in written)[-200:]
        self._ddb.put_item(TableName=self._table, Item=to_item(
            pk=keys.schedule_pk(schedule.serial_number), sk=keys.SCHEDULE_SK, entity="maintenance_schedule",
            visit_days=recent, data=schedule.model_dump(mode="json")))

    def visits(self, first: date, last: date) -> list[Visit]:
        found: list[Visit] = []
        for month in _months(first, last):
            pages = self._ddb.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND sk BETWEEN :first AND :last",
                ExpressionAttributeValues=to_item(**{":pk": keys.visits_pk(month), ":first": first.isoformat(),
                                                     ":last": f"{last.isoformat()}#\uffff"}),
                ConsistentRead=True,
            )
            found.extend(_visit(item) for page in pages for item in page["Items"])
        return found

    def claim_reminder(self, visit: Visit, at: datetime, messages: Sequence[OutboxMessage]) -> bool:
        # Timeline: mark the visit reminded (fails if a sweep already did, or the schedule dropped the
        # visit) + the reminder messages — all or nothing, so two sweeps never remind twice.
        return self._try([
            {"Update": {"TableName": self._table, "Key": self._visit_key(visit.on, visit.serial_number),
                        "UpdateExpression": "SET reminded_at = :at",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(reminded_at)",
                        "ExpressionAttributeValues": to_item(**{":at": keys.iso(at)})}},
            *({"Put": {"TableName": self._table, "Item": self._tickets._outbox_item(m)}} for m in messages),
        ])

    @staticmethod
    def _visit_key(day: date, serial: str) -> dict[str, Any]:
        return to_item(pk=keys.visits_pk(f"{day:%Y-%m}"), sk=keys.visit_sk(day.isoformat(), serial))

    def _try(self, items: list[dict[str, Any]]) -> bool:
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True


def _visit(item: dict[str, Any]) -> Visit:
    reminded = item.get("reminded_at", {}).get("S")
    return Visit(serial_number=item["serial_number"]["S"], on=date.fromisoformat(item["day"]["S"]),
                 reminded_at=keys.parse_iso(reminded) if reminded else None)


def _months(first: date, last: date) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
