"""Makes moto's DynamoDB fast enough for a table of 100,000 tickets, without changing its answers.

Used by the local AWS stand-in (``local/aws_store.py``, for the life of the process) and by the
benchmarks in ``bench/`` (while ``faster_moto()`` is active). The patches are written against one
moto version (``PINNED_MOTO``) and the source of each function they replace (``PATCHED_SOURCES``):
``moto_mismatches()`` names whatever differs, the stand-in then runs plain moto (slow, but right),
and ``tests/local/test_moto_speedups.py`` fails until the patches are checked against the new code.

moto (5.x) implements DynamoDB in Python with costs that grow with the whole table, or with every
attribute of every item it touches:

* every ``Query`` first builds a list of *every* item and sorts it (``Table.all_items``), then keeps
  the ones whose partition key matches: a query on one ticket's partition costs O(n log n) over the
  table (~0.5 s at 40,000 items, and ~15 s at half a million);
* an index ``Query`` then sorts every item of the index partition by the index keys, and goes
  through all of them — the ones before and after the key range too — computing each one's size
  for the 1 MB page limit: a page of one day of a month of 100,000 tickets costs a pass over the
  whole month, and a page more for every 1 MB the day holds;
* an item's size (``DynamoType.size``) wraps every nested value in a new ``DynamoType`` again at
  each level, so a ticket (its ``data`` map) costs ~0.08 ms each time, and moto asks twice per item
  a query returns and once per item it passes over;
* every ``TransactWriteItems`` deep-copies the whole table once per item in the transaction, to roll
  back on failure: a form post (one transaction of ~15 items) costs 15 copies of the table, and
  since moto's ``BaseModel`` keeps every instance it ever makes, every copied item stays in memory;
* every item written re-adds the sizes of all its attributes each time it adds one (to enforce the
  400 KB limit), so building an item is quadratic in its attributes: ~0.2–0.3 ms for a ticket;
* every response goes through moto's generic serializer, which walks the botocore output shape and,
  for each attribute value, tries each of its ten members (``S``, ``N``, ``M``, ...) by name: ~50 ms
  for a Query returning one ticket's seven events, most of a timeline read's cost.

Real DynamoDB does none of that: a key lookup reads its partition, an index query reads its key
range, a transaction touches its items. ``faster_moto()`` patches them while it is active:

* a table (not index) query looks only at its own partition (``Table.items[hash_key]``), which is
  exactly the set moto would have kept after its full pass; the sort moto does afterwards decides
  the order, so skipping the first sort changes nothing.
* an index query is handed only the items of its index partition (those whose index key attributes
  equal the query's, compared as moto compares them), already in moto's order when the keys are
  strings; moto then filters and sorts them as before (one comparison per item on sorted input).
  The order is moto's own sort by the index keys and the table keys, a total order, so what it was
  handed in changes nothing.
* an attribute value's size is computed by the same rules without the re-wrapping, and an item's
  size and an index partition are kept from one read to the next until the next write: every
  request other than a read (``UpdateItem``, a transaction, a put...) and every direct put or delete
  on a table forgets them, as only a write changes a stored item (some in place).
* ``DynamoType.cast_value`` (what moto compares and sorts by, many times per item an index query
  passes over) returns a string, binary or boolean value as it is, as moto does after five type
  checks; other types go to moto's.
* a transaction snapshots only the items it touches and restores those if it fails, instead of
  copying the table.
* an item is built attribute by attribute as before and its size checked once, at the end, against
  the same limit; sizes are not negative, so it fails exactly when moto's running check would.
* an attribute value made only of strings, numbers (strings), booleans, nulls, string/number sets,
  maps and lists of such — every attribute this app writes — is copied into the JSON response as it
  is, which is what the serializer produces for it; any other value (binary, or a shape the
  serializer would change) still goes through moto's serializer.

Two costs of moto's server come with every request, whatever the table holds: to route it, moto
lists its own package directory (``list_of_moto_modules``, a ``stat`` per service), and to dispatch
it, it lists the response class's methods with ``inspect`` (``method_names_from_class``). Both are
the same for the life of the process, so ``faster_moto()`` computes each once.

For a long-running server, ``untracked_dynamodb_models()`` also stops moto from keeping every
DynamoDB model it creates in ``instances_tracked`` (the list behind ``/moto-api/data.json``): each item
written, and each copy made to roll a transaction back, would otherwise stay in memory for good.
Tracking changes no answer of the DynamoDB API; the raw dump then shows no DynamoDB models.

What moto returns — items, order, ``Count``, ``ScannedCount``, ``LastEvaluatedKey``, conditional
failures, rollbacks — is unchanged: ``tests/local/test_moto_speedups.py`` compares moto's response
bodies byte for byte with and without these patches (every attribute type, binary included; index
pages cut by the 1 MB limit, before and after an item grows in place), and
``tests/bench/test_sweep_bench.py`` and ``test_report_bench.py`` run the benchmarks both ways.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any
from unittest import mock

import moto
import moto.backends as moto_backends
import moto.core.responses as moto_responses
import moto.dynamodb.models as ddb_models
from moto.core.common_models import BaseModel
from moto.core.model_instances import model_data
from moto.core.serialize import BaseJSONSerializer
from moto.core.utils import method_names_from_class
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.responses import DynamoHandler

PINNED_MOTO = "5.2.5"
# The first 16 hex digits of the SHA-256 of each replaced function's source, as in PINNED_MOTO: a
# patch is right only for the code it was written against.
PATCHED_SOURCES: dict[str, tuple[Callable[[], Any], str]] = {
    "Item.__init__": (lambda: Item.__init__, "d9c12b62cb921831"),
    "Item.size": (lambda: Item.size, "9bc6ada96d33365c"),
    "LimitedSizeDict.__setitem__": (lambda: LimitedSizeDict.__setitem__, "d979580fdbe14f79"),
    "DynamoType.size": (lambda: DynamoType.size, "f7c111fca25b4c5e"),
    "DynamoType.cast_value": (lambda: DynamoType.cast_value.fget, "135da387dfcc7c1c"),  # type: ignore[attr-defined]
    "Table.put_item": (lambda: Table.put_item, "de23933013ef8426"),
    "Table.delete_item": (lambda: Table.delete_item, "1594f7b07616c8cb"),
    "Table.all_items": (lambda: Table.all_items, "c80d2ee3c896acd0"),
    "Table.query": (lambda: Table.query, "002b4d00be6df07c"),
    "DynamoHandler.call_action": (lambda: DynamoHandler.call_action, "ce5f57cf83cde340"),
    "DynamoDBBackend.transact_write_items": (lambda: DynamoDBBackend.transact_write_items, "81db2cb7d94e39c9"),
    "BaseJSONSerializer._serialize_type_structure": (
        lambda: BaseJSONSerializer._serialize_type_structure, "36873909cd0aeb4d"),
    "BaseModel.__new__": (lambda: BaseModel.__new__, "08cf0ef20e88029a"),
    "list_of_moto_modules": (lambda: moto_backends.list_of_moto_modules, "4f741a10b06500e8"),
    "method_names_from_class": (lambda: method_names_from_class, "9dbac89d082b655f"),
}


def source_digest(function: Callable[..., Any]) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def moto_mismatches() -> list[str]:
    """What differs from the moto these patches were written for; empty when they apply."""
    found = []
    if moto.__version__ != PINNED_MOTO:
        found.append(f"moto {moto.__version__} installed, patches written for {PINNED_MOTO}")
    for name, (_, digest) in PATCHED_SOURCES.items():
        # While the patches are active the attributes are ours: compare moto's own, kept at import.
        actual = source_digest(_originals[name])
        if actual != digest:
            found.append(f"{name} changed (source {actual}, patches written for {digest})")
    return found


# The partition the current table query is about; None means "all items" (index queries, scans).
_partition: ContextVar[DynamoType | None] = ContextVar("partition", default=None)
# The index partition the current index query is about: the index's name and its key conditions.
_index_partition: ContextVar[tuple[str, list[tuple[str, DynamoType]]] | None] = ContextVar(
    "index_partition", default=None
)


def _every_item(table: Table) -> Iterator[Item]:
    if table.range_key_attr:
        for bucket in table.items.values():
            yield from bucket.values()
    else:
        yield from table.items.values()  # type: ignore[misc]


def _equal(value: DynamoType | None, expected: DynamoType) -> bool:
    """``value == expected`` as moto compares (same type, same ``cast_value``), without building a
    Decimal for two strings."""
    if value is None:
        return False
    if value.type == "S" and expected.type == "S":
        return value.value == expected.value  # type: ignore[no-any-return]
    return value == expected


def _index_order(table: Table, index_name: str) -> list[str]:
    """The attributes moto sorts an index query's items by (``Table.sorted_items``): the index keys,
    then the table keys."""
    index = table.get_index(index_name)
    hashes = [k["AttributeName"] for k in index.schema if k["KeyType"] == "HASH"]
    ranges = [k["AttributeName"] for k in index.schema if k["KeyType"] == "RANGE"]
    return [*hashes, *ranges, table.hash_key_attr, *([table.range_key_attr] if table.range_key_attr else [])]


def _presorted(items: list[Item], order: list[str]) -> list[Item]:
    """``items`` in moto's index order when every key is a string (then ``str`` order is moto's
    order); moto sorts them again anyway, which costs it one comparison per item on sorted input."""
    keys = []
    for item in items:
        key = []
        for name in order:
            value = item.attrs.get(name)
            if value is None or value.type != "S":
                return items
            key.append(value.value)
        keys.append(tuple(key))
    return [item for _, item in sorted(zip(keys, items, strict=True), key=lambda pair: pair[0])]


_moto_all_items = Table.all_items


def _all_items(self: Table) -> list[Item]:
    key = _partition.get()
    if key is not None:
        bucket = self.items.get(key)
        if bucket is None:
            return []
        return list(bucket.values()) if self.range_key_attr else [bucket]  # type: ignore[list-item]
    index = _index_partition.get()
    if index is not None:
        index_name, conditions = index
        cache_key = (id(self), index_name, tuple((name, value.type, value.value) for name, value in conditions))
        cached = _index_partitions.get(cache_key)
        if cached is None or cached[0] is not self:
            if len(conditions) == 1:
                (name, expected), = conditions
                found = [item for item in _every_item(self) if _equal(item.attrs.get(name), expected)]
            else:
                found = [item for item in _every_item(self)
                         if all(_equal(item.attrs.get(name), expected) for name, expected in conditions)]
            cached = _index_partitions[cache_key] = (self, _presorted(found, _index_order(self, index_name)))
        return list(cached[1])
    return _moto_all_items(self)  # a Scan: moto's sorted list of every item


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


def _size(value: DynamoType) -> int:
    """``DynamoType.size`` computed the same way, without moto's re-wrapping of every nested value in
    a new ``DynamoType`` at each level (which makes a map's size quadratic in its depth)."""
    kind, inner = value.type, value.value
    if kind == "N":
        return len(str(inner))
    if kind in _SETS:
        sub = kind[0]
        return sum(len(str(v)) if sub == "N" else (1 if isinstance(v, bool) else bytesize(v)) for v in inner)
    if kind == "L":
        return sum(_size(v if type(v) is DynamoType else DynamoType(v)) for v in inner)
    if kind == "M":
        return sum(bytesize(k) + _size(v if type(v) is DynamoType else DynamoType(v)) for k, v in inner.items())
    if isinstance(inner, bool):
        return 1
    return bytesize(inner)


_SETS = frozenset({"SS", "NS", "BS"})
_AS_IS = frozenset({"S", "B", "BOOL"})
_moto_cast_value = DynamoType.cast_value.fget  # type: ignore[attr-defined]


def _cast_value(self: DynamoType) -> Any:
    """``DynamoType.cast_value`` (what moto compares and sorts by): a string, binary or boolean is its
    value as it is — moto gets there after five type checks — anything else goes to moto's."""
    if self.type in _AS_IS:
        return self.value
    return _moto_cast_value(self)

# What reads found, until the next write: item sizes by item, and index partitions (the items of an
# index query's partition, in index order) by table, index and key. The items and tables are kept
# here, so an id is never reused while cached. Only a write adds, removes or changes stored items
# (an UpdateItem or a transaction's Update changes them in place): every request other than a read,
# and every direct put or delete on a table, empties both.
_sizes: dict[int, tuple[Item, int]] = {}
_index_partitions: dict[tuple[Any, ...], tuple[Table, list[Item]]] = {}
_READS = frozenset({
    "Query", "Scan", "GetItem", "BatchGetItem", "TransactGetItems", "DescribeTable", "ListTables",
    "DescribeTimeToLive", "DescribeContinuousBackups", "ListTagsOfResource",
})


def _item_size(self: Item) -> int:
    """``Item.size``: the sum moto computes (attribute names' bytes + ``DynamoType.size``), once per
    item until the next write."""
    cached = _sizes.get(id(self))
    if cached is not None and cached[0] is self:
        return cached[1]
    size = sum(bytesize(key) + _size(value) for key, value in self.attrs.items())
    _sizes[id(self)] = (self, size)
    return size


def _forget() -> None:
    _sizes.clear()
    _index_partitions.clear()


def _forgetting(original: Any) -> Any:
    def write(*args: Any, **kwargs: Any) -> Any:
        _forget()
        try:
            return original(*args, **kwargs)
        finally:
            _forget()

    return write


def _wrap_call_action(original: Any) -> Any:
    def call_action(self: DynamoHandler) -> Any:
        if self._get_action() in _READS:
            return original(self)
        return _forgetting(original)(self)

    return call_action


def _wrap_query(original: Any) -> Any:
    def query(self: Table, hash_key: DynamoType | None, *args: Any, **kwargs: Any) -> Any:
        # Positional order of Table.query: ..., projection_expressions (6th after hash_key), index_name.
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        conditions = kwargs.get("hash_key_conditions")
        token = _partition.set(hash_key if index_name is None and hash_key is not None else None)
        index_token = _index_partition.set((index_name, list(conditions)) if index_name and conditions else None)
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            _index_partition.reset(index_token)
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
            original(self, transact_items)  # with ``copy`` in moto's backend module replaced: see faster_moto
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


class _Discarded(list):  # type: ignore[type-arg]
    """An ``instances_tracked`` that keeps nothing."""

    def append(self, instance: Any) -> None:
        pass


@contextmanager
def untracked_dynamodb_models() -> Iterator[None]:
    with ExitStack() as stack:
        for cls in list(model_data.get("dynamodb", {}).values()):
            stack.enter_context(mock.patch.object(cls, "instances_tracked", _Discarded()))
        yield


def install() -> list[str]:
    """Applies the speed-ups for the rest of the process (the stand-in), if moto is the version they
    were written for; returns what differs otherwise, and moto stays as it is."""
    mismatches = moto_mismatches()
    if not mismatches:
        _installed.enter_context(faster_moto())
        _installed.enter_context(untracked_dynamodb_models())
    return mismatches


_installed = ExitStack()
# moto's functions as they were before any patch (for moto_mismatches while the patches are active).
_originals: dict[str, Callable[..., Any]] = {name: original() for name, (original, _) in PATCHED_SOURCES.items()}


@functools.cache
def _moto_modules() -> tuple[str, ...]:
    return tuple(_originals["list_of_moto_modules"]())


@contextmanager
def faster_moto() -> Iterator[None]:
    with (
        mock.patch.object(moto_backends, "list_of_moto_modules", _moto_modules),
        mock.patch.object(moto_responses, "method_names_from_class", functools.cache(method_names_from_class)),
        mock.patch.object(Item, "__init__", _item_init),
        mock.patch.object(DynamoType, "size", _size),
        mock.patch.object(DynamoType, "cast_value", property(_cast_value)),
        mock.patch.object(Item, "size", _item_size),
        mock.patch.object(Table, "put_item", _forgetting(Table.put_item)),
        mock.patch.object(Table, "delete_item", _forgetting(Table.delete_item)),
        mock.patch.object(DynamoHandler, "call_action", _wrap_call_action(DynamoHandler.call_action)),
        mock.patch.object(Table, "all_items", _all_items),
        mock.patch.object(Table, "query", _wrap_query(Table.query)),
        mock.patch.object(DynamoDBBackend, "transact_write_items", _wrap_transact(DynamoDBBackend.transact_write_items)),
        # For as long as the speed-ups are on, not per transaction: patching per call is not thread-safe
        # (two threads' patches can restore each other's, leaving tables uncopied for the whole process).
        mock.patch.object(ddb_models, "copy", _CopyButNotTables()),
        mock.patch.object(BaseJSONSerializer, "_serialize_type_structure",
                          _wrap_structure(BaseJSONSerializer._serialize_type_structure)),
    ):
        try:
            yield
        finally:
            _forget()
