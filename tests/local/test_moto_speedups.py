"""``local/moto_speedups.py`` changes no answer of moto: the same DynamoDB requests give the same
responses, byte for byte, with and without ``faster_moto()``.

The benchmarks' own with/without comparisons (``test_sweep_bench``, ``test_report_bench``) cover the
app's items; these cover every attribute type (binary included, which must go through moto's own
serializer), every read that returns items, index pages cut by the 1 MB limit, and a write between
two reads (the speed-ups keep what reads found until the next write)."""

import copy
from contextlib import nullcontext
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from chalicelib.adapters import keys, schema
from local import moto_speedups
from local.moto_speedups import faster_moto, method_names_from_class, moto_backends, moto_responses

TABLE = "t"
PLAIN: dict[str, Any] = {
    "s": {"S": "开关柜合闸后跳闸 ✓"},
    "empty": {"S": ""},
    "n": {"N": "-12.50"},
    "big": {"N": "123456789012345678901234567890"},
    "yes": {"BOOL": True},
    "no": {"BOOL": False},
    "nothing": {"NULL": True},
    "m": {"M": {
        "a": {"S": "x"}, "b": {"N": "1"}, "c": {"L": [{"S": "y"}, {"M": {}}, {"NULL": True}]}, "d": {"M": {}},
        "e": {"SS": ["p", "q"]}, "f": {"BOOL": False},
    }},
    "l": {"L": [{"N": "1"}, {"L": []}, {"SS": ["a", "b"]}, {"NS": ["3"]}, {"BOOL": True}, {"M": {"k": {"S": "v"}}}]},
    "ss": {"SS": ["b", "a", "中"]},
    "ns": {"NS": ["1", "2.5", "-3"]},
}
BINARY: dict[str, Any] = {
    **PLAIN,
    "b": {"B": b"\x00\xffbinary"},
    "bs": {"BS": [b"\x01", b"\x02\x03"]},
    "m": {"M": {"inner": {"B": b"\x10\x20"}, "s": {"S": "plain beside binary"}}},
    "l": {"L": [{"S": "plain"}, {"B": b"\x30"}, {"M": {"deep": {"L": [{"B": b"\x40"}]}}}]},
}


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _in_month(number: int) -> dict[str, Any]:
    return {"month_pk": {"S": "MONTH#2026-03"}, "month_sk": {"S": f"2026-03-{number % 28 + 1:02d}T00:00:00#{number:04d}"}}


