"""Webhook subscriptions and their delivery logs in the single table.

The subscriptions are one small partition, read whole (and cached by the service). Each delivery
attempt is one item under its subscription, newest first by its sort key, deleted by TTL after
``LOG_DAYS``.
"""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError

from chalicelib.adapters import keys, schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.domain.webhooks import DeliveryAttempt, Subscription

LOG_DAYS = 30


class DynamoWebhooks:
    def __init__(self, table_name: str):
        self._table = table_name

    def put(self, subscription: Subscription) -> None:
        client("dynamodb").put_item(
            TableName=self._table,
            Item=to_item(
                pk=keys.WEBHOOKS_PK, sk=subscription.id, entity="webhook", data=subscription.model_dump(mode="json")
            ),
        )

    def get(self, subscription_id: str) -> Subscription | None:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self._table,
                Key=to_item(pk=keys.WEBHOOKS_PK, sk=subscription_id),
                ConsistentRead=True,
            )
            .get("Item")
        )
        return Subscription.model_validate(item_data(item)) if item else None

    def subscriptions(self) -> list[Subscription]:
        pages = (
            client("dynamodb")
            .get_paginator("query")
            .paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=to_item(**{":pk": keys.WEBHOOKS_PK}),
            )
        )
        found = [Subscription.model_validate(item_data(i)) for page in pages for i in page["Items"]]
        return sorted(found, key=lambda s: (s.created_at, s.id))

    def delete(self, subscription_id: str) -> bool:
        try:
            client("dynamodb").delete_item(
                TableName=self._table,
                Key=to_item(pk=keys.WEBHOOKS_PK, sk=subscription_id),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def record_attempt(self, attempt: DeliveryAttempt) -> None:
        expires = int((attempt.at + timedelta(days=LOG_DAYS)).timestamp())
        item = to_item(
            pk=keys.webhook_log_pk(attempt.subscription_id),
            sk=keys.webhook_log_sk(attempt.at, attempt.delivery_id, attempt.attempt),
            entity="webhook_attempt",
            data=attempt.model_dump(mode="json"),
            **{schema.TTL_ATTRIBUTE: expires},
        )
        client("dynamodb").put_item(TableName=self._table, Item=item)

    def attempts(self, subscription_id: str, limit: int) -> list[DeliveryAttempt]:
        answer = client("dynamodb").query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=to_item(**{":pk": keys.webhook_log_pk(subscription_id)}),
            ScanIndexForward=False,
            Limit=limit,
        )
        return [DeliveryAttempt.model_validate(item_data(i)) for i in answer["Items"]]
