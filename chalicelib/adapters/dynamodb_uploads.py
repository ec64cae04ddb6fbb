"""Which submission each uploaded file is attached to (``UploadClaims``): one item per object key, put
with a condition, so a key handed out for one form cannot be attached to a second ticket."""

from __future__ import annotations

from collections.abc import Sequence

from botocore.exceptions import ClientError

from chalicelib.adapters import keys
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import to_item


class DynamoUploadClaims:
    def __init__(self, table_name: str):
        self._table = table_name

    def claim(self, object_keys: Sequence[str], owner: str) -> list[str]:
        unique = list(dict.fromkeys(object_keys))
        if not unique:
            return []
        # All or none in one transaction: a report is never left holding half of its photos. The same
        # owner may claim again while no ticket holds them (a retry of a submission that stored nothing).
        puts = [
            {"Put": {
                "TableName": self._table,
                "Item": to_item(pk=keys.upload_claim_pk(key), sk=keys.UPLOAD_CLAIM_SK, entity="upload_claim",
                                owner=owner),
                "ConditionExpression": "attribute_not_exists(pk) OR (#owner = :owner AND attribute_not_exists(#ticket))",
                "ExpressionAttributeNames": {"#owner": "owner", "#ticket": "ticket"},
                "ExpressionAttributeValues": to_item(**{":owner": owner}),
            }}
            for key in unique
        ]
        try:
            client("dynamodb").transact_write_items(TransactItems=puts)
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = error.response.get("CancellationReasons") or []
            taken = [key for key, reason in zip(unique, reasons, strict=False)
                     if reason.get("Code") == "ConditionalCheckFailed"]
            return taken or unique
        return []

    def attach(self, object_keys: Sequence[str], owner: str, number: str) -> None:
        for key in dict.fromkeys(object_keys):
            try:
                client("dynamodb").update_item(
                    TableName=self._table,
                    Key=to_item(pk=keys.upload_claim_pk(key), sk=keys.UPLOAD_CLAIM_SK),
                    UpdateExpression="SET #ticket = :number",
                    ConditionExpression="#owner = :owner",
                    ExpressionAttributeNames={"#owner": "owner", "#ticket": "ticket"},
                    ExpressionAttributeValues=to_item(**{":owner": owner, ":number": number}),
                )
            except ClientError as error:
                if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
