"""Counters of how often an anonymous caller used something limited (``RateCounters``): one item per
caller, limit and window, in the single table, deleted by DynamoDB's TTL after its window."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from chalicelib.adapters import keys, schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import to_item
from chalicelib.domain.limits import Allowance, Limit, window


class DynamoRateCounters:
    def __init__(self, table_name: str):
        self._table = table_name

    def take(self, limit: Limit, subject: str, now: datetime) -> Allowance:
        start, end = window(now, limit.per)
        try:
            # One conditional update counts and checks at once, so racing callers never both get the
            # last use; the first use creates the item (``uses`` absent).
            client("dynamodb").update_item(
                TableName=self._table,
                Key=to_item(pk=keys.limit_pk(limit.scope, subject), sk=keys.limit_sk(start)),
                UpdateExpression="ADD #uses :one SET #expires = :expires, #entity = :entity",
                ConditionExpression="attribute_not_exists(#uses) OR #uses < :most",
                ExpressionAttributeNames={"#uses": "uses", "#expires": schema.TTL_ATTRIBUTE, "#entity": "entity"},
                ExpressionAttributeValues=to_item(
                    **{":one": 1, ":most": limit.most, ":expires": int(end.timestamp()), ":entity": "limit"}
                ),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return Allowance(allowed=False, window_ends=end)
        return Allowance(allowed=True, window_ends=end)