class Recorder:
    """Every response's raw body (what moto serialized) and what botocore parsed from it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.parsed: list[dict[str, Any]] = []

    def __call__(self, http_response: Any, parsed: dict[str, Any], **kwargs: Any) -> None:
        self.bodies.append(http_response.content)
        self.parsed.append({k: v for k, v in parsed.items() if k != "ResponseMetadata"})


def _reads(ddb: Any) -> None:
    """Every read that returns items, and every write that returns them (ReturnValues)."""
    ddb.put_item(TableName=TABLE, Item={**_key("A", "1"), **PLAIN, **_in_month(1)})
    ddb.put_item(TableName=TABLE, Item={**_key("A", "2"), **BINARY, **_in_month(2)})
    ddb.put_item(TableName=TABLE, Item={**_key("A", "3"), **PLAIN, **_in_month(3)})
    ddb.query(TableName=TABLE, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "A"}})
    ddb.query(TableName=TABLE, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "A"}},
              ConsistentRead=True, ScanIndexForward=False)
    page = ddb.query(TableName=TABLE, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "A"}},
                     Limit=1)
    ddb.query(TableName=TABLE, KeyConditionExpression="pk = :a", ExpressionAttributeValues={":a": {"S": "A"}},
              Limit=2, ExclusiveStartKey=page["LastEvaluatedKey"])
    ddb.query(TableName=TABLE, KeyConditionExpression="pk = :a AND begins_with(sk, :p)",
              ExpressionAttributeValues={":a": {"S": "A"}, ":p": {"S": "2"}}, ProjectionExpression="m.inner, l[1], s")
    ddb.query(TableName=TABLE, IndexName=keys.GSI_MONTH, KeyConditionExpression="month_pk = :m",
              ExpressionAttributeValues={":m": {"S": "MONTH#2026-03"}})
    ddb.query(TableName=TABLE, IndexName=keys.GSI_MONTH, Limit=1,
              KeyConditionExpression="month_pk = :m AND month_sk BETWEEN :low AND :high",
              ExpressionAttributeValues={":m": {"S": "MONTH#2026-03"}, ":low": {"S": "2026-03-02"},
                                         ":high": {"S": "2026-03-05"}})
    for sk in ("1", "2", "missing"):
        ddb.get_item(TableName=TABLE, Key=_key("A", sk), ConsistentRead=True)
    ddb.batch_get_item(RequestItems={TABLE: {"Keys": [_key("A", "1"), _key("A", "2"), _key("A", "missing")]}})
    ddb.transact_get_items(TransactItems=[{"Get": {"TableName": TABLE, "Key": _key("A", sk)}} for sk in ("1", "2")])
    ddb.scan(TableName=TABLE)
    # The report's build record: ADD to a number set, the record back (finish_report_part).
    ddb.put_item(TableName=TABLE, Item={**_key("REPORT#2026-03", "BUILD#1"), "data": PLAIN["m"]})
    for part, returned in ((3, "ALL_NEW"), (1, "ALL_NEW"), (3, "UPDATED_NEW")):
        ddb.update_item(TableName=TABLE, Key=_key("REPORT#2026-03", "BUILD#1"), UpdateExpression="ADD done :part",
                        ExpressionAttributeValues={":part": {"NS": [str(part)]}}, ReturnValues=returned)
    for returned in ("ALL_NEW", "ALL_OLD", "UPDATED_OLD", "UPDATED_NEW"):
        ddb.update_item(TableName=TABLE, Key=_key("A", "2"), UpdateExpression="SET m.extra = :v, b = :b",
                        ExpressionAttributeValues={":v": {"L": [{"S": returned}]}, ":b": {"B": returned.encode()}},
                        ReturnValues=returned)
    ddb.put_item(TableName=TABLE, Item={**_key("A", "1"), "s": {"S": "replaced"}}, ReturnValues="ALL_OLD")
    with pytest.raises(ClientError, match="ConditionalCheckFailed"):
        ddb.put_item(TableName=TABLE, Item=_key("A", "2"), ConditionExpression="attribute_not_exists(pk)",
                     ReturnValuesOnConditionCheckFailure="ALL_OLD")
    ddb.delete_item(TableName=TABLE, Key=_key("A", "2"), ReturnValues="ALL_OLD")


def _index_pages(ddb: Any) -> None:
    """A month partition of ~2.4 MB: the index query is cut into pages by moto's 1 MB limit; then an
    item grows in place (UpdateItem), which moves the pages' edges, and is queried again."""
    filler = "x" * 30_000
    for n in range(80):
        ddb.put_item(TableName=TABLE, Item={**_key(f"TICKET#{n:04d}", "TICKET"), **_in_month(n), "data": {"S": filler}})
        ddb.put_item(TableName=TABLE, Item={**_key(f"TICKET#{n:04d}", "EVENT#1"), "data": {"S": filler}})

    def every_page(low: str, high: str) -> None:
        pages = ddb.get_paginator("query").paginate(
            TableName=TABLE, IndexName=keys.GSI_MONTH,
            KeyConditionExpression="month_pk = :m AND month_sk BETWEEN :low AND :high",
            ExpressionAttributeValues={":m": {"S": "MONTH#2026-03"}, ":low": {"S": low}, ":high": {"S": high}},
        )
        for _ in pages:
            pass

    every_page("2026-03-01", "2026-03-29")
    every_page("2026-03-05", "2026-03-20")
    ddb.update_item(TableName=TABLE, Key=_key("TICKET#0006", "TICKET"), UpdateExpression="SET #d = :big",
                    ExpressionAttributeNames={"#d": "data"}, ExpressionAttributeValues={":big": {"S": "y" * 350_000}})
    every_page("2026-03-01", "2026-03-29")
    ddb.delete_item(TableName=TABLE, Key=_key("TICKET#0007", "TICKET"))
    every_page("2026-03-05", "2026-03-20")
    ddb.query(TableName=TABLE, KeyConditionExpression="pk = :t", ExpressionAttributeValues={":t": {"S": "TICKET#0006"}})


