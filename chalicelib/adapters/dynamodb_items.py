"""Turning plain values into DynamoDB attribute maps and back (numbers as Decimal, no floats)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _to_attr(value: Any) -> dict[str, Any]:
    # DynamoDB has no floats: numbers travel as Decimal.
    return _serializer.serialize(json.loads(json.dumps(value), parse_float=Decimal))


def to_item(**attrs: Any) -> dict[str, Any]:
    return {k: _to_attr(v) for k, v in attrs.items() if v is not None}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def item_data(item: dict[str, Any]) -> Any:
    return _plain(_deserializer.deserialize(item["data"]))
