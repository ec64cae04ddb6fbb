"""The stand-in's state on disk: a snapshot of moto's backends, and the writes recorded since.

Files in the state directory (``n`` counts up from 1):

- ``aws-state.<n>.snapshot``: moto's backends (every service but the transient ones) pickled, as they
  were after every request of the logs numbered below ``n``. Written by a child process to a
  temporary file, fsync'ed, renamed into place and the directory fsync'ed: the name appears only over
  a complete file, so a crash at any moment leaves the previous snapshot and its logs intact.
- ``aws-requests.<n>.jsonl``: the requests that changed something after snapshot ``n`` (or after
  nothing, for ``n`` = 0 with no snapshot), one JSON line each, in moto's recording format.
  ``aws-requests.jsonl`` (no number), written by earlier versions from the first day, counts as log 0.

Start-up loads the newest snapshot and replays the logs from its number on: normally one short log.
Once a snapshot ``n`` exists, snapshots and logs below ``n`` are no longer needed and are deleted.
"""

from __future__ import annotations

import copyreg
import gc
import os
import pickle
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LEGACY_LOG = "aws-requests.jsonl"
_LOG = re.compile(r"aws-requests\.(\d+)\.jsonl")
_SNAPSHOT = re.compile(r"aws-state\.(\d+)\.snapshot")
MAGIC = b"service-desk local AWS state 2\n"
# Read too: written before DynamoDB's items were saved compactly (they load as they were saved).
READABLE = frozenset({MAGIC, b"service-desk local AWS state 1\n"})


def log_path(directory: Path, number: int) -> Path:
    return directory / f"aws-requests.{number}.jsonl"


def snapshot_path(directory: Path, number: int) -> Path:
    return directory / f"aws-state.{number}.snapshot"


def logs(directory: Path) -> list[tuple[int, Path]]:
    """Every log, oldest first."""
    found = [(int(m.group(1)), p) for p in directory.iterdir() if (m := _LOG.fullmatch(p.name))]
    legacy = directory / LEGACY_LOG
    if legacy.exists():
        found.append((0, legacy))
    return sorted(found)


def snapshots(directory: Path) -> list[tuple[int, Path]]:
    return sorted((int(m.group(1)), p) for p in directory.iterdir() if (m := _SNAPSHOT.fullmatch(p.name)))


def fsync_directory(directory: Path) -> None:
    """Makes a file's creation, rename or removal in ``directory`` durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def create_log(directory: Path, number: int) -> Path:
    path = log_path(directory, number)
    path.touch()
    fsync_directory(directory)
    return path


def forget_before(directory: Path, number: int) -> None:
    """Deletes the snapshots and logs that snapshot ``number`` makes unnecessary, and unfinished
    snapshots of older runs."""
    for n, path in [*logs(directory), *snapshots(directory)]:
        if n < number:
            path.unlink(missing_ok=True)
    for path in directory.glob("aws-state.*.snapshot.tmp*"):
        path.unlink(missing_ok=True)
    fsync_directory(directory)


# --- what is saved -------------------------------------------------------------------------------


# DynamoDB's items, compactly. Pickled as they are, moto's objects come back far larger than moto made
# them (each one's attributes as a dict of its own, where moto's constructor leaves them in the
# object's compact layout) and every equal string a copy of its own: 0.24 MB a ticket, 2.5 GB at
# 10,000 tickets. So an item, its attributes and each attribute value are saved as what moto's
# constructors would be given, and equal scalar values — the ticket's key in each of its forty items,
# "sent", "zh-CN", attribute names — are saved once and shared when loaded. Only scalars (string,
# number, binary, boolean, null) are shared: moto replaces them and never changes one in place,
# while a map, a list or a set can be changed in place by an update, so each stays its own.
_SHARED_KINDS = frozenset({"S", "N", "B", "BOOL", "NULL"})


def _dynamo_type(kind: str, value: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    loaded = DynamoType.__new__(DynamoType)
    loaded.type = kind
    loaded.value = value
    return loaded


def _the_same(value: Any) -> Any:
    return value


def _item(hash_key: Any, range_key: Any, attributes: Any) -> Any:
    from moto.dynamodb.models.dynamo_type import Item

    loaded: Any = Item.__new__(Item)
    loaded.hash_key = hash_key
    loaded.range_key = range_key
    loaded.attrs = attributes
    return loaded


def _limited_size_dict(attributes: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    loaded = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(loaded, attributes)
    return loaded


class _Compact:
    """Reducers for one snapshot: what it has saved so far, to save an equal value only once."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, type, Any], Any] = {}
        self._strings: dict[str, str] = {}

    def string(self, text: str) -> str:
        return self._strings.setdefault(text, text)

    def shared(self, value: Any) -> Any:
        """The first value saved equal to ``value``, if it is a scalar (else ``value``)."""
        kind = value.type
        if kind not in _SHARED_KINDS:
            return value
        inner = value.value
        if type(inner) is str:
            inner = self.string(inner)
        return self._values.setdefault((kind, type(inner), inner), value)

    def dynamo_type(self, value: Any) -> tuple[Any, tuple[Any, ...]]:
        shared = self.shared(value)
        if shared is not value:  # one its container could not swap (a key of moto's table index)
            return _the_same, (shared,)
        kind, inner = value.type, value.value
        if kind == "M":
            inner = {self.string(k): self.shared(v) for k, v in inner.items()}
        elif kind == "L":
            inner = [self.shared(v) for v in inner]
        elif type(inner) is str:
            inner = self.string(inner)
        return _dynamo_type, (kind, inner)

    def item(self, item: Any) -> tuple[Any, tuple[Any, Any, Any]]:
        range_key = None if item.range_key is None else self.shared(item.range_key)
        return _item, (self.shared(item.hash_key), range_key, item.attrs)

    def limited_size_dict(self, attributes: Any) -> tuple[Any, tuple[dict[str, Any]]]:
        return _limited_size_dict, ({self.string(k): self.shared(v) for k, v in attributes.items()},)

    def dispatch_table(self) -> dict[type, Any]:
        from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict

        return {
            **copyreg.dispatch_table,
            DynamoType: self.dynamo_type,
            Item: self.item,
            LimitedSizeDict: self.limited_size_dict,
        }