def _transactions(ddb: Any) -> None:
    """Transactions that succeed, and ones that fail after their first items were applied: moto
    rolls those back, which the speed-ups do from copies of the touched items only."""
    ddb.put_item(TableName=TABLE, Item={**_key("T", "kept"), **PLAIN})
    ddb.put_item(TableName=TABLE, Item={**_key("T", "other"), "n": {"N": "1"}})
    ddb.transact_write_items(TransactItems=[
        {"Put": {"TableName": TABLE, "Item": {**_key("T", "new"), **BINARY}}},
        {"Update": {"TableName": TABLE, "Key": _key("T", "kept"), "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"N": "1"}}}},
    ])
    failing = [
        {"Put": {"TableName": TABLE, "Item": {**_key("T", "never"), "s": {"S": "x"}}}},
        {"Update": {"TableName": TABLE, "Key": _key("T", "kept"), "UpdateExpression": "SET v = :v, m.a = :v",
                    "ExpressionAttributeValues": {":v": {"N": "2"}}}},
        {"Delete": {"TableName": TABLE, "Key": _key("T", "new")}},
        {"Put": {"TableName": TABLE, "Item": {**_key("U", "alone")}}},
        {"ConditionCheck": {"TableName": TABLE, "Key": _key("T", "other"), "ConditionExpression": "n = :two",
                            "ExpressionAttributeValues": {":two": {"N": "2"}}}},
    ]
    for _ in range(2):
        with pytest.raises(ClientError, match="TransactionCanceled"):
            ddb.transact_write_items(TransactItems=failing, ReturnConsumedCapacity="TOTAL")
        ddb.scan(TableName=TABLE, ConsistentRead=True)
        for sk in ("kept", "new", "never", "other"):
            ddb.get_item(TableName=TABLE, Key=_key("T", sk))
        ddb.get_item(TableName=TABLE, Key=_key("U", "alone"))
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": TABLE, "Key": _key("T", "new")}}])
    ddb.scan(TableName=TABLE)


def _responses(scenario: Any, speedups: bool) -> Recorder:
    recorder = Recorder()
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(**schema.create_table_kwargs(TABLE))
        ddb.meta.events.register("after-call.dynamodb.*", recorder)
        with faster_moto() if speedups else nullcontext():
            scenario(ddb)
    return recorder


@pytest.mark.parametrize("scenario", [_reads, _index_pages, _transactions])
def test_moto_answers_the_same_with_and_without_the_speedups(scenario):
    plain, fast = _responses(scenario, speedups=False), _responses(scenario, speedups=True)

    assert len(plain.bodies) == len(fast.bodies) > 10
    assert fast.bodies == plain.bodies
    assert fast.parsed == plain.parsed


def test_plain_values_skip_moto_serializer_and_binary_ones_do_not(monkeypatch):
    seen: list[tuple[str, bool]] = []
    plain = moto_speedups._plain

    def watching(value: Any) -> bool:
        answer = plain(value)
        seen.append((next(iter(value)) if isinstance(value, dict) and value else "?", answer))
        return answer

    monkeypatch.setattr(moto_speedups, "_plain", watching)
    _responses(_reads, speedups=True)

    copied = {tag for tag, answer in seen if answer}
    assert {"S", "N", "BOOL", "NULL", "M", "L", "SS", "NS"} <= copied
    assert ("B", False) in seen and ("BS", False) in seen
    # A map or list holding a binary value goes to moto's serializer whole.
    assert ("M", False) in seen and ("L", False) in seen


# Taken before any test patches it.
MOTO_SIZE = DynamoType.size
MOTO_ITEM_SIZE = Item.size


@pytest.mark.parametrize("value", [*PLAIN.values(), *BINARY.values()], ids=[*PLAIN, *(f"binary {k}" for k in BINARY)])
def test_an_attribute_value_has_the_size_moto_gives_it(value):
    assert moto_speedups._size(DynamoType(value)) == MOTO_SIZE(DynamoType(value))


def test_an_item_has_the_size_moto_gives_it():
    item = Item(DynamoType({"S": "A"}), DynamoType({"S": "1"}), {**_key("A", "1"), **BINARY})
    with faster_moto():
        assert item.size() == MOTO_ITEM_SIZE(item)
        assert item.size() == MOTO_ITEM_SIZE(item), "the second time from what the first found"


def test_the_speedups_are_for_the_installed_moto():
    """Each patch replaces a function of one moto version. If this fails, moto was upgraded or a
    patched function changed: compare the new source with the patch, run the comparisons above,
    then update ``PINNED_MOTO`` and ``PATCHED_SOURCES``."""
    assert moto_speedups.moto_mismatches() == []


def test_a_changed_version_or_source_is_noticed(monkeypatch):
    monkeypatch.setattr(moto_speedups, "PINNED_MOTO", "0.0.0")
    monkeypatch.setitem(moto_speedups.PATCHED_SOURCES, "Table.query", (lambda: Table.query, "0" * 16))
    found = moto_speedups.moto_mismatches()
    assert len(found) == 2
    assert "moto 0.0.0" not in found[0] and "0.0.0" in found[0]
    assert found[1].startswith("Table.query changed")


def test_a_transaction_copies_only_the_items_it_touches():
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(**schema.create_table_kwargs(TABLE))
        for n in range(50):
            ddb.put_item(TableName=TABLE, Item=_key(f"X{n}", "1"))
        with faster_moto(), mock.patch.object(moto_speedups.copy, "deepcopy", wraps=copy.deepcopy) as copies:
            ddb.transact_write_items(TransactItems=[
                {"Put": {"TableName": TABLE, "Item": _key("X1", "2")}},
                {"Update": {"TableName": TABLE, "Key": _key("X2", "1"), "UpdateExpression": "SET v = :v",
                            "ExpressionAttributeValues": {":v": {"N": "1"}}}},
            ])
        copied = [call.args[0] for call in copies.call_args_list]
        assert not any(isinstance(value, Table) for value in copied)
        assert sum(isinstance(value, Item) for value in copied) <= 2


def test_untracked_models_are_not_kept():
    with mock_aws():
        ddb = boto3.client("dynamodb", region_name="us-east-1")
        ddb.create_table(**schema.create_table_kwargs(TABLE))
        before = len(Item.instances_tracked)  # type: ignore[attr-defined]
        with moto_speedups.untracked_dynamodb_models():
            for n in range(20):
                ddb.put_item(TableName=TABLE, Item=_key(f"X{n}", "1"))
        assert len(Item.instances_tracked) == before  # type: ignore[attr-defined]
        assert ddb.scan(TableName=TABLE)["Count"] == 20


def test_what_moto_looks_up_for_every_request_is_looked_up_once_and_the_same():
    modules = list(moto_backends.list_of_moto_modules())
    with faster_moto():
        assert list(moto_backends.list_of_moto_modules()) == modules
        assert "dynamodb" in moto_backends.list_of_moto_modules()
        for handler in (DynamoHandler, moto_responses.BaseResponse):
            assert moto_responses.method_names_from_class(handler) == method_names_from_class(handler)
        with mock.patch.object(moto_backends.os, "listdir", side_effect=AssertionError("listed again")):
            assert list(moto_backends.list_of_moto_modules()) == modules
