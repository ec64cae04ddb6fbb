"""Counters of how often an anonymous caller used something limited (``RateCounters``): one item per
caller, limit and window, in the single table, deleted by DynamoDB's TTL after its window."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys, schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import to_item
from chalicelib.domain.limits import Allowance, Limit, window


class DynamoRateCounters:
    def __init__(self, table_name: str):
        self._table = table_name

    def take(self, limit: Limit, subject: str, now: datetime) -> Allowance:
        update = self._use(limit, subject, now)
        try:
            client("dynamodb").update_item(**update)
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return Allowance(allowed=False, window_ends=window(now, limit.per)[1])
        return Allowance(allowed=True, window_ends=window(now, limit.per)[1])

    def take_all(self, uses: Sequence[tuple[Limit, str]], now: datetime) -> list[Allowance]:
        """One transaction of the uses' conditional updates; when it is cancelled, its reasons say which
        condition failed (the others were not counted either)."""
        ends = [window(now, limit.per)[1] for limit, _ in uses]
        try:
            client("dynamodb").transact_write_items(
                TransactItems=[{"Update": self._use(limit, subject, now)} for limit, subject in uses]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or [{"Code": "ConditionalCheckFailed"}] * len(uses)
            return answers_of(uses, reasons, now)
        return [Allowance(allowed=True, window_ends=end) for end in ends]

    def _use(self, limit: Limit, subject: str, now: datetime) -> dict[str, Any]:
        return limit_use(self._table, limit, subject, now)


def limit_use(table: str, limit: Limit, subject: str, now: datetime) -> dict[str, Any]:
    """One conditional update that counts and checks at once, so racing callers never both get the last
    use; the first use creates the item (``uses`` absent). Also part of a new ticket's own transaction."""
    start, end = window(now, limit.per)
    return {
        "TableName": table,
        "Key": to_item(pk=keys.limit_pk(limit.scope, subject), sk=keys.limit_sk(start)),
        "UpdateExpression": "ADD #uses :one SET #expires = :expires, #entity = :entity",
        "ConditionExpression": "attribute_not_exists(#uses) OR #uses < :most",
        "ExpressionAttributeNames": {"#uses": "uses", "#expires": schema.TTL_ATTRIBUTE, "#entity": "entity"},
        "ExpressionAttributeValues": to_item(
            **{":one": 1, ":most": limit.most, ":expires": int(end.timestamp()), ":entity": "limit"}
        ),
    }


def answers_of(uses: Sequence[tuple[Limit, str]], reasons: Sequence[dict[str, Any]], now: datetime) -> list[Allowance]:
    """What a cancelled transaction says of the uses it counted last (its last ``len(uses)`` reasons): a
    failed condition is a use with no room left."""
    counted = list(reasons[len(reasons) - len(uses) :]) if len(reasons) >= len(uses) else [{}] * len(uses)
    return [Allowance(allowed=reason.get("Code") != "ConditionalCheckFailed", window_ends=window(now, limit.per)[1])
            for reason, (limit, _) in zip(counted, uses, strict=True)]
