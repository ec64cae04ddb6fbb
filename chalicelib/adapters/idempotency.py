"""Exactly-once form submissions, with Powertools' idempotency records kept in our single table.

A double-click or a retried request with the same key returns the first result instead of opening
a second ticket; the same key with different content is refused.

Timeline of one key (the lock is the record's ``in_progress_expiration``):

    first request     |-- lock (lock_seconds) --|-- renewed while the work runs --|--> COMPLETED, result kept
    repeat, meanwhile       waits (up to wait_seconds), then gets the stored result
    crashed request   |-- lock --| stops renewing; after lock_seconds a repeat takes the lock over and runs
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from botocore.exceptions import ClientError

from chalicelib.adapters import keys, schema
from chalicelib.adapters.aws import client
from chalicelib.services.ports import KeyReused, StillInProgress

logger = Logger(child=True)


class _LockedRecords(DynamoDBPersistenceLayer):
    """Powertools' store whose in-progress lock lasts ``lock_seconds`` (not the function's remaining
    time, which is 15 minutes locally) and can be renewed while the work runs."""

    def __init__(self, table_name: str, lock_seconds: float) -> None:
        super().__init__(
            table_name=table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value=keys.IDEMPOTENCY_PK,
            expiry_attr=schema.TTL_ATTRIBUTE,
            boto3_client=client("dynamodb"),
        )
        self._lock_ms = int(lock_seconds * 1000)
        self.locked: str | None = None

    def save_inprogress(self, data: dict[str, Any], remaining_time_in_millis: int | None = None) -> None:
        super().save_inprogress(data, remaining_time_in_millis=self._lock_ms)

    def _put_record(self, data_record: DataRecord) -> None:
        super()._put_record(data_record)
        self.locked = data_record.idempotency_key

    def renew(self) -> None:
        """Push the lock ``lock_seconds`` on from now, while the record is still in progress."""
        if self.locked is None:
            return
        try:
            self.client.update_item(
                TableName=self.table_name,
                Key=self._get_key(self.locked),
                UpdateExpression="SET #lock = :until",
                ConditionExpression="#status = :in_progress",
                ExpressionAttributeNames={"#lock": self.in_progress_expiry_attr, "#status": self.status_attr},
                ExpressionAttributeValues={":until": {"N": str(int(time.time() * 1000) + self._lock_ms)},
                                           ":in_progress": {"S": "INPROGRESS"}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise


class IdempotentRunner:
    """``lock_seconds``: how long a request that died holding a key blocks its repeats;
    ``wait_seconds``: how long a repeat waits for a first request that is still working."""

    def __init__(self, table_name: str, *, expires_after_seconds: int, lock_seconds: float = 10.0,
                 wait_seconds: float = 20.0):
        self._table_name = table_name
        self._expires = expires_after_seconds
        self._lock_seconds = lock_seconds
        self._wait_seconds = wait_seconds
        self._prototype: _LockedRecords | None = None

    def _store(self) -> _LockedRecords:
        """A fresh store for one call: a copy of one made once per client. Making a Powertools store
        adds a User-Agent handler to its client for good, so a store made per call grew every later
        request of the client by one more handler and one more User-Agent word."""
        prototype = self._prototype
        if prototype is None or prototype.client is not client("dynamodb"):
            prototype = self._prototype = _LockedRecords(self._table_name, self._lock_seconds)
        return copy.copy(prototype)

    def run(self, scope: str, key: str, payload: dict[str, Any], work: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Run ``work`` once per (scope, key); later calls get its stored result."""
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="payload",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expires,
        )
        # One store per call: Powertools keeps the key's prefix (the scope) and the lock on it.
        store = self._store()

        @idempotent_function(data_keyword_argument="request", persistence_store=store, config=config,
                             key_prefix=scope)
        def once(request: dict[str, Any]) -> dict[str, Any]:
            with self._renewed(store):
                return work()

        deadline = time.monotonic() + self._wait_seconds
        pause = 0.1
        while True:
            try:
                return once(request={"key": key, "payload": payload})
            except IdempotencyValidationError as error:
                raise KeyReused(key) from error
            except IdempotencyAlreadyInProgressError as error:
                # A double-click: the first request is still writing. Wait for its answer, asking less
                # often as the wait grows (every ask is a write to the table).
                if time.monotonic() + pause > deadline:
                    raise StillInProgress(key) from error
                time.sleep(pause)
                pause = min(pause * 2, 1.0)

    @contextmanager
    def _renewed(self, store: _LockedRecords) -> Iterator[None]:
        """Keeps the lock while the work runs, so a slow first request is never taken over; a request
        that dies stops renewing, and its lock runs out ``lock_seconds`` later."""
        done = threading.Event()

        def renew() -> None:
            while not done.wait(self._lock_seconds / 3):
                try:
                    store.renew()
                except Exception:  # a missed renewal only shortens the lock
                    logger.exception("could not renew an idempotency lock")

        renewer = threading.Thread(target=renew, name="idempotency-lock", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()
