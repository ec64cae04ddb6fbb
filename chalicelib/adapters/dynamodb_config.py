"""Operator-editable configuration in the table: service plans, who holds each escalation level, and
each year's holidays and make-up working days.

Both are small and read once per sweep or request; a change takes effect without a deploy.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.domain.escalation import Roster
from chalicelib.domain.holidays import YearSchedule
from chalicelib.domain.plans import ServicePlan


class DynamoConfig:
    def __init__(self, table_name: str):
        self._table = table_name

    def plans(self) -> list[ServicePlan]:
        return [ServicePlan.model_validate(d) for d in self._all(keys.CONFIG_PLAN_PK)]

    def rosters(self) -> list[Roster]:
        return [Roster.model_validate(d) for d in self._all(keys.CONFIG_ROSTER_PK)]

    def calendars(self) -> list[YearSchedule]:
        return [YearSchedule.model_validate(d) for d in self._all(keys.CONFIG_CALENDAR_PK)]

    def put_calendar(self, schedule: YearSchedule) -> None:
        sk = keys.calendar_sk(schedule.region, schedule.year)
        self._put(keys.CONFIG_CALENDAR_PK, sk, schedule.model_dump(mode="json"))

    def put_plan(self, plan: ServicePlan) -> None:
        self._put(keys.CONFIG_PLAN_PK, plan.name, plan.model_dump(mode="json"))

    def put_roster(self, roster: Roster) -> None:
        self._put(keys.CONFIG_ROSTER_PK, roster.scope, roster.model_dump(mode="json"))

    def replace_roster(self, roster: Roster) -> bool:
        edited = roster.model_copy(update={"version": roster.version + 1})
        # Written over the version the edit was made on; none stored, or one stored before versions, is 0.
        condition = "#d.#v = :v"
        if not roster.version:
            condition = f"attribute_not_exists(pk) OR attribute_not_exists(#d.#v) OR {condition}"
        try:
            self._put(
                keys.CONFIG_ROSTER_PK, roster.scope, edited.model_dump(mode="json"), ConditionExpression=condition,
                ExpressionAttributeNames={"#d": "data", "#v": "version"},
                ExpressionAttributeValues=to_item(**{":v": roster.version}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def _put(self, pk: str, sk: str, data: dict[str, Any], **condition: Any) -> None:
        client("dynamodb").put_item(
            TableName=self._table, Item=to_item(pk=pk, sk=sk, entity="config", data=data), **condition
        )

    def _all(self, pk: str) -> list[Any]:
        pages = client("dynamodb").get_paginator("query").paginate(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item(**{":pk": pk}),
        )
        return [item_data(item) for page in pages for item in page["Items"]]
