"""The table's definition, shared by the local bootstrap and the CDK stack so they cannot drift."""

from __future__ import annotations

from typing import Any

from chalicelib.adapters import keys

KEY_ATTRIBUTES: list[tuple[str, str]] = [
    ("pk", "S"),
    ("sk", "S"),
    ("status_pk", "S"),
    ("status_sk", "S"),
    ("customer_pk", "S"),
    ("customer_sk", "S"),
    ("month_pk", "S"),
    ("month_sk", "S"),
    ("assignee_pk", "S"),
    ("assignee_sk", "S"),
    ("due_pk", "S"),
    ("due_at", "S"),
    ("search_pk", "S"),
    ("search_sk", "S"),
    ("queue_pk", "S"),
    ("queue_sk", "S"),
]

# index name -> (partition attribute, sort attribute)
GLOBAL_INDEXES: dict[str, tuple[str, str]] = {
    keys.GSI_STATUS: ("status_pk", "status_sk"),
    keys.GSI_CUSTOMER: ("customer_pk", "customer_sk"),
    keys.GSI_MONTH: ("month_pk", "month_sk"),
    keys.GSI_ASSIGNEE: ("assignee_pk", "assignee_sk"),
    keys.GSI_DUE: ("due_pk", "due_at"),
    keys.GSI_SEARCH: ("search_pk", "search_sk"),
    keys.GSI_QUEUE: ("queue_pk", "queue_sk"),
}

TTL_ATTRIBUTE = "expires_at"


def create_table_kwargs(table_name: str) -> dict[str, Any]:
    """Arguments for ``CreateTable``: on-demand billing, every index projects all attributes."""
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in KEY_ATTRIBUTES],
        "KeySchema": [
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [
                    {"AttributeName": pk, "KeyType": "HASH"},
                    {"AttributeName": sk, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, (pk, sk) in GLOBAL_INDEXES.items()
        ],
    }