def _rsa_private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    return load_der_private_key(der, password=None)


def _reduce_rsa_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    from cryptography.hazmat.primitives import serialization

    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _rsa_private_key, (der,)


def register_reducers() -> None:
    """Teaches pickle what in moto's state it cannot save as it is: a Cognito user pool's signing key
    (an OpenSSL object), saved as its DER bytes. (DynamoDB's items: see ``_Compact``.)"""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    copyreg.pickle(type(key), _reduce_rsa_private_key)


def collect(transient: Iterable[str]) -> dict[str, dict[str, dict[str, Any]]]:
    """moto's backends in use, by service, account and region, except the transient services'."""
    from moto.core.base_backend import BackendDict

    skip = set(transient)
    state: dict[str, dict[str, dict[str, Any]]] = {}
    for backends in BackendDict._instances:  # type: ignore[misc]
        if backends.service_name in skip:
            continue
        for account, region, backend in backends.iter_backends():
            state.setdefault(backends.service_name, {}).setdefault(account, {})[region] = backend
    return state


def restore(state: dict[str, dict[str, dict[str, Any]]]) -> None:
    from moto.backends import get_backend

    for service, accounts in state.items():
        backends = get_backend(service)  # type: ignore[call-overload]
        for account, regions in accounts.items():
            for region, backend in regions.items():
                dict.__setitem__(backends[account], region, backend)


def write_snapshot(path: Path, state: object, moto_version: str) -> None:
    """Writes atomically: temporary file, fsync, rename, fsync of the directory."""
    temporary = path.with_name(f"{path.name}.tmp{os.getpid()}")
    with _collector_paused(), open(temporary, "wb") as file:
        file.write(MAGIC)
        file.write(moto_version.encode() + b"\n")
        pickler = pickle.Pickler(file, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _Compact().dispatch_table()
        pickler.dump(state)
        file.flush()
        os.fsync(file.fileno())
    os.rename(temporary, path)
    fsync_directory(path.parent)


class SnapshotUnreadable(Exception):
    pass


def read_snapshot(path: Path, moto_version: str) -> Any:
    """Loads with the garbage collector paused: the millions of objects a large snapshot makes would
    otherwise set off full collections again and again, each over everything loaded so far. Then
    they are frozen, so later collections (during requests) do not walk them either."""
    with _collector_paused():
        state = _read(path, moto_version)
    gc.freeze()
    return state


@contextmanager
def _collector_paused() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(path: Path, moto_version: str) -> Any:
    with open(path, "rb") as file:
        if file.readline() not in READABLE:
            raise SnapshotUnreadable(f"{path.name} is not a snapshot of this store")
        written_by = file.readline().decode().strip()
        if written_by != moto_version:
            raise SnapshotUnreadable(
                f"{path.name} was written by moto {written_by}, this is moto {moto_version}"
            )
        return pickle.load(file)
