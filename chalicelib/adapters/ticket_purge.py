"""Deletes a ticket and everything stored under it: for the smoke test's own ticket only.

A customer's ticket is never deleted (it is cancelled, and its history stays). The smoke test's ticket
is no customer's: left behind it would count in the month's report and the supervisor's queue.
"""

from __future__ import annotations

import time

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client


def purge_ticket(table: str, number: str, tracking_token: str) -> int:
    """Deletes the ticket, its timeline, outbox messages, ladder steps and assignments (all under its
    partition) and its tracking link. Returns how many items were deleted."""
    ddb = client("dynamodb")
    item_keys = [{"pk": {"S": keys.tracking_pk(tracking_token)}, "sk": {"S": keys.TRACK_SK}}]
    pages = ddb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.ticket_pk(number)}},
        ProjectionExpression="pk, sk",
        ConsistentRead=True,
    )
    item_keys += [item for page in pages for item in page["Items"]]
    for start in range(0, len(item_keys), 25):  # BatchWriteItem takes at most 25 requests
        requests = [{"DeleteRequest": {"Key": key}} for key in item_keys[start : start + 25]]
        pending = {table: requests}
        while pending:
            pending = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
            if pending:
                time.sleep(0.2)  # throttled: DynamoDB hands back what it did not delete
    return len(item_keys)


def delete_files(bucket: str, file_keys: list[str]) -> None:
    s3 = client("s3")
    for key in file_keys:
        s3.delete_object(Bucket=bucket, Key=key)
