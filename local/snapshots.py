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
MAGIC = b"service-desk local AWS state 1\n"


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


def _rsa_private_key(der: bytes) -> Any:
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    return load_der_private_key(der, password=None)


def _reduce_rsa_private_key(key: Any) -> tuple[Any, tuple[bytes]]:
    from cryptography.hazmat.primitives import serialization

    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _rsa_private_key, (der,)


def _limited_size_dict(attributes: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    loaded = LimitedSizeDict.__new__(LimitedSizeDict)
    dict.update(loaded, attributes)
    return loaded


def _reduce_limited_size_dict(attributes: Any) -> tuple[Any, tuple[dict[str, Any]]]:
    return _limited_size_dict, (dict(attributes),)


def register_reducers() -> None:
    """Teaches pickle what in moto's state it cannot save, or load fast, as it is: a Cognito user
    pool's signing key (an OpenSSL object), saved as its DER bytes; and an item's attributes, which
    moto checks against the 400 KB limit each time one is set, adding up all the others again —
    loading them one by one took most of a start-up. They were checked when they were written."""
    from cryptography.hazmat.primitives.asymmetric import rsa
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    copyreg.pickle(type(key), _reduce_rsa_private_key)
    copyreg.pickle(LimitedSizeDict, _reduce_limited_size_dict)


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
        pickle.dump(state, file, protocol=pickle.HIGHEST_PROTOCOL)
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
        if file.readline() != MAGIC:
            raise SnapshotUnreadable(f"{path.name} is not a snapshot of this store")
        written_by = file.readline().decode().strip()
        if written_by != moto_version:
            raise SnapshotUnreadable(
                f"{path.name} was written by moto {written_by}, this is moto {moto_version}"
            )
        return pickle.load(file)
