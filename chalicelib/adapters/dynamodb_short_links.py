"""SMS short links (``ShortLinkStore``) in the single table: one item per id, put only if the id is
free, removed by DynamoDB's TTL some time after the link expires (readers check the expiry themselves)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib.adapters import keys, schema
from chalicelib.adapters.aws import client
from chalicelib.adapters.dynamodb_items import item_data, to_item
from chalicelib.domain.short_links import ShortLink


class DynamoShortLinks:
    def __init__(self, table_name: str):
        self._table = table_name

    def add(self, link: ShortLink) -> bool:
        try:
            client("dynamodb").put_item(
                TableName=self._table,
                Item=short_link_item(link),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True

    def get(self, short_id: str) -> ShortLink | None:
        item = (
            client("dynamodb")
            .get_item(
                TableName=self._table,
                Key=to_item(pk=keys.short_link_pk(short_id), sk=keys.SHORT_LINK_SK),
            )
            .get("Item")
        )
        return ShortLink.model_validate({**item_data(item), "id": short_id}) if item else None


def short_link_item(link: ShortLink) -> dict[str, Any]:
    """The link's item (also put in a new ticket's own transaction, with the same condition)."""
    return to_item(
        pk=keys.short_link_pk(link.id),
        sk=keys.SHORT_LINK_SK,
        entity="short_link",
        data=link.model_dump(mode="json", exclude={"id"}),
        **{schema.TTL_ATTRIBUTE: int(link.expires_at.timestamp())},
    )
