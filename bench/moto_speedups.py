"""Makes moto's DynamoDB fast enough for a table of 100,000 tickets, without changing its answers.

moto (5.x) implements DynamoDB in Python with three costs that grow with the whole table:

* every ``Query`` first builds a list of *every* item and sorts it (``Table.all_items``), then keeps
  the ones whose partition key matches: a query on one ticket's partition costs O(n log n) over the
  table (~0.5 s at 40,000 items, and ~15 s at half a million);
* every ``TransactWriteItems`` deep-copies the whole table once per item in the transaction, to roll
  back on failure;
* every item written re-adds the sizes of all its attributes each time it adds one (to enforce the
  400 KB limit), so building an item is quadratic in its attributes: ~0.2–0.3 ms for a ticket;
* every response goes through moto's generic serializer, which walks the botocore output shape and,
  for each attribute value, tries each of its ten members (``S``, ``N``, ``M``, ...) by name: ~50 ms
  for a Query returning one ticket's seven events, most of a timeline read's cost.

Real DynamoDB does none of that: a key lookup reads its partition, a transaction touches its items.
``faster_moto()`` patches all three while it is active:

* a table (not index) query looks only at its own partition (``Table.items[hash_key]``), which is
  exactly the set moto would have kept after its full pass; the sort moto does afterwards decides
  the order, so skipping the first sort changes nothing. Index queries still pass over every item
  (there is no partition to look in), but unsorted: moto sorts the matches by the index keys and
  the table keys, a total order, after filtering.
* a transaction snapshots only the items it touches and restores those if it fails, instead of
  copying the table.
* an item is built attribute by attribute as before and its size checked once, at the end, against
  the same limit; sizes are not negative, so it fails exactly when moto's running check would.
* an attribute value made only of strings, numbers (strings), booleans, nulls, string/number sets,
  maps and lists of such — every attribute this app writes — is copied into the JSON response as it
  is, which is what the serializer produces for it; any other value (binary, or a shape the
  serializer would change) still goes through moto's serializer.

What moto returns — items, order, ``Count``, ``ScannedCount``, ``LastEvaluatedKey``, conditional
failures, rollbacks — is unchanged; ``tests/bench/test_sweep_bench.py`` runs the benchmark with and
without these patches and compares the figures.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any
from unittest import mock

import moto.dynamodb.models as ddb_models
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.core.serialize import BaseJSONSerializer

# The partition the current table query is about; None means "all items" (index queries, scans).
_partition: ContextVar[DynamoType | None] = ContextVar("partition", default=None)


def _all_items(self: Table) -> list[Item]:
    key = _partition.get()
    if key is not None:
        bucket = self.items.get(key)
        if bucket is None:
            return []
        return list(bucket.values()) if self.range_key_attr else [bucket]  # type: ignore[list-item]
    if self.range_key_attr:
        return [item for bucket in self.items.values() for item in bucket.values()]
    return list(self.items.values())  # type: ignore[arg-type]


# moto's limit (LimitedSizeDict): "between 409 and 410KB" measured on AWS, 405,000 to be safe.
ITEM_SIZE_LIMIT = 405_000


def _item_init(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    converted = LimitedSizeDict.__new__(LimitedSizeDict)
    for key, value in attrs.items():
        dict.__setitem__(converted, key, DynamoType(value))
    if sum(bytesize(key) + value.size() for key, value in converted.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = converted


def _wrap_query(original: Any) -> Any:
    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        # Positional order of Table.query: ..., projection_expressions (6th after hash_key), index_name.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        token = _partition.set(hash_key if index_name is None and hash_key is not None else None)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _partition.reset(token)

    return query


class _CopyButNotTables(SimpleNamespace):
    """Stands in for the ``copy`` module inside moto's backend: tables are not copied (see below)."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    copy = staticmethod(copy.copy)


def _touched(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Table, Any, Any]]:
    touched = []
    for entry in transact_items:
        _, op = next(iter(entry.items()))
        name = op.get("TableName")
        if name not in backend.tables:
            continue
        table = backend.tables[name]
        key = op.get("Key") or op.get("Item") or {}
        if table.hash_key_attr not in key:
            continue
        hash_key = DynamoType(key[table.hash_key_attr])
        if table.range_key_attr and table.range_key_attr not in key:
            continue  # moto rejects such an item itself; nothing of ours to restore
        range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
        touched.append((table, hash_key, range_key))
    return touched


def _wrap_transact(original: Any) -> Any:
    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        touched = _touched(self, transact_items)
        before = [copy.deepcopy(table.get_item(h, r)) for table, h, r in touched]
        try:
            with mock.patch.object(ddb_models, "copy", _CopyButNotTables()):
                original(self, transact_items)
        except Exception:
            # moto rolled back to its "copy", which is now the table itself: put the touched items back.
            for (table, hash_key, range_key), item in zip(touched, before, strict=True):
                if table.range_key_attr:
                    bucket = table.items[hash_key]
                    if item is None:
                        bucket.pop(range_key, None)
                        if not bucket:
                            del table.items[hash_key]
                    else:
                        bucket[range_key] = item
                elif item is None:
                    table.items.pop(hash_key, None)
                else:
                    table.items[hash_key] = item  # type: ignore[assignment]  # a table without a range key
            raise

    return transact_write_items


_STRINGS = frozenset({"S", "N"})
_STRING_SETS = frozenset({"SS", "NS"})
_FLAGS = frozenset({"BOOL", "NULL"})


def _plain(value: Any) -> bool:
    """An attribute value the serializer would copy unchanged: one type tag, JSON-ready leaves."""
    if type(value) is not dict or len(value) != 1:
        return False
    (tag, inner), = value.items()
    if tag in _STRINGS:
        return type(inner) is str
    if tag in _FLAGS:
        return type(inner) is bool
    if tag in _STRING_SETS:
        return type(inner) is list and bool(inner) and all(type(v) is str for v in inner)
    if tag == "M":
        return type(inner) is dict and all(type(k) is str and _plain(v) for k, v in inner.items())
    if tag == "L":
        return type(inner) is list and all(_plain(v) for v in inner)
    return False


def _wrap_structure(original: Any) -> Any:
    def serialize_structure(self: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and _plain(value):
            serialized[self.get_serialized_name(shape, key)] = value
            return
        original(self, serialized, value, shape, key)

    return serialize_structure


@contextmanager
def faster_moto() -> Iterator[None]:
    with (
        mock.patch.object(Item, "__init__", _item_init),
        mock.patch.object(Table, "all_items", _all_items),
        mock.patch.object(Table, "query", _wrap_query(Table.query)),
        mock.patch.object(DynamoDBBackend, "transact_write_items", _wrap_transact(DynamoDBBackend.transact_write_items)),
        mock.patch.object(BaseJSONSerializer, "_serialize_type_structure",
                          _wrap_structure(BaseJSONSerializer._serialize_type_structure)),
    ):
        yield
