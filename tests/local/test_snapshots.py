"""The stand-in's snapshot (``local/snapshots.py``) gives moto back its DynamoDB table as it was: every
attribute type reads the same, and updates after loading answer as they would have without the
snapshot, although equal scalar values are saved once and shared between items when loaded."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import boto3
import moto
from moto import mock_aws
from moto.backends import get_backend

from chalicelib.adapters import schema
from local import snapshots
from local.aws_store import TRANSIENT_SERVICES
from local.moto_speedups import faster_moto
from tests.local.test_moto_speedups import BINARY, _key

TABLE = "t"
UPDATES: list[dict[str, Any]] = [
    {"UpdateExpression": "SET m.a = :s, s = :s", "ExpressionAttributeValues": {":s": {"S": "changed"}}},
    {
        "UpdateExpression": "ADD n :one, ss :more",
        "ExpressionAttributeValues": {":one": {"N": "1"}, ":more": {"SS": ["z"]}},
    },
    {"UpdateExpression": "SET l = list_append(l, :l)", "ExpressionAttributeValues": {":l": {"L": [{"S": "new"}]}}},
    {"UpdateExpression": "REMOVE yes, m.b"},
]


def _client() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1")


def _write(ddb: Any) -> None:
    ddb.create_table(**schema.create_table_kwargs(TABLE))
    for name in ("a", "b", "c"):  # the same values under three keys
        ddb.put_item(TableName=TABLE, Item={**_key("TICKET#1", name), **BINARY})


def _update_and_read(ddb: Any) -> list[Any]:
    answers: list[Any] = []
    for update in UPDATES:
        answers.append(ddb.update_item(TableName=TABLE, Key=_key("TICKET#1", "a"), ReturnValues="ALL_NEW", **update))
    ddb.transact_write_items(
        TransactItems=[{"Update": {"TableName": TABLE, "Key": _key("TICKET#1", "c"), **UPDATES[0]}}]
    )
    answers.append(ddb.scan(TableName=TABLE)["Items"])
    answers.append(
        ddb.query(
            TableName=TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "TICKET#1"}}
        )["Items"]
    )
    return [_without_metadata(answer) for answer in answers]


def _without_metadata(answer: Any) -> Any:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"} if isinstance(answer, dict) else answer


def _answers(tmp_path: Path | None) -> list[Any]:
    with faster_moto(), mock_aws():
        _write(_client())
        if tmp_path is None:
            return _update_and_read(_client())
        path = snapshots.snapshot_path(tmp_path, 1)
        snapshots.register_reducers()
        snapshots.write_snapshot(path, snapshots.collect(TRANSIENT_SERVICES), moto.__version__)
    with faster_moto(), mock_aws():  # a new moto, empty, as at the stand-in's start
        snapshots.restore(snapshots.read_snapshot(path, moto.__version__))
        return _update_and_read(_client())


def test_updates_after_loading_answer_as_without_the_snapshot(tmp_path):
    assert _answers(tmp_path) == _answers(None)


def _items() -> dict[str, Any]:
    table = get_backend("dynamodb")["123456789012"]["us-east-1"].tables[TABLE]
    return {item.range_key.value: item for bucket in table.items.values() for item in bucket.values()}


def test_equal_scalars_are_loaded_once_and_containers_each_their_own(tmp_path):
    path = snapshots.snapshot_path(tmp_path, 1)
    with mock_aws():
        _write(_client())
        snapshots.write_snapshot(path, snapshots.collect(TRANSIENT_SERVICES), moto.__version__)
    with mock_aws():
        snapshots.restore(snapshots.read_snapshot(path, moto.__version__))
        a, b = _items()["a"], _items()["b"]
        assert a.attrs["s"] is b.attrs["s"] and a.attrs["m"].value["s"] is b.attrs["m"].value["s"]
        assert a.hash_key is b.hash_key is a.attrs["pk"]
        for name in ("m", "l", "ss", "bs"):
            assert a.attrs[name] is not b.attrs[name]
            assert a.attrs[name] == b.attrs[name]


def test_a_snapshot_written_before_items_were_saved_compactly_still_loads(tmp_path):
    path = snapshots.snapshot_path(tmp_path, 1)
    with mock_aws():
        _write(_client())
        before = _client().scan(TableName=TABLE)["Items"]
        with open(path, "wb") as file:
            file.write(b"service-desk local AWS state 1\n" + moto.__version__.encode() + b"\n")
            pickle.dump(snapshots.collect(TRANSIENT_SERVICES), file, protocol=pickle.HIGHEST_PROTOCOL)
    with mock_aws():
        snapshots.restore(snapshots.read_snapshot(path, moto.__version__))
        assert _client().scan(TableName=TABLE)["Items"] == before
